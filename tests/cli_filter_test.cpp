// Selecting files (issue 17): rclone's filter flags, checked against Debian's rclone run on the
// same tree in the same test (lsf -R listings and sync results must be equal), plus the cases
// rclone cannot be asked about (crypt), and the errors.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/cli.hpp"
#include "tests/support/process.hpp"
#include "tests/support/rclone_run.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone {
namespace {

using test::ProcessResult;

using test::Contains;

std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

using test::k2020;
using test::k2022;
using test::SetMtime;

// The tree every comparison runs on, under rel: files at three depths, mixed case, a marker
// file, old and new modification times.
void MakeTree(const test::RcloneRun& t, const std::string& rel) {
  const std::vector<std::pair<std::string, std::string>> files = {
      {"x.txt", "1"},          {"y.log", "22"},       {"Upper.TXT", "333"},   {"a/z.txt", "4444"},
      {"a/b/w.TXT", "55555"},  {"a/b/deep.log", "6"}, {"c/v.txt", "77"},      {"c/.ignore", ""},
      {"c/sub/u.txt", "888"},  {"d/e/f/g.txt", "9"},  {"sp ace/h.txt", "10"}, {"cache/k.bin", "11"},
      {"a/cache/l.bin", "12"},
  };
  for (const auto& [path, body] : files) {
    REQUIRE(test::WriteFile(t.P(rel + "/" + path), body));
    // Old files: y.log, everything under a/; the rest new (2022).
    const bool old = path == "y.log" || path.rfind("a/", 0) == 0;
    SetMtime(t.P(rel + "/" + path), old ? k2020 : k2022);
  }
}

class FilterInterop : public test::RcloneRun {
 public:
  using RcloneRun::RcloneRun;
  // lsf -R of src with extra flags, by both tools: equal (sorted) listings and exit codes.
  void Same(const std::vector<std::string>& flags) const {
    std::vector<std::string> args = {"lsf", "-R", "src"};
    args.insert(args.end(), flags.begin(), flags.end());
    ProcessResult ours = Cvclone(args);
    ProcessResult theirs = Rclone(args);
    std::string shown;
    for (const std::string& f : flags) shown += f + " ";
    INFO("flags: ", shown);
    INFO("cvclone: ", ours.out, ours.err);
    INFO("rclone: ", theirs.out, theirs.err);
    CHECK(ours.exit_code == theirs.exit_code);
    CHECK(SortedLines(ours.out) == SortedLines(theirs.out));
  }
};

std::string Rclone() { return test::FindOnPath("rclone"); }

TEST_CASE("cli filters: listings equal rclone's for every filter flag") {
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  FilterInterop t(Rclone());
  t.WriteConfig("");
  MakeTree(t, "src");
  REQUIRE(test::WriteFile(t.P("ex.txt"), "# a comment\n  *.log  \n\n; another\ncache/\n"));
  REQUIRE(test::WriteFile(t.P("in.txt"), "*.txt\n/d/**\n"));
  REQUIRE(test::WriteFile(t.P("rules.txt"), "- a/b/**\n+ *.txt\n- *\n"));
  REQUIRE(test::WriteFile(t.P("cleared.txt"), "- *.txt\n!\n- *.log\n"));
  REQUIRE(test::WriteFile(
      t.P("files.txt"), "a/z.txt\n/c/v.txt\n  x.txt  \n# not a file\nmissing.txt\nsp ace/h.txt\n"));
  REQUIRE(test::WriteFile(t.P("raw.txt"), "a/z.txt\n  x.txt\nc/v.txt\n"));

  t.Same({});
  t.Same({"--include", "*.txt"});
  t.Same({"--include", "*.txt", "--ignore-case"});
  t.Same({"--exclude", "*.TXT", "--ignore-case"});
  t.Same({"--filter", "+ *.txt"});                       // an include rule alone excludes nothing
  t.Same({"--filter", "- a/**", "--include", "*.txt"});  // includes first, whatever the order
  t.Same({"--include", "/a/b/*"});
  t.Same({"--include", "/a/"});
  t.Same({"--exclude", "cache/"});
  t.Same({"--exclude-from", "ex.txt"});
  t.Same({"--include-from", "in.txt"});
  t.Same({"--filter-from", "rules.txt"});
  t.Same({"--filter-from", "cleared.txt"});
  t.Same({"--exclude-from", "ex.txt", "--exclude", "x.txt"});
  t.Same({"--files-from", "files.txt"});
  t.Same({"--files-from-raw", "raw.txt"});
  t.Same({"--max-depth", "1"});
  t.Same({"--max-depth", "2"});
  t.Same({"--max-depth", "3"});
  t.Same({"--exclude-if-present", ".ignore"});
  t.Same({"--max-age", "2021-06-01"});
  t.Same({"--min-age", "2021-06-01 12:00:00"});
  t.Same({"--max-age", "100000d"});
  t.Same({"--min-age", "1d"});
  t.Same({"--min-size", "3B", "--max-size", "5B", "--exclude", "*.bin"});
  t.Same({"--min-size", "0.002", "--max-size", "1"});  // KiB, as rclone
  // Errors: as rclone, exit 1 for a missing file and for --files-from with other filters.
  t.Same({"--exclude-from", "nothere.txt"});
  t.Same({"--files-from", "files.txt", "--include", "*.log"});
}

TEST_CASE("cli filters: sync with filters and --delete-excluded leaves what rclone leaves") {
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  FilterInterop t(Rclone());
  t.WriteConfig("");
  MakeTree(t, "src");
  const std::vector<std::vector<std::string>> cases = {
      {"--exclude", "*.log"},
      {"--exclude", "*.log", "--delete-excluded"},
      {"--exclude", "cache/", "--delete-excluded"},
      {"--include", "*.txt", "--delete-excluded"},
      {"--max-age", "2021-01-01", "--delete-excluded"},
      {"--max-depth", "1"},
      {"--exclude-if-present", ".ignore"},
  };
  int n = 0;
  for (const auto& flags : cases) {
    const std::string ours = "ours" + std::to_string(n), theirs = "theirs" + std::to_string(n);
    ++n;
    // Both destinations start as full copies plus an extra file, then sync with the flags.
    for (const std::string& dst : {ours, theirs}) {
      REQUIRE(t.Cvclone({"copy", "src", dst}).exit_code == 0);
      REQUIRE(test::WriteFile(t.P(dst + "/extra.log"), "extra"));
      REQUIRE(test::WriteFile(t.P(dst + "/a/extra.txt"), "extra"));
    }
    std::vector<std::string> a = {"sync", "src", ours}, b = {"sync", "src", theirs};
    a.insert(a.end(), flags.begin(), flags.end());
    b.insert(b.end(), flags.begin(), flags.end());
    ProcessResult r1 = t.Cvclone(a), r2 = t.Rclone(b);
    std::string shown;
    for (const std::string& f : flags) shown += f + " ";
    INFO("flags: ", shown, "\ncvclone: ", r1.err, "\nrclone: ", r2.err);
    CHECK(r1.exit_code == r2.exit_code);
    CHECK(SortedLines(t.Rclone({"lsf", "-R", "--files-only", ours}).out) ==
          SortedLines(t.Rclone({"lsf", "-R", "--files-only", theirs}).out));
  }
}

TEST_CASE("cli filters: --files-from reads standard input once, and filters crypt") {
  test::TempDir dir;
  const std::string conf = dir.Path("c.conf");
  REQUIRE(test::WriteFile(conf, ""));
  auto run = [&](std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--config", conf});
    test::ProcessOptions opts = test::IsolatedOptions(dir.path());
    opts.stdin_data = in;
    ProcessResult r = test::RunProcess(CVCLONE_BINARY_DIR "/cvclone", args, opts);
    REQUIRE_MESSAGE(r.error.empty(), r.error);
    return r;
  };
  REQUIRE(test::WriteFile(dir.Path("src/a/one.txt"), "one"));
  REQUIRE(test::WriteFile(dir.Path("src/b/two.log"), "two"));
  REQUIRE(test::WriteFile(dir.Path("src/three.txt"), "three"));
  ProcessResult copy = run({"copy", "src", "dst", "--files-from", "-"}, "a/one.txt\nthree.txt\n");
  CHECK_RUN_OK(copy);
  CHECK(dir.ReadFile("dst/a/one.txt") == "one");
  CHECK(dir.ReadFile("dst/three.txt") == "three");
  CHECK_FALSE(dir.Exists("dst/b"));

  // Through crypt: the rules see the plaintext names; the ciphertext holds only what passed.
  const std::string obscured = run({"obscure", "pw"}).out;
  REQUIRE(test::WriteFile(conf, "[secret]\ntype = crypt\nremote = " + dir.Path("enc") +
                                    "\npassword = " + obscured.substr(0, obscured.find('\n')) +
                                    "\n"));
  CHECK_RUN_OK(run({"copy", "src", "secret:", "--exclude", "*.log", "--max-depth", "2"}));
  ProcessResult listing = run({"lsf", "-R", "secret:"});
  INFO(listing.out, listing.err);
  CHECK(SortedLines(listing.out) == std::vector<std::string>{"a/", "a/one.txt", "three.txt"});
  ProcessResult depth = run({"lsf", "-R", "secret:", "--max-depth", "1"});
  CHECK(SortedLines(depth.out) == std::vector<std::string>{"a/", "three.txt"});
  CHECK_RUN_OK(run({"sync", "src", "secret:", "--include", "*.log", "--delete-excluded"}));
  ProcessResult after = run({"ls", "secret:"});
  INFO(after.out, after.err);
  CHECK(after.out == "        3 b/two.log\n");

  ProcessResult bad = run({"ls", "src", "--max-age", "yesterday"});
  CHECK(bad.exit_code == 1);
  CHECK(Contains(bad.err, "invalid value \"yesterday\" for --max-age"));
}

}  // namespace
}  // namespace cvclone
