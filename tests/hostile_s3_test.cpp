// CLI tests against a hostile S3 server (tests/servers/hostile_s3.py): crafted listings, headers
// and bodies. Whatever the server sends, cvclone ends with an ordinary exit code (never a
// signal), one clear error line naming the bucket or object, in bounded time and memory; times
// it cannot represent are not used; a range it did not ask for is never passed on.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace cvclone {
namespace {

using Clock = std::chrono::steady_clock;

// The server, started on first use (it prints "<port> <pid>") and stopped by its PID at exit.
class HostileServer {
 public:
  static const HostileServer& Get() {
    static HostileServer server;
    return server;
  }
  int port() const { return port_; }
  std::string Endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // How many requests the server has had for bucket; -1 if it cannot be asked.
  int Requests(const std::string& bucket) const {
    auto r = test::RunProcess("/usr/bin/curl", {"-s", Endpoint() + "/__count/" + bucket});
    if (r.exit_code != 0 || r.out.empty()) return -1;
    return std::atoi(r.out.c_str());
  }

 private:
  HostileServer() {
    const std::string cmd =
        std::string("exec python3 '") + CVCLONE_SOURCE_DIR + "/tests/servers/hostile_s3.py'";
    pipe_ = popen(cmd.c_str(), "r");
    if (pipe_ == nullptr || std::fscanf(pipe_, "%d %d", &port_, &pid_) != 2) port_ = 0;
  }
  ~HostileServer() {
    if (pid_ > 0) kill(pid_, SIGTERM);
    if (pipe_ != nullptr) pclose(pipe_);
  }
  FILE* pipe_ = nullptr;
  int port_ = 0;
  int pid_ = 0;
};

struct Run {
  test::ProcessResult result;
  double seconds = 0;
  long max_rss_mib = 0;  // the largest peak of any child so far (this run's when it is largest)
};

// cvclone with a config file whose remote [h] is the hostile server (with low_level_retries and
// extra lines appended to the section), in a fresh temporary directory, killed after 60 s.
Run Cvclone(const std::vector<std::string>& args, const std::string& extra_config = "",
            int low_level_retries = 2) {
  const HostileServer& server = HostileServer::Get();
  REQUIRE_MESSAGE(server.port() > 0, "hostile_s3.py did not start");
  test::TempDir dir;
  const std::string conf = dir.Path("cvclone.conf");
  REQUIRE(
      test::WriteFile(conf, "[h]\ntype = s3\nprovider = Other\nendpoint = " + server.Endpoint() +
                                "\naccess_key_id = AKIAHOSTILE\n"
                                "secret_access_key = hostile/secret\n"
                                "low_level_retries = " +
                                std::to_string(low_level_retries) + "\n" + extra_config));
  std::vector<std::string> full = {"--config", conf};
  full.insert(full.end(), args.begin(), args.end());
  test::ProcessOptions opts = test::IsolatedOptions(dir.path());
  opts.timeout = std::chrono::seconds(60);
  Run run;
  const auto start = Clock::now();
  run.result = test::RunProcess(CVCLONE_BINARY_DIR "/cvclone", full, opts);
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  run.max_rss_mib = usage.ru_maxrss / 1024;
  REQUIRE_MESSAGE(run.result.error.empty(), run.result.error);
  return run;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A clean failure: an exit code (not a signal), within bounds of time, and exactly one ERROR
// line, which names every one of `names`.
void CheckCleanFailure(const Run& run, const std::vector<std::string>& names) {
  const test::ProcessResult& r = run.result;
  INFO("exit " << r.exit_code << " after " << run.seconds
               << " s\nstderr: " << r.err.substr(0, 2000));
  CHECK(r.exit_code > 0);
  CHECK(r.exit_code < 128);
  CHECK(run.seconds < 30);
  std::vector<std::string> errors;
  const std::regex error_line(R"(^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ERROR : )");
  for (const std::string& line : Lines(r.err)) {
    if (std::regex_search(line, error_line)) errors.push_back(line);
  }
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].size() < 1000);
  for (const std::string& name : names) CHECK_MESSAGE(Contains(errors[0], name), name);
}

void CheckOk(const Run& run) {
  INFO("stderr: " << run.result.err.substr(0, 2000));
  CHECK(run.result.exit_code == 0);
  CHECK(run.seconds < 30);
}

std::string Pattern(size_t offset, size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((offset + i) % 251);
  return s;
}

TEST_CASE("hostile s3: the control bucket lists, stats and reads ranges") {
  Run ls = Cvclone({"lsl", "h:ok"});
  CheckOk(ls);
  CHECK(Contains(ls.result.out, "3145728 2015-10-21 07:28:00"));
  Run range = Cvclone({"cat", "h:ok/obj", "--offset", "10", "--count", "5"});
  CheckOk(range);
  CHECK(range.result.out == Pattern(10, 5));
  Run tail = Cvclone({"cat", "h:ok/obj", "--offset", std::to_string((3 << 20) - 3)});
  CheckOk(tail);
  CHECK(tail.result.out == Pattern((3 << 20) - 3, 3));
}

TEST_CASE("hostile s3: a listed key shorter than the requested prefix fails, not aborts") {
  Run run = Cvclone({"ls", "h:short-key/dir"});
  CheckCleanFailure(run, {"short-key", "\"d\""});
}

// Metadata that is not base64 is no MD5; the object stays usable.
TEST_CASE("hostile s3: x-amz-meta-md5chksum \"====\" is ignored with a notice, not an abort") {
  Run run = Cvclone({"md5sum", "h:bad-md5/obj"});
  CheckOk(run);
  CHECK(Contains(run.result.err, "bad-md5/obj"));
  CHECK(Contains(run.result.err, "md5chksum"));
  Run cat = Cvclone({"cat", "h:bad-md5/obj", "--count", "3"});
  CheckOk(cat);
  CHECK(cat.result.out == Pattern(0, 3));
}

// Times beyond what a TimePoint holds are not used (no signed overflow).
TEST_CASE("hostile s3: an mtime of 999999999999 falls back to Last-Modified") {
  Run run = Cvclone({"lsl", "h:huge-mtime/obj"});
  CheckOk(run);
  CHECK(Contains(run.result.out, "3145728 2015-10-21 07:28:00"));
  CHECK(Contains(run.result.err, "huge-mtime/obj"));
}

TEST_CASE("hostile s3: a Last-Modified in the year 2300 is not used") {
  Run stat = Cvclone({"lsl", "h:lastmod-2300/obj"});
  CheckOk(stat);
  CHECK(Contains(stat.result.out, "3145728 1970-01-01 00:00:00"));
  Run list = Cvclone({"lsl", "h:lastmod-2300"}, "use_server_modtime = true\n");
  CheckOk(list);
  CHECK(Contains(list.result.out, "3145728 1970-01-01 00:00:00"));
}

TEST_CASE("hostile s3: a listing date in the year 1009 is not used") {
  Run run = Cvclone({"lsl", "h:listdate-1009"}, "use_server_modtime = true\n");
  CheckOk(run);
  CHECK(Contains(run.result.out, "3145728 1970-01-01 00:00:00"));
}

TEST_CASE("hostile s3: a Retry-After in the year 2300 ends in one clean error") {
  Run run = Cvclone({"ls", "h:retry-after-2300"}, "", 1);
  CheckCleanFailure(run, {"retry-after-2300", "503"});
}

TEST_CASE("hostile s3: an option timeout = 1e300s is a config error naming the option") {
  Run run = Cvclone({"ls", "h:ok"}, "timeout = 1e300s\n");
  CheckCleanFailure(run, {"timeout", "1e300s"});
}

TEST_CASE("hostile s3: a listing truncated forever with empty pages stops at once") {
  const int before = HostileServer::Get().Requests("truncated-new-token");
  Run run = Cvclone({"ls", "h:truncated-new-token"});
  CheckCleanFailure(run, {"truncated-new-token"});
  CHECK(HostileServer::Get().Requests("truncated-new-token") - before <= 3);
}

TEST_CASE("hostile s3: a listing that repeats its continuation token stops at once") {
  const int before = HostileServer::Get().Requests("truncated-same-token");
  Run run = Cvclone({"ls", "h:truncated-same-token"});
  CheckCleanFailure(run, {"truncated-same-token", "same"});
  CHECK(HostileServer::Get().Requests("truncated-same-token") - before <= 3);
}

TEST_CASE("hostile s3: a listing page of millions of empty elements is refused in bounded memory") {
  Run run = Cvclone({"ls", "h:huge-page"});
  CHECK(run.max_rss_mib < 400);
  CheckCleanFailure(run, {"huge-page"});
}

TEST_CASE("hostile s3: a listing page larger than the body limit is refused in bounded memory") {
  Run run = Cvclone({"ls", "h:oversized-page"});
  CHECK(run.max_rss_mib < 400);
  CheckCleanFailure(run, {"oversized-page", "larger than"});
}

TEST_CASE("hostile s3: a ranged GET answered with the whole object is an error, not output") {
  Run run = Cvclone({"cat", "h:whole-object/obj", "--offset", "10", "--count", "5"});
  CheckCleanFailure(run, {"whole-object/obj"});
  CHECK(run.result.out.empty());
}

TEST_CASE("hostile s3: a ranged GET answered with another range is an error, not output") {
  Run run = Cvclone({"cat", "h:wrong-range/obj", "--offset", "10", "--count", "5"});
  CheckCleanFailure(run, {"wrong-range/obj", "Content-Range"});
  CHECK(run.result.out.empty());
}

}  // namespace
}  // namespace cvclone
