// CLI tests of hostile remote strings, run through build/cvclone as a script would pass file
// names: a name shaped like a wrapper never runs a command, an existing file of that name is read
// as that file, "./" always means a local path, and deep nesting is refused before any work.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace cvclone {
namespace {

// The example: no ':' anywhere, yet shaped as crypt,password_command=...(inner).
constexpr const char* kInjection = "crypt,password_command=touch${IFS}pwned(plain)";

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// cvclone in dir (also HOME and the working directory) with config file conf there (empty by
// default) and CVCLONE_CRYPT_PASSWORD set, so that nothing but the remote string stops a crypt
// remote. Its address space is limited to 4 GiB and it is killed after 60 s: a runaway fails
// the test instead of the machine. Tests that use it carry "[address space limit]" in their
// names: scripts/sanitize skips them, since an AddressSanitizer build cannot start under that
// limit (its shadow memory alone reserves terabytes of address space).
test::ProcessResult Run(const test::TempDir& dir, const std::vector<std::string>& args,
                        const std::string& conf = "") {
  REQUIRE(dir.WriteFile("cvclone.conf", conf));
  std::vector<std::string> sh = {"-c", "ulimit -v 4194304 && exec \"$0\" \"$@\"",
                                 CVCLONE_BINARY_DIR "/cvclone", "--config",
                                 dir.Path("cvclone.conf")};
  sh.insert(sh.end(), args.begin(), args.end());
  test::ProcessOptions opts = test::IsolatedOptions(dir.path());
  opts.set_env["CVCLONE_CRYPT_PASSWORD"] = "potato";
  opts.timeout = std::chrono::seconds(60);
  test::ProcessResult r = test::RunProcess("/bin/sh", sh, opts);
  REQUIRE_MESSAGE(r.error.empty(), r.error);
  return r;
}

int ErrorLines(const std::string& err) {
  int n = 0;
  for (size_t at = err.find("ERROR"); at != std::string::npos; at = err.find("ERROR", at + 1)) {
    ++n;
  }
  return n;
}

TEST_CASE("cli [address space limit]: an inline password_command is refused, never run") {
  test::TempDir dir;
  REQUIRE(dir.MakeDir("plain"));
  for (const char* command : {"ls", "lsf", "size"}) {
    auto r = Run(dir, {command, kInjection});
    INFO(command << ": " << r.err);
    CHECK(r.exit_code > 0);
    CHECK(r.exit_code < 128);
    CHECK(Contains(r.err, "\"password_command\""));
    CHECK(Contains(r.err, "config file"));
    CHECK(ErrorLines(r.err) == 1);
  }
  CHECK_FALSE(dir.Exists("pwned"));
  // Any option named *_command, in any inline form, at any depth.
  for (const char* text : {"crypt,x_command=touch${IFS}pwned(plain)",
                           "crypt(crypt,password_command=touch${IFS}pwned(plain))",
                           ":crypt,password_command=touch${IFS}pwned,remote=plain:"}) {
    auto r = Run(dir, {"ls", text});
    INFO(text << ": " << r.err);
    CHECK(r.exit_code > 0);
    CHECK(r.exit_code < 128);
    CHECK(Contains(r.err, "_command\""));
  }
  CHECK_FALSE(dir.Exists("pwned"));
}

TEST_CASE("cli [address space limit]: an existing file named like a wrapper is that file") {
  test::TempDir dir;
  REQUIRE(dir.MakeDir("plain"));
  REQUIRE(dir.WriteFile(kInjection, "just a file\n"));
  auto cat = Run(dir, {"cat", kInjection});
  CHECK_MESSAGE(cat.exit_code == 0, cat.err);
  CHECK(cat.out == "just a file\n");
  CHECK_FALSE(dir.Exists("pwned"));

  // A directory too, as a source.
  REQUIRE(dir.WriteFile("crypt(plain)/inside.txt", "inside\n"));
  auto ls = Run(dir, {"lsf", "crypt(plain)"});
  CHECK_MESSAGE(ls.exit_code == 0, ls.err);
  CHECK(ls.out == "inside.txt\n");
}

TEST_CASE("cli [address space limit]: ./ always means a local path") {
  test::TempDir dir;
  const std::string name = std::string("./") + kInjection;
  auto missing = Run(dir, {"cat", name});
  CHECK(missing.exit_code > 0);
  CHECK(missing.exit_code < 128);
  CHECK_FALSE(Contains(missing.err, "password_command\" runs"));
  CHECK_FALSE(dir.Exists("pwned"));
  REQUIRE(dir.WriteFile(kInjection, "local\n"));
  auto cat = Run(dir, {"cat", name});
  CHECK_MESSAGE(cat.exit_code == 0, cat.err);
  CHECK(cat.out == "local\n");
}

TEST_CASE("cli [address space limit]: wrappers nested 18000 deep are refused at once, with a "
          "short message") {
  test::TempDir dir;
  std::string deep;
  for (int i = 0; i < 18000; ++i) deep += "crypt(";
  deep += "plain";
  for (int i = 0; i < 18000; ++i) deep += ")";
  auto r = Run(dir, {"ls", deep});
  INFO(r.err.substr(0, 500));
  CHECK(r.exit_code > 0);
  CHECK(r.exit_code < 128);
  CHECK(Contains(r.err, "nested"));
  CHECK(ErrorLines(r.err) == 1);
  CHECK(r.err.size() < 1000);

  // The same from a config file, where no argument length limit applies.
  std::string conf = "[deep]\ntype = crypt\nremote = ";
  for (int i = 0; i < 100000; ++i) conf += "crypt(";
  conf += "plain";
  for (int i = 0; i < 100000; ++i) conf += ")";
  auto from_file = Run(dir, {"ls", "deep:"}, conf + "\n");
  INFO(from_file.err.substr(0, 500));
  CHECK(from_file.exit_code > 0);
  CHECK(from_file.exit_code < 128);
  CHECK(Contains(from_file.err, "nested"));
  CHECK(from_file.err.size() < 1000);
}

}  // namespace
}  // namespace cvclone

namespace cvclone {
namespace {

// An inline secret never reaches the screen, wherever the string is shown: a failed parse, an
// unknown backend, a missing object named through the string, a wrapper around it.
TEST_CASE("cli [address space limit]: inline secrets are redacted in every message that shows "
          "the remote string") {
  test::TempDir dir;
  constexpr const char* kSecret = "TOPSECRETvalue42";
  const std::string s3 = std::string(":s3,provider=Other,access_key_id=AK,secret_access_key=") +
                         kSecret + ",endpoint='http://127.0.0.1:9'";
  const std::vector<std::vector<std::string>> runs = {
      {"lsf", std::string(":s3,secret_access_key=") + kSecret + ",broken:bucket"},
      {"lsf", std::string(":nosuchbackend,secret_access_key=") + kSecret + ":x"},
      {"lsf", std::string("crypt,password=") + kSecret + "(" + s3 + ":b)"},
      {"cat", s3 + ":bucket/missing.txt", "--contimeout", "1s"},
      {"copyto", s3 + ":", "dst"},
      {"link", std::string(":local,secret_thing='") + kSecret + "':" + dir.Path("nofile")},
      {"lsf", std::string(":s3,endpoint=http://127.0.0.1:9,secret_access_key=") + kSecret +
                  ":bucket"},
  };
  for (const auto& args : runs) {
    CAPTURE(args[1]);
    test::ProcessResult r = Run(dir, args);
    CHECK(r.exit_code != 0);
    CHECK(r.exit_code < 128);
    CHECK_FALSE(Contains(r.out + r.err, kSecret));
    CHECK(Contains(r.err, "ERROR"));
  }
  // The unquoted URL is refused with how to quote it, before anything is sent.
  test::ProcessResult r = Run(dir, runs.back());
  CHECK(Contains(r.err, "quote it: endpoint='http://...'"));
}

}  // namespace
}  // namespace cvclone

namespace cvclone {
namespace {

TEST_CASE("cli [address space limit]: config show and dump redact inline secrets inside a "
          "remote value") {
  test::TempDir dir;
  const std::string conf =
      "[vault]\ntype = crypt\npassword = x\nremote = :s3,provider=Other,access_key_id=AK,"
      "secret_access_key='TOPSECRET/value+42',endpoint='http://127.0.0.1:9':bucket/dir\n";
  for (const char* sub : {"show", "dump"}) {
    CAPTURE(sub);
    test::ProcessResult r = Run(dir, {"config", sub}, conf);
    CHECK(r.exit_code == 0);
    CHECK_FALSE(Contains(r.out + r.err, "TOPSECRET"));
    CHECK(Contains(r.out, ":s3,provider=Other,"));
    CHECK(Contains(r.out, "secret_access_key=*** REDACTED ***"));
    CHECK(Contains(r.out, ":bucket/dir"));
  }
}

}  // namespace
}  // namespace cvclone
