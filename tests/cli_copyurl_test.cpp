// `cvclone copyurl` (issue 17) against a real HTTP server on 127.0.0.1 (Python's http.server
// serving a scratch folder): a file stored under its name or the URL's (-a), --stdout,
// --no-clobber, a missing page and a URL without a file name failing as rclone 1.60's do (exit
// 1, nothing stored), and the file's mtime taken from Last-Modified.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "tests/support/child.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone {
namespace {

namespace fs = std::filesystem;
using test::ProcessResult;

// python3 -m http.server on a free port, serving dir; stopped by the destructor (Child kills).
class HttpServer {
 public:
  explicit HttpServer(const std::string& dir, const std::string& log) {
    const std::string python = test::FindOnPath("python3");
    REQUIRE_MESSAGE(!python.empty(), "python3 is needed to serve HTTP");
    std::string why;
    child_ = test::Child::Start(python, {"-u", "-m", "http.server", "--bind", "127.0.0.1", "0",
                                         "--directory", dir},
                                {}, log, "", &why);
    REQUIRE_MESSAGE(child_ != nullptr, why);
    // Bounded wait for "Serving HTTP on 127.0.0.1 port N".
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (port_ == 0 && std::chrono::steady_clock::now() < deadline) {
      const std::string out = test::ReadFile(log).value_or("");
      if (const size_t at = out.find(" port "); at != std::string::npos) {
        port_ = std::atoi(out.c_str() + at + 6);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    REQUIRE_MESSAGE(port_ != 0, "http.server printed no port: " << test::ReadFile(log).value_or(""));
  }
  std::string Url(const std::string& rel) const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + rel;
  }

 private:
  std::unique_ptr<test::Child> child_;
  int port_ = 0;
};

TEST_CASE("cli copyurl: stores a URL's contents, -a, --stdout, --no-clobber and failures as rclone") {
  test::Cli cli;
  cli.WriteConfig("");
  fs::create_directories(cli.P("www"));
  const std::string data = test::Pattern(300'000, 4);
  REQUIRE(test::WriteFile(cli.P("www/report v1.bin"), data));
  // An old mtime on the served file: Last-Modified carries it to the copy.
  const timespec times[2] = {{1'600'000'000, 0}, {1'600'000'000, 0}};
  REQUIRE(::utimensat(AT_FDCWD, cli.P("www/report v1.bin").c_str(), times, 0) == 0);
  HttpServer server(cli.P("www"), cli.P("http.log"));

  ProcessResult r = cli.Run({"copyurl", server.Url("report%20v1.bin"), cli.P("out/copy.bin")});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK((test::ReadFile(cli.P("out/copy.bin")) == data));
  struct stat st {};
  REQUIRE(::stat(cli.P("out/copy.bin").c_str(), &st) == 0);
  CHECK(st.st_mtim.tv_sec == 1'600'000'000);

  r = cli.Run({"copyurl", "-a", "--print-filename", server.Url("report%20v1.bin"), cli.P("out")});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.out == "report v1.bin\n");
  CHECK((test::ReadFile(cli.P("out/report v1.bin")) == data));

  r = cli.Run({"copyurl", "--stdout", server.Url("report%20v1.bin")});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK((r.out == data));

  // --no-clobber: rclone 1.60 fails (exit 1) and leaves the file alone.
  REQUIRE(test::WriteFile(cli.P("out/keep.bin"), "mine"));
  r = cli.Run({"copyurl", "--no-clobber", server.Url("report%20v1.bin"), cli.P("out/keep.bin")});
  CHECK(r.exit_code == 1);
  CHECK(test::Contains(r.err, "already exists"));
  CHECK(test::ReadFile(cli.P("out/keep.bin")) == "mine");

  // A missing page and a URL with no file name for -a: exit 1, nothing stored.
  r = cli.Run({"copyurl", server.Url("missing.bin"), cli.P("out/missing.bin")});
  CHECK(r.exit_code == 1);
  CHECK(test::Contains(r.err, "HTTP 404"));
  CHECK(!fs::exists(cli.P("out/missing.bin")));
  r = cli.Run({"copyurl", "-a", server.Url(""), cli.P("out")});
  CHECK(r.exit_code == 1);
  CHECK(test::Contains(r.err, "cannot find a file name"));

  // --dry-run stores nothing; a URL that is not http(s) is a usage error.
  r = cli.Run({"copyurl", "--dry-run", server.Url("report%20v1.bin"), cli.P("out/dry.bin")});
  CHECK(r.exit_code == 0);
  CHECK(!fs::exists(cli.P("out/dry.bin")));
  r = cli.Run({"copyurl", "file:///etc/passwd", cli.P("out/p")});
  CHECK(r.exit_code != 0);
  CHECK(!fs::exists(cli.P("out/p")));
}

}  // namespace
}  // namespace cvclone
