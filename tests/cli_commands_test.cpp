// CLI tests of the small commands rclone users type (listremotes, config update / password /
// the interactive menu, touch, deletefile, rmdirs, tree, about, completion, -V) and of the exit
// codes and messages of bad command lines, compared with Debian's rclone where it is installed.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cstring>
#include <filesystem>
#include <set>
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

namespace fs = std::filesystem;
using test::Cli;
using test::Contains;
using test::ProcessResult;

std::string Rclone() { return test::FindOnPath("rclone"); }

// The modification time of a local file, in seconds since the epoch (and its nanoseconds).
std::pair<long, long> Mtime(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return {st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
}

// Every directory below root (relative paths).
std::set<std::string> Dirs(const std::string& root) {
  std::set<std::string> out;
  if (!fs::exists(root)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_directory()) out.insert(fs::relative(e.path(), root).string());
  }
  return out;
}

// cvclone --config <cli's file> args, with stdin_data on standard input.
ProcessResult RunWithInput(const Cli& cli, std::vector<std::string> args,
                           const std::string& input) {
  test::ProcessOptions opts = test::IsolatedOptions(cli.dir().path());
  opts.stdin_data = input;
  args.insert(args.begin(), {"--config", cli.conf()});
  return test::RunProcess(CVCLONE_BINARY_DIR "/cvclone", args, opts);
}

TEST_CASE("cli commands: listremotes (--long) as rclone's, and -V as --version") {
  Cli cli;
  cli.WriteConfig(
      "[mylocal]\ntype = local\n\n[s3x]\ntype = s3\nprovider = Other\n\n[a-long-name]\ntype = "
      "crypt\nremote = mylocal:x\n");
  ProcessResult r = cli.Run({"listremotes"});
  CHECK_RUN_OK(r);
  CHECK(r.out == "a-long-name:\nmylocal:\ns3x:\n");
  r = cli.Run({"listremotes", "--long"});
  CHECK_RUN_OK(r);
  CHECK(r.out == "a-long-name: crypt\nmylocal:     local\ns3x:         s3\n");
  CHECK(cli.Run({"listremotes", "extra"}).exit_code == 1);
  for (const char* flag : {"-V", "--version"}) {
    r = cli.RunRaw({flag});
    CHECK_RUN_OK(r);
    CHECK(r.out == cli.RunRaw({"version"}).out);
    CHECK(r.out.starts_with("cvclone v"));
  }
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: comparison skipped");
    return;
  }
  test::RcloneRun t(Rclone());
  t.WriteConfig(test::ReadFile(cli.conf()).value_or(""));
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"listremotes"}, {"listremotes", "--long"}}) {
    ProcessResult ours = t.Cvclone(args), theirs = t.Rclone(args);
    CHECK(ours.exit_code == theirs.exit_code);
    CHECK(ours.out == theirs.out);
  }
}

TEST_CASE("cli commands: config update and config password") {
  Cli cli;
  CHECK_RUN_OK(cli.Run({"config", "create", "s3y", "s3", "provider=Other"}));
  ProcessResult r =
      cli.Run({"config", "update", "s3y", "region", "eu-west-1", "endpoint=http://127.0.0.1:9"});
  CHECK_RUN_OK(r);
  CHECK(Contains(r.out, "region = eu-west-1\nendpoint = http://127.0.0.1:9\n"));
  std::string text = test::ReadFile(cli.conf()).value_or("");
  CHECK(Contains(text, "[s3y]\ntype = s3\nprovider = Other\nregion = eu-west-1\n"));
  // Secrets are stored as given (not an obscured option) and never printed.
  r = cli.Run({"config", "update", "s3y", "secret_access_key", "s3cr3t"});
  CHECK_RUN_OK(r);
  CHECK_FALSE(Contains(r.out, "s3cr3t"));
  CHECK(Contains(test::ReadFile(cli.conf()).value_or(""), "secret_access_key = s3cr3t"));

  // An option cvclone does not know is stored with a notice, as rclone stores it.
  r = cli.Run({"config", "update", "s3y", "no_such_option", "x"});
  CHECK_RUN_OK(r);
  CHECK(Contains(r.err, "unknown option \"no_such_option\" for backend \"s3\" (stored as given)"));
  CHECK(Contains(test::ReadFile(cli.conf()).value_or(""), "no_such_option = x"));
  r = cli.Run({"config", "update", "s3y", "type", "local"});
  CHECK(r.exit_code != 0);
  CHECK(Contains(r.err, "the type of a remote cannot be updated"));
  CHECK(Contains(test::ReadFile(cli.conf()).value_or(""), "type = s3"));
  r = cli.Run({"config", "update", "s3y", "region"});
  CHECK(r.exit_code != 0);
  CHECK(Contains(r.err, "found key \"region\" without value"));
  r = cli.Run({"config", "update", "s3yy", "region", "x"});
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.err, "remote \"s3yy\" not found in config file"));
  CHECK(Contains(r.err, "did you mean \"s3y\"?"));

  // password: given in clear, stored obscured; update obscures a password as create does.
  CHECK_RUN_OK(cli.Run({"config", "create", "sec", "crypt", "remote=/tmp/x"}));
  r = cli.Run({"config", "password", "sec", "password", "hunter2", "password2=salt"});
  CHECK_RUN_OK(r);
  CHECK_FALSE(Contains(r.out, "hunter2"));
  auto stored = [&](const std::string& key) {
    const std::string conf = test::ReadFile(cli.conf()).value_or("");
    const size_t at = conf.find("\n" + key + " = ", conf.find("[sec]"));
    REQUIRE(at != std::string::npos);
    const size_t start = at + key.size() + 4;
    return conf.substr(start, conf.find('\n', start) - start);
  };
  CHECK(cli.Run({"reveal", "--", stored("password")}).out == "hunter2\n");
  CHECK(cli.Run({"reveal", "--", stored("password2")}).out == "salt\n");
  CHECK_RUN_OK(cli.Run({"config", "update", "sec", "password", "potato"}));
  CHECK(cli.Run({"reveal", "--", stored("password")}).out == "potato\n");
  r = cli.Run({"config", "password", "s3y", "region", "x"});
  CHECK(r.exit_code != 0);
  CHECK(Contains(r.err, "is not a password"));
  // The remote works with what was stored.
  REQUIRE(cli.dir().WriteFile("plain/a.txt", "secret text"));
  CHECK_RUN_OK(cli.Run({"copy", "plain", "sec:"}));
  CHECK(cli.Run({"cat", "sec:a.txt"}).out == "secret text");
}

TEST_CASE("cli commands: config without arguments is rclone's menu, driven from stdin") {
  Cli cli;
  // n: a local remote (no basic questions; advanced ones declined); n: a crypt remote over it
  // (remote, password typed in clear, then the other basic questions left empty); r: rename;
  // c: copy; d: delete the copy; e: edit, setting an advanced option; q.
  const std::string input =
      "n\nmine\nlocal\n\ny\n"
      "n\nsec\ncrypt\nmine:enc\nhunter2\n\n\n\ny\n"
      "r\nmine\ndisk\n"
      "c\n1\ncopy1\n"
      "d\ncopy1\n"
      "e\ndisk\ny\ntrue\n\n\n\n\n\ny\n"
      "q\n";
  ProcessResult r = RunWithInput(cli, {"config"}, input);
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.out, "No remotes found, make a new one?\nn) New remote\nq) Quit config\nn/q> "));
  CHECK(Contains(r.out,
                 "Current remotes:\n\nName                 Type\n====                 ====\n"
                 "mine                 local\n"));
  CHECK(Contains(r.out,
                 "e) Edit existing remote\nn) New remote\nd) Delete remote\n"
                 "r) Rename remote\nc) Copy remote\nq) Quit config\ne/n/d/r/c/q> "));
  CHECK(Contains(r.out, "- password: *** REDACTED ***\n"));
  CHECK_FALSE(Contains(r.out, "hunter2"));
  const std::string conf = test::ReadFile(cli.conf()).value_or("");
  CHECK(Contains(conf, "[disk]\ntype = local\nno_fsync = true\n"));
  CHECK(Contains(conf, "[sec]\ntype = crypt\nremote = mine:enc\npassword = "));
  CHECK_FALSE(Contains(conf, "hunter2"));
  CHECK_FALSE(Contains(conf, "[mine]"));
  CHECK_FALSE(Contains(conf, "copy1"));
  // The password was obscured: the crypt remote (re-pointed at the renamed disk) works.
  CHECK_RUN_OK(cli.Run({"config", "update", "sec", "remote", "disk:enc"}));
  REQUIRE(cli.dir().WriteFile("plain/a.txt", "menu"));
  CHECK_RUN_OK(cli.Run({"copy", "plain", "sec:"}));
  CHECK(cli.Run({"cat", "sec:a.txt"}).out == "menu");

  // A wrong letter is asked again; the end of input before q is an error (exit 1), and a
  // change not finished is not saved.
  const std::string before = test::ReadFile(cli.conf()).value_or("");
  r = RunWithInput(cli, {"config"}, "x\nn\nhalf\nlocal\n");
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.out, "This value must be one of the following characters: e, n, d, r, c, q."));
  CHECK(Contains(r.err, "standard input ended"));
  CHECK(test::ReadFile(cli.conf()).value_or("") == before);
}

TEST_CASE("cli commands: touch creates, sets times (-t, -C, -R) as rclone's touch") {
  Cli cli;
  REQUIRE(cli.dir().WriteFile("d/sub/x.txt", "x"));
  REQUIRE(cli.dir().WriteFile("d/sub/deep/y.txt", "y"));
  CHECK_RUN_OK(cli.Run({"touch", "d/new.txt"}));
  CHECK(cli.dir().ReadFile("d/new.txt") == "");
  CHECK_RUN_OK(cli.Run({"touch", "d/made/parents.txt"}));
  CHECK(fs::exists(cli.P("d/made/parents.txt")));
  ProcessResult r = cli.Run({"touch", "-C", "d/none.txt"});
  CHECK_RUN_OK(r);
  CHECK(Contains(r.err, "Not touching nonexistent file due to --no-create"));
  CHECK_FALSE(fs::exists(cli.P("d/none.txt")));
  r = cli.Run({"touch", "-R", "d/none.txt"});
  CHECK_RUN_OK(r);
  CHECK_FALSE(fs::exists(cli.P("d/none.txt")));

  // Timestamps (TZ=UTC): YYMMDD, seconds, fractions.
  CHECK_RUN_OK(cli.Run({"touch", "-t", "2020-01-02T03:04:05", "d/new.txt"}));
  CHECK(Mtime(cli.P("d/new.txt")) == std::pair<long, long>{1577934245, 0});
  CHECK_RUN_OK(cli.Run({"touch", "--timestamp", "200102", "d/yy.txt"}));
  CHECK(Mtime(cli.P("d/yy.txt")) == std::pair<long, long>{1577923200, 0});
  CHECK_RUN_OK(cli.Run({"touch", "-t", "2020-01-02T03:04:05.25", "d/new.txt"}));
  CHECK(Mtime(cli.P("d/new.txt")) == std::pair<long, long>{1577934245, 250000000});
  for (const char* bad : {"garbage", "2020-01-02", "2020-01-02 03:04:05", "2020-01-02T03:04:05Z"}) {
    r = cli.Run({"touch", "-t", bad, "d/bad.txt"});
    CHECK_MESSAGE(r.exit_code != 0, bad);
    CHECK(Contains(r.err, "failed to parse timestamp argument"));
  }
  CHECK_FALSE(fs::exists(cli.P("d/bad.txt")));

  // A directory: its files (all below it with -R).
  CHECK_RUN_OK(cli.Run({"touch", "-R", "-t", "2021-01-01T00:00:00", "d/sub"}));
  CHECK(Mtime(cli.P("d/sub/x.txt")).first == 1609459200);
  CHECK(Mtime(cli.P("d/sub/deep/y.txt")).first == 1609459200);
  CHECK_RUN_OK(cli.Run({"touch", "-t", "2019-01-01T00:00:00", "d/sub"}));
  CHECK(Mtime(cli.P("d/sub/x.txt")).first == 1546300800);
  CHECK(Mtime(cli.P("d/sub/deep/y.txt")).first == 1609459200);
  // --dry-run changes nothing.
  r = cli.Run({"touch", "-n", "d/dry.txt"});
  CHECK_RUN_OK(r);
  CHECK(Contains(r.err, "Skipped touch as --dry-run is set"));
  CHECK_FALSE(fs::exists(cli.P("d/dry.txt")));

  // Through crypt: created encrypted, readable back, time set.
  CHECK_RUN_OK(
      cli.Run({"config", "create", "sec", "crypt", "remote=" + cli.P("enc"), "password=potato"}));
  CHECK_RUN_OK(cli.Run({"touch", "-t", "2020-01-02T03:04:05", "sec:note.txt"}));
  r = cli.Run({"lsl", "sec:"});
  CHECK_RUN_OK(r);
  CHECK(Contains(r.out, "        0 2020-01-02 03:04:05.000000000 note.txt"));
  CHECK(test::ReadTree(cli.P("enc")).size() == 1);
  CHECK(test::ReadTree(cli.P("enc")).count("note.txt") == 0);
}

TEST_CASE("cli commands: touch, deletefile, rmdirs, tree: the same results as rclone's") {
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  test::RcloneRun t(Rclone());
  t.WriteConfig("");
  for (const char* side : {"ours", "theirs"}) {
    const std::string s = side;
    for (const char* f : {"/f/file", "/g", "/.hidden", "/a/b/f.txt", "/a/c/d/deep.txt"}) {
      REQUIRE(test::WriteFile(t.P(s + f), std::string(std::strlen(f), 'x')));
    }
    for (const char* d : {"/e1/e2", "/f/e3", "/e4", "/a/c/e5"}) fs::create_directories(t.P(s + d));
  }
  auto both = [&](std::vector<std::string> args) {
    std::vector<std::string> a = args, b = args;
    for (std::string& x : a)
      x = x == "DIR" ? "ours" : x.starts_with("DIR/") ? "ours" + x.substr(3) : x;
    for (std::string& x : b)
      x = x == "DIR" ? "theirs" : x.starts_with("DIR/") ? "theirs" + x.substr(3) : x;
    ProcessResult ours = t.Cvclone(a), theirs = t.Rclone(b);
    INFO(args.front(), " ", args.size() > 1 ? args[1] : "", "\ncvclone: ", ours.err,
         "\nrclone: ", theirs.err);
    CHECK(ours.exit_code == theirs.exit_code);
    return std::make_pair(ours, theirs);
  };
  // tree, with each option.
  for (std::vector<std::string> opts : {std::vector<std::string>{},
                                        {"-a"},
                                        {"-d"},
                                        {"-s"},
                                        {"-a", "-s"},
                                        {"--level", "1", "-s"},
                                        {"--level", "2", "-s"},
                                        {"-C"},
                                        {"--noreport"},
                                        {"-d", "--level", "2"},
                                        // Filters apply as to every listing.
                                        {"--exclude", "*.txt"},
                                        {"--exclude", "a/**", "-s"},
                                        {"--include", "*.txt"},
                                        {"--max-depth", "2"},
                                        {"--exclude-if-present", "deep.txt"}}) {
    opts.insert(opts.begin(), {"tree", "DIR"});
    auto [ours, theirs] = both(opts);
    CHECK(ours.out == theirs.out);
  }
  CHECK(both({"tree", "DIR/a/b/f.txt"}).first.out == "/\n└── f.txt\n\n0 directories, 1 files\n");
  both({"tree", "DIR/missing"});
  // deletefile: a file, a directory, a missing file.
  both({"deletefile", "DIR/f/file"});
  both({"deletefile", "DIR/f"});
  both({"deletefile", "DIR/nothing"});
  // rmdirs, with and without --leave-root; empty roots go too.
  both({"rmdirs", "DIR/a", "--leave-root"});
  both({"rmdirs", "DIR"});
  CHECK(Dirs(t.P("ours")) == Dirs(t.P("theirs")));
  CHECK(Dirs(t.P("ours")) == std::set<std::string>{"a", "a/b", "a/c", "a/c/d"});
  fs::create_directories(t.P("ours/only/empty"));
  fs::create_directories(t.P("theirs/only/empty"));
  both({"rmdirs", "DIR/only"});
  CHECK_FALSE(fs::exists(t.P("ours/only")));
  // touch: new file, -C, -t on a file, a directory.
  both({"touch", "DIR/new.txt", "-t", "2020-01-02T03:04:05"});
  both({"touch", "DIR/none.txt", "-C"});
  both({"touch", "DIR/a", "-t", "2021-05-06T07:08:09"});
  both({"touch", "DIR/bad.txt", "-t", "soon"});
  CHECK(test::ReadTree(t.P("ours")) == test::ReadTree(t.P("theirs")));
  for (const char* f : {"new.txt", "a/b/f.txt", "g"}) {
    CHECK_MESSAGE(
        Mtime(t.P(std::string("ours/") + f)).first == Mtime(t.P(std::string("theirs/") + f)).first,
        f);
  }
}

TEST_CASE("cli commands: about on local (statfs, --json, --full), crypt, and S3 (unsupported)") {
  Cli cli;
  REQUIRE(cli.dir().WriteFile("d/a.txt", "a"));
  ProcessResult r = cli.Run({"about", "d", "--json"});
  CHECK_RUN_OK(r);
  struct statvfs s {};
  REQUIRE(::statvfs(cli.P("d").c_str(), &s) == 0);
  const long long total = static_cast<long long>(s.f_blocks) * static_cast<long long>(s.f_frsize);
  CHECK(Contains(r.out, "{\n\t\"total\": " + std::to_string(total) + ",\n\t\"used\": "));
  CHECK(Contains(r.out, ",\n\t\"free\": "));
  r = cli.Run({"about", "d", "--full"});
  CHECK_RUN_OK(r);
  CHECK(r.out.starts_with("Total:   " + std::to_string(total) + "\nUsed:    "));
  r = cli.Run({"about", "d"});
  CHECK_RUN_OK(r);
  CHECK(r.out.starts_with("Total:   "));
  CHECK(Contains(r.out, "iB\nUsed:    "));
  CHECK_RUN_OK(
      cli.Run({"config", "create", "sec", "crypt", "remote=" + cli.P("d"), "password=potato"}));
  r = cli.Run({"about", "sec:", "--full"});
  CHECK_RUN_OK(r);
  CHECK(r.out.starts_with("Total:   " + std::to_string(total) + "\n"));
  // S3 cannot tell: a clear error before any request, exit 1 as rclone's "doesn't support about".
  cli.WriteConfig(
      "[s3x]\ntype = s3\nprovider = Other\nendpoint = http://127.0.0.1:9\naccess_key_id = a\n"
      "secret_access_key = b\n");
  r = cli.Run({"about", "s3x:bucket"});
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.err, "about is not supported by S3 remotes"));
  CHECK(r.out.empty());
  if (!Rclone().empty()) {
    test::RcloneRun t(Rclone());
    t.WriteConfig("");
    REQUIRE(test::WriteFile(t.P("d/a.txt"), "a"));
    ProcessResult ours = t.Cvclone({"about", "d", "--full"}),
                  theirs = t.Rclone({"about", "d", "--full"});
    CHECK(ours.exit_code == theirs.exit_code);
    CHECK(ours.out.substr(0, ours.out.find('\n')) == theirs.out.substr(0, theirs.out.find('\n')));
    ours = t.Cvclone({"about", "d", "extra"});
    theirs = t.Rclone({"about", "d", "extra"});
    CHECK(ours.exit_code == theirs.exit_code);
  }
}

TEST_CASE("cli commands: touch, deletefile, rmdirs and tree on S3 [any server]") {
  std::string why;
  const test::S3TestServer* server = test::SharedS3Server(&why);
  REQUIRE_MESSAGE(server != nullptr, why);
  Cli cli;
  cli.WriteConfig(test::S3ConfigSection("s3", *server));
  const std::string b = "s3:" + test::UniqueName("cmds");
  CHECK_RUN_OK(cli.Run({"mkdir", b}));
  CHECK_RUN_OK(cli.Run({"touch", "-t", "2020-01-02T03:04:05", b + "/d/new.txt"}));
  ProcessResult r = cli.Run({"lsl", b});
  CHECK_RUN_OK(r);
  CHECK(r.out == "        0 2020-01-02 03:04:05.000000000 d/new.txt\n");
  REQUIRE(cli.dir().WriteFile("f.txt", "12345"));
  CHECK_RUN_OK(cli.Run({"copyto", "f.txt", b + "/d/f.txt"}));
  CHECK_RUN_OK(cli.Run({"touch", "-t", "2021-05-06T07:08:09", b + "/d/f.txt"}));
  r = cli.Run({"lsl", b + "/d/f.txt"});
  CHECK(r.out == "        5 2021-05-06 07:08:09.000000000 f.txt\n");
  CHECK(cli.Run({"cat", b + "/d/f.txt"}).out == "12345");
  r = cli.Run({"tree", "-s", b});
  CHECK_RUN_OK(r);
  CHECK(r.out ==
        "[          5]  /\n└── [          5]  d\n    ├── [          5]  f.txt\n"
        "    └── [          0]  new.txt\n\n1 directories, 2 files\n");
  CHECK_RUN_OK(cli.Run({"deletefile", b + "/d/new.txt"}));
  r = cli.Run({"deletefile", b + "/d/new.txt"});
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.err, "is a directory or doesn't exist"));
  CHECK_RUN_OK(cli.Run({"rmdirs", b, "--leave-root"}));
  CHECK(cli.Run({"ls", b}).out == "        5 d/f.txt\n");
  r = cli.Run({"about", b});
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.err, "about is not supported by S3 remotes"));
  CHECK_RUN_OK(cli.Run({"purge", b}));
}

TEST_CASE("cli commands: completion scripts for bash (sourced), zsh and fish") {
  Cli cli;
  const std::string bash = test::FindOnPath("bash");
  REQUIRE_FALSE(bash.empty());
  const std::string path = std::string(CVCLONE_BINARY_DIR) + ":/usr/bin:/bin";
  auto run_bash = [&](const std::string& script) {
    test::ProcessOptions opts = test::IsolatedOptions(cli.dir().path());
    opts.set_env["PATH"] = path;
    return test::RunProcess(bash, {"-c", script}, opts);
  };
  ProcessResult r = run_bash("source <(cvclone completion bash) && complete -p cvclone");
  CHECK_RUN_OK(r);
  CHECK(r.out == "complete -o default -F _cvclone cvclone\n");
  // Commands, a command's own flags and global flags complete; a value flag's value is skipped.
  const std::string complete =
      "source <(cvclone completion bash); COMP_WORDS=($WORDS); COMP_CWORD=$((${#COMP_WORDS[@]}-1));"
      " _cvclone; echo \"${COMPREPLY[*]}\"";
  auto words = [&](const std::string& w) { return run_bash("WORDS='" + w + "'; " + complete).out; };
  CHECK(words("cvclone tou") == "touch\n");
  CHECK(words("cvclone list") == "listremotes\n");
  CHECK(words("cvclone touch --no-c") == "--no-create\n");
  CHECK(words("cvclone --config x.conf tree --lev") == "--level\n");
  CHECK(words("cvclone copy --dry") == "--dry-run\n");
  CHECK(words("cvclone rmdirs --leave") == "--leave-root\n");
  CHECK(words("cvclone copy --leave") == "\n");
  // The script follows the tables: every command completes.
  for (const char* name : {"copy", "tree", "about", "deletefile", "rmdirs", "completion", "help"}) {
    const std::string got = " " + words(std::string("cvclone ") + name);
    CHECK_MESSAGE((Contains(got, std::string(" ") + name + " ") ||
                   Contains(got, std::string(" ") + name + "\n")),
                  name);
  }
  r = cli.Run({"completion", "zsh"});
  CHECK_RUN_OK(r);
  CHECK(r.out.starts_with("#compdef cvclone\n"));
  CHECK(Contains(r.out, "'touch:Create new file or change file modification time'"));
  CHECK(Contains(r.out, "(touch) flags+=(--no-create -C --timestamp -t --recursive -R) ;;"));
  r = cli.Run({"completion", "fish"});
  CHECK_RUN_OK(r);
  CHECK(Contains(r.out, "complete -c cvclone -n '__fish_seen_subcommand_from tree' -l level -r"));
  CHECK(Contains(r.out, "complete -c cvclone -f -n __fish_use_subcommand -a about -d "));
  // Where the shells are installed, their parsers accept the scripts.
  for (const char* shell : {"zsh", "fish"}) {
    const std::string program = test::FindOnPath(shell);
    if (program.empty()) {
      MESSAGE(shell, " is not installed: its syntax check skipped");
      continue;
    }
    const std::string script = cli.P(std::string("completion.") + shell);
    REQUIRE(test::WriteFile(script, cli.Run({"completion", shell}).out));
    CHECK_RUN_OK(test::RunProcess(program, {"-n", script}));
  }
  r = cli.Run({"completion", "tcsh"});
  CHECK(r.exit_code != 0);
  CHECK(Contains(r.err, "unknown shell \"tcsh\""));
  CHECK(cli.Run({"completion"}).exit_code == 1);
}

TEST_CASE("cli commands: every new command is in help and has --help") {
  Cli cli;
  const std::string help = cli.Run({"help"}).out;
  for (const char* name :
       {"listremotes", "touch", "deletefile", "rmdirs", "tree", "about", "completion"}) {
    CHECK_MESSAGE(Contains(help, std::string("  ") + name + " "), name);
    ProcessResult r = cli.Run({name, "--help"});
    CHECK_MESSAGE(r.exit_code == 0, name);
    CHECK_MESSAGE(Contains(r.out, std::string("Usage:\n  cvclone ") + name), name);
    CHECK_MESSAGE(Contains(r.out, "Example"), name);
  }
  CHECK(Contains(cli.Run({"touch", "--help"}).out, "-C, --no-create"));
  CHECK(Contains(cli.Run({"config", "--help"}).out, "update NAME KEY VALUE"));
}

TEST_CASE("cli commands: unknown remotes, missing config files, bad command lines") {
  Cli cli;
  cli.WriteConfig("[mylocal]\ntype = local\n\n[backup]\ntype = local\n");
  ProcessResult r = cli.Run({"ls", "mylocl:"});
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.err, "remote \"mylocl\" not found in config file " + cli.conf() +
                            ": did you mean \"mylocal\"?"));
  r = cli.Run({"ls", "MyLocal:"});
  CHECK(Contains(r.err, "did you mean \"mylocal\"?"));
  r = cli.Run({"ls", "zzz:"});
  CHECK(r.exit_code == 1);
  CHECK_FALSE(Contains(r.err, "did you mean"));
  r = cli.RunRaw({"--config", cli.P("missing.conf"), "ls", "mylocal:"});
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.err, "missing.conf (the file does not exist)"));
  // Usage errors exit 1 as rclone's.
  CHECK(cli.Run({"copy", "--foo", "a", "b"}).exit_code == 1);
  CHECK(cli.Run({"copy", "a"}).exit_code == 1);
  CHECK(cli.Run({"frobnicate"}).exit_code == 1);
  CHECK(cli.RunRaw({}).exit_code == 1);
}

TEST_CASE("cli commands: exit codes of bad invocations are rclone's") {
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  test::RcloneRun t(Rclone());
  t.WriteConfig("[mylocal]\ntype = local\n");
  REQUIRE(test::WriteFile(t.P("src/a.txt"), "a"));
  const std::vector<std::vector<std::string>> cases = {
      {"copy", "--foo", "src", "dst"},               // unknown flag
      {"ls", "-Z", "src"},                           // unknown short flag
      {"copy", "src"},                               // too few arguments
      {"copy", "src", "dst", "extra"},               // too many
      {"ls", "src", "--transfers"},                  // flag without its value
      {"copy", "--checkers", "many", "src", "dst"},  // not a number
      {"ls", "--min-size", "lots", "src"},           // not a size
      {"nosuchcommand"},                             // unknown command
      {"ls", "mylocl:"},                             // unknown remote
      {"ls", "src", "-v", "--log-level", "INFO"},    // -v with --log-level
      {"listremotes", "x"},                          // listremotes takes nothing
      {"tree", "src", "x"},                          // tree takes one
      {"touch"},                                     // touch needs one
      {"rmdirs"},                                    // rmdirs needs one
      {"deletefile", "src"},                         // a directory
      {"deletefile", "src/nothing.txt"},             // missing
      {"ls", "nonexistent"},                         // directory not found: 3
      {"about", "src", "x"},                         // about takes one
  };
  for (const auto& args : cases) {
    ProcessResult ours = t.Cvclone(args), theirs = t.Rclone(args);
    std::string shown;
    for (const std::string& a : args) shown += a + " ";
    CHECK_MESSAGE(ours.exit_code == theirs.exit_code, shown, "cvclone ", ours.exit_code,
                  ", rclone ", theirs.exit_code);
  }
}

// Needs the S3 backend: in this file, which a build without S3 leaves out (tests/CMakeLists.txt).
TEST_CASE("cli: without a loadable libcurl, S3 fails with an error naming it, the rest works") {
  Cli cli;
  cli.MakeTree("src");
  // libcurl is loaded on the first S3 request (core/http/curl_api.hpp): put a file that is
  // not a library first in the loader's path.
  REQUIRE(cli.dir().WriteFile("lib/libcurl.so.4", "not a library"));
  const std::map<std::string, std::string> env = {{"LD_LIBRARY_PATH", cli.P("lib")}};
  cli.WriteConfig(
      "[s3]\ntype = s3\nprovider = Other\nendpoint = http://127.0.0.1:9\n"
      "access_key_id = AKID\nsecret_access_key = SECRET\n");
  auto s3 = cli.Run({"lsf", "s3:bucket"}, env);
  CHECK(s3.exit_code != 0);
  CHECK_MESSAGE(Contains(s3.err, "libcurl is not available"), s3.err);
  CHECK_MESSAGE(Contains(s3.err, cli.P("lib/libcurl.so.4")), s3.err);
  CHECK_FALSE(Contains(s3.err, "SECRET"));
  CHECK_RUN_OK(cli.Run({"copy", "src", "dst"}, env));
  CHECK_RUN_OK(cli.Run({"check", "src", "dst"}, env));
}

}  // namespace
}  // namespace cvclone
