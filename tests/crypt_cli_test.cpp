// CLI tests of the crypt remote and its commands, run through build/cvclone as a user would:
// obscure/reveal/cryptdecode/cryptcheck, password sources, and bad input (wrong password,
// tampered, truncated and foreign files) — each a clear error naming the file, a non-zero exit
// and nothing partial left behind. Secrets never appear in any output.
#include <doctest/doctest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace cvclone {
namespace {

namespace fs = std::filesystem;
using test::ProcessResult;

constexpr const char* kPotatoObscured = "YWFhYWFhYWFhYWFhYWFhYXMaGgIlEQ";  // "potato"

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class CryptCli {
 public:
  CryptCli() : conf_(dir_.Path("cvclone.conf")) {}

  const test::TempDir& dir() const { return dir_; }
  std::string P(const std::string& rel) const { return dir_.Path(rel); }

  ProcessResult Run(std::vector<std::string> args, test::ProcessOptions opts = {}) const {
    args.insert(args.begin(), {"--config", conf_});
    opts.cwd = dir_.path();
    opts.set_env["TZ"] = "UTC";
    opts.set_env["HOME"] = dir_.path();
    opts.unset_env.insert(opts.unset_env.end(),
                          {"CVCLONE_CONFIG", "XDG_CONFIG_HOME", "CVCLONE_CRYPT_PASSWORD",
                           "CVCLONE_CRYPT_PASSWORD2"});
    ProcessResult r = test::RunProcess(CVCLONE_BINARY_DIR "/cvclone", args, opts);
    REQUIRE_MESSAGE(r.error.empty(), r.error);
    return r;
  }
  // Appends a crypt section over folder rel with the given obscured password and extra lines.
  void AddCrypt(const std::string& name, const std::string& rel, const std::string& password,
                const std::string& extra = "") {
    config_ += "[" + name + "]\ntype = crypt\nremote = " + P(rel) + "\npassword = " + password +
               "\n" + extra + "\n";
    REQUIRE(test::WriteFile(conf_, config_));
  }
  // src/: h.txt, d/sub.txt, multi.bin (3 chunks + a bit), empty.
  void MakeTree() const {
    REQUIRE(dir_.WriteFile("src/h.txt", "hello"));
    REQUIRE(dir_.WriteFile("src/d/sub.txt", "sub file\n"));
    std::string multi(200000, '\0');
    for (size_t i = 0; i < multi.size(); ++i) multi[i] = static_cast<char>(i * 7 + i / 300);
    REQUIRE(dir_.WriteFile("src/multi.bin", multi));
    REQUIRE(dir_.WriteFile("src/empty", ""));
  }
  std::string Obscure(const std::string& plain) const {
    auto r = Run({"obscure", plain});
    REQUIRE(r.exit_code == 0);
    return r.out.substr(0, r.out.size() - 1);
  }
  // The encrypted path of a plaintext path, via cryptdecode --reverse.
  std::string Encrypted(const std::string& remote, const std::string& path) const {
    auto r = Run({"cryptdecode", "--reverse", remote, path});
    REQUIRE(r.exit_code == 0);
    const std::string sep = " \t ";
    const size_t at = r.out.find(sep);
    REQUIRE(at != std::string::npos);
    return r.out.substr(at + sep.size(), r.out.size() - at - sep.size() - 1);
  }
  // Regular files under rel (recursively), relative to it.
  std::vector<std::string> FilesUnder(const std::string& rel) const {
    std::vector<std::string> out;
    if (!fs::exists(P(rel))) return out;
    for (const auto& e : fs::recursive_directory_iterator(P(rel))) {
      if (e.is_regular_file()) out.push_back(fs::relative(e.path(), P(rel)).string());
    }
    return out;
  }

 private:
  test::TempDir dir_;
  std::string conf_;
  std::string config_;
};

TEST_CASE("crypt cli: obscure and reveal as rclone's") {
  CryptCli cli;
  auto reveal = cli.Run({"reveal", kPotatoObscured});
  CHECK(reveal.exit_code == 0);
  CHECK(reveal.out == "potato\n");
  const std::string obscured = cli.Obscure("pass word");
  CHECK(obscured != "pass word");
  // "--": an obscured password is URL-safe base64 and may start with '-' (1 in 64).
  CHECK(cli.Run({"reveal", "--", obscured}).out == "pass word\n");
  test::ProcessOptions in;
  in.stdin_data = "from stdin\n";
  auto piped = cli.Run({"obscure", "-"}, in);
  REQUIRE(piped.exit_code == 0);
  CHECK(cli.Run({"reveal", "--", piped.out.substr(0, piped.out.size() - 1)}).out ==
        "from stdin\n");
  // Two obscurings differ (random IV).
  CHECK(cli.Obscure("x") != cli.Obscure("x"));
  auto bad = cli.Run({"reveal", "not base64!"});
  CHECK(bad.exit_code != 0);
  CHECK(Contains(bad.err, "failed to reveal password"));
  for (const char* name : {"obscure", "reveal", "cryptcheck", "cryptdecode"}) {
    auto help = cli.Run({name, "--help"});
    CHECK_MESSAGE(help.exit_code == 0, name);
    CHECK_MESSAGE(Contains(help.out, std::string("Usage:\n  cvclone ") + name), name);
    CHECK_MESSAGE(Contains(help.out, "Example"), name);
  }
  CHECK(cli.Run({"obscure"}).exit_code == 1);
}

TEST_CASE("crypt cli: cryptdecode both ways, cryptcheck finds every difference") {
  CryptCli cli;
  cli.MakeTree();
  cli.AddCrypt("sec", "enc", kPotatoObscured);
  REQUIRE(cli.Run({"copy", "src", "sec:"}).exit_code == 0);
  auto forward = cli.Run({"cryptdecode", "--reverse", "sec:", "hello.txt", "d/x"});
  CHECK(forward.exit_code == 0);
  CHECK(Contains(forward.out, "hello.txt \t oqt3pleorvo0jmt050a7sstgpo\nd/x \t "));
  auto back = cli.Run({"cryptdecode", "sec:", "oqt3pleorvo0jmt050a7sstgpo", "junk"});
  CHECK(back.exit_code != 0);
  CHECK(back.out == "oqt3pleorvo0jmt050a7sstgpo \t hello.txt\njunk \t Failed to decrypt\n");
  CHECK(cli.Run({"cryptdecode", "src", "x"}).exit_code == 1);  // not a crypt remote

  auto ok = cli.Run({"cryptcheck", "src", "sec:"});
  CHECK(ok.exit_code == 0);
  CHECK(Contains(ok.err, "0 differences found"));

  // Same size, other contents; a file only in the source; one only in the crypt remote.
  REQUIRE(cli.dir().WriteFile("src/h.txt", "jello"));
  REQUIRE(cli.dir().WriteFile("src/new.txt", "new"));
  REQUIRE(cli.Run({"copyto", cli.P("src/new.txt"), "sec:only-remote.txt"}).exit_code == 0);
  auto bad = cli.Run({"cryptcheck", "src", "sec:"});
  CHECK(bad.exit_code == 1);
  CHECK(Contains(bad.err, "h.txt: md5 differ"));
  CHECK(Contains(bad.err, "new.txt: file not in"));
  CHECK(Contains(bad.err, "only-remote.txt: file not in"));
  CHECK(Contains(bad.err, "3 differences found"));
  CHECK(cli.Run({"cryptcheck", "src", "src"}).exit_code == 1);

  // A source naming one file checks only that file.
  auto one_bad = cli.Run({"cryptcheck", cli.P("src/h.txt"), "sec:"});
  CHECK(one_bad.exit_code == 1);
  CHECK(Contains(one_bad.err, "h.txt: md5 differ"));
  CHECK(Contains(one_bad.err, "1 differences found"));
  REQUIRE(cli.Run({"copy", cli.P("src/h.txt"), "sec:"}).exit_code == 0);
  auto one_ok = cli.Run({"cryptcheck", cli.P("src/h.txt"), "sec:"});
  CHECK(one_ok.exit_code == 0);
  CHECK(Contains(one_ok.err, "0 differences found"));
}

TEST_CASE("crypt cli: password sources") {
  CryptCli cli;
  cli.MakeTree();
  const std::string inline_remote = "crypt(" + cli.P("enc") + ")";
  test::ProcessOptions env;
  env.set_env["CVCLONE_CRYPT_PASSWORD"] = "potato";
  REQUIRE(cli.Run({"copy", "src", inline_remote}, env).exit_code == 0);
  CHECK(cli.dir().Exists("enc/oqt3pleorvo0jmt050a7sstgpo") == false);  // h.txt, not hello.txt
  CHECK(cli.FilesUnder("enc").size() == 4);

  // No password anywhere, stdin not a terminal: a clear error, nothing written.
  auto none = cli.Run({"ls", inline_remote});
  CHECK(none.exit_code != 0);
  CHECK(Contains(none.err, "crypt: no password: set password_command, CVCLONE_CRYPT_PASSWORD or "
                           "password in the config"));

  // password_command in the config reads the same data; env salt must match password2.
  cli.AddCrypt("cmd", "enc", "", "password_command = printf 'potato\\n'");
  auto cat = cli.Run({"cat", "cmd:h.txt"});
  CHECK(cat.exit_code == 0);
  CHECK(cat.out == "hello");
  cli.AddCrypt("failing", "enc", "", "password_command = echo topsecret-output; exit 7");
  auto failing = cli.Run({"ls", "failing:"});
  CHECK(failing.exit_code != 0);
  CHECK(Contains(failing.err, "password_command"));
  CHECK(Contains(failing.err, "exit status 7"));
  CHECK_FALSE(Contains(failing.err + failing.out, "topsecret-output"));

  // password2 from the environment is the salt: other keys, so other names.
  env.set_env["CVCLONE_CRYPT_PASSWORD2"] = "sausage";
  REQUIRE(cli.Run({"copy", "src", "crypt(" + cli.P("enc2") + ")"}, env).exit_code == 0);
  cli.AddCrypt("salted", "enc2", kPotatoObscured, "password2 = " + cli.Obscure("sausage"));
  CHECK(cli.Run({"cat", "salted:h.txt"}).out == "hello");

  // Empty passwords are refused: obscured empty string, empty environment variable.
  cli.AddCrypt("empty", "enc", "YWFhYWFhYWFhYWFhYWFhYQ");
  auto empty = cli.Run({"ls", "empty:"});
  CHECK(empty.exit_code != 0);
  CHECK(Contains(empty.err, "crypt: password is empty"));
  test::ProcessOptions empty_env;
  empty_env.set_env["CVCLONE_CRYPT_PASSWORD"] = "";
  auto empty2 = cli.Run({"copy", "src", "crypt(" + cli.P("enc3") + ")"}, empty_env);
  CHECK(empty2.exit_code != 0);
  CHECK(Contains(empty2.err, "crypt: password is empty"));
  CHECK_FALSE(cli.dir().Exists("enc3"));
}

// Runs cvclone args on a new pseudo-terminal (stdin, stdout and stderr, and /dev/tty), answers
// the first "password" prompt with `answer`, and returns everything the terminal showed and the
// exit code.
std::pair<std::string, int> RunOnTerminal(const std::vector<std::string>& args,
                                          const std::string& answer) {
  int fd = -1;
  const pid_t pid = ::forkpty(&fd, nullptr, nullptr, nullptr);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::unsetenv("CVCLONE_CRYPT_PASSWORD");
    std::vector<char*> argv;
    std::string program = CVCLONE_BINARY_DIR "/cvclone";
    argv.push_back(program.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  std::string shown;
  bool answered = false;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 30000) <= 0) break;  // 30 s: the child hangs; fail below
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child has exited
    shown.append(buf, static_cast<size_t>(n));
    if (!answered && shown.find("password") != std::string::npos) {
      const std::string line = answer + "\n";
      REQUIRE(::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
      answered = true;
    }
  }
  ::close(fd);
  int status = 0;
  ::kill(pid, SIGKILL);  // no-op when it has exited
  ::waitpid(pid, &status, 0);
  return {shown, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)};
}

TEST_CASE("crypt cli: the inline form prompts on a terminal, without echo") {
  CryptCli cli;
  cli.MakeTree();
  const std::string remote = "crypt(" + cli.P("enc") + ")";
  auto [shown, code] = RunOnTerminal(
      {"--config", cli.P("none.conf"), "copy", cli.P("src"), remote}, "tty-secret-pw");
  CHECK(code == 0);
  CHECK(Contains(shown, "crypt password: "));
  CHECK_FALSE(Contains(shown, "tty-secret-pw"));
  test::ProcessOptions env;
  env.set_env["CVCLONE_CRYPT_PASSWORD"] = "tty-secret-pw";
  CHECK(cli.Run({"cat", remote + ":h.txt"}, env).out == "hello");
}

TEST_CASE("crypt cli: wrong password") {
  CryptCli cli;
  cli.MakeTree();
  cli.AddCrypt("sec", "enc", kPotatoObscured);
  cli.AddCrypt("wrong", "enc", cli.Obscure("wrong"));
  cli.AddCrypt("off", "encoff", kPotatoObscured, "filename_encryption = off");
  cli.AddCrypt("offwrong", "encoff", cli.Obscure("wrong"), "filename_encryption = off");
  REQUIRE(cli.Run({"copy", "src", "sec:"}).exit_code == 0);
  REQUIRE(cli.Run({"copy", "src", "off:"}).exit_code == 0);

  // Names do not decrypt: the listing is empty, each skipped name is a notice.
  auto ls = cli.Run({"ls", "wrong:"});
  CHECK(ls.exit_code == 0);
  CHECK(ls.out.empty());
  CHECK(Contains(ls.err, "skipping undecryptable file name"));
  CHECK(Contains(ls.err, "skipping undecryptable directory name"));

  // With names in clear (off), the data fails to authenticate.
  auto cat = cli.Run({"cat", "offwrong:h.txt"});
  CHECK(cat.exit_code != 0);
  CHECK(Contains(cat.err, "crypt: h.txt: failed to authenticate"));
  CHECK(cat.out.empty());
  auto copy = cli.Run({"copy", "offwrong:", "restore"});
  CHECK(copy.exit_code != 0);
  CHECK(Contains(copy.err, "multi.bin: failed to authenticate"));
  CHECK(Contains(copy.err, "d/sub.txt: failed to authenticate"));
  // An empty file is the header alone: nothing to authenticate (as rclone). Nothing else lands.
  CHECK(cli.FilesUnder("restore") == std::vector<std::string>{"empty"});
  auto cryptcheck = cli.Run({"cryptcheck", "src", "offwrong:"});
  CHECK(cryptcheck.exit_code != 0);
}

TEST_CASE("crypt cli: a flipped byte, a truncated file, a bad magic, a foreign name") {
  CryptCli cli;
  cli.MakeTree();
  cli.AddCrypt("sec", "enc", kPotatoObscured);
  REQUIRE(cli.Run({"copy", "src", "sec:"}).exit_code == 0);
  const std::string multi_enc = "enc/" + cli.Encrypted("sec:", "multi.bin");
  const std::string original = cli.dir().ReadFile(multi_enc).value();
  REQUIRE(original.size() == 200000 + 32 + 4 * 16);

  SUBCASE("a flipped byte in the second chunk") {
    std::string tampered = original;
    tampered[32 + 65552 + 1000] ^= 0x01;
    REQUIRE(cli.dir().WriteFile(multi_enc, tampered));
    auto copy = cli.Run({"copy", "sec:", "restore"});
    CHECK(copy.exit_code != 0);
    CHECK(Contains(copy.err, "crypt: multi.bin: failed to authenticate decrypted block"));
    CHECK_FALSE(cli.dir().Exists("restore/multi.bin"));
    for (const auto& f : cli.FilesUnder("restore")) CHECK(f.find("multi") == std::string::npos);
    auto cat = cli.Run({"cat", "sec:multi.bin"});
    CHECK(cat.exit_code != 0);
    CHECK(Contains(cat.err, "multi.bin: failed to authenticate"));
    // The first chunk alone is intact and readable.
    CHECK(cli.Run({"cat", "--count", "100", "sec:multi.bin"}).exit_code == 0);
    CHECK(cli.Run({"cryptcheck", "src", "sec:"}).exit_code == 1);
  }
  SUBCASE("a truncated file") {
    // 10 bytes into the last chunk's tag: not a possible encrypted size.
    REQUIRE(cli.dir().WriteFile(multi_enc, original.substr(0, 32 + 3 * 65552 + 10)));
    auto copy = cli.Run({"copy", "sec:", "restore"});
    CHECK(copy.exit_code != 0);
    CHECK(Contains(copy.err, "multi.bin"));
    CHECK(Contains(copy.err, "truncated block header"));
    CHECK_FALSE(cli.dir().Exists("restore/multi.bin"));
    // In the middle of a chunk: that chunk fails to authenticate.
    REQUIRE(cli.dir().WriteFile(multi_enc, original.substr(0, 32 + 65552 + 5000)));
    auto cat = cli.Run({"cat", "sec:multi.bin"});
    CHECK(cat.exit_code != 0);
    CHECK(Contains(cat.err, "multi.bin: failed to authenticate"));
    // Shorter than the header.
    REQUIRE(cli.dir().WriteFile(multi_enc, original.substr(0, 20)));
    auto shorter = cli.Run({"copy", "sec:", "restore2"});
    CHECK(shorter.exit_code != 0);
    CHECK(Contains(shorter.err, "multi.bin"));
    CHECK(Contains(shorter.err, "too short"));
    CHECK_FALSE(cli.dir().Exists("restore2/multi.bin"));
  }
  SUBCASE("a file that is not encrypted (bad magic)") {
    REQUIRE(cli.dir().WriteFile(multi_enc, std::string(200000 + 32 + 64, 'p')));
    auto copy = cli.Run({"copy", "sec:", "restore"});
    CHECK(copy.exit_code != 0);
    CHECK(Contains(copy.err, "crypt: multi.bin: not an encrypted file - bad magic string"));
    CHECK_FALSE(cli.dir().Exists("restore/multi.bin"));
    CHECK(cli.dir().ReadFile("restore/h.txt") == "hello");  // the others are restored
    auto cryptcheck = cli.Run({"cryptcheck", "src", "sec:"});
    CHECK(cryptcheck.exit_code != 0);
    CHECK(Contains(cryptcheck.err, "multi.bin"));
    CHECK(Contains(cryptcheck.err, "bad magic"));
  }
  SUBCASE("a foreign file name in the encrypted folder") {
    REQUIRE(cli.dir().WriteFile("enc/README.txt", "dropped here by someone"));
    auto ls = cli.Run({"ls", "sec:"});
    CHECK(ls.exit_code == 0);
    CHECK(Contains(ls.out, "h.txt"));
    CHECK(Contains(ls.err, "README.txt"));
    CHECK(Contains(ls.err, "undecryptable"));
    auto strict = cli.Run({"ls", "--crypt-strict-names", "sec:"});
    CHECK(strict.exit_code != 0);
    CHECK(Contains(strict.err, "README.txt"));
    // A copy restores every readable file, and the entry it had to leave out is an error (a
    // sync would delete nothing in such a run).
    auto copy = cli.Run({"copy", "sec:", "restore"});
    CHECK(copy.exit_code != 0);
    CHECK(Contains(copy.err, "README.txt"));
    CHECK(cli.FilesUnder("restore").size() == 4);
  }
}

TEST_CASE("crypt cli: secrets never appear in output") {
  CryptCli cli;
  cli.MakeTree();
  const std::string obscured = cli.Obscure("very-secret-pass");
  const std::string obscured2 = cli.Obscure("very-secret-salt");
  cli.AddCrypt("sec", "enc", obscured, "password2 = " + obscured2);
  std::vector<ProcessResult> runs = {
      cli.Run({"config", "show"}),
      cli.Run({"config", "dump"}),
      cli.Run({"copy", "--dry-run", "-vv", "src", "sec:"}),
      cli.Run({"copy", "-vv", "src", "sec:"}),
      cli.Run({"ls", "-vv", "sec:"}),
      cli.Run({"cryptcheck", "-vv", "src", "sec:"}),
      cli.Run({"ls", "-vv", "crypt,password='" + obscured + "'(" + cli.P("enc") + ")"}),
  };
  for (const ProcessResult& r : runs) {
    CHECK(r.exit_code == 0);
    for (const std::string& secret : {std::string("very-secret"), obscured, obscured2}) {
      CHECK_FALSE_MESSAGE(Contains(r.out, secret), r.out);
      CHECK_FALSE_MESSAGE(Contains(r.err, secret), r.err);
    }
  }
}

}  // namespace
}  // namespace cvclone
