// Data-loss defects (issue #12) reproduced through the CLI: each case here lost user data before
// its fix. Local folders, crypt over them, and S3 (s3rver behind the signature-checking front).
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/support/cli.hpp"
#include "tests/support/s3_server.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone {
namespace {

using test::Cli;
using test::Contains;
using test::ProcessResult;

constexpr char kSame[] = "Nothing to do as source and destination are the same";
constexpr char kOverlap[] = "can't sync or move files on overlapping remotes";
constexpr int kFatalExit = 7;

const std::map<std::string, std::string> kCryptEnv = {{"CVCLONE_CRYPT_PASSWORD", "pw"}};

// Runs args and returns the result; CAPTUREs the output for failure messages.
ProcessResult RunLogged(const Cli& cli, const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env = {}) {
  ProcessResult r = cli.Run(args, env);
  std::string joined;
  for (const std::string& a : args) joined += a + " ";
  MESSAGE("cvclone " << joined << "-> exit " << r.exit_code << "\n" << r.err);
  return r;
}

TEST_CASE("data safety: move, moveto and sync onto the same place do nothing") {
  Cli cli;
  cli.MakeTree("d");
  REQUIRE(symlink("d", cli.P("dl").c_str()) == 0);
  cli.WriteConfig("[here]\ntype = local\n");
  const auto before = test::ReadTree(cli.P("d"));
  REQUIRE(before.size() == 4);
  const std::vector<std::vector<std::string>> same = {
      {"move", "d", "d"},          {"move", "d", "d/"},        {"move", "./d", "d/."},
      {"move", "dl", "d"},         {"move", "here:d", "d"},    {"sync", "d", cli.P("d")},
      {"moveto", "d/h.txt", "d/h.txt"}, {"moveto", "d/h.txt", "here:" + cli.P("d/h.txt")},
      {"move", "crypt(d)", "crypt(d/)"}};
  for (const auto& args : same) {
    CAPTURE(args[0] + " " + args[1] + " " + args[2]);
    ProcessResult r = RunLogged(cli, args, kCryptEnv);
    CHECK(r.exit_code == 0);
    CHECK(Contains(r.err, kSame));
    CHECK(test::ReadTree(cli.P("d")) == before);
  }
}

TEST_CASE("data safety: sync and move between overlapping places are refused (exit 7)") {
  Cli cli;
  cli.MakeTree("outer/inner");
  REQUIRE(cli.dir().WriteFile("outer/o.txt", "outer file"));
  const auto before = test::ReadTree(cli.P("outer"));
  const std::vector<std::vector<std::string>> overlapping = {
      {"sync", "outer/inner", "outer"},     // deleted the source
      {"sync", "outer", "outer/inner"},     // nested one level deeper every run
      {"move", "outer", "outer/inner/x"},
      {"move", "outer/inner", "outer/"},
      {"sync", "crypt(outer)", "outer"},    // one place seen through crypt and plain
      {"sync", "outer/inner", "crypt(outer)"},
      {"sync", "crypt(outer)", "crypt(outer)/sub"}};
  for (const auto& args : overlapping) {
    CAPTURE(args[0] + " " + args[1] + " " + args[2]);
    ProcessResult r = RunLogged(cli, args, kCryptEnv);
    CHECK(r.exit_code == kFatalExit);
    CHECK(Contains(r.err, kOverlap));
    CHECK(test::ReadTree(cli.P("outer")) == before);
  }
}

TEST_CASE("data safety: a sync into its own source is allowed when a filter excludes it") {
  Cli cli;
  cli.MakeTree("d");
  ProcessResult r = RunLogged(cli, {"sync", "d", "d/backup", "--exclude", "backup/**"});
  CHECK(r.exit_code == 0);
  CHECK(cli.dir().ReadFile("d/backup/h.txt") == "hello");
  CHECK_FALSE(cli.dir().Exists("d/backup/backup"));
  // A second run changes nothing and nests nothing.
  r = RunLogged(cli, {"sync", "d", "d/backup", "--exclude", "backup/**"});
  CHECK(r.exit_code == 0);
  CHECK_FALSE(cli.dir().Exists("d/backup/backup"));
  CHECK(test::ReadTree(cli.P("d")).size() == 8);
}

TEST_CASE("data safety: S3 move and sync onto the same or an overlapping prefix") {
  std::string why;
  const test::S3TestServer* s = test::SharedS3Server(&why);
  REQUIRE_MESSAGE(s != nullptr, why);
  Cli cli;
  cli.WriteConfig("[s3]\ntype = s3\nprovider = Other\naccess_key_id = " + s->access_key +
                  "\nsecret_access_key = " + s->secret_key + "\nendpoint = " + s->Endpoint() +
                  "\nregion = us-east-1\n\n[same]\ntype = s3\nprovider = Other\n"
                  "access_key_id = " + s->access_key + "\nsecret_access_key = " + s->secret_key +
                  "\nendpoint = " + s->Endpoint() + "\nregion = us-east-1\n");
  cli.MakeTree("src");
  const std::string bucket = test::UniqueName("safety");
  REQUIRE(RunLogged(cli, {"copy", "src", "s3:" + bucket + "/x"}).exit_code == 0);
  auto listing = [&] { return RunLogged(cli, {"lsf", "-R", "s3:" + bucket}).out; };
  const std::string before = listing();
  REQUIRE(Contains(before, "x/a/b/two.txt"));
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"move", "s3:" + bucket + "/x", "s3:" + bucket + "/x/"},
           {"move", "s3:" + bucket + "/x", "same:" + bucket + "/x"}}) {
    CAPTURE(args[1] + " " + args[2]);
    ProcessResult r = RunLogged(cli, args);
    CHECK(r.exit_code == 0);
    CHECK(Contains(r.err, kSame));
    CHECK(listing() == before);
  }
  ProcessResult r = RunLogged(cli, {"sync", "s3:" + bucket + "/x/a", "s3:" + bucket + "/x"});
  CHECK(r.exit_code == kFatalExit);
  CHECK(Contains(r.err, kOverlap));
  CHECK(listing() == before);
}

}  // namespace
}  // namespace cvclone
