// Transfers (issue 17), how a run proceeds: --order-by and --check-first, -i/--interactive
// answered on stdin, --retries-sleep, and --bwlimit measured over a 2 MiB copy (local, and S3
// for the upload and download limits of an "UP:DOWN" pair).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "tests/support/cli.hpp"
#include "tests/support/process.hpp"
#include "tests/support/rclone_run.hpp"
#include "tests/support/s3_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone {
namespace {

using test::Contains;
using test::ProcessResult;

using test::SetMtime;

// The names in the "NAME: Copied (new)" log lines, in the order logged.
std::vector<std::string> CopiedOrder(const std::string& err) {
  std::vector<std::string> names;
  const std::regex line(R"((?:INFO  : )([^ :]+): Copied \(new\))");
  for (auto it = std::sregex_iterator(err.begin(), err.end(), line); it != std::sregex_iterator();
       ++it) {
    names.push_back((*it)[1]);
  }
  return names;
}

// cvclone with --config and the answers on stdin.
ProcessResult RunWithInput(const test::Cli& cli, std::vector<std::string> args,
                           const std::string& input) {
  args.insert(args.begin(), {"--config", cli.conf()});
  test::ProcessOptions options = test::IsolatedOptions(cli.dir().path());
  options.stdin_data = input;
  return test::RunProcess(CVCLONE_BINARY_DIR "/cvclone", args, options);
}

double SecondsOf(const std::function<void()>& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST_CASE("cli transfers: --order-by with --check-first starts the transfers in that order") {
  test::Cli cli;
  // Sizes, names and mtimes each in another order.
  const struct {
    const char* name;
    size_t size;
    time_t mtime;
  } files[] = {{"a.bin", 300, 1640995200}, {"b.bin", 100, 1577836800}, {"c.bin", 200, 1609459200}};
  for (const auto& f : files) {
    REQUIRE(test::WriteFile(cli.P(std::string("src/") + f.name), std::string(f.size, 'x')));
    SetMtime(cli.P(std::string("src/") + f.name), f.mtime);
  }
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"size", {"b.bin", "c.bin", "a.bin"}},
      {"size,descending", {"a.bin", "c.bin", "b.bin"}},
      {"name,desc", {"c.bin", "b.bin", "a.bin"}},
      {"modtime,asc", {"b.bin", "c.bin", "a.bin"}},
      {"modtime,descending", {"a.bin", "c.bin", "b.bin"}},
  };
  int n = 0;
  for (const auto& [order, want] : cases) {
    const std::string dst = "dst" + std::to_string(n++);
    ProcessResult r = cli.Run(
        {"copy", "src", dst, "--order-by", order, "--check-first", "--transfers", "1", "-v"});
    INFO(order, "\n", r.err);
    CHECK(r.exit_code == 0);
    CHECK(CopiedOrder(r.err) == want);
  }
  // mixed: accepted, with and without a percentage; everything is copied.
  ProcessResult r = cli.Run({"copy", "src", "mixed", "--order-by", "size,mixed,25", "-v"});
  CHECK(r.exit_code == 0);
  CHECK(CopiedOrder(r.err).size() == 3);
  // rclone's refusals (fatal: exit 7), nothing copied.
  r = cli.Run({"copy", "src", "bad", "--order-by", "colour"});
  CHECK(r.exit_code == 7);
  CHECK(Contains(r.err, "unknown --order-by comparison \"colour\""));
  r = cli.Run({"copy", "src", "bad", "--order-by", "size,up"});
  CHECK(r.exit_code == 7);
  CHECK(Contains(r.err, "unknown --order-by sort direction \"up\""));
  r = cli.Run({"copy", "src", "bad", "--order-by", "size,mixed,101"});
  CHECK(r.exit_code == 7);
  CHECK(test::ListTree(cli.P("bad")).empty());
  CHECK(Contains(cli.Run({"sync", "--help"}).out, "--order-by"));
  CHECK(Contains(cli.Run({"copy", "--help"}).out, "--check-first"));
}

TEST_CASE("cli transfers: --order-by gives rclone's order") {
  const std::string rclone = test::FindOnPath("rclone");
  if (rclone.empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  test::RcloneRun t(rclone);
  t.WriteConfig("");
  for (int i = 0; i < 5; ++i) {
    REQUIRE(test::WriteFile(t.P("src/f" + std::to_string(i)),
                            std::string(static_cast<size_t>((i * 7) % 5 + 1) * 10, 'x')));
  }
  const std::vector<std::string> args = {
      "--order-by", "size,descending", "--check-first", "--transfers", "1", "-v"};
  auto with = [&](const std::string& dst) {
    std::vector<std::string> a = {"copy", t.P("src"), t.P(dst)};
    a.insert(a.end(), args.begin(), args.end());
    return a;
  };
  ProcessResult ours = t.Cvclone(with("ours"));
  ProcessResult theirs = t.Rclone(with("theirs"));
  INFO(ours.err, "\n", theirs.err);
  CHECK(ours.exit_code == 0);
  CHECK(theirs.exit_code == 0);
  CHECK(CopiedOrder(ours.err).size() == 5);
  CHECK(CopiedOrder(ours.err) == CopiedOrder(theirs.err));
}

// The files asked about by `op`, in the order asked.
std::vector<std::string> Asked(const std::string& out, const std::string& op) {
  std::vector<std::string> names;
  const std::regex line("cvclone: " + op + " \"([^\"]+)\"\\?");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), line); it != std::sregex_iterator();
       ++it) {
    names.push_back((*it)[1]);
  }
  return names;
}

TEST_CASE("cli transfers: -i asks before each change, answered on stdin") {
  test::Cli cli;
  auto fresh = [&](const std::string& rel) {
    REQUIRE(test::WriteFile(cli.P(rel + "/src/one.txt"), "one"));
    REQUIRE(test::WriteFile(cli.P(rel + "/src/two.txt"), "two"));
    REQUIRE(test::WriteFile(cli.P(rel + "/dst/extra.txt"), "extra"));
  };
  SUBCASE("y, n, y: the first copy, not the second, and the delete") {
    fresh("yn");
    ProcessResult r = RunWithInput(cli, {"sync", "-i", "yn/src", "yn/dst"}, "y\nn\ny\n");
    INFO(r.out, r.err);
    CHECK(r.exit_code == 0);
    const std::vector<std::string> copies = Asked(r.out, "copy");
    REQUIRE(copies.size() == 2);
    CHECK(Asked(r.out, "delete") == std::vector<std::string>{"extra.txt"});
    CHECK(Contains(r.out,
                   "y) Yes, this is OK (default)\nn) No, skip this\n"
                   "s) Skip all copy operations with no more questions\n"
                   "!) Do all copy operations with no more questions\n"
                   "q) Exit cvclone now.\ny/n/s/!/q> "));
    CHECK(test::ListTree(cli.P("yn/dst")) == std::set<std::string>{copies[0]});
    CHECK(Contains(r.err, copies[1] + ": Skipped copy as --interactive is set (size 3 B)"));
  }
  SUBCASE("s and !: one question per operation") {
    fresh("s");
    ProcessResult r = RunWithInput(cli, {"sync", "--interactive", "s/src", "s/dst"}, "s\n!\n");
    INFO(r.out, r.err);
    CHECK(r.exit_code == 0);
    CHECK(Asked(r.out, "copy").size() == 1);
    CHECK(Asked(r.out, "delete").size() == 1);
    CHECK(Contains(r.err, "Skipping all copy operations from now on without asking"));
    CHECK(Contains(r.err, "Doing all delete operations from now on without asking"));
    CHECK(test::ListTree(cli.P("s/dst")).empty());
  }
  SUBCASE("an empty line is yes; another answer is asked again") {
    fresh("e");
    ProcessResult r = RunWithInput(cli, {"copy", "-i", "e/src", "e/dst"}, "\nmaybe\ny\n");
    INFO(r.out, r.err);
    CHECK(r.exit_code == 0);
    CHECK(Contains(r.out, "This value must be one of the following characters: y, n, s, !, q."));
    CHECK(test::ListTree(cli.P("e/dst")) ==
          std::set<std::string>{"extra.txt", "one.txt", "two.txt"});
  }
  SUBCASE("q ends the run at once: exit 0, nothing deleted") {
    fresh("q");
    ProcessResult r = RunWithInput(cli, {"sync", "-i", "q/src", "q/dst"}, "q\n");
    INFO(r.out, r.err);
    CHECK(r.exit_code == 0);
    CHECK(Asked(r.out, "copy").size() == 1);
    CHECK(Contains(r.err, "Quitting cvclone now"));
    CHECK(test::ListTree(cli.P("q/dst")) == std::set<std::string>{"extra.txt"});
  }
  SUBCASE("no more answers: exit 1, as rclone, nothing deleted") {
    fresh("eof");
    ProcessResult r = RunWithInput(cli, {"sync", "-i", "eof/src", "eof/dst"}, "y\n");
    INFO(r.out, r.err);
    CHECK(r.exit_code == 1);
    CHECK(Contains(r.err, "Failed to read line: EOF"));
    CHECK(test::ReadTree(cli.P("eof/dst")).count("extra.txt") == 1);
  }
  SUBCASE("copyto and move ask too") {
    fresh("one");
    ProcessResult r =
        RunWithInput(cli, {"copyto", "-i", "one/src/one.txt", "one/dst/uno.txt"}, "n\n");
    CHECK(r.exit_code == 0);
    CHECK(Asked(r.out, "copy") == std::vector<std::string>{"uno.txt"});
    CHECK(test::ListTree(cli.P("one/dst")) == std::set<std::string>{"extra.txt"});
    r = RunWithInput(cli, {"move", "-i", "one/src", "one/dst"}, "!\n");
    INFO(r.out, r.err);
    CHECK(r.exit_code == 0);
    CHECK(Asked(r.out, "move").size() == 1);
    CHECK(test::ListTree(cli.P("one/src")).empty());
    CHECK(test::ListTree(cli.P("one/dst")).size() == 3);
  }
}

TEST_CASE("cli transfers: --retries-sleep pauses before a failed file's next attempt") {
  test::Cli cli;
  ProcessResult r = cli.Run({"copy", "a", "b", "--retries-sleep", "soon"});
  CHECK(r.exit_code == 1);  // a usage error: 1, as rclone
  CHECK(Contains(r.err, "--retries-sleep"));
  std::string why;
  const test::S3TestServer* server = test::SharedS3Server(&why);
  REQUIRE_MESSAGE(server != nullptr, why);
  cli.WriteConfig(test::S3ConfigSection("s3", *server));
  const std::string bucket = test::UniqueName("rsleep");
  REQUIRE(test::WriteFile(cli.P("up/a.txt"), "a"));
  REQUIRE(cli.Run({"copy", "up", "s3:" + bucket}).exit_code == 0);
  if (!server->InjectFault(R"({"kind":"500","count":1,"method":"GET","match":"/)" + bucket +
                           R"(/a.txt"})")) {
    MESSAGE("no fault injection on this server: --retries-sleep not checked");
    return;
  }
  const double seconds = SecondsOf([&] {
    r = cli.Run({"copy", "s3:" + bucket, "down", "--low-level-retries", "1", "--retries", "2",
                 "--retries-sleep", "1500ms"});
  });
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.err, "attempt 1/2 failed, retrying"));
  CHECK(test::ReadTree(cli.P("down")) == std::map<std::string, std::string>{{"a.txt", "a"}});
  CHECK(seconds >= 1.5);
  (void)server->ClearFaults();
}

// The 2 MiB copy's time at 1 MiB/s: about 2 s (the bucket starts empty).
constexpr size_t kLimitedBytes = 2 << 20;
constexpr double kLimitedLow = 1.8, kLimitedHigh = 8.0;

TEST_CASE("cli transfers: --bwlimit holds the rate of a 2 MiB copy") {
  test::Cli cli;
  REQUIRE(test::WriteFile(cli.P("src/big.bin"), test::Pattern(kLimitedBytes, 7)));
  ProcessResult r;
  double seconds = SecondsOf([&] { r = cli.Run({"copy", "src", "dst", "--bwlimit", "1M"}); });
  CHECK(r.exit_code == 0);
  CHECK(test::ReadTree(cli.P("dst")) == test::ReadTree(cli.P("src")));
  MESSAGE("2 MiB at --bwlimit 1M took ", seconds, " s");
  CHECK(seconds >= kLimitedLow);
  CHECK(seconds <= kLimitedHigh);
  // A timetable whose every slot is 1M, and one that is off all week: unlimited.
  seconds = SecondsOf([&] {
    r = cli.Run({"copy", "src", "tt", "--bwlimit", "00:00,1M Mon-12:00,1024k"});
  });
  CHECK(r.exit_code == 0);
  CHECK(seconds >= kLimitedLow);
  seconds = SecondsOf([&] { r = cli.Run({"copy", "src", "off", "--bwlimit", "08:00,off"}); });
  CHECK(r.exit_code == 0);
  CHECK(seconds < kLimitedLow);
  // rclone's refusals of a bad value.
  r = cli.Run({"copy", "src", "bad", "--bwlimit", "25:00,1M"});
  CHECK(r.exit_code == 1);  // a usage error: 1, as rclone
  CHECK(Contains(r.err, "invalid hour (must be between 00 and 23)"));
  r = cli.Run({"copy", "src", "bad", "--bwlimit", "Foo-10:00,1M"});
  CHECK(r.exit_code == 1);  // a usage error: 1, as rclone
  CHECK(Contains(r.err, "invalid weekday"));
  r = cli.Run({"copy", "src", "bad", "--bwlimit", "1x"});
  CHECK(r.exit_code == 1);  // a usage error: 1, as rclone
  CHECK(test::ListTree(cli.P("bad")).empty());
}

TEST_CASE("cli transfers: --bwlimit UP:DOWN limits uploads and downloads apart") {
  std::string why;
  const test::S3TestServer* server = test::SharedS3Server(&why);
  REQUIRE_MESSAGE(server != nullptr, why);
  test::Cli cli;
  cli.WriteConfig(test::S3ConfigSection("s3", *server));
  const std::string bucket = test::UniqueName("bwlimit");
  REQUIRE(test::WriteFile(cli.P("src/big.bin"), test::Pattern(kLimitedBytes, 8)));
  ProcessResult r;
  // The upload's limit applies to the upload, the download's does not.
  double seconds = SecondsOf([&] {
    r = cli.Run({"copy", "src", "s3:" + bucket, "--bwlimit", "1M:off"});
  });
  CHECK(r.exit_code == 0);
  MESSAGE("2 MiB upload at --bwlimit 1M:off took ", seconds, " s");
  CHECK(seconds >= kLimitedLow);
  CHECK(seconds <= kLimitedHigh);
  seconds = SecondsOf([&] {
    r = cli.Run({"copy", "s3:" + bucket, "down", "--bwlimit", "off:1M"});
  });
  CHECK(r.exit_code == 0);
  MESSAGE("2 MiB download at --bwlimit off:1M took ", seconds, " s");
  CHECK(seconds >= kLimitedLow);
  CHECK(seconds <= kLimitedHigh);
  CHECK(test::ReadTree(cli.P("down")) == test::ReadTree(cli.P("src")));
}

TEST_CASE("cli transfers: --tpslimit spaces the HTTP requests") {
  test::Cli cli;
  ProcessResult r = cli.Run({"lsf", "nowhere", "--tpslimit", "fast"});
  CHECK(r.exit_code == 1);  // a usage error: 1, as rclone
  CHECK(Contains(r.err, "invalid value \"fast\" for --tpslimit"));
  r = cli.Run({"lsf", "nowhere", "--tpslimit", "1", "--tpslimit-burst", "0"});
  CHECK(r.exit_code == 1);  // a usage error: 1, as rclone
  std::string why;
  const test::S3TestServer* server = test::SharedS3Server(&why);
  REQUIRE_MESSAGE(server != nullptr, why);
  cli.WriteConfig(test::S3ConfigSection("s3", *server));
  constexpr int kFiles = 8;
  for (int i = 0; i < kFiles; ++i) {
    REQUIRE(test::WriteFile(cli.P("src/f" + std::to_string(i)), "x"));
  }
  const std::string bucket = test::UniqueName("tps");
  // At least one PUT per file, 4 a second, the first at once.
  const double seconds = SecondsOf([&] {
    r = cli.Run({"copy", "src", "s3:" + bucket, "--tpslimit", "4", "--transfers", "8"});
  });
  INFO(r.err);
  CHECK(r.exit_code == 0);
  MESSAGE(kFiles, " uploads at --tpslimit 4 took ", seconds, " s");
  CHECK(seconds >= (kFiles - 1) / 4.0);
  CHECK(cli.Run({"lsf", "s3:" + bucket}).out.size() == kFiles * 3);
}

ino_t Inode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_ino;
}

// Twin trees for --track-renames: a file renamed into a subfolder, one renamed and changed,
// one only in the destination, a new one of the renamed file's size with other bytes. Only the
// renamed pair shares a modification time.
void MakeRenameTrees(const std::string& root) {
  const time_t t = 1640995200;
  for (const auto& [path, body, mtime] : std::vector<std::tuple<std::string, std::string, time_t>>{
           {"src/moved/renamed.txt", "the same bytes", t},
           {"src/edited.txt", "changed bytes, longer", t + 10},
           {"src/other.txt", "the same bytez", t + 20},
           {"dst/old.txt", "the same bytes", t},
           {"dst/was-edited.txt", "original bytes", t + 30},
           {"dst/gone.txt", "gone", t + 40}}) {
    REQUIRE(test::WriteFile(root + "/" + path, body));
    SetMtime(root + "/" + path, mtime);
  }
}

// The lines of text, sorted.
std::set<std::string> LineSet(const std::string& text) {
  std::set<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.insert(line);
  return lines;
}

TEST_CASE("cli transfers: --track-renames moves a renamed file instead of uploading it") {
  const std::string rclone = test::FindOnPath("rclone");
  test::RcloneRun t(rclone.empty() ? "/bin/false" : rclone);
  t.WriteConfig("");
  MakeRenameTrees(t.P("ours"));
  const ino_t before = Inode(t.P("ours/dst/old.txt"));
  ProcessResult r = t.Cvclone({"sync", t.P("ours/src"), t.P("ours/dst"), "--track-renames", "-v"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.err, "moved/renamed.txt: Renamed from \"old.txt\""));
  CHECK(Contains(r.err, "old.txt: Moved (server-side) to: moved/renamed.txt"));
  CHECK_FALSE(Contains(r.err, "moved/renamed.txt: Copied"));
  CHECK(Contains(r.err, "other.txt: Copied (new)"));  // same size, other bytes
  CHECK(Contains(r.err, "Renamed:                1"));
  CHECK(Inode(t.P("ours/dst/moved/renamed.txt")) == before);  // the same file, moved
  CHECK(test::ReadTree(t.P("ours/dst")) == test::ReadTree(t.P("ours/src")));
  if (!rclone.empty()) {
    MakeRenameTrees(t.P("theirs"));
    ProcessResult theirs =
        t.Rclone({"sync", t.P("theirs/src"), t.P("theirs/dst"), "--track-renames", "-v"});
    CHECK(theirs.exit_code == 0);
    CHECK(Contains(theirs.err, "moved/renamed.txt: Renamed from \"old.txt\""));
    CHECK(test::ReadTree(t.P("theirs")) == test::ReadTree(t.P("ours")));
  }
  // --dry-run says so and changes nothing; leaf and modtime strategies match too.
  MakeRenameTrees(t.P("dry"));
  r = t.Cvclone({"sync", t.P("dry/src"), t.P("dry/dst"), "--track-renames", "--dry-run"});
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.err, "old.txt: Skipped move as --dry-run is set"));
  CHECK(test::ReadTree(t.P("dry/dst")).count("old.txt") == 1);
  MakeRenameTrees(t.P("mt"));
  REQUIRE(test::WriteFile(t.P("mt/src/moved/notes.txt"), "a different body!"));
  REQUIRE(test::WriteFile(t.P("mt/dst/notes.txt"), "different body!!!"));
  SetMtime(t.P("mt/src/moved/notes.txt"), 1640995200);
  SetMtime(t.P("mt/dst/notes.txt"), 1577836800);
  r = t.Cvclone({"sync", t.P("mt/src"), t.P("mt/dst"), "--track-renames",
                 "--track-renames-strategy", "leaf", "-v"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  // Matched by size and name, then found to differ: replaced by the source's.
  CHECK(Contains(r.err, "moved/notes.txt: Renamed from \"notes.txt\""));
  CHECK(test::ReadTree(t.P("mt/dst")) == test::ReadTree(t.P("mt/src")));
  r = t.Cvclone({"sync", t.P("mt/src"), t.P("mt/dst"), "--track-renames-strategy", "size"});
  CHECK(r.exit_code == 1);  // a usage error: 1, as rclone
}

TEST_CASE("cli transfers: --track-renames is ignored, as rclone, where it cannot work") {
  test::Cli cli;
  MakeRenameTrees(cli.P("t"));
  std::string password = cli.Run({"obscure", "secret"}).out;
  password = password.substr(0, password.find('\n'));
  cli.WriteConfig("[c]\ntype = crypt\nremote = " + cli.P("crypted") + "\npassword = " + password +
                  "\n");
  REQUIRE(cli.Run({"sync", "t/dst", "c:"}).exit_code == 0);
  ProcessResult r = cli.Run({"sync", "t/src", "c:", "--track-renames", "-v"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.err,
                 "Ignoring --track-renames as the source and destination do not have a common "
                 "hash"));
  CHECK(Contains(r.err, "moved/renamed.txt: Copied (new)"));
  CHECK(cli.Run({"cat", "c:moved/renamed.txt"}).out == "the same bytes");
  // By modtime, crypt can: it moves on its inner remote.
  REQUIRE(cli.Run({"sync", "t/dst", "c:"}).exit_code == 0);
  r = cli.Run(
      {"sync", "t/src", "c:", "--track-renames", "--track-renames-strategy", "modtime", "-v"});
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.err, "moved/renamed.txt: Renamed from \"old.txt\""));
  CHECK(cli.Run({"cat", "c:moved/renamed.txt"}).out == "the same bytes");
  CHECK(LineSet(cli.Run({"lsf", "-R", "c:"}).out) ==
        std::set<std::string>{"edited.txt", "moved/", "moved/renamed.txt", "other.txt"});
}

TEST_CASE("cli transfers: --track-renames on S3 copies and deletes server-side, no upload") {
  std::string why;
  const test::S3TestServer* server = test::SharedS3Server(&why);
  REQUIRE_MESSAGE(server != nullptr, why);
  test::Cli cli;
  cli.WriteConfig(test::S3ConfigSection("s3", *server));
  const std::string bucket = "s3:" + test::UniqueName("renames");
  MakeRenameTrees(cli.P("t"));
  REQUIRE(cli.Run({"sync", "t/dst", bucket}).exit_code == 0);
  ProcessResult r = cli.Run({"sync", "t/src", bucket, "--track-renames", "-v"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.err, "moved/renamed.txt: Renamed from \"old.txt\""));
  CHECK_FALSE(Contains(r.err, "moved/renamed.txt: Copied"));
  // Two uploads (edited.txt, other.txt), not three.
  CHECK(Contains(r.err, "Transferred:            2 / 2, 100%"));
  CHECK(LineSet(cli.Run({"lsf", "-R", bucket}).out) ==
        std::set<std::string>{"edited.txt", "moved/", "moved/renamed.txt", "other.txt"});
  CHECK(cli.Run({"cat", bucket + "/moved/renamed.txt"}).out == "the same bytes");
}

TEST_CASE("cli transfers: --delete-excluded removes the excluded folders left empty, as rclone") {
  test::Cli cli;
  for (const char* side : {"src", "dst"}) {
    const std::string root = cli.P(side);
    REQUIRE(test::WriteFile(root + "/keep/a.txt", "a"));
    REQUIRE(test::WriteFile(root + "/skip/b.log", "b"));
    REQUIRE(test::WriteFile(root + "/skip/deep/c.log", "c"));
  }
  REQUIRE(test::WriteFile(cli.P("dst/skip2/x.log"), "x"));
  ProcessResult r = cli.Run(
      {"sync", "src", "dst", "--exclude", "skip/**", "--exclude", "skip2/**", "--delete-excluded"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(test::ReadTree(cli.P("dst")) == std::map<std::string, std::string>{{"keep/a.txt", "a"}});
  for (const char* gone : {"dst/skip/deep", "dst/skip", "dst/skip2"}) {
    CHECK_MESSAGE(!std::filesystem::exists(cli.P(gone)), gone);
  }
  CHECK(std::filesystem::exists(cli.P("src/skip/deep/c.log")));
}

TEST_CASE("cli transfers: copy FILE DEST honours --compare-dest and --copy-dest") {
  test::Cli cli;
  for (const char* rel : {"src/a.txt", "cmp/a.txt"}) {
    REQUIRE(test::WriteFile(cli.P(rel), "same"));
    SetMtime(cli.P(rel), 1640995200);
  }
  ProcessResult r = cli.Run({"copy", "src/a.txt", "dst1", "--compare-dest", "cmp", "-v"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(cli.P("dst1/a.txt")));
  r = cli.Run({"copy", "src/a.txt", "dst2", "--copy-dest", "cmp", "-v"});
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.err, "a.txt: Copied (server-side copy)"));
  CHECK(test::ReadTree(cli.P("dst2")) == std::map<std::string, std::string>{{"a.txt", "same"}});
  // A file that differs there is copied as usual.
  REQUIRE(test::WriteFile(cli.P("cmp/a.txt"), "other"));
  r = cli.Run({"copy", "src/a.txt", "dst3", "--compare-dest", "cmp"});
  CHECK(r.exit_code == 0);
  CHECK(test::ReadTree(cli.P("dst3")) == std::map<std::string, std::string>{{"a.txt", "same"}});
}

// Columns a line takes on a terminal (UTF-8 characters, tabs to the next multiple of 8).
size_t Columns(const std::string& line) {
  size_t col = 0;
  for (char c : line) {
    if (c == '\t') {
      col = (col / 8 + 1) * 8;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++col;
    }
  }
  return col;
}

TEST_CASE("cli help: every COMMAND --help line fits 80 columns, the transfer flags are listed") {
  test::Cli cli;
  ProcessResult r = cli.Run({"help"});
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> commands;
  std::istringstream in(r.out);
  bool listing = false;
  for (std::string line; std::getline(in, line);) {
    CHECK_MESSAGE(Columns(line) <= 80, "help: ", line);
    if (line == "Commands:") {
      listing = true;
    } else if (line.empty()) {
      listing = false;
    } else if (listing && line.rfind("   ", 0) != 0) {  // not a wrapped description
      std::istringstream words(line);
      std::string name;
      words >> name;
      commands.push_back(name);
    }
  }
  REQUIRE(commands.size() >= 10);
  for (const std::string& command : commands) {
    r = cli.Run({command, "--help"});
    CHECK_MESSAGE(r.exit_code == 0, command);
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      CHECK_MESSAGE(Columns(line) <= 80, command, " --help: ", line);
    }
  }
  const std::string sync = cli.Run({"sync", "--help"}).out;
  for (const char* flag :
       {"--retries-sleep DURATION", "--order-by ORDER", "--check-first", "-i, --interactive",
        "--bwlimit RATE", "--tpslimit N", "--tpslimit-burst N", "--track-renames ",
        "--track-renames-strategy HOW"}) {
    CHECK_MESSAGE(Contains(sync, flag), flag);
  }
  const std::string copyto = cli.Run({"copyto", "--help"}).out;
  CHECK(Contains(copyto, "--bwlimit RATE"));
  CHECK(Contains(copyto, "-i, --interactive"));
  CHECK_FALSE(Contains(copyto, "--order-by"));
  CHECK_FALSE(Contains(cli.Run({"copy", "--help"}).out, "--track-renames"));
}

TEST_CASE("cli stats: -P writes to stdout, as rclone") {
  test::Cli cli;
  REQUIRE(test::WriteFile(cli.P("src/a.txt"), "a"));
  ProcessResult r = cli.Run({"copy", "src", "dst", "-P"});
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.out, "Transferred:            1 / 1, 100%\n"));
  CHECK_FALSE(Contains(r.err, "Transferred:"));
}

}  // namespace
}  // namespace cvclone
