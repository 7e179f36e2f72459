// The network layer every HTTP backend shares: libcurl (loaded at run time, curl_api.hpp) with
// connection reuse, timeouts, cancellation, and per-request retries with exponential backoff,
// full jitter and Retry-After. It knows HTTP, not any one service: what a status or an error body
// means, and how requests are signed, are the backend's.
//
// Threads: one HttpClient per remote, shared by every worker thread. Perform may be called from
// any number of threads at once; each call borrows a curl easy handle from the client's pool (so a
// thread keeps a warm handle) and all handles share one curl share object (DNS cache, TLS
// sessions, connection cache), so keep-alive connections are reused across threads.
//
// Secrets: no error message contains a header value, nor the value of a query parameter named in
// HttpOptions::secret_query_params (a presigned URL's signature): RedactUrl.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/context.hpp"
#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone {

struct HttpOptions {
  // Time allowed to establish a TCP (and TLS) connection.
  std::chrono::milliseconds connect_timeout{60'000};
  // A transfer that moves less than 1 byte/s for this long fails (curl's low-speed limit): an
  // idle timeout, not a limit on the total duration of a transfer.
  std::chrono::milliseconds idle_timeout{300'000};
  bool verify_tls = true;
  // CA bundle file for TLS verification; empty: curl's default.
  std::string ca_bundle;
  std::string user_agent = "cvclone/0.1";
  // Query parameters whose values are credentials (S3: X-Amz-Signature): never in a message.
  std::vector<std::string> secret_query_params;
};

// Response headers: in the order received, names as sent; lookup is case-insensitive. Also the
// status code of the response they belong to (0 until its status line is read).
class HttpHeaders {
 public:
  void Add(std::string name, std::string value);
  // The first value of name, if present.
  std::optional<std::string> Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }
  long status() const { return status_; }
  // Starts over for a new response (after an interim one such as 100 Continue).
  void Reset(long status) {
    items_.clear();
    status_ = status;
  }
  void Clear() { Reset(0); }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
  long status_ = 0;
};

// Receives downloaded bytes in order. A failed Status aborts the transfer and becomes Perform's
// result.
using BodySink = std::function<Status(std::span<const std::byte>)>;

// Cap on a response body collected into HttpResponse::body (error XML, listings).
inline constexpr size_t kDefaultMaxBody = size_t{64} << 20;

struct HttpRequest {
  std::string method = "GET";  // "HEAD" sends no body and expects none
  std::string url;             // complete, already encoded
  std::vector<std::pair<std::string, std::string>> headers;
  // Request body, one of:
  //  - in memory: `body` (not owned: must stay valid until Perform returns);
  //  - streamed: `body_reader` yielding exactly `body_length` bytes (Content-Length is sent, never
  //    chunked encoding). A reader that ends early or yields more fails the request (kIo /
  //    kInvalidArgument, not retryable by itself). A Reader cannot be rewound: to retry, build a
  //    new request with a fresh reader.
  // For PUT/POST with neither, Content-Length: 0 is sent.
  std::string_view body;
  Reader* body_reader = nullptr;
  int64_t body_length = 0;
  // If set, a 2xx response body is passed to sink as it arrives and HttpResponse::body stays
  // empty. A non-2xx response body (S3's error XML) is always collected into HttpResponse::body.
  BodySink sink;
  // If set, called with a 2xx response's headers before its first body byte reaches sink (not
  // called for an empty body: HttpResponse::headers has them then).
  std::function<void(const HttpHeaders&)> on_headers;
  // A collected body longer than this fails the request (kNetwork, not retryable).
  size_t max_body = kDefaultMaxBody;
};

struct HttpResponse {
  long status = 0;  // the HTTP status code
  HttpHeaders headers;
  std::string body;  // collected body (see HttpRequest::sink)
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs one request. Any HTTP status is a successful Result (the caller maps statuses to
  // errors, the S3 backend with S3ErrorFromResponse). Failures:
  //  - ctx.stop requested before or during the transfer: kCancelled (the transfer is aborted
  //    within about 100 ms even while waiting for data);
  //  - ctx.deadline passed: kTimeout (retryable);
  //  - connection refused / reset, DNS failure, TLS failure, connect or idle timeout, a body cut
  //    short: kNetwork, retryable, message "<METHOD> <url, RedactUrl>: <curl's error>";
  //  - the sink's or body reader's error: returned as is;
  //  - a collected body over max_body: kNetwork, not retryable.
  Result<HttpResponse> Perform(const Context& ctx, const HttpRequest& request);

  const HttpOptions& options() const { return options_; }

  // Test hook: how many new TCP connections curl has opened through this client (sum of
  // CURLINFO_NUM_CONNECTS).
  int64_t ConnectionsOpened() const;

 private:
  struct Impl;
  HttpOptions options_;
  std::unique_ptr<Impl> impl_;
};

// url with the value of each query parameter named in secret_params replaced by "REDACTED" (for
// messages and logs).
std::string RedactUrl(std::string_view url, const std::vector<std::string>& secret_params);

// Whether a response status alone calls for a retry: 429, 500, 502, 503, 504 (and any other
// 5xx except 501 Not Implemented).
bool IsRetryableStatus(long status);

// The longest delay ParseRetryAfter gives: 999,999,999 s (about 31 years).
inline constexpr std::chrono::milliseconds kMaxRetryAfter{int64_t{999'999'999} * 1000};

// Parses a Retry-After value: delta seconds ("120") or an HTTP-date; nullopt if malformed. A date
// in the past gives 0; a delay longer than kMaxRetryAfter (or a date that far ahead, up to
// year 9999) gives kMaxRetryAfter.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value);
// A Content-Range of a partial answer: "bytes FIRST-LAST/TOTAL", TOTAL being a number or "*".
struct ContentRange {
  int64_t first = 0;
  int64_t last = 0;    // inclusive
  int64_t total = -1;  // -1 for "*"
};
// Parses that form (surrounding spaces allowed); nullopt if value is anything else, including
// the unsatisfied form "bytes */TOTAL", a number beyond int64_t, first > last, or last >= total.
std::optional<ContentRange> ParseContentRange(std::string_view value);

// An HTTP-date in its preferred form, RFC 9110's IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT",
// as S3 and WebDAV servers send Last-Modified); nullopt for any other text, and for a date a
// TimePoint cannot hold.
std::optional<TimePoint> ParseHttpDate(std::string_view text);

// The path of an absolute URL ("http://h:1/x/y?q#f" -> "/x/y"; "/" when the URL has none) or of
// a path reference ("/x/y?q" -> "/x/y"), still percent-encoded, without query or fragment.
std::string_view UrlPath(std::string_view url);

// ParseRetryAfter of the response's Retry-After header, if any.
std::optional<std::chrono::milliseconds> RetryAfterOf(const HttpResponse& response);

// Retries. The backoff before attempt n+1 (n >= 1) is full jitter: a uniformly random delay in
// [0, min(max_delay, base_delay * 2^(n-1))] — AWS's recommended scheme, which spreads clients
// after a SlowDown. With the defaults the cap is reached after 8 attempts; 10 attempts wait at
// most ~30 s in total, about what rclone's pacer allows. When the failed attempt gave a
// Retry-After hint, the delay is max(hint, jittered delay), the hint capped at max_retry_after.
struct RetryPolicy {
  int max_attempts = 10;  // --low-level-retries; at least 1 attempt is always made
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{10'000};
  std::chrono::milliseconds max_retry_after{60'000};
};

// Filled by an attempt that failed, to tell the retry loop what the server asked for.
struct RetryHint {
  std::optional<std::chrono::milliseconds> retry_after;
};

// The delay before the attempt after `attempt` (1-based) failed. Random (full jitter).
std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int attempt,
                                       const RetryHint& hint);

// Waits for delay, or until ctx.stop is requested (then kCancelled at once, no waiting out the
// delay) or ctx.deadline passes (kTimeout). Ok after the full delay.
Status InterruptibleSleep(const Context& ctx, std::chrono::milliseconds delay);

// Calls op(attempt, hint) with attempt = 1, 2, ... until it succeeds, returns a non-retryable
// error, or policy.max_attempts attempts were made (then the last error is returned, its message
// prefixed with nothing: the caller's context is kept as is). Sleeps BackoffDelay between
// attempts, interruptibly; cancellation during a sleep returns kCancelled. The hint is reset
// before every attempt.
template <typename T>
Result<T> WithRetries(const Context& ctx, const RetryPolicy& policy,
                      const std::function<Result<T>(int attempt, RetryHint& hint)>& op) {
  const int attempts = policy.max_attempts < 1 ? 1 : policy.max_attempts;
  for (int attempt = 1;; ++attempt) {
    RetryHint hint;
    Result<T> result = op(attempt, hint);
    if (result.has_value() || !result.error().retryable() || attempt >= attempts) return result;
    if (ctx.Cancelled()) return MakeError(ErrorCode::kCancelled, "cancelled");
    Status slept = InterruptibleSleep(ctx, BackoffDelay(policy, attempt, hint));
    if (!slept) return Propagate(slept.error());
  }
}

}  // namespace cvclone
