// The webdav backend (issue 18) against a real WebDAV server: Apache httpd with mod_dav on
// 127.0.0.1 with Basic auth (tests/servers/start-webdav). The conformance suite, plain and under
// crypt; a wrong password; copy, check and a no-op sync through the CLI; and interop with
// Debian's rclone on the same server (crypt: rclone reads what cvclone wrote and the other way
// round). The interop test is skipped when rclone is not installed.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>

#include "backends/webdav/webdav_remote.hpp"
#include "core/io.hpp"
#include "crypt/crypt_remote.hpp"
#include "crypt/keys.hpp"
#include "core/config.hpp"
#include "tests/conformance/conformance.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/process.hpp"
#include "tests/support/rclone_run.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"
#include "tests/support/webdav_server.hpp"

namespace cvclone {
namespace {

namespace fs = std::filesystem;
using test::ProcessResult;

const char kCryptPassword[] = "crypt over webdav pässword";

const test::WebdavTestServer& Server() {
  std::string why;
  const test::WebdavTestServer* s = test::SharedWebdavServer(&why);
  REQUIRE_MESSAGE(s != nullptr, why);
  return *s;
}

Options ServerOptions(const std::string& pass) {
  return Options(std::map<std::string, std::string>{{"url", Server().Url()},
                                                    {"user", Server().user},
                                                    {"pass", Obscure(pass).value()}});
}

std::unique_ptr<Remote> MakeRemote(const std::string& root, const std::string& pass = "") {
  auto r = webdav::NewWebdavRemote("webdav:" + root, root,
                                   ServerOptions(pass.empty() ? Server().pass : pass));
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message()));
  return std::move(r).value();
}

TEST_CASE("webdav: conformance against Apache mod_dav") {
  RunConformanceSuite({.name = "webdav",
                       .make_empty_remote = [] { return MakeRemote(test::UniqueName("c")); },
                       .keeps_mtimes = false});
}

TEST_CASE("webdav: conformance of crypt(webdav)") {
  static const crypt::CryptKeys keys = crypt::DeriveKeys(kCryptPassword, "").value();
  crypt::CryptConfig config;
  config.password = kCryptPassword;
  RunConformanceSuite({.name = "crypt(webdav)",
                       .make_empty_remote =
                           [&] {
                             auto r = crypt::NewCryptRemote(MakeRemote(test::UniqueName("cc")),
                                                            "crypt(webdav):", config, keys);
                             REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message()));
                             return std::move(r).value();
                           },
                       .supports_long_names = false,
                       .keeps_mtimes = false});
}

TEST_CASE("webdav: a wrong password is one clear auth error naming no secret") {
  auto r = MakeRemote(test::UniqueName("auth"), "not the password");
  auto listed = r->List(Context{}, "");
  REQUIRE(!listed.has_value());
  CHECK(listed.error().code() == ErrorCode::kAuth);
  CHECK(test::Contains(listed.error().message(), "401"));
  CHECK(!test::Contains(listed.error().message(), "not the password"));
  CHECK(!test::Contains(listed.error().message(), Server().pass));
}

TEST_CASE("webdav: Put reads the object back: a file in the way of a folder is an error") {
  auto r = MakeRemote(test::UniqueName("way"));
  MemoryReader one("x");
  PutOptions opts;
  opts.size = 1;
  REQUIRE(r->Put(Context{}, "f", one, opts).has_value());
  MemoryReader two("y");
  auto put = r->Put(Context{}, "f/g", two, opts);
  REQUIRE(!put.has_value());
  CHECK(put.error().code() == ErrorCode::kNotDir);
  CHECK(r->Delete(Context{}, "").error().code() == ErrorCode::kIsDir);
  // Delete never removes a whole folder.
  REQUIRE(r->Mkdir(Context{}, "d/e").has_value());
  CHECK(r->Delete(Context{}, "d").error().code() == ErrorCode::kIsDir);
  CHECK(r->List(Context{}, "d").has_value());
}

TEST_CASE("webdav cli: copy, check, a no-op sync and a same-size change") {
  test::Cli cli;
  cli.WriteConfig(test::WebdavConfigSection("dav", Server()));
  cli.MakeTree("src");
  const std::string dst = "dav:" + test::UniqueName("cli");
  ProcessResult r = cli.Run({"copy", cli.P("src"), dst});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  r = cli.Run({"check", cli.P("src"), dst});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  // Unchanged: nothing is sent again (the versions stored are remembered).
  r = cli.Run({"sync", cli.P("src"), dst, "-v"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(!test::Contains(r.err, "Copied"));
  // A same-size edit is sent, whatever the server's clock says: here restored with an mtime an
  // hour older than the one stored (an edit within the one-second window would count as equal,
  // as in rclone).
  const auto before = std::filesystem::last_write_time(cli.P("src/h.txt"));
  REQUIRE(test::WriteFile(cli.P("src/h.txt"), "HELLO"));
  std::filesystem::last_write_time(cli.P("src/h.txt"), before - std::chrono::hours(1));
  r = cli.Run({"sync", cli.P("src"), dst, "-v"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(test::Contains(r.err, "h.txt"));
  r = cli.Run({"cat", dst + "/h.txt"});
  CHECK(r.out == "HELLO");
  r = cli.Run({"check", cli.P("src"), dst, "--download"});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
}

TEST_CASE("webdav: rclone reads what cvclone wrote through crypt, and the other way round") {
  const std::string rclone = test::FindOnPath("rclone");
  if (rclone.empty()) {
    MESSAGE("skipped: rclone is not installed");
    return;
  }
  test::RcloneRun run(rclone);
  const test::WebdavTestServer& s = Server();
  const std::string base = test::UniqueName("interop");
  run.WriteConfig("[dav]\ntype = webdav\nurl = " + s.Url() + "\nvendor = other\nuser = " + s.user +
                  "\npass = " + run.RcloneObscure(s.pass) + "\n\n[secret]\ntype = crypt\nremote = dav:" +
                  base + "\npassword = " + run.RcloneObscure(kCryptPassword) + "\n");
  fs::create_directories(run.P("mine/sub"));
  REQUIRE(test::WriteFile(run.P("mine/a.txt"), "written by cvclone"));
  REQUIRE(test::WriteFile(run.P("mine/sub/b.bin"), test::Pattern(200'000, 3)));
  ProcessResult r = run.Cvclone({"copy", run.P("mine"), "secret:mine"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  r = run.Rclone({"copy", "secret:mine", run.P("back-by-rclone")});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(test::ReadFile(run.P("back-by-rclone/a.txt")) == "written by cvclone");
  CHECK(test::ReadFile(run.P("back-by-rclone/sub/b.bin")) == test::Pattern(200'000, 3));
  // (cryptcheck needs hashes, which mod_dav has not: compare the decrypted bytes.)
  r = run.Rclone({"check", "--download", run.P("mine"), "secret:mine"});
  CHECK_MESSAGE(r.exit_code == 0, r.err);

  fs::create_directories(run.P("theirs"));
  REQUIRE(test::WriteFile(run.P("theirs/c.txt"), "written by rclone"));
  r = run.Rclone({"copy", run.P("theirs"), "secret:theirs"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  r = run.Cvclone({"copy", "secret:theirs", run.P("back-by-cvclone")});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(test::ReadFile(run.P("back-by-cvclone/c.txt")) == "written by rclone");
  r = run.Cvclone({"check", run.P("theirs"), "secret:theirs"});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
}

}  // namespace
}  // namespace cvclone
