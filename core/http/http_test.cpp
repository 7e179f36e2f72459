// Tests of the curl layer and the retry loop against a local HTTP/1.1 server
// (testdata/http_test_server.py, started per test process on 127.0.0.1).
#include "core/http/http.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "core/io.hpp"

namespace cvclone {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The test server, started on first use and stopped (by its PID) at exit.
class TestServer {
 public:
  static TestServer& Get() {
    static TestServer server;
    return server;
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  bool ok() const { return port_ > 0; }

 private:
  TestServer() {
    std::string cmd = std::string("python3 ") + CVCLONE_SOURCE_DIR +
                      "/core/http/testdata/http_test_server.py";
    pipe_ = popen(cmd.c_str(), "r");
    if (pipe_ == nullptr || std::fscanf(pipe_, "%d %d", &port_, &pid_) != 2) port_ = 0;
  }
  ~TestServer() {
    if (pid_ > 0) kill(pid_, SIGTERM);
    if (pipe_ != nullptr) pclose(pipe_);
  }
  FILE* pipe_ = nullptr;
  int port_ = 0;
  int pid_ = 0;
};

std::string Url(const std::string& path) {
  REQUIRE(TestServer::Get().ok());
  return TestServer::Get().Url(path);
}

HttpOptions FastOptions() {
  HttpOptions o;
  o.connect_timeout = 2s;
  o.idle_timeout = 5s;
  return o;
}

Result<HttpResponse> Get(HttpClient& client, const std::string& url, const Context& ctx = {}) {
  HttpRequest r;
  r.url = url;
  return client.Perform(ctx, r);
}

// Yields `size` bytes of the pattern i % 251 in pieces of at most 1000 bytes.
class PatternReader : public Reader {
 public:
  explicit PatternReader(int64_t size) : size_(size) {}
  Result<size_t> Read(std::span<std::byte> buf) override {
    size_t n = std::min<size_t>({buf.size(), 1000, static_cast<size_t>(size_ - pos_)});
    for (size_t i = 0; i < n; ++i) buf[i] = static_cast<std::byte>((pos_ + i) % 251);
    pos_ += static_cast<int64_t>(n);
    return n;
  }

 private:
  int64_t size_;
  int64_t pos_ = 0;
};

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i % 251);
  return s;
}

TEST_CASE("http: PUT then GET round trip, headers looked up case-insensitively") {
  HttpClient client(FastOptions());
  HttpRequest put;
  put.method = "PUT";
  put.url = Url("/store/a");
  put.body = "hello, world";
  put.headers = {{"Content-Type", "text/plain"}, {"x-amz-meta-mtime", "1.5"}};
  auto r = client.Perform({}, put);
  REQUIRE(r.has_value());
  CHECK(r->status == 200);
  CHECK(r->body == "stored 12");
  CHECK(r->headers.Get("etag").value_or("") == "\"etag-12\"");
  CHECK(r->headers.Get("ETAG").value_or("") == "\"etag-12\"");
  CHECK_FALSE(r->headers.Has("x-missing"));

  auto g = Get(client, Url("/store/a"));
  REQUIRE(g.has_value());
  CHECK(g->status == 200);
  CHECK(g->body == "hello, world");

  auto missing = Get(client, Url("/store/none"));
  REQUIRE(missing.has_value());  // an HTTP status is not a transport error
  CHECK(missing->status == 404);

  HttpRequest head;
  head.method = "HEAD";
  head.url = Url("/store/a");
  auto h = client.Perform({}, head);
  REQUIRE(h.has_value());
  CHECK(h->status == 200);
  CHECK(h->body.empty());
  CHECK(h->headers.Get("content-length").value_or("") == "12");

  HttpRequest echo;
  echo.url = Url("/echo-headers");
  echo.headers = {{"X-Amz-Date", "20130524T000000Z"}};
  auto e = client.Perform({}, echo);
  REQUIRE(e.has_value());
  CHECK(e->body.find("X-Amz-Date: 20130524T000000Z") != std::string::npos);
  CHECK(e->body.find("Expect") == std::string::npos);
}

TEST_CASE("http: streamed upload from a Reader sends Content-Length, not chunks") {
  HttpClient client(FastOptions());
  constexpr int64_t kSize = 3 * 1024 * 1024 + 17;
  PatternReader reader(kSize);
  HttpRequest put;
  put.method = "PUT";
  put.url = Url("/store/big");
  put.body_reader = &reader;
  put.body_length = kSize;
  auto r = client.Perform({}, put);
  REQUIRE(r.has_value());
  CHECK(r->status == 200);  // the server answers 411 to chunked encoding
  CHECK(r->body == "stored " + std::to_string(kSize));
  auto g = Get(client, Url("/store/big"));
  REQUIRE(g.has_value());
  CHECK(g->body == Pattern(kSize));
}

TEST_CASE("http: a body reader shorter or longer than declared fails the request") {
  HttpClient client(FastOptions());
  PatternReader short_reader(100);
  HttpRequest put;
  put.method = "PUT";
  put.url = Url("/store/short");
  put.body_reader = &short_reader;
  put.body_length = 200;
  auto r = client.Perform({}, put);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == ErrorCode::kIo);
  CHECK_FALSE(r.error().retryable());

  PatternReader long_reader(300);
  put.body_reader = &long_reader;
  auto r2 = client.Perform({}, put);
  REQUIRE_FALSE(r2.has_value());
  CHECK(r2.error().code() == ErrorCode::kInvalidArgument);
  // The connection is still usable afterwards.
  auto g = Get(client, Url("/bytes?n=10"));
  REQUIRE(g.has_value());
  CHECK(g->body.size() == 10);
}

TEST_CASE("http: streamed download goes to the sink, error bodies do not") {
  HttpClient client(FastOptions());
  std::string got;
  int calls = 0;
  HttpRequest get;
  get.url = Url("/bytes?n=300000");
  get.sink = [&](std::span<const std::byte> data) {
    got.append(reinterpret_cast<const char*>(data.data()), data.size());
    ++calls;
    return Ok();
  };
  auto r = client.Perform({}, get);
  REQUIRE(r.has_value());
  CHECK(r->status == 200);
  CHECK(r->body.empty());
  CHECK(got == Pattern(300000));
  CHECK(calls > 1);

  got.clear();
  get.url = Url("/store/none");
  auto missing = client.Perform({}, get);
  REQUIRE(missing.has_value());
  CHECK(missing->status == 404);
  CHECK(got.empty());
  CHECK(missing->body.find("NoSuchKey") != std::string::npos);

  // A failing sink aborts the transfer and its error is returned.
  get.url = Url("/bytes?n=300000");
  get.sink = [](std::span<const std::byte>) -> Status {
    return MakeError(ErrorCode::kNoSpace, "disk full");
  };
  auto failed = client.Perform({}, get);
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().code() == ErrorCode::kNoSpace);

  // A collected body over max_body fails.
  HttpRequest capped;
  capped.url = Url("/bytes?n=5000");
  capped.max_body = 1000;
  auto big = client.Perform({}, capped);
  REQUIRE_FALSE(big.has_value());
  CHECK(big.error().code() == ErrorCode::kNetwork);
}

int ServerConnections() {
  HttpClient other(FastOptions());  // opens a connection of its own, counted too
  auto stats = Get(other, Url("/stats"));
  REQUIRE(stats.has_value());
  int connections = -1;
  REQUIRE(std::sscanf(stats->body.c_str(), "{\"connections\": %d", &connections) == 1);
  return connections;
}

TEST_CASE("http: keep-alive connections are reused across requests and threads") {
  const int before = ServerConnections();
  HttpClient client(FastOptions());
  for (int i = 0; i < 5; ++i) {
    auto g = Get(client, Url("/bytes?n=100"));
    REQUIRE(g.has_value());
    CHECK(g->status == 200);
  }
  // Another thread borrows a pooled handle; the shared connection cache keeps the connection.
  std::thread([&] {
    auto g = Get(client, Url("/bytes?n=100"));
    CHECK(g.has_value());
  }).join();
  const int after = ServerConnections();
  CHECK(after - before == 2);  // this client's one connection + ServerConnections' own
  CHECK(client.ConnectionsOpened() == 1);
}

TEST_CASE("http: a stop request cancels a stalled download promptly") {
  HttpClient client(FastOptions());
  std::stop_source stop;
  Context ctx{stop.get_token(), std::nullopt};
  std::mutex mu;
  std::condition_variable cv;
  bool first_bytes = false;
  HttpRequest get;
  // 1 KiB at once, then 1 KiB every 3 s: after the first piece curl waits on the socket.
  get.url = Url("/slow?n=100000&delay=3");
  get.sink = [&](std::span<const std::byte>) {
    std::lock_guard lock(mu);
    first_bytes = true;
    cv.notify_all();
    return Ok();
  };
  Clock::time_point stopped_at;
  std::thread stopper([&] {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return first_bytes; });
    stopped_at = Clock::now();
    stop.request_stop();
  });
  auto r = client.Perform(ctx, get);
  auto returned_at = Clock::now();
  stopper.join();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == ErrorCode::kCancelled);
  CHECK(returned_at - stopped_at < 1s);
  // Cancelled before it starts: no request at all.
  auto again = Get(client, Url("/bytes?n=1"), ctx);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code() == ErrorCode::kCancelled);
}

TEST_CASE("http: a deadline stops a transfer with kTimeout") {
  HttpClient client(FastOptions());
  Context ctx;
  ctx.deadline = Clock::now() + 500ms;
  auto start = Clock::now();
  auto r = Get(client, Url("/slow?n=100000&delay=0.2"), ctx);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == ErrorCode::kTimeout);
  CHECK(Clock::now() - start < 3s);
}

// A TCP port on 127.0.0.1 with nothing listening.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST_CASE("http: an unreachable port fails at once with a clear, signature-free error") {
  HttpOptions options = FastOptions();
  options.secret_query_params = {"X-Amz-Signature"};
  HttpClient client(options);
  std::string url = "http://127.0.0.1:" + std::to_string(ClosedPort()) +
                    "/b/k?X-Amz-Credential=AK%2F1&X-Amz-Signature=deadbeefcafe";
  auto start = Clock::now();
  auto r = Get(client, url);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == ErrorCode::kNetwork);
  CHECK(r.error().retryable());
  CHECK(Clock::now() - start < 2s);
  const std::string& m = r.error().message();
  CHECK(m.find("GET http://127.0.0.1:") == 0);
  CHECK((m.find("onnect") != std::string::npos || m.find("refused") != std::string::npos));
  CHECK(m.find("deadbeefcafe") == std::string::npos);
}

TEST_CASE("http: a server that accepts but never answers hits the idle timeout") {
  // The kernel completes the handshake for a listening socket nobody accepts from.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(fd, 4) == 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  HttpOptions o = FastOptions();
  o.idle_timeout = 1s;
  HttpClient client(o);
  auto start = Clock::now();
  auto r = Get(client, "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/x");
  auto took = Clock::now() - start;
  close(fd);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == ErrorCode::kNetwork);
  CHECK(r.error().retryable());
  CHECK(took >= 900ms);
  CHECK(took < 5s);
}

// One retried GET: 5xx/429 statuses become retryable errors with the Retry-After hint.
Result<HttpResponse> RetriedGet(HttpClient& client, const Context& ctx, const RetryPolicy& policy,
                                const std::string& url, std::vector<Clock::time_point>* starts) {
  std::function<Result<HttpResponse>(int, RetryHint&)> op =
      [&](int, RetryHint& hint) -> Result<HttpResponse> {
    starts->push_back(Clock::now());
    CVC_ASSIGN_OR_RETURN(HttpResponse r, Get(client, url, ctx));
    if (r.status >= 300) {
      hint.retry_after = RetryAfterOf(r);
      return MakeError(ErrorCode::kIo, "status " + std::to_string(r.status),
                       IsRetryableStatus(r.status) ? RetryClass::kRetryable
                                                   : RetryClass::kNoRetry);
    }
    return r;
  };
  return WithRetries(ctx, policy, op);
}

RetryPolicy QuickPolicy() {
  RetryPolicy p;
  p.base_delay = 1ms;
  p.max_delay = 5ms;
  return p;
}

TEST_CASE("retry: 503 twice then success takes three attempts") {
  HttpClient client(FastOptions());
  std::vector<Clock::time_point> starts;
  auto r = RetriedGet(client, {}, QuickPolicy(), Url("/flaky/a?fail=2&status=503"), &starts);
  REQUIRE(r.has_value());
  CHECK(r->body == "ok after 2");
  CHECK(starts.size() == 3);
}

TEST_CASE("retry: 404 is not retried, attempts stop at max_attempts") {
  HttpClient client(FastOptions());
  std::vector<Clock::time_point> starts;
  auto r = RetriedGet(client, {}, QuickPolicy(), Url("/flaky/b?fail=5&status=404"), &starts);
  REQUIRE_FALSE(r.has_value());
  CHECK(starts.size() == 1);

  starts.clear();
  RetryPolicy p = QuickPolicy();
  p.max_attempts = 3;
  auto r2 = RetriedGet(client, {}, p, Url("/flaky/c?fail=100&status=500"), &starts);
  REQUIRE_FALSE(r2.has_value());
  CHECK(r2.error().message() == "status 500");
  CHECK(starts.size() == 3);
}

TEST_CASE("retry: Retry-After is honoured") {
  HttpClient client(FastOptions());
  std::vector<Clock::time_point> starts;
  auto r = RetriedGet(client, {}, QuickPolicy(), Url("/flaky/d?fail=1&status=503&retry_after=1"),
                      &starts);
  REQUIRE(r.has_value());
  REQUIRE(starts.size() == 2);
  CHECK(starts[1] - starts[0] >= 1s);
  CHECK(starts[1] - starts[0] < 3s);
}

TEST_CASE("retry: a stop request wakes the backoff sleep at once") {
  std::stop_source stop;
  Context ctx{stop.get_token(), std::nullopt};
  RetryPolicy p;
  p.base_delay = 30s;
  p.max_delay = 30s;
  int attempts = 0;
  std::mutex mu;
  std::condition_variable cv;
  bool failed_once = false;
  std::function<Result<int>(int, RetryHint&)> op = [&](int, RetryHint& hint) -> Result<int> {
    ++attempts;
    hint.retry_after = 30s;
    std::lock_guard lock(mu);
    failed_once = true;
    cv.notify_all();
    return MakeError(ErrorCode::kNetwork, "boom", RetryClass::kRetryable);
  };
  std::thread stopper([&] {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return failed_once; });
    stop.request_stop();
  });
  auto start = Clock::now();
  auto r = WithRetries(ctx, p, op);
  stopper.join();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == ErrorCode::kCancelled);
  CHECK(attempts == 1);
  CHECK(Clock::now() - start < 2s);
}

TEST_CASE("retry: InterruptibleSleep waits the full delay, or stops at the deadline") {
  auto start = Clock::now();
  CHECK(InterruptibleSleep({}, 50ms).has_value());
  CHECK(Clock::now() - start >= 50ms);
  Context ctx;
  ctx.deadline = Clock::now() + 20ms;
  auto s = InterruptibleSleep(ctx, 10s);
  REQUIRE_FALSE(s.has_value());
  CHECK(s.error().code() == ErrorCode::kTimeout);
}

TEST_CASE("retry: backoff delays are jittered below an exponential cap") {
  RetryPolicy p;  // 100 ms base, 10 s cap
  for (int i = 0; i < 200; ++i) {
    CHECK(BackoffDelay(p, 1, {}) <= 100ms);
    CHECK(BackoffDelay(p, 3, {}) <= 400ms);
    CHECK(BackoffDelay(p, 30, {}) <= 10s);
    CHECK(BackoffDelay(p, 1, RetryHint{2s}) >= 2s);
    CHECK(BackoffDelay(p, 1, RetryHint{10min}) <= 60s);
  }
  std::set<int64_t> seen;
  for (int i = 0; i < 50; ++i) seen.insert(BackoffDelay(p, 8, {}).count());
  CHECK(seen.size() > 5);
}

TEST_CASE("http helpers: Retry-After parsing, retryable statuses, URL redaction") {
  CHECK(ParseRetryAfter("3") == std::optional<std::chrono::milliseconds>(3000ms));
  CHECK(ParseRetryAfter(" 0 ") == std::optional<std::chrono::milliseconds>(0ms));
  CHECK_FALSE(ParseRetryAfter("soon").has_value());
  CHECK_FALSE(ParseRetryAfter("").has_value());
  CHECK(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT") ==
        std::optional<std::chrono::milliseconds>(0ms));  // in the past
  auto future = ParseRetryAfter("Fri, 01 Jan 2100 00:00:00 GMT");
  REQUIRE(future.has_value());
  CHECK(*future > std::chrono::hours(24 * 365));

  CHECK(IsRetryableStatus(500));
  CHECK(IsRetryableStatus(503));
  CHECK(IsRetryableStatus(429));
  CHECK_FALSE(IsRetryableStatus(501));
  CHECK_FALSE(IsRetryableStatus(403));
  CHECK_FALSE(IsRetryableStatus(404));

  const std::vector<std::string> secret = {"X-Amz-Signature", "Signature", "X-Amz-Security-Token"};
  CHECK(RedactUrl("https://h/b/k?X-Amz-Signature=abc&x=1", secret) ==
        "https://h/b/k?X-Amz-Signature=REDACTED&x=1");
  CHECK(RedactUrl("https://h/k?a=1&X-Amz-Security-Token=tok", secret) ==
        "https://h/k?a=1&X-Amz-Security-Token=REDACTED");
  CHECK(RedactUrl("https://h/k?Signature=s1&AWSAccessKeyId=a", secret) ==
        "https://h/k?Signature=REDACTED&AWSAccessKeyId=a");
  CHECK(RedactUrl("https://h/k?list-type=2", secret) == "https://h/k?list-type=2");
  CHECK(RedactUrl("https://h/k?sig=s1", {}) == "https://h/k?sig=s1");
}

// A date beyond what a system_clock time point holds saturates instead of overflowing.
TEST_CASE("http helpers: a Retry-After far in the future saturates") {
  for (const char* text : {"Sat, 01 Jan 2300 00:00:00 GMT", "Sat, 01 Jan 2400 00:00:00 GMT",
                           "Fri, 31 Dec 9999 23:59:59 GMT", "99999999999999999999", "1000000000"}) {
    INFO(text);
    auto delay = ParseRetryAfter(text);
    REQUIRE(delay.has_value());
    CHECK(*delay == kMaxRetryAfter);
  }
  CHECK(ParseRetryAfter("999999999") == std::optional<std::chrono::milliseconds>(kMaxRetryAfter));
  CHECK(ParseRetryAfter("120") == std::optional<std::chrono::milliseconds>(120s));
  // The policy's cap still bounds the wait.
  RetryHint hint;
  hint.retry_after = ParseRetryAfter("Sat, 01 Jan 2400 00:00:00 GMT");
  RetryPolicy policy;
  CHECK(BackoffDelay(policy, 1, hint) == policy.max_retry_after);
}

TEST_CASE("http helpers: Content-Range parsing") {
  auto r = ParseContentRange("bytes 10-14/3145728");
  REQUIRE(r.has_value());
  CHECK(r->first == 10);
  CHECK(r->last == 14);
  CHECK(r->total == 3145728);
  auto star = ParseContentRange("bytes 0-0/*");
  REQUIRE(star.has_value());
  CHECK(star->total == -1);
  CHECK(ParseContentRange(" bytes 1-2/3 ").has_value());
  for (const char* bad : {"", "bytes", "bytes */100", "bytes 5-4/10", "bytes 0-10/10",
                          "bytes -1-2/3", "items 0-1/2", "bytes 0-99999999999999999999/1",
                          "bytes 1-2/3 junk", "bytes 1-/3", "bytes 1 -2/3", "bytes=1-2/3"}) {
    INFO(bad);
    CHECK_FALSE(ParseContentRange(bad).has_value());
  }
}

// Last-Modified as S3 and WebDAV servers send it; a date a TimePoint cannot hold is malformed,
// not converted with a signed overflow.
TEST_CASE("http helpers: HTTP dates") {
  CHECK(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT").value() ==
        TimePoint(std::chrono::seconds(784111777)));
  CHECK(ParseHttpDate("Wed, 21 Oct 2015 07:28:00 GMT").value() ==
        TimePoint(std::chrono::seconds(1445412480)));
  CHECK(ParseHttpDate("Wed, 31 Dec 1969 23:59:59 GMT").value() ==
        TimePoint(std::chrono::seconds(-1)));
  for (const char* bad : {"", "garbage", "Sunday, 06-Nov-94 08:49:37 GMT",
                          "Sun, 06 Nov 1994 08:49:37 GMT trailing", "Sun, 06 Nov 1994 08:49:37",
                          "Sat, 01 Jan 2300 00:00:00 GMT", "Fri, 01 Jan 1600 00:00:00 GMT",
                          "Sun, 01 Jan 9999 00:00:00 GMT"}) {
    INFO(bad);
    CHECK_FALSE(ParseHttpDate(bad).has_value());
  }
}

TEST_CASE("http helpers: percent-decoding and the path of a URL") {
  CHECK(PercentDecode("a%20b%2Fc+d").value() == "a b/c+d");
  CHECK(PercentDecode("%e6%97%A5").value() == "\xe6\x97\xa5");
  CHECK(PercentDecode("%00").value() == std::string(1, '\0'));
  CHECK(PercentDecode("").value().empty());
  for (const char* bad : {"100%", "%4", "a%zz", "%g0", "%%41"}) {
    INFO(bad);
    CHECK_FALSE(PercentDecode(bad).has_value());
  }
  CHECK(UrlPath("http://h:1/x/y?q=1#f") == "/x/y");
  CHECK(UrlPath("https://h") == "/");
  CHECK(UrlPath("https://h?x=/y") == "/");
  CHECK(UrlPath("https://h#/y") == "/");
  CHECK(UrlPath("/a%20b/?q") == "/a%20b/");
  CHECK(UrlPath("/a#f") == "/a");
}

}  // namespace
}  // namespace cvclone
