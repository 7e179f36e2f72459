// Transfers (issue 17): rclone's transfer flags on local folders, each compared with Debian's
// rclone run on the same trees in the same test (the trees left behind, exit codes), plus what
// rclone cannot be asked about (S3, crypt, our refusal to replace a file whose backup failed).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/support/cli.hpp"
#include "tests/support/process.hpp"
#include "tests/support/rclone_run.hpp"
#include "tests/support/s3_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone {
namespace {

using test::ProcessResult;

using test::Contains;

std::string Rclone() { return test::FindOnPath("rclone"); }

// The modification time (seconds) of every file under root.
std::map<std::string, time_t> Mtimes(const std::string& root) {
  std::map<std::string, time_t> out;
  for (const auto& [path, body] : test::ReadTree(root)) {
    struct stat st {};
    if (::stat((root + "/" + path).c_str(), &st) == 0) out[path] = st.st_mtime;
  }
  return out;
}

using test::k2020;
using test::k2022;
using test::SetMtime;

// A source and a destination under `rel`: files changed, unchanged, only in the source, only
// in the destination, at two depths, with one and two extensions.
void MakeTrees(const test::RcloneRun& t, const std::string& rel) {
  const std::vector<std::pair<std::string, std::string>> src = {{"a.txt", "new a"},
                                                                {"same.txt", "same"},
                                                                {"sub/b.tar.gz", "new b, longer"},
                                                                {"c.txt", "only in src"},
                                                                {".hidden", "new hidden"}};
  const std::vector<std::pair<std::string, std::string>> dst = {{"a.txt", "old"},
                                                                {"same.txt", "same"},
                                                                {"sub/b.tar.gz", "old b"},
                                                                {"gone.txt", "only in dst"},
                                                                {"sub/gone.log", "only in dst too"},
                                                                {".hidden", "old"}};
  for (const auto& [path, body] : src) {
    REQUIRE(test::WriteFile(t.P(rel + "/src/" + path), body));
    SetMtime(t.P(rel + "/src/" + path), k2022);
  }
  for (const auto& [path, body] : dst) {
    REQUIRE(test::WriteFile(t.P(rel + "/dst/" + path), body));
    SetMtime(t.P(rel + "/dst/" + path), k2020);
  }
  SetMtime(t.P(rel + "/dst/same.txt"), k2022);
  // Same size, mtimes a second apart: equal within --modify-window 2s; touch.txt: same bytes,
  // another mtime (fixed up unless --no-update-modtime).
  REQUIRE(test::WriteFile(t.P(rel + "/src/win.txt"), "abc"));
  REQUIRE(test::WriteFile(t.P(rel + "/dst/win.txt"), "xyz"));
  SetMtime(t.P(rel + "/src/win.txt"), k2022);
  SetMtime(t.P(rel + "/dst/win.txt"), k2022 + 1);
  REQUIRE(test::WriteFile(t.P(rel + "/src/touch.txt"), "touch"));
  REQUIRE(test::WriteFile(t.P(rel + "/dst/touch.txt"), "touch"));
  SetMtime(t.P(rel + "/src/touch.txt"), k2022);
  SetMtime(t.P(rel + "/dst/touch.txt"), k2020);
  // For --compare-dest and --copy-dest: a.txt equal to the source's, c.txt not.
  const std::vector<std::pair<std::string, std::string>> cmp = {
      {"a.txt", "new a"}, {"c.txt", "other"}, {"sub/b.tar.gz", "new b, longer"}};
  for (const auto& [path, body] : cmp) {
    REQUIRE(test::WriteFile(t.P(rel + "/cmp/" + path), body));
    SetMtime(t.P(rel + "/cmp/" + path), k2022);
  }
  // Empty directories, for --create-empty-src-dirs and --delete-empty-src-dirs.
  for (const char* dir : {"/src/empty/deeper", "/src/sub/empty", "/src/skipped", "/dst/olddir"}) {
    std::error_code ec;
    std::filesystem::create_directories(t.P(rel + dir), ec);
    REQUIRE_FALSE(ec);
  }
}

// Runs `args` (with {} standing for the case's folder) with both tools on twin trees: the same
// exit code, and the same files left in the case's folder (source, destination, backups).
void SameAsRclone(const test::RcloneRun& t, const std::string& name,
                  const std::vector<std::string>& args) {
  const std::string ours = name + "-ours", theirs = name + "-rclone";
  MakeTrees(t, ours);
  MakeTrees(t, theirs);
  auto with = [&](const std::string& dir) {
    std::vector<std::string> out;
    for (const std::string& a : args) {
      std::string v = a;
      for (size_t at = v.find("{}"); at != std::string::npos; at = v.find("{}")) {
        v.replace(at, 2, dir);
      }
      out.push_back(v);
    }
    return out;
  };
  ProcessResult r1 = t.Cvclone(with(ours));
  ProcessResult r2 = t.Rclone(with(theirs));
  INFO("case ", name, "\ncvclone: ", r1.err, "\nrclone: ", r2.err);
  CHECK(r1.exit_code == r2.exit_code);
  CHECK(test::ReadTree(t.P(ours)) == test::ReadTree(t.P(theirs)));
  CHECK(test::ListTree(t.P(ours)) == test::ListTree(t.P(theirs)));
  CHECK(Mtimes(t.P(ours + "/dst")) == Mtimes(t.P(theirs + "/dst")));
}

TEST_CASE("cli transfers: --backup-dir and --suffix leave what rclone leaves") {
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  test::RcloneRun t(Rclone());
  t.WriteConfig("");
  SameAsRclone(t, "sync-dir", {"sync", "{}/src", "{}/dst", "--backup-dir", "{}/old"});
  SameAsRclone(t, "copy-dir", {"copy", "{}/src", "{}/dst", "--backup-dir", "{}/old"});
  SameAsRclone(t, "move-dir", {"move", "{}/src", "{}/dst", "--backup-dir", "{}/old"});
  SameAsRclone(t, "sync-dir-suffix",
               {"sync", "{}/src", "{}/dst", "--backup-dir", "{}/old", "--suffix", ".1"});
  SameAsRclone(t, "sync-keep-ext",
               {"sync", "{}/src", "{}/dst", "--backup-dir", "{}/old", "--suffix", "-2019",
                "--suffix-keep-extension"});
  SameAsRclone(t, "copy-suffix", {"copy", "{}/src", "{}/dst", "--suffix", ".bak"});
  SameAsRclone(t, "sync-suffix-kept",
               {"sync", "{}/src", "{}/dst", "--suffix", "~", "--suffix-keep-extension"});
  // Inside the destination, where the filter keeps the walk out of it.
  SameAsRclone(t, "sync-inside-excluded",
               {"sync", "{}/src", "{}/dst", "--backup-dir", "{}/dst/old", "--exclude", "/old/**"});
  SameAsRclone(t, "copyto", {"copyto", "{}/src/a.txt", "{}/dst/a.txt", "--backup-dir", "{}/old"});
  SameAsRclone(t, "moveto-suffix",
               {"moveto", "{}/src/sub/b.tar.gz", "{}/dst/sub/b.tar.gz", "--suffix", ".old"});
  SameAsRclone(t, "copy-file", {"copy", "{}/src/a.txt", "{}/dst", "--backup-dir", "{}/old"});
  SameAsRclone(t, "dry-run", {"sync", "{}/src", "{}/dst", "--backup-dir", "{}/old", "-n"});
  // rclone's refusals (fatal: exit 7, nothing changed).
  SameAsRclone(t, "overlap-dst", {"sync", "{}/src", "{}/dst", "--backup-dir", "{}/dst/old"});
  SameAsRclone(t, "overlap-dst-copy", {"copy", "{}/src", "{}/dst", "--backup-dir", "{}/dst/o"});
  SameAsRclone(t, "dst-inside", {"sync", "{}/src", "{}/dst", "--backup-dir", "{}"});
  SameAsRclone(t, "overlap-src", {"sync", "{}/src", "{}/dst", "--backup-dir", "{}/src/old"});
  SameAsRclone(t, "copyto-same",
               {"copyto", "{}/src/a.txt", "{}/dst/a.txt", "--backup-dir", "{}/dst"});
  SameAsRclone(
      t, "copyto-same-suffix",
      {"copyto", "{}/src/a.txt", "{}/dst/a.txt", "--backup-dir", "{}/dst", "--suffix", ".b"});
}

TEST_CASE("cli transfers: --backup-dir logs, counts and refuses as rclone does") {
  test::TempDir dir;
  const std::string conf = dir.Path("c.conf");
  REQUIRE(test::WriteFile(conf, ""));
  REQUIRE(test::WriteFile(dir.Path("src/a.txt"), "new a"));
  REQUIRE(test::WriteFile(dir.Path("dst/a.txt"), "old"));
  REQUIRE(test::WriteFile(dir.Path("dst/gone.txt"), "gone"));
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", conf});
    return test::RunProcess(CVCLONE_BINARY_DIR "/cvclone", args, test::IsolatedOptions(dir.path()));
  };
  ProcessResult r = run({"sync", "src", "dst", "--backup-dir", "old", "--suffix", ".1", "-v"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.err, "INFO  : a.txt: Moved (server-side) to: a.txt.1\n"));
  CHECK(Contains(r.err, "INFO  : a.txt: Copied (new)\n"));
  CHECK(Contains(r.err, "INFO  : gone.txt: Moved (server-side) to: gone.txt.1\n"));
  CHECK(Contains(r.err, "INFO  : gone.txt: Moved into backup dir\n"));
  CHECK(Contains(r.err, "Renamed:                2\n"));
  CHECK(Contains(r.err, "Deleted:                1 (files), 0 (dirs)\n"));
  CHECK(test::ReadTree(dir.Path("old")) ==
        std::map<std::string, std::string>{{"a.txt.1", "old"}, {"gone.txt.1", "gone"}});

  r = run({"sync", "src", "dst", "--backup-dir", "dst/old"});
  CHECK(r.exit_code == 7);
  CHECK(Contains(r.err, "destination and parameter to --backup-dir mustn't overlap"));
  r = run({"copy", "src", "dst", "--backup-dir", "nowhere:x"});
  CHECK(r.exit_code != 0);
  CHECK(Contains(r.err, "failed to make fs for --backup-dir \"nowhere:x\""));

  for (const char* command : {"copy", "sync", "move", "copyto", "moveto"}) {
    r = run({command, "--help"});
    CHECK(r.exit_code == 0);
    CHECK(Contains(r.out, "--backup-dir DIR"));
    CHECK(Contains(r.out, "--suffix-keep-extension"));
  }
  r = run({"lsf", "src", "--backup-dir", "old"});
  CHECK(r.exit_code == 1);
}

TEST_CASE("cli transfers: --compare-dest, empty directories as rclone") {
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  test::RcloneRun t(Rclone());
  t.WriteConfig("");
  SameAsRclone(t, "compare-sync", {"sync", "{}/src", "{}/dst", "--compare-dest", "{}/cmp"});
  SameAsRclone(t, "compare-copy", {"copy", "{}/src", "{}/dst", "--compare-dest", "{}/cmp"});
  SameAsRclone(t, "compare-two",
               {"copy", "{}/src", "{}/dst", "--compare-dest", "{}/x", "--compare-dest", "{}/cmp"});
  SameAsRclone(t, "compare-move", {"move", "{}/src", "{}/dst", "--compare-dest", "{}/cmp"});
  SameAsRclone(t, "compare-and-copy",
               {"copy", "{}/src", "{}/dst", "--compare-dest", "{}/cmp", "--copy-dest", "{}/cmp"});
  SameAsRclone(t, "create-copy",
               {"copy", "{}/src", "{}/dst", "--create-empty-src-dirs", "--exclude", "/skipped/**"});
  SameAsRclone(t, "create-sync", {"sync", "{}/src", "{}/dst", "--create-empty-src-dirs"});
  SameAsRclone(t, "plain-move", {"move", "{}/src", "{}/dst"});
  SameAsRclone(t, "move-delete", {"move", "{}/src", "{}/dst", "--delete-empty-src-dirs"});
  SameAsRclone(t, "move-both",
               {"move", "{}/src", "{}/dst", "--delete-empty-src-dirs", "--create-empty-src-dirs"});
}

TEST_CASE("cli transfers: --delete-before/-during/-after as rclone") {
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  test::RcloneRun t(Rclone());
  t.WriteConfig("");
  for (const char* mode : {"--delete-before", "--delete-during", "--delete-after"}) {
    SameAsRclone(t, std::string("mode") + mode, {"sync", "{}/src", "{}/dst", mode});
    SameAsRclone(t, std::string("mode-backup") + mode,
                 {"sync", "{}/src", "{}/dst", mode, "--backup-dir", "{}/old"});
  }
  SameAsRclone(t, "two-modes", {"sync", "{}/src", "{}/dst", "--delete-before", "--delete-after"});
  // Fatal (exit 7); with a limit of 0 the result does not depend on the order of deletions.
  SameAsRclone(t, "max-delete", {"sync", "{}/src", "{}/dst", "--max-delete", "0"});
  // A failing transfer: a directory in the way of c.txt. After: nothing deleted. Before: the
  // first pass deletes (the directory too), then the copy succeeds.
  for (const char* mode : {"--delete-before", "--delete-after"}) {
    const std::string name = std::string("failing") + mode;
    for (const std::string& side : {name + "-ours", name + "-rclone"}) {
      REQUIRE(test::WriteFile(t.P(side + "/dst/c.txt/x"), "in the way"));
    }
    SameAsRclone(t, name, {"sync", "{}/src", "{}/dst", mode, "--retries", "1"});
  }
}

TEST_CASE("cli transfers: --immutable, --modify-window, --no-update-modtime as rclone") {
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  test::RcloneRun t(Rclone());
  t.WriteConfig("");
  SameAsRclone(t, "immutable", {"sync", "{}/src", "{}/dst", "--immutable"});
  SameAsRclone(t, "window", {"copy", "{}/src", "{}/dst", "--modify-window", "2s"});
  SameAsRclone(t, "no-window", {"copy", "{}/src", "{}/dst", "--modify-window", "500ms"});
  SameAsRclone(t, "no-update-modtime", {"copy", "{}/src", "{}/dst", "--no-update-modtime"});
  SameAsRclone(t, "no-op-flags", {"sync", "{}/src", "{}/dst", "--fast-list", "--no-traverse"});
}

TEST_CASE("cli transfers: --inplace is refused with its reason") {
  test::TempDir dir;
  REQUIRE(test::WriteFile(dir.Path("c.conf"), ""));
  REQUIRE(test::WriteFile(dir.Path("src/a.txt"), "a"));
  ProcessResult r =
      test::RunProcess(CVCLONE_BINARY_DIR "/cvclone",
                       {"--config", dir.Path("c.conf"), "copy", "src", "dst", "--inplace"},
                       test::IsolatedOptions(dir.path()));
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.err, "--inplace is not supported: cvclone stores each file atomically"));
  CHECK(test::ReadTree(dir.Path("dst")).empty());
}

TEST_CASE("cli transfers: --max-transfer and --cutoff-mode stop where rclone stops (exit 8)") {
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  test::RcloneRun t(Rclone());
  t.WriteConfig("");
  // Five files of 300 KiB, taken one at a time in name order; the limit falls inside the third.
  for (int i = 1; i <= 5; ++i) {
    REQUIRE(test::WriteFile(t.P("src/f" + std::to_string(i)), test::Pattern(300 << 10, i)));
  }
  for (const char* mode : {"hard", "soft", "cautious"}) {
    const std::string ours = std::string("ours-") + mode, theirs = std::string("rclone-") + mode;
    const std::vector<std::string> flags = {"--max-transfer", "700k", "--cutoff-mode", mode,
                                            "--transfers",    "1",    "--checkers",    "1"};
    std::vector<std::string> a = {"copy", "src", ours}, b = {"copy", "src", theirs};
    a.insert(a.end(), flags.begin(), flags.end());
    b.insert(b.end(), flags.begin(), flags.end());
    ProcessResult r1 = t.Cvclone(a), r2 = t.Rclone(b);
    INFO("mode ", mode, "\ncvclone: ", r1.err, "\nrclone: ", r2.err);
    CHECK(r1.exit_code == 8);
    CHECK(r2.exit_code == 8);
    CHECK(test::ReadTree(t.P(ours)) == test::ReadTree(t.P(theirs)));
  }
  // A sync cut off deletes nothing.
  REQUIRE(test::WriteFile(t.P("full/extra"), "extra"));
  ProcessResult r = t.Cvclone({"sync", "src", "full", "--max-transfer", "1", "--transfers", "1"});
  CHECK(r.exit_code == 8);
  CHECK(test::ReadTree(t.P("full")).count("extra") == 1);
  r = t.Cvclone({"copy", "src", "x", "--cutoff-mode", "sometimes"});
  CHECK(r.exit_code == 1);
}

TEST_CASE("cli transfers: --max-duration stops the run (exit 7), keeping whole files only") {
  test::TempDir dir;
  REQUIRE(test::WriteFile(dir.Path("c.conf"), ""));
  constexpr int kFiles = 300;
  for (int i = 0; i < kFiles; ++i) {
    REQUIRE(test::WriteFile(dir.Path("src/f" + std::to_string(i)), test::Pattern(4096, i)));
  }
  for (const char* mode : {"hard", "soft"}) {
    const std::string dst = std::string("dst-") + mode;
    ProcessResult r =
        test::RunProcess(CVCLONE_BINARY_DIR "/cvclone",
                         {"--config", dir.Path("c.conf"), "copy", "src", dst, "--max-duration",
                          "1ms", "--cutoff-mode", mode, "--transfers", "1"},
                         test::IsolatedOptions(dir.path()));
    INFO(mode, ": ", r.err);
    CHECK(r.exit_code == 7);
    CHECK(Contains(r.err, "max transfer duration reached as set by --max-duration"));
    const auto copied = test::ReadTree(dir.Path(dst));
    CHECK(copied.size() < static_cast<size_t>(kFiles));
    for (const auto& [path, body] : copied) {
      CHECK(body == test::Pattern(4096, static_cast<unsigned>(std::stoi(path.substr(1)))));
    }
  }
}

// rclone 1.60's local backend cannot copy server-side, so it refuses --copy-dest there; ours
// can.
TEST_CASE("cli transfers: --copy-dest copies server-side what is equal there") {
  test::TempDir dir;
  const std::string conf = dir.Path("c.conf");
  REQUIRE(test::WriteFile(conf, ""));
  REQUIRE(test::WriteFile(dir.Path("src/a.txt"), "new a"));
  REQUIRE(test::WriteFile(dir.Path("src/b.txt"), "new b"));
  // Equal to the source's by size and modification time, the comparison's rules, but not the
  // same bytes: what lands in dst shows where it was copied from.
  REQUIRE(test::WriteFile(dir.Path("cmp/a.txt"), "NEW A"));
  REQUIRE(test::WriteFile(dir.Path("cmp/b.txt"), "other"));
  REQUIRE(test::WriteFile(dir.Path("dst/a.txt"), "old"));
  SetMtime(dir.Path("src/a.txt"), k2022);
  SetMtime(dir.Path("cmp/a.txt"), k2022);
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", conf});
    return test::RunProcess(CVCLONE_BINARY_DIR "/cvclone", args, test::IsolatedOptions(dir.path()));
  };
  ProcessResult r = run({"sync", "src", "dst", "--copy-dest", "cmp", "--backup-dir", "old", "-v"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.err, "INFO  : a.txt: Copied (server-side copy)\n"));
  CHECK(Contains(r.err, "INFO  : b.txt: Copied (new)\n"));
  CHECK(Contains(r.err, "Transferred:            2 / 2, 100%"));
  CHECK(test::ReadTree(dir.Path("dst")) ==
        std::map<std::string, std::string>{{"a.txt", "NEW A"}, {"b.txt", "new b"}});
  CHECK(test::ReadTree(dir.Path("old")) == std::map<std::string, std::string>{{"a.txt", "old"}});
  CHECK(test::ReadTree(dir.Path("cmp")).size() == 2);

  r = run({"copy", "src", "dst2", "--copy-dest", "s3x:bucket"});
  CHECK(r.exit_code != 0);
  CHECK(Contains(r.err, "failed to make fs for --copy-dest \"s3x:bucket\""));
  r = run({"copyto", "src/a.txt", "dst/a.txt", "--copy-dest", "cmp"});
  CHECK(r.exit_code == 1);
  r = run({"copy", "src", "dst", "--delete-empty-src-dirs"});
  CHECK(r.exit_code == 1);
  r = run({"move", "--help"});
  CHECK(Contains(r.out, "--delete-empty-src-dirs"));
  CHECK(Contains(r.out, "--create-empty-src-dirs"));
  CHECK(Contains(r.out, "--compare-dest DIR"));
}

// Ours alone (rclone replaces the file anyway): a file whose backup cannot be made stays as it
// is, the run fails, and sync then deletes nothing.
TEST_CASE("cli transfers: a file whose backup fails is not replaced") {
  test::TempDir dir;
  const std::string conf = dir.Path("c.conf");
  REQUIRE(test::WriteFile(conf, ""));
  REQUIRE(test::WriteFile(dir.Path("src/a.txt"), "new a"));
  REQUIRE(test::WriteFile(dir.Path("src/b.txt"), "new b"));
  REQUIRE(test::WriteFile(dir.Path("dst/a.txt"), "old a"));
  REQUIRE(test::WriteFile(dir.Path("dst/b.txt"), "old b"));
  REQUIRE(test::WriteFile(dir.Path("dst/gone.txt"), "gone"));
  // A directory where a.txt's backup must go.
  REQUIRE(test::WriteFile(dir.Path("old/a.txt/in-the-way"), "x"));
  ProcessResult r = test::RunProcess(
      CVCLONE_BINARY_DIR "/cvclone",
      {"--config", conf, "sync", "src", "dst", "--backup-dir", "old", "--retries", "1"},
      test::IsolatedOptions(dir.path()));
  INFO(r.err);
  CHECK(r.exit_code != 0);
  CHECK(Contains(r.err, "a.txt: Failed to move into backup dir"));
  CHECK(Contains(r.err, "Not deleting files as there were IO errors"));
  CHECK(test::ReadTree(dir.Path("dst")) ==
        std::map<std::string, std::string>{
            {"a.txt", "old a"}, {"b.txt", "new b"}, {"gone.txt", "gone"}});
  CHECK(test::ReadTree(dir.Path("old")) ==
        std::map<std::string, std::string>{{"a.txt/in-the-way", "x"}, {"b.txt", "old b"}});
}

}  // namespace
}  // namespace cvclone

namespace cvclone {
namespace {

// S3 has no server-side move: a backup there is a server-side copy, then a delete; crypt over S3
// moves the encrypted objects the same way.
TEST_CASE("cli transfers [any server]: --backup-dir on S3 and crypt over S3") {
  std::string why;
  const test::S3TestServer* server = test::SharedS3Server(&why);
  REQUIRE_MESSAGE(server != nullptr, why);
  test::TempDir dir;
  const std::string conf = dir.Path("c.conf");
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", conf});
    return test::RunProcess(CVCLONE_BINARY_DIR "/cvclone", args, test::IsolatedOptions(dir.path()));
  };
  REQUIRE(test::WriteFile(conf, test::S3ConfigSection("s3", *server)));
  ProcessResult obscured = run({"obscure", "backup pässword"});
  REQUIRE(obscured.exit_code == 0);
  const std::string bucket = test::UniqueName("bk");
  REQUIRE(test::WriteFile(
      conf, test::S3ConfigSection("s3", *server) + "\n[sc]\ntype = crypt\nremote = s3:" + bucket +
                "/enc\npassword = " + obscured.out.substr(0, obscured.out.find('\n')) + "\n"));
  REQUIRE(run({"mkdir", "s3:" + bucket}).exit_code == 0);
  for (const std::string& root : {"s3:" + bucket + "/", std::string("sc:")}) {
    INFO("remote ", root);
    REQUIRE(test::WriteFile(dir.Path("v1/a.txt"), "old a"));
    REQUIRE(test::WriteFile(dir.Path("v1/gone.txt"), "gone"));
    REQUIRE(test::WriteFile(dir.Path("v2/a.txt"), "new a, longer"));
    REQUIRE(run({"copy", "v1", root + "dst"}).exit_code == 0);
    ProcessResult r = run({"sync", "v2", root + "dst", "--backup-dir", root + "old", "-v"});
    CHECK(r.exit_code == 0);
    CHECK(Contains(r.err, "a.txt: Moved (server-side)"));
    CHECK(Contains(r.err, "gone.txt: Moved into backup dir"));
    CHECK(run({"cat", root + "dst/a.txt"}).out == "new a, longer");
    CHECK(run({"cat", root + "old/a.txt"}).out == "old a");
    CHECK(run({"cat", root + "old/gone.txt"}).out == "gone");
    CHECK(run({"lsf", root + "dst"}).out == "a.txt\n");
    // rclone's refusals: inside the destination, or on another remote.
    r = run({"sync", "v2", root + "dst", "--backup-dir", root + "dst/old"});
    CHECK(r.exit_code == 7);
    CHECK(Contains(r.err, "destination and parameter to --backup-dir mustn't overlap"));
    r = run({"sync", "v2", root + "dst", "--backup-dir", dir.Path("local-old")});
    CHECK(r.exit_code == 7);
    CHECK(Contains(r.err, "parameter to --backup-dir has to be on the same remote as destination"));
    for (const char* path : {"v1", "v2"}) std::filesystem::remove_all(dir.Path(path));
  }
}

// rclone's global network flags reach the S3 backend's options.
TEST_CASE("cli transfers: --low-level-retries, --timeout, --contimeout set the S3 options") {
  std::string why;
  const test::S3TestServer* server = test::SharedS3Server(&why);
  REQUIRE_MESSAGE(server != nullptr, why);
  test::TempDir dir;
  const std::string conf = dir.Path("c.conf");
  REQUIRE(test::WriteFile(conf, test::S3ConfigSection("s3", *server)));
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", conf});
    return test::RunProcess(CVCLONE_BINARY_DIR "/cvclone", args, test::IsolatedOptions(dir.path()));
  };
  const std::string bucket = test::UniqueName("llr");
  REQUIRE(test::WriteFile(dir.Path("a.txt"), "a"));
  REQUIRE(run({"copy", "a.txt", "s3:" + bucket}).exit_code == 0);
  ProcessResult r = run({"cat", "s3:" + bucket + "/a.txt", "--timeout", "later"});
  CHECK(r.exit_code == 6);
  CHECK(Contains(r.err, "s3: option timeout: \"later\" is not a duration"));
  r = run({"cat", "s3:" + bucket + "/a.txt", "--contimeout", "later"});
  CHECK(r.exit_code == 6);
  CHECK(Contains(r.err, "s3: option connect_timeout: \"later\" is not a duration"));
  r = run({"cat", "s3:" + bucket + "/a.txt", "--timeout", "1m", "--contimeout", "10s"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "a");
  if (!server->InjectFault(R"({"kind":"500","count":1,"match":"/)" + bucket + R"(/a.txt"})")) {
    MESSAGE("no fault injection on this server: --low-level-retries not checked");
    return;
  }
  r = run({"cat", "s3:" + bucket + "/a.txt", "--low-level-retries", "1"});
  INFO(r.err);
  CHECK(r.exit_code != 0);
  CHECK(r.exit_code != 2);  // the flag was taken; the request was not retried
  REQUIRE(server->InjectFault(R"({"kind":"500","count":1,"match":"/)" + bucket + R"(/a.txt"})"));
  r = run({"cat", "s3:" + bucket + "/a.txt"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "a");
  (void)server->ClearFaults();
}

}  // namespace
}  // namespace cvclone
