// CLI tests of symbolic links in the local backend: a link inside the destination never
// redirects a write unless -L/--copy-links says to follow links; rclone's -L, -l/--links,
// --skip-links and -x/--one-file-system.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace cvclone {
namespace {

namespace fs = std::filesystem;
using test::ProcessResult;

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Runs cvclone in a fresh temporary directory (its working directory), with an empty config.
class Cli {
 public:
  Cli() : conf_(dir_.Path("cvclone.conf")) { REQUIRE(test::WriteFile(conf_, "")); }
  const test::TempDir& dir() const { return dir_; }
  fs::path P(const std::string& rel) const { return fs::path(dir_.Path(rel)); }

  ProcessResult Run(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--config", conf_});
    return RunProgram(CVCLONE_BINARY_DIR "/cvclone", args);
  }
  ProcessResult RunProgram(const std::string& program, const std::vector<std::string>& args) const {
    test::ProcessOptions opts = test::IsolatedOptions(dir_.path());
    ProcessResult r = test::RunProcess(program, args, opts);
    REQUIRE_MESSAGE(r.error.empty(), r.error);
    return r;
  }
  // Every path under rel (relative to it), recursively, without following links.
  std::set<std::string> Tree(const std::string& rel) const {
    std::set<std::string> out;
    std::error_code ec;
    const fs::path root = P(rel);
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      out.insert(fs::relative(it->path(), root).string());
    }
    return out;
  }

 private:
  test::TempDir dir_;
  std::string conf_;
};

// src: top.txt, sub/f.txt. dst: sub -> ../outside (empty), extra.txt (not in the source).
void MakeLinkedDestination(const Cli& cli) {
  REQUIRE(cli.dir().WriteFile("src/top.txt", "top"));
  REQUIRE(cli.dir().WriteFile("src/sub/f.txt", "payload"));
  REQUIRE(cli.dir().MakeDir("outside"));
  REQUIRE(cli.dir().WriteFile("dst/extra.txt", "extra"));
  fs::create_directory_symlink("../outside", cli.P("dst/sub"));
}

TEST_CASE("cli local symlinks: copy and sync never write through a directory link in dst") {
  Cli cli;
  MakeLinkedDestination(cli);
  for (const char* command : {"copy", "sync", "sync"}) {
    CAPTURE(std::string(command));
    auto r = cli.Run({command, "src", "dst"});
    CHECK(r.exit_code != 0);
    CHECK_MESSAGE(Contains(r.err,
                           "dst/sub is a symbolic link; not writing through it (use "
                           "-L/--copy-links to follow links)"),
                  r.err);
    CHECK(cli.Tree("outside").empty());
    CHECK(fs::is_symlink(cli.P("dst/sub")));
    CHECK(cli.dir().ReadFile("dst/top.txt") == "top");  // the rest is copied
    // An error was counted: sync deletes nothing.
    CHECK(cli.dir().Exists("dst/extra.txt"));
  }
}

TEST_CASE("cli local symlinks: with -L the user chose to follow, and writes follow") {
  for (const char* flag : {"-L", "--copy-links", "--local-copy-links"}) {
    CAPTURE(std::string(flag));
    Cli cli;
    MakeLinkedDestination(cli);
    auto r = cli.Run({"copy", flag, "src", "dst"});
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(cli.dir().ReadFile("outside/f.txt") == "payload");
    CHECK(fs::is_symlink(cli.P("dst/sub")));
    // A second run finds the file through the link: nothing to do, nothing deleted.
    auto again = cli.Run({"sync", flag, "-v", "src", "dst"});
    CHECK_MESSAGE(again.exit_code == 0, again.err);
    CHECK_FALSE(Contains(again.err, "Copied"));
    CHECK(cli.dir().ReadFile("outside/f.txt") == "payload");
  }
}

// src: plain.txt, flink -> ../data/x.txt, dlink -> ../data (data holds x.txt).
void MakeLinkedSource(const Cli& cli) {
  REQUIRE(cli.dir().WriteFile("src/plain.txt", "plain"));
  REQUIRE(cli.dir().WriteFile("data/x.txt", "xdata"));
  fs::create_symlink("../data/x.txt", cli.P("src/flink"));
  fs::create_directory_symlink("../data", cli.P("src/dlink"));
}

TEST_CASE("cli local symlinks: a source link is skipped with a notice, followed with -L") {
  Cli cli;
  MakeLinkedSource(cli);
  auto r = cli.Run({"copy", "src", "plain"});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(cli.Tree("plain") == std::set<std::string>{"plain.txt"});
  CHECK_MESSAGE(Contains(r.err, "src/flink"), r.err);
  CHECK_MESSAGE(Contains(r.err, "src/dlink"), r.err);
  CHECK(Contains(r.err, "-L/--copy-links"));

  auto quiet = cli.Run({"copy", "--skip-links", "src", "quiet"});
  CHECK_MESSAGE(quiet.exit_code == 0, quiet.err);
  CHECK(cli.Tree("quiet") == std::set<std::string>{"plain.txt"});
  CHECK_MESSAGE(!Contains(quiet.err, "flink"), quiet.err);
  CHECK_MESSAGE(!Contains(quiet.err, "dlink"), quiet.err);

  auto followed = cli.Run({"copy", "-L", "src", "followed"});
  CHECK_MESSAGE(followed.exit_code == 0, followed.err);
  CHECK(cli.Tree("followed") ==
        std::set<std::string>{"plain.txt", "flink", "dlink", "dlink/x.txt"});
  CHECK(cli.dir().ReadFile("followed/flink") == "xdata");
  CHECK(cli.dir().ReadFile("followed/dlink/x.txt") == "xdata");
  CHECK_FALSE(fs::is_symlink(cli.P("followed/flink")));
}

TEST_CASE("cli local symlinks: -l/--links copies links as .rclonelink files and back") {
  Cli cli;
  MakeLinkedSource(cli);
  auto ls = cli.Run({"lsf", "-l", "src"});
  CHECK_MESSAGE(ls.exit_code == 0, ls.err);
  CHECK(ls.out == "dlink.rclonelink\nflink.rclonelink\nplain.txt\n");

  // A link becomes a file holding its target (no newline) where links are not kept (the
  // option in the remote string applies to that remote alone)...
  auto out = cli.Run({"copy", ":local,links=true:src", "mid"});
  CHECK_MESSAGE(out.exit_code == 0, out.err);
  CHECK(cli.Tree("mid") ==
        std::set<std::string>{"plain.txt", "flink.rclonelink", "dlink.rclonelink"});
  CHECK(cli.dir().ReadFile("mid/flink.rclonelink") == "../data/x.txt");
  CHECK(cli.dir().ReadFile("mid/dlink.rclonelink") == "../data");
  // ...and a link again where they are.
  auto back = cli.Run({"copy", "mid", ":local,links=true:back"});
  CHECK_MESSAGE(back.exit_code == 0, back.err);
  CHECK(fs::is_symlink(cli.P("back/flink")));
  CHECK(fs::read_symlink(cli.P("back/flink")) == "../data/x.txt");
  CHECK(fs::is_symlink(cli.P("back/dlink")));
  CHECK(fs::read_symlink(cli.P("back/dlink")) == "../data");
  CHECK(cli.dir().ReadFile("back/plain.txt") == "plain");
  // Unchanged links are not copied again.
  auto again = cli.Run({"sync", "-v", "mid", ":local,links=true:back"});
  CHECK_MESSAGE(again.exit_code == 0, again.err);
  CHECK_MESSAGE(!Contains(again.err, "Copied"), again.err);
  // local to local with links on both sides.
  auto direct = cli.Run({"sync", "-l", "src", "direct"});
  CHECK_MESSAGE(direct.exit_code == 0, direct.err);
  CHECK(fs::read_symlink(cli.P("direct/dlink")) == "../data");
  CHECK(fs::read_symlink(cli.P("direct/flink")) == "../data/x.txt");

  auto both = cli.Run({"copy", "-l", "-L", "src", "never"});
  CHECK(both.exit_code != 0);
  CHECK_MESSAGE(Contains(both.err, "can't use -l/--links with -L/--copy-links"), both.err);
  CHECK_FALSE(cli.dir().Exists("never"));
}

// A tmpfs mounted inside the source, in a mount namespace of the test's own (needs root and
// unshare(1)); elsewhere the device comparison is tested at the backend level only.
TEST_CASE("cli local symlinks: -x/--one-file-system does not descend into another filesystem") {
  Cli cli;
  if (::geteuid() != 0 || !fs::exists("/usr/bin/unshare")) {
    MESSAGE("needs root and unshare to mount a tmpfs; see local_links_test.cpp");
    return;
  }
  REQUIRE(cli.dir().WriteFile("src/here.txt", "here"));
  REQUIRE(cli.dir().MakeDir("src/mnt"));
  const std::string script =
      "mount -t tmpfs tmpfs src/mnt && echo there > src/mnt/there.txt && "
      "\"$0\" --config cvclone.conf copy -x src onefs && "
      "\"$0\" --config cvclone.conf copy --one-file-system src onefs2 && "
      "\"$0\" --config cvclone.conf copy src all";
  auto r = cli.RunProgram("/usr/bin/unshare",
                          {"-m", "/bin/sh", "-c", script, CVCLONE_BINARY_DIR "/cvclone"});
  if (r.exit_code != 0 && Contains(r.err, "mount")) {
    MESSAGE("cannot mount a tmpfs here: " << r.err);
    return;
  }
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(cli.Tree("onefs") == std::set<std::string>{"here.txt"});
  CHECK(cli.Tree("onefs2") == std::set<std::string>{"here.txt"});
  CHECK(cli.Tree("all") == std::set<std::string>{"here.txt", "mnt", "mnt/there.txt"});
}

TEST_CASE("cli local symlinks: the flags are listed in help") {
  Cli cli;
  auto r = cli.Run({"help"});
  CHECK(r.exit_code == 0);
  for (const std::string flag :
       {"-L, --copy-links", "-l, --links", "--skip-links", "-x, --one-file-system"}) {
    CHECK_MESSAGE(Contains(r.out, flag), flag);
  }
  auto backends = cli.Run({"help", "backends"});
  CHECK(backends.exit_code == 0);
  for (const std::string flag :
       {"--local-copy-links", "--local-links", "--local-skip-links", "--local-one-file-system"}) {
    CHECK_MESSAGE(Contains(backends.out, flag), flag);
  }
}

}  // namespace
}  // namespace cvclone
