// Names that would act on a terminal (issue #13 item 8): listings, log lines and errors show
// control characters escaped (core/printable.hpp), --raw-names prints them as they are, and the
// local backend does not create a file or folder whose name holds one unless asked
// (--local-allow-control-characters). Sources with such names are local folders (Linux allows any
// byte but '/' and NUL in a name) and, for the S3 case, a bucket written from one.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/support/cli.hpp"
#include "tests/support/process.hpp"
#include "tests/support/s3_server.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone {
namespace {

using test::Cli;
using test::Contains;
using test::ProcessResult;

// A file whose name turns the terminal's text red, one with a tab, a folder whose name clears
// the screen (with a file in it), a name with a backslash (printed as it is) and a plain one.
constexpr char kRed[] = "red\x1b[31m.txt";
constexpr char kRedShown[] = "red\\x1b[31m.txt";
constexpr char kTab[] = "tab\there.txt";
constexpr char kTabShown[] = "tab\\there.txt";
constexpr char kClearDir[] = "clear\x1b[2J";
constexpr char kClearDirShown[] = "clear\\x1b[2J";
constexpr char kBackslash[] = "back\\slash.txt";
constexpr char kFlag[] = "--local-allow-control-characters";

void MakeHostileTree(const Cli& cli, const std::string& rel) {
  REQUIRE(cli.dir().WriteFile(rel + "/" + kRed, "red"));
  REQUIRE(cli.dir().WriteFile(rel + "/" + kTab, "tab"));
  REQUIRE(cli.dir().WriteFile(rel + "/" + kClearDir + "/inside.txt", "inside"));
  REQUIRE(cli.dir().WriteFile(rel + "/" + kBackslash, "backslash"));
  REQUIRE(cli.dir().WriteFile(rel + "/plain.txt", "plain"));
}

bool HasEsc(const std::string& text) { return text.find('\x1b') != std::string::npos; }

ProcessResult RunLogged(const Cli& cli, const std::vector<std::string>& args) {
  ProcessResult r = cli.Run(args);
  std::string joined;
  for (const std::string& a : args) joined += a + " ";
  MESSAGE("cvclone " << joined << "-> exit " << r.exit_code << "\nstdout: " << r.out
                     << "\nstderr: " << r.err);
  return r;
}

TEST_CASE("names: ls, lsl, lsd, lsf, md5sum show control characters escaped") {
  Cli cli;
  MakeHostileTree(cli, "src");

  ProcessResult ls = RunLogged(cli, {"ls", "src"});
  CHECK(ls.exit_code == 0);
  CHECK(Contains(ls.out, std::string("        3 ") + kRedShown + "\n"));
  CHECK(Contains(ls.out, std::string(kClearDirShown) + "/inside.txt\n"));
  CHECK(Contains(ls.out, std::string(kTabShown) + "\n"));
  CHECK(Contains(ls.out, std::string(kBackslash) + "\n"));  // a backslash is shown as it is
  CHECK_FALSE(HasEsc(ls.out));
  CHECK_FALSE(Contains(ls.out, "\t"));

  ProcessResult lsl = RunLogged(cli, {"lsl", "src"});
  CHECK(lsl.exit_code == 0);
  CHECK(Contains(lsl.out, std::string(" ") + kRedShown + "\n"));
  CHECK_FALSE(HasEsc(lsl.out));

  ProcessResult lsd = RunLogged(cli, {"lsd", "src"});
  CHECK(lsd.exit_code == 0);
  CHECK(Contains(lsd.out, std::string(" -1 ") + kClearDirShown + "\n"));
  CHECK_FALSE(HasEsc(lsd.out));

  ProcessResult lsf = RunLogged(cli, {"lsf", "src"});
  CHECK(lsf.exit_code == 0);
  CHECK(lsf.out == std::string(kBackslash) + "\n" + kClearDirShown + "/\nplain.txt\n" + kRedShown +
                       "\n" + kTabShown + "\n");

  ProcessResult one = RunLogged(cli, {"lsf", std::string("src/") + kRed});
  CHECK(one.exit_code == 0);
  CHECK(one.out == std::string(kRedShown) + "\n");

  ProcessResult md5 = RunLogged(cli, {"md5sum", "src"});
  CHECK(md5.exit_code == 0);
  CHECK(Contains(md5.out, std::string("  ") + kRedShown + "\n"));
  CHECK_FALSE(HasEsc(md5.out));
}

TEST_CASE("names: --raw-names prints names exactly, for scripts") {
  Cli cli;
  MakeHostileTree(cli, "src");
  ProcessResult lsf = RunLogged(cli, {"lsf", "--raw-names", "src"});
  CHECK(lsf.exit_code == 0);
  CHECK(lsf.out ==
        std::string(kBackslash) + "\n" + kClearDir + "/\nplain.txt\n" + kRed + "\n" + kTab + "\n");
  ProcessResult ls = RunLogged(cli, {"ls", "--raw-names", "src"});
  CHECK(Contains(ls.out, std::string("        3 ") + kRed + "\n"));
  ProcessResult help = RunLogged(cli, {"lsf", "--help"});
  CHECK(Contains(help.out, "--raw-names"));
}

TEST_CASE("names: lsjson escapes control characters as JSON does") {
  Cli cli;
  MakeHostileTree(cli, "src");
  ProcessResult json = RunLogged(cli, {"lsjson", "src"});
  CHECK(json.exit_code == 0);
  CHECK(Contains(json.out, R"("Path":"red\u001b[31m.txt")"));
  CHECK(Contains(json.out, R"("Path":"tab\there.txt")"));
  CHECK(Contains(json.out, R"("Path":"back\\slash.txt")"));
  CHECK_FALSE(HasEsc(json.out));
  // DEL and the C1 controls need no escape in JSON; they get one, so the JSON on a terminal is
  // safe too (the same strings once parsed).
  REQUIRE(cli.dir().WriteFile("other/del\x7f", "1"));
  REQUIRE(cli.dir().WriteFile("other/csi\xc2\x9bK", "2"));
  ProcessResult other = RunLogged(cli, {"lsjson", "other"});
  CHECK(Contains(other.out, R"("Path":"del\u007f")"));
  CHECK(Contains(other.out, R"("Path":"csi\u009bK")"));
  CHECK(other.out.find('\x7f') == std::string::npos);
  CHECK(other.out.find("\xc2\x9b") == std::string::npos);
}

TEST_CASE("names: log and error lines show control characters escaped") {
  Cli cli;
  MakeHostileTree(cli, "src");

  // Dry-run lines name each file.
  ProcessResult dry = RunLogged(cli, {"copy", "--dry-run", "src", "dst"});
  CHECK(dry.exit_code == 0);
  CHECK(Contains(dry.err, std::string(kRedShown) + ": Skipped copy as --dry-run is set"));
  CHECK(Contains(dry.err, std::string(kClearDirShown) + "/inside.txt: Skipped copy"));
  CHECK_FALSE(HasEsc(dry.err));

  // check names what is missing on one side.
  REQUIRE(cli.dir().WriteFile("dst/plain.txt", "plain"));
  ProcessResult check = RunLogged(cli, {"check", "src", "dst"});
  CHECK(check.exit_code != 0);
  CHECK(Contains(check.err, kRedShown));
  CHECK_FALSE(HasEsc(check.err));

  // An error message built by a backend (a file that is not there) names the path too.
  ProcessResult cat = RunLogged(cli, {"cat", std::string("src/missing\x1b[31m")});
  CHECK(cat.exit_code != 0);
  CHECK(Contains(cat.err, "missing\\x1b[31m"));
  CHECK_FALSE(HasEsc(cat.err));

  // A name that is not UTF-8 is skipped by the local listing with a notice naming it.
  REQUIRE(cli.dir().WriteFile("bad/not-utf8\xff\x1b[2J", "x"));
  ProcessResult bad = RunLogged(cli, {"ls", "bad"});
  CHECK(Contains(bad.err, "not-utf8\\xff\\x1b[2J"));
  CHECK(bad.err.find('\xff') == std::string::npos);
  CHECK_FALSE(HasEsc(bad.err));
}

TEST_CASE("names: copy into a local folder refuses names with control characters unless asked") {
  Cli cli;
  MakeHostileTree(cli, "src");

  ProcessResult copy = RunLogged(cli, {"copy", "src", "dst"});
  CHECK(copy.exit_code != 0);
  // Everything else is copied...
  CHECK(cli.dir().ReadFile("dst/plain.txt") == "plain");
  CHECK(cli.dir().ReadFile(std::string("dst/") + kBackslash) == "backslash");
  // ...and nothing of the refused names, not even their folder.
  CHECK_FALSE(cli.dir().Exists(std::string("dst/") + kRed));
  CHECK_FALSE(cli.dir().Exists(std::string("dst/") + kTab));
  CHECK_FALSE(cli.dir().Exists(std::string("dst/") + kClearDir));
  // The error names each file, escaped, and says how to allow it.
  CHECK(Contains(copy.err, std::string("ERROR : ") + kRedShown + ": Failed to copy"));
  CHECK(Contains(copy.err, kTabShown));
  CHECK(Contains(copy.err, std::string(kClearDirShown) + "/inside.txt"));
  CHECK(Contains(copy.err, kFlag));
  CHECK_FALSE(HasEsc(copy.err));

  // A move refuses as well, and keeps that source file.
  MakeHostileTree(cli, "msrc");
  ProcessResult move = RunLogged(cli, {"move", "msrc", "moved"});
  CHECK(move.exit_code != 0);
  CHECK(cli.dir().ReadFile("moved/plain.txt") == "plain");
  CHECK_FALSE(cli.dir().Exists(std::string("moved/") + kRed));
  CHECK(cli.dir().ReadFile(std::string("msrc/") + kRed) == "red");

  // A name given on the command line, inside the destination folder, is refused too.
  ProcessResult copyto = RunLogged(cli, {"copyto", "src/plain.txt", std::string("dst/") + kRed});
  CHECK(copyto.exit_code != 0);
  CHECK(Contains(copyto.err, kFlag));
  CHECK_FALSE(cli.dir().Exists(std::string("dst/") + kRed));

  // Asked for: the names are created as they are.
  ProcessResult allowed = RunLogged(cli, {"copy", kFlag, "src", "dst2"});
  CHECK(allowed.exit_code == 0);
  CHECK(cli.dir().ReadFile(std::string("dst2/") + kRed) == "red");
  CHECK(cli.dir().ReadFile(std::string("dst2/") + kTab) == "tab");
  CHECK(cli.dir().ReadFile(std::string("dst2/") + kClearDir + "/inside.txt") == "inside");

  // The backend option does the same where it is set (here inline).
  ProcessResult inline_opt =
      RunLogged(cli, {"copy", "src", ":local,allow_control_characters=true:dst3"});
  CHECK(inline_opt.exit_code == 0);
  CHECK(cli.dir().ReadFile(std::string("dst3/") + kRed) == "red");
}

// A config section [name] for the test S3 server.
std::string S3Section(const std::string& name, const test::S3TestServer& s) {
  return "[" + name + "]\ntype = s3\nprovider = Other\naccess_key_id = " + s.access_key +
         "\nsecret_access_key = " + s.secret_key + "\nendpoint = " + s.Endpoint() +
         "\nregion = us-east-1\n\n";
}

TEST_CASE("names [any server]: a download from S3 refuses only the keys with control characters") {
  std::string why;
  const test::S3TestServer* s = test::SharedS3Server(&why);
  REQUIRE_MESSAGE(s != nullptr, why);
  Cli cli;
  cli.WriteConfig(S3Section("s3", *s));
  REQUIRE(cli.dir().WriteFile(std::string("src/") + kRed, "red"));
  REQUIRE(cli.dir().WriteFile("src/plain.txt", "plain"));
  const std::string remote = "s3:" + test::UniqueName("names");
  REQUIRE(RunLogged(cli, {"copy", "src", remote}).exit_code == 0);

  ProcessResult ls = RunLogged(cli, {"lsf", remote});
  CHECK(ls.out == std::string("plain.txt\n") + kRedShown + "\n");

  ProcessResult sync = RunLogged(cli, {"sync", remote, "dst"});
  CHECK(sync.exit_code != 0);
  CHECK(cli.dir().ReadFile("dst/plain.txt") == "plain");
  CHECK_FALSE(cli.dir().Exists(std::string("dst/") + kRed));
  CHECK(Contains(sync.err, kRedShown));
  CHECK_FALSE(HasEsc(sync.err));
}

}  // namespace
}  // namespace cvclone
