// CLI tests: run build/cvclone as a user would, each in a fresh temporary directory with
// --config pointing at a file there.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "commands/common.hpp"
#include "tests/support/fault_remote.hpp"
#include "tests/support/memory_remote.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace cvclone {
namespace {

using test::ProcessResult;

class Cli {
 public:
  Cli() : conf_(dir_.Path("cvclone.conf")) {}

  const test::TempDir& dir() const { return dir_; }
  std::string P(const std::string& rel) const { return dir_.Path(rel); }
  const std::string& conf() const { return conf_; }

  // Runs cvclone --config <conf> args... in the temp dir, in UTC.
  ProcessResult Run(std::vector<std::string> args,
                    const std::map<std::string, std::string>& env = {}) const {
    args.insert(args.begin(), {"--config", conf_});
    return RunRaw(args, env);
  }
  ProcessResult RunRaw(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env = {}) const {
    test::ProcessOptions opts;
    opts.set_env = env;
    opts.cwd = dir_.path();
    opts.set_env["TZ"] = "UTC";
    opts.unset_env = {"CVCLONE_CONFIG", "XDG_CONFIG_HOME", "CVCLONE_STATE_DIR", "XDG_STATE_HOME"};
    opts.set_env["HOME"] = dir_.path();
    ProcessResult r = test::RunProcess(CVCLONE_BINARY_DIR "/cvclone", args, opts);
    REQUIRE_MESSAGE(r.error.empty(), r.error);
    return r;
  }
  // A small tree under rel: a/one.txt, a/b/two.txt, three.txt, h.txt ("hello").
  void MakeTree(const std::string& rel) const {
    REQUIRE(dir_.WriteFile(rel + "/a/one.txt", "one\n"));
    REQUIRE(dir_.WriteFile(rel + "/a/b/two.txt", "second file\n"));
    REQUIRE(dir_.WriteFile(rel + "/three.txt", std::string(3000, 'x')));
    REQUIRE(dir_.WriteFile(rel + "/h.txt", "hello"));
  }
  void WriteConfig(const std::string& text) const { REQUIRE(test::WriteFile(conf_, text)); }

 private:
  test::TempDir dir_;
  std::string conf_;
};

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const char* const kCommands[] = {"copy",   "sync",  "check",  "move",    "copyto", "moveto",
                                 "ls",     "lsl",   "lsd",    "lsf",     "lsjson", "cat",
                                 "mkdir",  "rmdir", "delete", "purge",   "size",   "md5sum",
                                 "sha1sum", "config", "version", "help", "link"};

TEST_CASE("cli: version") {
  Cli cli;
  auto r = cli.Run({"version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("cvclone v0.1.0\n", 0) == 0);
}

TEST_CASE("cli: help lists commands, help CMD and help backends") {
  Cli cli;
  auto r = cli.Run({"help"});
  CHECK(r.exit_code == 0);
  for (const char* name : kCommands) CHECK_MESSAGE(Contains(r.out, name), name);
  CHECK(Contains(r.out, "--dry-run"));
  auto copy = cli.Run({"help", "copy"});
  CHECK(copy.exit_code == 0);
  CHECK(Contains(copy.out, "cvclone copy SOURCE DEST"));
  auto backends = cli.Run({"help", "backends"});
  CHECK(backends.exit_code == 0);
  CHECK(Contains(backends.out, "local"));
  auto top = cli.RunRaw({"--help"});
  CHECK(top.exit_code == 0);
  CHECK(Contains(top.out, "Commands:"));
}

TEST_CASE("cli: every command's --help exits 0 with usage and an example") {
  Cli cli;
  for (const char* name : kCommands) {
    auto r = cli.Run({name, "--help"});
    CHECK_MESSAGE(r.exit_code == 0, name);
    CHECK_MESSAGE(Contains(r.out, std::string("Usage:\n  cvclone ") + name), name);
    CHECK_MESSAGE(Contains(r.out, "Example"), name);
  }
}

TEST_CASE("cli: usage errors exit 1 with a hint, as rclone's") {
  Cli cli;
  auto unknown = cli.Run({"frobnicate"});
  CHECK(unknown.exit_code == 1);
  CHECK(Contains(unknown.err, "unknown command \"frobnicate\""));
  CHECK(Contains(unknown.err, "cvclone help"));

  auto flag = cli.Run({"copy", "--foo", "a", "b"});
  CHECK(flag.exit_code == 1);
  CHECK(Contains(flag.err, "unknown flag --foo for command copy; see 'cvclone copy --help'"));

  auto missing = cli.Run({"copy", "onlyone"});
  CHECK(missing.exit_code == 1);
  CHECK(Contains(missing.err, "Usage: cvclone copy SOURCE DEST"));

  auto extra = cli.Run({"ls", "a", "b"});
  CHECK(extra.exit_code == 1);

  auto bad_int = cli.Run({"copy", "--checkers", "many", "a", "b"});
  CHECK(bad_int.exit_code == 1);
  CHECK(Contains(bad_int.err, "--checkers"));

  auto bad_size = cli.Run({"ls", "--min-size", "lots", "."});
  CHECK(bad_size.exit_code == 1);

  auto no_value = cli.Run({"ls", ".", "--transfers"});
  CHECK(no_value.exit_code == 1);

  auto short_flag = cli.Run({"ls", "-Z", "."});
  CHECK(short_flag.exit_code == 1);
  CHECK(Contains(short_flag.err, "-Z"));

  auto none = cli.RunRaw({});
  CHECK(none.exit_code == 1);
}

TEST_CASE("cli: copy then check passes, a modified file fails check naming it") {
  Cli cli;
  cli.MakeTree("src");
  auto copy = cli.Run({"copy", "src", "dst"});
  REQUIRE(copy.exit_code == 0);
  CHECK(cli.dir().ReadFile("dst/a/b/two.txt") == "second file\n");
  CHECK(cli.dir().ReadFile("dst/h.txt") == "hello");
  CHECK(copy.err.empty());  // as rclone: the summary is logged at INFO, shown with -v
  auto again = cli.Run({"copy", "src", "dst", "-v"});
  CHECK(Contains(again.err, "\nChecks:                 4 / 4, 100%\n"));  // the summary

  auto check = cli.Run({"check", "src", "dst"});
  CHECK(check.exit_code == 0);
  CHECK(Contains(check.err, "0 differences found"));

  REQUIRE(cli.dir().WriteFile("dst/a/one.txt", "ONE\n"));  // same size, other content
  auto bad = cli.Run({"check", "src", "dst"});
  CHECK(bad.exit_code != 0);
  CHECK(Contains(bad.err, "a/one.txt"));

  auto quiet = cli.Run({"-q", "copy", "src", "dst2"});
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.err.empty());
}

TEST_CASE("cli: copy of a single file copies it into the destination") {
  Cli cli;
  cli.MakeTree("src");
  auto r = cli.Run({"copy", "src/a/one.txt", "dst"});
  REQUIRE(r.exit_code == 0);
  CHECK(cli.dir().ReadFile("dst/one.txt") == "one\n");
  CHECK_FALSE(cli.dir().Exists("dst/h.txt"));
}

TEST_CASE("cli: check of a single file compares just that file") {
  Cli cli;
  cli.MakeTree("src");
  REQUIRE(cli.Run({"copy", "src/a/one.txt", "dst"}).exit_code == 0);
  REQUIRE(cli.dir().WriteFile("dst/unrelated.txt", "not in the source"));
  auto same = cli.Run({"check", "src/a/one.txt", "dst"});
  CHECK(same.exit_code == 0);
  CHECK(Contains(same.err, "0 differences found"));
  REQUIRE(cli.dir().WriteFile("dst/one.txt", "ONE\n"));  // same size, other content
  auto differs = cli.Run({"check", "src/a/one.txt", "dst"});
  CHECK(differs.exit_code != 0);
  CHECK(Contains(differs.err, "one.txt"));
  CHECK(Contains(differs.err, "1 differences found"));
}

TEST_CASE("cli: sync deletes extraneous files, --dry-run changes nothing") {
  Cli cli;
  cli.MakeTree("src");
  REQUIRE(cli.Run({"copy", "src", "dst"}).exit_code == 0);
  REQUIRE(cli.dir().WriteFile("dst/extra.txt", "extra"));
  REQUIRE(cli.dir().WriteFile("src/new.txt", "new"));

  auto dry = cli.Run({"sync", "--dry-run", "src", "dst"});
  CHECK(dry.exit_code == 0);
  CHECK(cli.dir().Exists("dst/extra.txt"));
  CHECK_FALSE(cli.dir().Exists("dst/new.txt"));
  CHECK(Contains(dry.err, "extra.txt"));

  auto sync = cli.Run({"sync", "src", "dst"});
  CHECK(sync.exit_code == 0);
  CHECK_FALSE(cli.dir().Exists("dst/extra.txt"));
  CHECK(cli.dir().ReadFile("dst/new.txt") == "new");

  auto nothing = cli.Run({"copy", "--error-on-no-transfer", "src", "dst"});
  CHECK(nothing.exit_code == 9);
}

TEST_CASE("cli: listings") {
  Cli cli;
  cli.MakeTree("d");
  REQUIRE(test::SetFileMtime(cli.P("d/h.txt"), 1000000000123456789));

  auto ls = cli.Run({"ls", "d"});
  CHECK(ls.exit_code == 0);
  CHECK(ls.out ==
        "       12 a/b/two.txt\n"
        "        4 a/one.txt\n"
        "        5 h.txt\n"
        "     3000 three.txt\n");

  auto lsl = cli.Run({"lsl", "d", "--include", "h.txt"});
  CHECK(lsl.exit_code == 0);
  CHECK(lsl.out == "        5 2001-09-09 01:46:40.123456789 h.txt\n");

  auto lsf = cli.Run({"lsf", "d"});
  CHECK(lsf.out == "a/\nh.txt\nthree.txt\n");
  auto lsfr = cli.Run({"lsf", "-R", "d"});
  CHECK(lsfr.out == "a/\na/b/\na/b/two.txt\na/one.txt\nh.txt\nthree.txt\n");

  auto lsd = cli.Run({"lsd", "d"});
  CHECK(lsd.exit_code == 0);
  CHECK(Contains(lsd.out, "          -1 "));
  CHECK(Contains(lsd.out, "        -1 a\n"));

  auto json = cli.Run({"lsjson", "d", "--exclude", "a/**"});
  CHECK(json.exit_code == 0);
  CHECK(Contains(json.out,
                 R"({"Path":"h.txt","Name":"h.txt","Size":5,"MimeType":"text/plain; )"
                 R"(charset=utf-8","ModTime":"2001-09-09T01:46:40.123456789Z","IsDir":false})"));
  CHECK(json.out.front() == '[');

  auto size = cli.Run({"size", "d"});
  CHECK(size.out == "Total objects: 4 (4)\nTotal size: 2.950 KiB (3021 Byte)\n");
}

TEST_CASE("cli: md5sum and sha1sum") {
  Cli cli;
  REQUIRE(cli.dir().WriteFile("d/h.txt", "hello"));
  REQUIRE(cli.dir().WriteFile("d/sub/e.txt", ""));
  auto md5 = cli.Run({"md5sum", "d"});
  CHECK(md5.exit_code == 0);
  CHECK(md5.out ==
        "5d41402abc4b2a76b9719d911017c592  h.txt\n"
        "d41d8cd98f00b204e9800998ecf8427e  sub/e.txt\n");
  auto sha1 = cli.Run({"sha1sum", "d/h.txt"});
  CHECK(sha1.exit_code == 0);
  CHECK(sha1.out == "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d  h.txt\n");
}

TEST_CASE("cli: cat with offset and count") {
  Cli cli;
  REQUIRE(cli.dir().WriteFile("d/f.txt", "0123456789"));
  CHECK(cli.Run({"cat", "d/f.txt"}).out == "0123456789");
  CHECK(cli.Run({"cat", "d/f.txt", "--offset", "3"}).out == "3456789");
  CHECK(cli.Run({"cat", "d/f.txt", "--offset=2", "--count=4"}).out == "2345");
  CHECK(cli.Run({"cat", "d/f.txt", "--offset", "20"}).out.empty());
}

TEST_CASE("cli: mkdir, rmdir, delete, purge") {
  Cli cli;
  CHECK(cli.Run({"mkdir", "m/n"}).exit_code == 0);
  CHECK(std::filesystem::is_directory(cli.P("m/n")));
  CHECK(cli.Run({"mkdir", "--dry-run", "m/x"}).exit_code == 0);
  CHECK_FALSE(cli.dir().Exists("m/x"));
  CHECK(cli.Run({"rmdir", "m/n"}).exit_code == 0);
  CHECK_FALSE(cli.dir().Exists("m/n"));

  cli.MakeTree("t");
  auto busy = cli.Run({"rmdir", "t"});
  CHECK(busy.exit_code != 0);
  CHECK(cli.dir().Exists("t/h.txt"));

  auto dry = cli.Run({"delete", "t", "--include", "*.txt", "--dry-run"});
  CHECK(dry.exit_code == 0);
  CHECK(cli.dir().Exists("t/h.txt"));
  auto del = cli.Run({"delete", "t", "--exclude", "one.txt"});
  CHECK(del.exit_code == 0);
  CHECK_FALSE(cli.dir().Exists("t/h.txt"));
  CHECK_FALSE(cli.dir().Exists("t/a/b/two.txt"));
  CHECK(cli.dir().Exists("t/a/one.txt"));
  CHECK(std::filesystem::is_directory(cli.P("t/a/b")));  // directories are kept

  // --rmdirs: the directories left empty go (a/b), the ones still holding files stay (a), and
  // so does the root; with --dry-run nothing goes.
  CHECK(cli.Run({"delete", "t", "--exclude", "one.txt", "--rmdirs", "--dry-run"}).exit_code == 0);
  CHECK(std::filesystem::is_directory(cli.P("t/a/b")));
  CHECK(cli.Run({"delete", "t", "--exclude", "one.txt", "--rmdirs"}).exit_code == 0);
  CHECK_FALSE(cli.dir().Exists("t/a/b"));
  CHECK(cli.dir().Exists("t/a/one.txt"));
  CHECK(std::filesystem::is_directory(cli.P("t")));

  CHECK(cli.Run({"purge", "--dry-run", "t"}).exit_code == 0);
  CHECK(cli.dir().Exists("t/a/one.txt"));
  CHECK(cli.Run({"purge", "t"}).exit_code == 0);
  CHECK_FALSE(cli.dir().Exists("t"));
}

TEST_CASE("cli: copyto and moveto") {
  Cli cli;
  cli.MakeTree("src");
  CHECK(cli.Run({"copyto", "src/h.txt", "out/renamed.txt"}).exit_code == 0);
  CHECK(cli.dir().ReadFile("out/renamed.txt") == "hello");
  CHECK(cli.dir().Exists("src/h.txt"));
  CHECK(cli.Run({"moveto", "src/a/one.txt", "out/moved.txt"}).exit_code == 0);
  CHECK(cli.dir().ReadFile("out/moved.txt") == "one\n");
  CHECK_FALSE(cli.dir().Exists("src/a/one.txt"));
  CHECK(cli.Run({"move", "src/a", "out/a"}).exit_code == 0);
  CHECK(cli.dir().ReadFile("out/a/b/two.txt") == "second file\n");
  CHECK_FALSE(cli.dir().Exists("src/a/b/two.txt"));
}

TEST_CASE("cli: config create, show, dump, file, delete, secrets redacted") {
  Cli cli;
  const std::string secret = "hunter2-very-secret";
  cli.WriteConfig("[vault]\ntype = local\npassword = " + secret + "\n");
  auto show = cli.Run({"config", "show"});
  CHECK(show.exit_code == 0);
  CHECK(Contains(show.out, "[vault]"));
  CHECK_FALSE(Contains(show.out, secret));
  CHECK_FALSE(Contains(show.err, secret));
  auto dump = cli.Run({"config", "dump"});
  CHECK(dump.exit_code == 0);
  CHECK(Contains(dump.out, "\"vault\""));
  CHECK_FALSE(Contains(dump.out, secret));
  CHECK(Contains(cli.Run({"config", "file"}).out, cli.conf()));

  auto create = cli.Run({"config", "create", "backup", "local"});
  CHECK(create.exit_code == 0);
  CHECK(Contains(test::ReadFile(cli.conf()).value_or(""), "[backup]"));
  CHECK(Contains(cli.Run({"config", "show", "backup"}).out, "type = local"));
  CHECK(cli.Run({"config", "create", "bad", "nosuchbackend"}).exit_code != 0);
  CHECK(cli.Run({"config", "delete", "backup"}).exit_code == 0);
  CHECK_FALSE(Contains(test::ReadFile(cli.conf()).value_or(""), "[backup]"));
  CHECK(cli.Run({"config", "delete", "backup"}).exit_code != 0);
  CHECK(cli.Run({"config", "frob"}).exit_code == 1);
}

TEST_CASE("cli: config create stores a crypt password obscured, and the remote then works") {
  Cli cli;
  cli.WriteConfig("");
  REQUIRE(cli.dir().WriteFile("plain/f.txt", "clear text"));
  auto create = cli.Run({"config", "create", "vault", "crypt", "remote=" + cli.P("store"),
                         "password=hunter2"});
  CHECK(create.exit_code == 0);
  CHECK_FALSE(Contains(create.out + create.err, "hunter2"));
  const std::string conf = test::ReadFile(cli.conf()).value_or("");
  CHECK(Contains(conf, "password = "));
  CHECK_FALSE(Contains(conf, "hunter2"));
  CHECK(cli.Run({"copy", cli.P("plain"), "vault:"}).exit_code == 0);
  auto cat = cli.Run({"cat", "vault:f.txt"});
  CHECK(cat.exit_code == 0);
  CHECK(cat.out == "clear text");
  // The same password given obscured is kept as it is.
  auto obscured = cli.Run({"obscure", "hunter2"});
  REQUIRE(obscured.exit_code == 0);
  const std::string value = obscured.out.substr(0, obscured.out.find('\n'));
  CHECK(cli.Run({"config", "create", "again", "crypt", "remote=" + cli.P("store"),
                 "password=" + value})
            .exit_code == 0);
  CHECK(Contains(test::ReadFile(cli.conf()).value_or(""), "password = " + value + "\n"));
  CHECK(cli.Run({"cat", "again:f.txt"}).out == "clear text");
  // --no-obscure stores it as given (then it does not reveal, and the remote says so).
  CHECK(cli.Run({"config", "create", "raw", "crypt", "remote=" + cli.P("store"),
                 "password=hunter2", "--no-obscure"})
            .exit_code == 0);
  CHECK(Contains(test::ReadFile(cli.conf()).value_or(""), "password = hunter2\n"));
}

TEST_CASE("cli: a malformed config line is an error naming file and line") {
  Cli cli;
  cli.WriteConfig("[ok]\ntype = local\nthis line is wrong\n");
  auto r = cli.Run({"ls", "ok:" + cli.P("")});
  CHECK(r.exit_code != 0);
  CHECK(Contains(r.err, cli.conf()));
  CHECK(Contains(r.err, "line 3"));
}

TEST_CASE("cli: unknown remote is a clear error") {
  Cli cli;
  cli.WriteConfig("");
  auto r = cli.Run({"ls", "nosuch:dir"});
  CHECK(r.exit_code != 0);
  CHECK(Contains(r.err, "nosuch"));
  CHECK(Contains(r.err, "not found"));
}

TEST_CASE("cli: paths climbing out of a remote are rejected") {
  Cli cli;
  cli.WriteConfig("[dst]\ntype = local\n");
  cli.MakeTree("src");
  REQUIRE(cli.dir().MakeDir("root/inner"));
  REQUIRE(cli.dir().WriteFile("root/secret.txt", "secret"));
  auto up = cli.Run({"copyto", "src/h.txt", "dst:" + cli.P("root/inner") + "/../escape"});
  CHECK(up.exit_code != 0);
  CHECK(Contains(up.err, ".."));
  CHECK_FALSE(cli.dir().Exists("root/escape"));
  auto copy = cli.Run({"copy", "src", "dst:" + cli.P("root/inner") + "/../../out"});
  CHECK(copy.exit_code != 0);
  CHECK_FALSE(cli.dir().Exists("out"));
  auto cat = cli.Run({"cat", "dst:" + cli.P("root/inner") + "/../secret.txt"});
  CHECK(cat.exit_code != 0);
  CHECK_FALSE(Contains(cat.out, "secret"));
}

TEST_CASE("cli: exit codes for missing directories and files") {
  Cli cli;
  REQUIRE(cli.dir().WriteFile("d/f.txt", "x"));
  CHECK(cli.Run({"copy", "nosuchdir", "dst"}).exit_code == 3);
  CHECK(cli.Run({"ls", "nosuchdir"}).exit_code == 3);
  CHECK(cli.Run({"cat", "d/missing.txt"}).exit_code == 4);
  CHECK(cli.Run({"copyto", "d/missing.txt", "out/x.txt"}).exit_code == 4);
}

TEST_CASE("cli: link on a remote without public links is one clear error") {
  Cli cli;
  cli.MakeTree("src");
  auto r = cli.Run({"link", "src/h.txt"});
  CHECK(r.exit_code != 0);
  CHECK(r.out.empty());
  CHECK(Contains(r.err, "link: local remote \"src/h.txt\" cannot make public links"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  auto expire = cli.Run({"link", "--expire", "1d", "src/h.txt"});
  CHECK(expire.exit_code != 0);
  CHECK(Contains(expire.err, "cannot make public links"));
  auto bad = cli.Run({"link", "--expire", "soon", "src/h.txt"});
  CHECK(bad.exit_code == 1);
  CHECK(Contains(bad.err, "--expire"));
  auto missing = cli.Run({"link", "src/nope.txt"});
  CHECK(missing.exit_code == 4);
  auto help = cli.Run({"link", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(Contains(help.out, "--expire DURATION"));
}

TEST_CASE("cli: --multi-thread-streams and --multi-thread-cutoff are accepted and checked") {
  Cli cli;
  cli.MakeTree("src");
  auto ok = cli.Run({"copy", "--multi-thread-streams", "8", "--multi-thread-cutoff", "1Mi",
                     "src", "dst"});
  CHECK_RUN_OK(ok);
  CHECK(cli.dir().ReadFile("dst/three.txt") == std::string(3000, 'x'));
  auto bad = cli.Run({"copy", "--multi-thread-streams", "-1", "src", "dst"});
  CHECK(bad.exit_code == 1);
  auto bad_size = cli.Run({"copy", "--multi-thread-cutoff", "big", "src", "dst"});
  CHECK(bad_size.exit_code == 1);
}

// lsl/lsjson ask Stat() for listed mtimes that are upload times (commands/common.hpp).
TEST_CASE("cli: Walk with exact mtimes Stat()s only entries listed with upload times") {
  MemoryRemote mem;
  FaultRemote remote(mem);
  const TimePoint t0 = TimePoint(std::chrono::seconds(1'700'000'000));
  for (int i = 0; i < 30; ++i) {
    mem.SetFile("d/f" + std::to_string(i), "x", t0 + std::chrono::seconds(i));
  }
  mem.SetFile("top.txt", "top", t0);
  auto walk = [&](ListedMtime mode) {
    std::map<std::string, TimePoint> seen;
    REQUIRE(Walk(Context{}, remote, "", true, false, nullptr,
                 [&](const ObjectInfo& info) {
                   seen[info.path] = info.mtime;
                   return Ok();
                 },
                 mode)
                .has_value());
    return seen;
  };
  const auto exact = walk(ListedMtime::kExact);
  CHECK(remote.Calls(FaultOp::kStat) == 0);  // nothing flagged: no Stat
  const TimePoint upload = t0 + std::chrono::hours(1);
  mem.SetListedUploadTime(upload);
  CHECK(walk(ListedMtime::kAsListed).at("d/f7") == upload);
  CHECK(remote.Calls(FaultOp::kStat) == 0);
  CHECK(walk(ListedMtime::kExact) == exact);
  CHECK(exact.at("d/f7") == t0 + std::chrono::seconds(7));
  CHECK(remote.Calls(FaultOp::kStat) == 31);
  remote.FailOn(FaultOp::kStat, PathIs("d/f9"), Error(ErrorCode::kNetwork, "injected"));
  std::vector<ObjectInfo> entries = *mem.List(Context{}, "d");
  Status st = ResolveExactMtimes(Context{}, remote, entries);
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().code() == ErrorCode::kNetwork);
}

}  // namespace
}  // namespace cvclone
