#include "core/http/http.hpp"

#include "core/http/curl_api.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <random>
#include <stop_token>

#include "core/tps_limit.hpp"

namespace cvclone {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The loaded library; only called where it is known to be loaded (a handle or share exists,
// or Perform checked).
const CurlApi& Curl() { return *LoadCurl(); }

// One easy handle plus the multi handle that drives it, so a transfer can be woken from another
// thread (curl_multi_wakeup) when a stop is requested.
struct Handle {
  CURL* easy = nullptr;
  CURLM* multi = nullptr;
  ~Handle() {
    if (easy != nullptr) Curl().easy_cleanup(easy);
    if (multi != nullptr) Curl().multi_cleanup(multi);
  }
};

// Per-transfer state the callbacks see.
struct Transfer {
  const Context* ctx = nullptr;
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  std::optional<Error> error;  // set by a callback that aborted the transfer
  std::string_view memory_body;
  int64_t remaining = 0;  // body bytes still to send
  long status = 0;        // from the last status line
  bool headers_reported = false;
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  line = Trim(line);
  if (line.starts_with("HTTP/")) {
    // A new response (after 100 Continue or an interim answer): start over.
    size_t space = line.find(' ');
    t->status = space == std::string_view::npos ? 0 : std::atol(std::string(line.substr(space + 1, 3)).c_str());
    t->response->headers.Reset(t->status);
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response->headers.Add(std::string(Trim(line.substr(0, colon))),
                             std::string(Trim(line.substr(colon + 1))));
  }
  return size * count;
}

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  const bool success = t->status >= 200 && t->status < 300;
  if (success && t->request->sink) {
    if (t->request->on_headers && !t->headers_reported) {
      t->headers_reported = true;
      t->request->on_headers(t->response->headers);
    }
    Status s = t->request->sink(std::span<const std::byte>(reinterpret_cast<std::byte*>(data), n));
    if (!s) {
      t->error = s.error();
      return CURL_WRITEFUNC_ERROR;
    }
    return n;
  }
  if (t->response->body.size() + n > t->request->max_body) {
    t->error = Error(ErrorCode::kNetwork, "response body larger than " +
                                              std::to_string(t->request->max_body) + " bytes");
    return CURL_WRITEFUNC_ERROR;
  }
  t->response->body.append(data, n);
  return n;
}

size_t OnRead(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t capacity = size * count;
  if (t->request->body_reader == nullptr) {
    size_t n = std::min(capacity, t->memory_body.size());
    std::copy_n(t->memory_body.data(), n, data);
    t->memory_body.remove_prefix(n);
    return n;
  }
  if (t->remaining == 0) return 0;
  size_t want = std::min<size_t>(capacity, static_cast<size_t>(t->remaining));
  Result<size_t> got =
      t->request->body_reader->Read(std::span<std::byte>(reinterpret_cast<std::byte*>(data), want));
  if (!got.has_value()) {
    t->error = got.error();
    return CURL_READFUNC_ABORT;
  }
  if (*got == 0) {
    t->error = Error(ErrorCode::kIo, "request body ended " + std::to_string(t->remaining) +
                                         " bytes before its declared length");
    return CURL_READFUNC_ABORT;
  }
  t->remaining -= static_cast<int64_t>(*got);
  if (t->remaining == 0) {
    // The declared length is complete (curl asks for no more): the reader must be at its end.
    std::byte probe[1];
    Result<size_t> extra = t->request->body_reader->Read(probe);
    if (!extra.has_value() || *extra != 0) {
      t->error = extra.has_value() ? Error(ErrorCode::kInvalidArgument,
                                           "request body longer than its declared length")
                                   : extra.error();
      return CURL_READFUNC_ABORT;
    }
  }
  return *got;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  Status s = t->ctx->Check();
  if (s) return 0;
  t->error = s.error();
  return 1;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

void HttpHeaders::Add(std::string name, std::string value) {
  items_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string> HttpHeaders::Get(std::string_view name) const {
  for (const auto& [n, v] : items_) {
    if (EqualsIgnoreCase(n, name)) return v;
  }
  return std::nullopt;
}

struct HttpClient::Impl {
  CURLSH* share = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> locks;
  std::mutex pool_mu;
  std::vector<std::unique_ptr<Handle>> idle;
  std::atomic<int64_t> connects{0};

  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Impl*>(user)->locks[static_cast<size_t>(data)].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<Impl*>(user)->locks[static_cast<size_t>(data)].unlock();
  }

  std::unique_ptr<Handle> Borrow() {
    {
      std::lock_guard lock(pool_mu);
      if (!idle.empty()) {
        auto h = std::move(idle.back());
        idle.pop_back();
        return h;
      }
    }
    const CurlApi& curl = Curl();
    auto h = std::make_unique<Handle>();
    h->easy = curl.easy_init();
    h->multi = curl.multi_init();
    if (h->easy == nullptr || h->multi == nullptr) return nullptr;
    return h;
  }
  void Return(std::unique_ptr<Handle> h) {
    std::lock_guard lock(pool_mu);
    idle.push_back(std::move(h));
  }
};

HttpClient::HttpClient(HttpOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  const CurlApi* loaded = LoadCurl();
  if (loaded == nullptr) return;  // every request reports why (Perform)
  const CurlApi& curl = *loaded;
  impl_->share = curl.share_init();
  if (impl_->share != nullptr) {
    curl.share_setopt(impl_->share, CURLSHOPT_LOCKFUNC, &Impl::Lock);
    curl.share_setopt(impl_->share, CURLSHOPT_UNLOCKFUNC, &Impl::Unlock);
    curl.share_setopt(impl_->share, CURLSHOPT_USERDATA, impl_.get());
    curl.share_setopt(impl_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl.share_setopt(impl_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl.share_setopt(impl_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  }
}

HttpClient::~HttpClient() {
  impl_->idle.clear();  // easy handles must go before the share they use
  if (impl_->share != nullptr) Curl().share_cleanup(impl_->share);
}

int64_t HttpClient::ConnectionsOpened() const { return impl_->connects.load(); }

namespace {

constexpr long kReceiveBufferSize = 256L << 10;
constexpr long kSendBufferSize = 512L << 10;

// Sets every option of one transfer on a freshly reset easy handle.
void Configure(CURL* easy, CURLSH* share, const HttpOptions& options, const HttpRequest& request,
               Transfer* t, curl_slist* headers, char* error_buffer) {
  const CurlApi& curl = Curl();
  curl.easy_reset(easy);
  if (share != nullptr) curl.easy_setopt(easy, CURLOPT_SHARE, share);
  curl.easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl.easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl.easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
  curl.easy_setopt(easy, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl.easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  long idle_seconds = static_cast<long>((options.idle_timeout.count() + 999) / 1000);
  curl.easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl.easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, std::max(1L, idle_seconds));
  curl.easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl.easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
  curl.easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
  if (!options.ca_bundle.empty()) curl.easy_setopt(easy, CURLOPT_CAINFO, options.ca_bundle.c_str());
  curl.easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl.easy_setopt(easy, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl.easy_setopt(easy, CURLOPT_HEADERDATA, t);
  // Bigger than curl's 16 KiB / 64 KiB defaults: fewer callbacks, wake-ups and syscalls per
  // byte of a large body.
  curl.easy_setopt(easy, CURLOPT_BUFFERSIZE, kReceiveBufferSize);
  curl.easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE, kSendBufferSize);
  curl.easy_setopt(easy, CURLOPT_WRITEFUNCTION, &OnWrite);
  curl.easy_setopt(easy, CURLOPT_WRITEDATA, t);
  curl.easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
  curl.easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  curl.easy_setopt(easy, CURLOPT_XFERINFODATA, t);

  const bool has_body = request.body_reader != nullptr || !request.body.empty();
  const int64_t length =
      request.body_reader != nullptr ? request.body_length : static_cast<int64_t>(request.body.size());
  if (request.method == "HEAD") {
    curl.easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET" && !has_body) {
    curl.easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else if (has_body || request.method == "PUT" || request.method == "POST") {
    // Upload mode with a known size: Content-Length, never chunked encoding.
    curl.easy_setopt(easy, CURLOPT_UPLOAD, 1L);
    curl.easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(length));
    curl.easy_setopt(easy, CURLOPT_READFUNCTION, &OnRead);
    curl.easy_setopt(easy, CURLOPT_READDATA, t);
    if (request.method != "PUT") curl.easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else {
    curl.easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
}

// Drives one transfer on h until it completes or ctx.stop is requested.
CURLcode Drive(Handle& h, const Context& ctx, bool* stopped) {
  const CurlApi& curl = Curl();
  curl.multi_add_handle(h.multi, h.easy);
  std::stop_callback wake(ctx.stop, [&h, &curl] { curl.multi_wakeup(h.multi); });
  CURLcode result = CURLE_OK;
  bool done = false;
  while (!done) {
    if (ctx.stop.stop_requested()) {
      *stopped = true;
      break;
    }
    int running = 0;
    CURLMcode mc = curl.multi_perform(h.multi, &running);
    if (mc != CURLM_OK) {
      result = CURLE_RECV_ERROR;
      break;
    }
    int queued = 0;
    while (CURLMsg* msg = curl.multi_info_read(h.multi, &queued)) {
      if (msg->msg == CURLMSG_DONE) {
        result = msg->data.result;
        done = true;
      }
    }
    if (done || running == 0) break;
    curl.multi_poll(h.multi, nullptr, 0, 1000, nullptr);
  }
  curl.multi_remove_handle(h.multi, h.easy);
  return result;
}

}  // namespace

Result<HttpResponse> HttpClient::Perform(const Context& ctx, const HttpRequest& request) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_RETURN_IF_ERROR(WaitForTransaction(ctx));  // --tpslimit
  const std::string what =
      request.method + " " + RedactUrl(request.url, options_.secret_query_params);
  if (request.body_reader != nullptr && request.body_length < 0) {
    return MakeError(ErrorCode::kInvalidArgument, what + ": negative body length");
  }
  std::string unavailable;
  const CurlApi* loaded = LoadCurl(&unavailable);
  if (loaded == nullptr) {
    return MakeError(ErrorCode::kUnsupported, what + ": libcurl is not available: " + unavailable,
                     RetryClass::kFatal);
  }
  const CurlApi& curl = *loaded;
  std::unique_ptr<Handle> handle = impl_->Borrow();
  if (handle == nullptr) return MakeError(ErrorCode::kInternal, what + ": curl init failed");

  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl.slist_append(headers, (name + ": " + value).c_str());
  }
  // Servers answer 100-continue inconsistently (S3 ones among them); a second round trip buys
  // nothing here.
  headers = curl.slist_append(headers, "Expect:");

  HttpResponse response;
  Transfer t;
  t.ctx = &ctx;
  t.request = &request;
  t.response = &response;
  t.memory_body = request.body;
  t.remaining = request.body_length;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  Configure(handle->easy, impl_->share, options_, request, &t, headers, error_buffer);

  bool stopped = false;
  CURLcode code = Drive(*handle, ctx, &stopped);
  long connects = 0;
  curl.easy_getinfo(handle->easy, CURLINFO_NUM_CONNECTS, &connects);
  impl_->connects += connects;
  curl.easy_getinfo(handle->easy, CURLINFO_RESPONSE_CODE, &response.status);
  // Detach the per-call pointers before the handle goes back to the pool.
  curl.easy_setopt(handle->easy, CURLOPT_HTTPHEADER, nullptr);
  curl.easy_setopt(handle->easy, CURLOPT_ERRORBUFFER, nullptr);
  curl.slist_free_all(headers);
  impl_->Return(std::move(handle));

  if (stopped) return MakeError(ErrorCode::kCancelled, what + ": cancelled");
  if (t.error) return Propagate(*t.error, what);
  if (code != CURLE_OK) {
    std::string reason = error_buffer[0] != '\0' ? error_buffer : curl.easy_strerror(code);
    // Curl's messages may quote the URL; never let a signature through.
    reason = RedactUrl(reason, options_.secret_query_params);
    return MakeError(ErrorCode::kNetwork, what + ": " + reason, RetryClass::kRetryable);
  }
  return response;
}

// ---------------------------------------------------------------------------------------------

std::string RedactUrl(std::string_view url, const std::vector<std::string>& secret_params) {
  std::string out(url);
  for (const std::string& name : secret_params) {
    const std::string param = name + "=";
    size_t pos = 0;
    while ((pos = out.find(param, pos)) != std::string::npos) {
      // Only at a parameter boundary ('?' or '&'), so "X-Amz-Signature=" is not taken for
      // "Signature=".
      if (pos > 0 && out[pos - 1] != '?' && out[pos - 1] != '&') {
        pos += param.size();
        continue;
      }
      size_t start = pos + param.size();
      size_t end = out.find_first_of("& \t\r\n'\"", start);
      if (end == std::string::npos) end = out.size();
      out.replace(start, end - start, "REDACTED");
      pos = start + 8;
    }
  }
  return out;
}

bool IsRetryableStatus(long status) {
  return status == 429 || (status >= 500 && status <= 599 && status != 501);
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value) {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  constexpr int64_t kMaxSeconds = kMaxRetryAfter.count() / 1000;
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    // More digits than kMaxSeconds has are more than it, whatever they say.
    if (value.size() > 9) return kMaxRetryAfter;
    return milliseconds(seconds(std::atol(std::string(value).c_str())));
  }
  const CurlApi* curl = LoadCurl();
  if (curl == nullptr) return std::nullopt;
  const time_t when = curl->getdate(std::string(value).c_str(), nullptr);
  if (when == -1) return std::nullopt;
  // In seconds: a date far ahead (a system_clock time point holds years 1677..2262 only)
  // converts without overflow.
  const int64_t now =
      std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const int64_t delta = static_cast<int64_t>(when) - now;
  if (delta <= 0) return milliseconds(0);
  if (delta >= kMaxSeconds) return kMaxRetryAfter;
  return milliseconds(seconds(delta));
}

std::optional<TimePoint> ParseHttpDate(std::string_view text) {
  const std::string s(text);
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const time_t seconds = timegm(&tm);
  // -1 is also 1969-12-31 23:59:59, a valid date.
  if (seconds == static_cast<time_t>(-1) && tm.tm_year != 69) return std::nullopt;
  return TimeFromUnix(seconds);
}

std::string_view UrlPath(std::string_view url) {
  if (const size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    const size_t slash = url.find_first_of("/?#", scheme + 3);
    url = slash == std::string_view::npos || url[slash] != '/' ? std::string_view("/")
                                                               : url.substr(slash);
  }
  if (const size_t q = url.find_first_of("?#"); q != std::string_view::npos) url = url.substr(0, q);
  return url;
}

namespace {

// A non-negative decimal number at the start of s (advanced past it); nullopt if there is none
// or it does not fit in int64_t.
std::optional<int64_t> TakeNumber(std::string_view& s) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || v < 0 || s.empty() || s.front() < '0' || s.front() > '9') {
    return std::nullopt;
  }
  s.remove_prefix(static_cast<size_t>(end - s.data()));
  return v;
}

}  // namespace

std::optional<ContentRange> ParseContentRange(std::string_view value) {
  std::string_view s = Trim(value);
  if (!s.starts_with("bytes ")) return std::nullopt;
  s.remove_prefix(6);
  ContentRange range;
  const auto first = TakeNumber(s);
  if (!first || !s.starts_with('-')) return std::nullopt;
  s.remove_prefix(1);
  const auto last = TakeNumber(s);
  if (!last || !s.starts_with('/')) return std::nullopt;
  s.remove_prefix(1);
  range.first = *first;
  range.last = *last;
  if (s == "*") {
    range.total = -1;
  } else {
    const auto total = TakeNumber(s);
    if (!total || !s.empty() || *last >= *total) return std::nullopt;
    range.total = *total;
  }
  if (range.first > range.last) return std::nullopt;
  return range;
}

std::optional<std::chrono::milliseconds> RetryAfterOf(const HttpResponse& response) {
  std::optional<std::string> value = response.headers.Get("Retry-After");
  if (!value) return std::nullopt;
  return ParseRetryAfter(*value);
}

std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int attempt,
                                       const RetryHint& hint) {
  using std::chrono::milliseconds;
  int shift = std::clamp(attempt - 1, 0, 30);
  int64_t ceiling = policy.base_delay.count();
  for (int i = 0; i < shift && ceiling < policy.max_delay.count(); ++i) ceiling *= 2;
  ceiling = std::min(ceiling, policy.max_delay.count());
  thread_local std::mt19937_64 rng{std::random_device{}()};
  milliseconds delay(ceiling <= 0 ? 0 : std::uniform_int_distribution<int64_t>(0, ceiling)(rng));
  if (hint.retry_after) delay = std::max(delay, std::min(*hint.retry_after, policy.max_retry_after));
  return delay;
}

Status InterruptibleSleep(const Context& ctx, std::chrono::milliseconds delay) {
  auto until = std::chrono::steady_clock::now() + delay;
  bool deadline_first = ctx.deadline && *ctx.deadline < until;
  if (deadline_first) until = *ctx.deadline;
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  // Waits until the time passes or a stop is requested; nothing else notifies cv.
  cv.wait_until(lock, ctx.stop, until, [] { return false; });
  if (ctx.stop.stop_requested()) return MakeError(ErrorCode::kCancelled, "cancelled");
  if (deadline_first) {
    return MakeError(ErrorCode::kTimeout, "deadline exceeded", RetryClass::kRetryable);
  }
  return Ok();
}

}  // namespace cvclone
