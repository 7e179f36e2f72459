// Logging and stats for scripts and cron (issue 17): rclone's log line and JSON formats, the log
// file, levels, the stats block (only with -v or -P, honest counts) and -P on a terminal and
// without one. Formats are compared with Debian's rclone run in the same test.
#include <doctest/doctest.h>

#include <algorithm>
#include <regex>
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

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The text with what differs between two runs replaced: times, rates, ETAs, elapsed times.
std::string Normalize(const std::string& text) {
  std::string out =
      std::regex_replace(text, std::regex(R"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d )"), "DATE TIME ");
  out = std::regex_replace(out, std::regex(R"(, [0-9.]+ [KMG]?i?B/s, ETA [^\n]*)"), ", RATE");
  out = std::regex_replace(out, std::regex(R"(Elapsed time: +[0-9hm.]+s)"), "Elapsed time: T");
  return out;
}

// The log lines (normalised) with the stats block kept in one piece, sorted: files are copied
// in parallel, in any order.
std::vector<std::string> SortedLog(const std::string& err) {
  std::vector<std::string> entries;
  for (const std::string& line : Lines(Normalize(err))) {
    if (line.rfind("DATE TIME ", 0) == 0 || entries.empty()) {
      entries.push_back(line);
    } else {
      entries.back() += "\n" + line;
    }
  }
  std::sort(entries.begin(), entries.end());
  return entries;
}

std::string Rclone() { return test::FindOnPath("rclone"); }

void MakeTree(const test::RcloneRun& t, const std::string& rel) {
  REQUIRE(test::WriteFile(t.P(rel + "/one.txt"), "one"));
  REQUIRE(test::WriteFile(t.P(rel + "/a/two.txt"), std::string(1536, 't')));
  REQUIRE(test::WriteFile(t.P(rel + "/a/b/three.bin"), std::string(3000000, 'b')));
}

TEST_CASE("cli log: lines, levels and the stats block as rclone writes them") {
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  test::RcloneRun t(Rclone());
  t.WriteConfig("");
  MakeTree(t, "src");

  // Default level (NOTICE): a copy prints nothing at all, as rclone's.
  ProcessResult quiet = t.Cvclone({"copy", "src", "q1"});
  CHECK_RUN_OK(quiet);
  CHECK(quiet.err == t.Rclone({"copy", "src", "q2"}).err);
  CHECK(quiet.err.empty());

  // -v: "DATE TIME INFO  : path: Copied (new)" per file, then the stats block.
  ProcessResult ours = t.Cvclone({"copy", "src", "v1", "-v"});
  ProcessResult theirs = t.Rclone({"copy", "src", "v2", "-v"});
  CHECK_RUN_OK(ours);
  CHECK(SortedLog(ours.err) == SortedLog(theirs.err));
  CHECK(std::regex_search(
      ours.err, std::regex(R"(^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d INFO  : one\.txt: Copied \(new\)$)",
                           std::regex::multiline)));
  CHECK(Contains(ours.err, "INFO  : \nTransferred:   \t    2.862 MiB / 2.862 MiB, 100%, "));
  CHECK(Contains(ours.err, "\nTransferred:            3 / 3, 100%\nElapsed time:  "));

  // A second run: checks only; with --stats-log-level NOTICE the block shows without -v.
  ours = t.Cvclone({"copy", "src", "v1", "--stats-log-level", "NOTICE"});
  theirs = t.Rclone({"copy", "src", "v2", "--stats-log-level", "NOTICE"});
  CHECK(SortedLog(ours.err) == SortedLog(theirs.err));
  CHECK(Contains(ours.err, "NOTICE: \nTransferred:   \t          0 B / 0 B, -, "));
  CHECK(Contains(ours.err, "\nChecks:                 3 / 3, 100%\n"));

  // --stats-one-line: the one line, at the stats level.
  ours = t.Cvclone({"copy", "src", "o1", "-v", "--stats-one-line"});
  theirs = t.Rclone({"copy", "src", "o2", "-v", "--stats-one-line"});
  CHECK(SortedLog(ours.err) == SortedLog(theirs.err));
  CHECK(Contains(ours.err, "INFO  :     2.862 MiB / 2.862 MiB, 100%, "));

  // --stats 0: no stats at the end when nothing failed.
  ours = t.Cvclone({"copy", "src", "z1", "-v", "--stats", "0"});
  theirs = t.Rclone({"copy", "src", "z2", "-v", "--stats", "0"});
  CHECK(SortedLog(ours.err) == SortedLog(theirs.err));
  CHECK_FALSE(Contains(ours.err, "Transferred:"));

  // --log-level, and the flags rclone refuses together with it.
  ours = t.Cvclone({"sync", "src", "z1", "--log-level", "DEBUG", "--stats", "0"});
  CHECK_RUN_OK(ours);
  CHECK(Contains(ours.err, "DEBUG : one.txt: Unchanged skipping"));
  ProcessResult both = t.Cvclone({"ls", "src", "-v", "--log-level", "INFO"});
  CHECK(both.exit_code == 1);
  CHECK(Contains(both.err, "Can't set -v and --log-level"));
  ProcessResult bad = t.Cvclone({"ls", "src", "--log-level", "LOUD"});
  CHECK(bad.exit_code == 1);
  CHECK(Contains(bad.err, "invalid log level \"LOUD\""));
}

TEST_CASE("cli log: --log-file appends, --use-json-log writes rclone's JSON objects") {
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  test::RcloneRun t(Rclone());
  t.WriteConfig("");
  MakeTree(t, "src");
  REQUIRE(test::WriteFile(t.P("ours.log"), "before\n"));
  ProcessResult r = t.Cvclone({"copy", "src", "f1", "-v", "--log-file", t.P("ours.log")});
  CHECK_RUN_OK(r);
  CHECK(r.err.empty());  // everything went to the file
  const std::string log = test::ReadFile(t.P("ours.log")).value_or("");
  CHECK(log.rfind("before\n", 0) == 0);
  CHECK(Contains(log, "INFO  : a/two.txt: Copied (new)\n"));
  CHECK(Contains(log, "Elapsed time:  "));
  r = t.Cvclone({"copy", "src", "f1", "-v", "--log-file", t.P("ours.log")});
  CHECK(Contains(test::ReadFile(t.P("ours.log")).value_or(""), "Checks:                 3 / 3"));
  CHECK(Contains(test::ReadFile(t.P("ours.log")).value_or(""), "INFO  : a/two.txt: Copied"));

  ProcessResult ours = t.Cvclone({"copy", "src", "j1", "-v", "--use-json-log", "--stats", "0"});
  ProcessResult theirs = t.Rclone({"copy", "src", "j2", "-v", "--use-json-log", "--stats", "0"});
  CHECK_RUN_OK(ours);
  // The fields both write, per line: level, msg, object, and a time of the same shape.
  auto fields = [](const std::string& err) {
    std::vector<std::string> out;
    const std::regex level(R"re("level":"([a-z]+)")re"), msg(R"re("msg":"([^"]*)")re"),
        object(R"re("object":"([^"]*)")re"),
        time(R"re("time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+[+-]\d\d:\d\d")re");
    for (const std::string& line : Lines(err)) {
      std::smatch l, m, o;
      CHECK_MESSAGE(line.front() == '{', line);
      CHECK_MESSAGE(std::regex_search(line, time), line);
      if (!std::regex_search(line, l, level) || !std::regex_search(line, m, msg)) continue;
      std::string obj = std::regex_search(line, o, object) ? o[1].str() : "";
      out.push_back(l[1].str() + "|" + m[1].str() + "|" + obj);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  CHECK(fields(ours.err) == fields(theirs.err));
  CHECK(Contains(ours.err, R"x({"level":"info","msg":"Copied (new)","object":"a/b/three.bin",)x"));
}

TEST_CASE("cli stats: failed files count as not transferred, Errors equals the files that failed") {
  test::TempDir dir;
  const std::string conf = dir.Path("c.conf");
  REQUIRE(test::WriteFile(conf, ""));
  // Names with control characters are refused by a local destination: two files fail.
  REQUIRE(test::WriteFile(dir.Path("src/good.txt"), "good"));
  REQUIRE(test::WriteFile(dir.Path("src/bad\x1b.txt"), "bad"));
  REQUIRE(test::WriteFile(dir.Path("src/also\x07.txt"), "bad"));
  test::ProcessOptions opts = test::IsolatedOptions(dir.path());
  ProcessResult r = test::RunProcess(CVCLONE_BINARY_DIR "/cvclone",
                                     {"--config", conf, "copy", "src", "dst", "-v"}, opts);
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(Contains(r.err, "\nErrors:                 2 (no need to retry)\n"), r.err);
  CHECK_MESSAGE(Contains(r.err, "\nTransferred:            1 / 3, 33%\n"), r.err);
  // Without -v the stats stay out of the way (INFO), the errors do not.
  r = test::RunProcess(CVCLONE_BINARY_DIR "/cvclone", {"--config", conf, "copy", "src", "dst2"},
                       opts);
  CHECK_FALSE(Contains(r.err, "Transferred:"));
  CHECK(std::regex_search(r.err,
                          std::regex(R"(\d\d:\d\d:\d\d ERROR : bad\\x1b\.txt: Failed to copy)")));
}

TEST_CASE(
    "cli stats: -P without a terminal prints the final block only, on one it redraws in place") {
  test::TempDir dir;
  const std::string conf = dir.Path("c.conf");
  REQUIRE(test::WriteFile(conf, ""));
  REQUIRE(test::WriteFile(dir.Path("src/" + std::string(120, 'n') + ".txt"), "x"));
  REQUIRE(test::WriteFile(dir.Path("src/small.txt"), "x"));
  test::ProcessOptions opts = test::IsolatedOptions(dir.path());
  ProcessResult r = test::RunProcess(CVCLONE_BINARY_DIR "/cvclone",
                                     {"--config", conf, "copy", "src", "dst", "-P"}, opts);
  CHECK_RUN_OK(r);
  // On stdout, as rclone's.
  CHECK(r.out.find('\x1b') == std::string::npos);
  CHECK(r.out.find('\r') == std::string::npos);
  CHECK(r.out.rfind("Transferred:   \t", 0) == 0);
  CHECK(Contains(r.out, "\nTransferred:            2 / 2, 100%\n"));
  CHECK_FALSE(Contains(r.err, "Transferred:"));

  // On a terminal 80 columns wide (script(1) gives the run a pseudo-terminal): the display is
  // erased and redrawn in place, and no line is wider than the terminal.
  const std::string script = test::FindOnPath("script");
  if (script.empty()) {
    MESSAGE("script(1) is not installed: the terminal half is skipped");
    return;
  }
  const std::string command = "stty cols 80 rows 24; " CVCLONE_BINARY_DIR "/cvclone --config " +
                              conf + " copy src dst3 -P -v 2>&1";
  r = test::RunProcess(script, {"-q", "-e", "-c", command, "/dev/null"}, opts);
  CHECK_RUN_OK(r);
  CHECK(Contains(r.out, "\r\x1b[2K"));  // cleared before each log line and at the end
  CHECK(Contains(r.out, "Copied (new)"));
  CHECK(Contains(r.out, "Transferred:            2 / 2, 100%"));
  // Each line as the terminal shows it: after the last CR or erase, tabs expanded.
  for (std::string line : Lines(r.out)) {
    const size_t cr = line.rfind('\r');
    if (cr != std::string::npos) line = line.substr(cr + 1);
    line = std::regex_replace(line, std::regex("\x1b\\[[0-9;]*[A-Za-z]"), "");
    size_t col = 0;
    for (char c : line) {
      if (c == '\t') {
        col = (col / 8 + 1) * 8;
      } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
        ++col;
      }
    }
    // Log lines name a 124-character file and may wrap, as rclone's do; the display may not.
    if (Contains(line, "Copied (new)")) continue;
    CHECK_MESSAGE(col < 80, line);
  }
}

TEST_CASE("cli help: COMMAND --help lists the command's flags and the global ones") {
  test::TempDir dir;
  test::ProcessOptions opts = test::IsolatedOptions(dir.path());
  ProcessResult r = test::RunProcess(CVCLONE_BINARY_DIR "/cvclone", {"copy", "--help"}, opts);
  CHECK_RUN_OK(r);
  for (const char* flag : {"--log-file",        "--log-level",    "--use-json-log",
                           "--syslog",          "--stats ",       "--stats-one-line",
                           "--stats-log-level", "--exclude-from", "--include-from",
                           "--filter-from",     "--files-from ",  "--files-from-raw",
                           "--max-age",         "--min-age",      "--exclude-if-present",
                           "--delete-excluded", "--max-depth",    "--ignore-case",
                           "--dry-run",         "--checksum"}) {
    CHECK_MESSAGE(Contains(r.out, flag), flag);
  }
  r = test::RunProcess(CVCLONE_BINARY_DIR "/cvclone", {"cat", "--help"}, opts);
  CHECK(Contains(r.out, "Flags:\n"));
  CHECK(Contains(r.out, "--offset"));
}

}  // namespace
}  // namespace cvclone
