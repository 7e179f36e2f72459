// The data-safety faults suite (issue #12): what S3 servers really do, injected by the test
// front (tests/servers/s3front.py) in front of s3rver, each case run through the CLI. A backup
// must be repaired by the next plain sync whatever the clocks say; nothing acknowledged but not
// stored, cut short, left out of a listing or garbled may lose or corrupt data.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/s3_server.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone {
namespace {

using test::Contains;
using test::ProcessResult;

const std::map<std::string, std::string> kEnv = {{"CVCLONE_CRYPT_PASSWORD", "pw"}};

// One test's S3 server, CLI folder (config [s3] for the server) and bucket.
struct Faults {
  const test::S3TestServer* server = nullptr;
  test::Cli cli;
  std::string bucket;

  Faults() {
    std::string why;
    server = test::SharedS3Server(&why);
    REQUIRE_MESSAGE(server != nullptr, why);
    REQUIRE_FALSE(server->rgw);  // faults need the front
    cli.WriteConfig(test::S3ConfigSection("s3", *server));
    bucket = test::UniqueName("faults");
  }
  ~Faults() {
    server->ClearFaults();
    server->Admin("POST", "/__clock", R"({"offset": 0})");
  }

  ProcessResult Run(const std::vector<std::string>& args) const {
    ProcessResult r = cli.Run(args, kEnv);
    std::string joined;
    for (const std::string& a : args) joined += a + " ";
    MESSAGE("cvclone " << joined << "-> exit " << r.exit_code << "\n" << r.err);
    return r;
  }
  std::string Cat(const std::string& remote) const { return Run({"cat", remote}).out; }
  void Write(const std::string& rel, const std::string& text) const {
    REQUIRE(cli.dir().WriteFile(rel, text));
  }
  // Sets a local file's mtime to `ago` before now.
  void Age(const std::string& rel, std::chrono::seconds ago) const {
    const auto path = std::filesystem::path(cli.P(rel));
    std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now() - ago);
  }
  bool Fault(const std::string& json) const { return server->InjectFault(json); }
  int Count(const std::string& name) const { return server->Stat(name); }
};

// The destinations a backup goes to: plain S3, and crypt over it.
std::vector<std::string> Destinations(const Faults& f) {
  return {"s3:" + f.bucket + "/plain", "crypt(s3:" + f.bucket + "/enc)"};
}

TEST_CASE("faults: with the server's clock 10 minutes ahead, a same-size edit right after a "
          "backup is uploaded by the next sync") {
  Faults f;
  REQUIRE(f.server->Admin("POST", "/__clock", R"({"offset": 600})") != "");
  for (const std::string& dst : Destinations(f)) {
    CAPTURE(dst);
    f.Write("src/f.txt", "version one");
    REQUIRE(f.Run({"copy", "src", dst}).exit_code == 0);
    // Edited now: its mtime is before the time the server stamped on the backup.
    f.Write("src/f.txt", "version two");
    CHECK(f.Run({"sync", "src", dst}).exit_code == 0);
    CHECK(f.Cat(dst + "/f.txt") == "version two");
  }
}

TEST_CASE("faults: a file restored with an older mtime and the same size is uploaded by the "
          "next sync") {
  Faults f;
  for (const std::string& dst : Destinations(f)) {
    CAPTURE(dst);
    f.Write("src/f.txt", "backup one");
    REQUIRE(f.Run({"copy", "src", dst}).exit_code == 0);
    f.Write("src/f.txt", "restored 2");  // as `tar x` leaves it: other bytes, an old mtime
    f.Age("src/f.txt", std::chrono::hours(24 * 30));
    CHECK(f.Run({"sync", "src", dst}).exit_code == 0);
    CHECK(f.Cat(dst + "/f.txt") == "restored 2");
  }
}

TEST_CASE("faults: a file edited while its upload waited at the server is uploaded by the next "
          "sync") {
  Faults f;
  f.Write("src/f.txt", "version one");
  // The PUT is held after the front has read all of it, so cvclone has read the file and
  // checked it; the edit lands before the server stores (and stamps) the old bytes.
  REQUIRE(f.Fault(R"({"kind":"hold","count":1,"method":"PUT","match":"/)" + f.bucket +
                  R"(/f.txt"})"));
  test::ProcessOptions opts;
  opts.set_env = kEnv;
  opts.set_env["TZ"] = "UTC";
  opts.set_env["HOME"] = f.cli.dir().path();
  opts.cwd = f.cli.dir().path();
  opts.unset_env = {"CVCLONE_CONFIG", "XDG_CONFIG_HOME", "CVCLONE_STATE_DIR", "XDG_STATE_HOME"};
  std::string why;
  auto child = test::Child::Start(CVCLONE_BINARY_DIR "/cvclone",
                                  {"--config", f.cli.conf(), "copy", "src", "s3:" + f.bucket},
                                  opts, "", f.cli.P("copy.log"), &why);
  REQUIRE_MESSAGE(child != nullptr, why);
  const std::string held = f.server->Admin("GET", "/__held");
  INFO(f.cli.dir().ReadFile("copy.log").value_or(""));
  REQUIRE(Contains(held, "true"));
  f.Write("src/f.txt", "version two");
  // Its mtime a little before now: the server's stamp (when the PUT goes on) is then later
  // whatever the precision of either clock.
  f.Age("src/f.txt", std::chrono::seconds(2));
  REQUIRE(f.server->Admin("POST", "/__release") != "");
  CHECK(child->Wait() == 0);
  MESSAGE(f.cli.dir().ReadFile("copy.log").value_or(""));
  CHECK(f.Run({"sync", "src", "s3:" + f.bucket}).exit_code == 0);
  CHECK(f.Cat("s3:" + f.bucket + "/f.txt") == "version two");
}

TEST_CASE("faults: a sync of an unchanged backup makes no HEAD, with cvclone's state lost, one "
          "HEAD per file, once") {
  Faults f;
  f.cli.MakeTree("src");
  const std::string dst = "s3:" + f.bucket;
  REQUIRE(f.Run({"copy", "src", dst}).exit_code == 0);
  const int heads = f.Count("HEAD");
  const int puts = f.Count("PUT");
  REQUIRE(heads >= 0);
  CHECK(f.Run({"sync", "src", dst}).exit_code == 0);
  CHECK(f.Count("HEAD") == heads);
  std::filesystem::remove_all(f.cli.P(".local/state/cvclone"));
  CHECK(f.Run({"sync", "src", dst}).exit_code == 0);
  CHECK(f.Count("HEAD") == heads + 4);  // MakeTree's four files
  CHECK(f.Run({"sync", "src", dst}).exit_code == 0);
  CHECK(f.Count("HEAD") == heads + 4);
  CHECK(f.Count("PUT") == puts);
}

TEST_CASE("faults: an endpoint that acknowledges PUTs and stores nothing: move keeps every "
          "source file") {
  Faults f;
  f.cli.MakeTree("src");
  REQUIRE(f.Fault(R"({"kind":"store-nothing","count":100,"method":"PUT","match":"/)" + f.bucket +
                  R"(/"})"));
  ProcessResult r = f.Run({"move", "src", "s3:" + f.bucket, "--retries", "1"});
  CHECK(r.exit_code != 0);
  CHECK((Contains(r.err, "not what was uploaded") || Contains(r.err, "cannot be confirmed")));
  CHECK(test::ReadTree(f.cli.P("src")).size() == 4);
}

TEST_CASE("faults: a download cut short with a matching Content-Length is retried, and never "
          "stored as the file") {
  Faults f;
  const std::string data = test::Pattern(300 << 10, 9);
  f.Write("src/big.bin", data);
  REQUIRE(f.Run({"copy", "src", "s3:" + f.bucket}).exit_code == 0);
  const std::string fault = R"(","method":"GET","match":"/)" + f.bucket + R"(/big.bin"})";
  REQUIRE(f.Fault(R"({"kind":"short-length","count":"1)" + fault));
  ProcessResult r = f.Run({"copy", "s3:" + f.bucket, "down"});
  CHECK(r.exit_code == 0);
  CHECK(f.cli.dir().ReadFile("down/big.bin") == data);
  // Cut short every time: an error, and no file.
  REQUIRE(f.Fault(R"({"kind":"short-length","count":"100)" + fault));
  r = f.Run({"copy", "s3:" + f.bucket, "down2", "--retries", "2"});
  CHECK(r.exit_code != 0);
  CHECK(Contains(r.err, "big.bin"));
  CHECK_FALSE(f.cli.dir().Exists("down2/big.bin"));
  CHECK(test::ReadTree(f.cli.P("down2")).empty());
}

TEST_CASE("faults: a source listing that leaves out a key makes sync delete nothing") {
  Faults f;
  f.Write("src/keep.txt", "keep");
  f.Write("src/omit.txt", "left out of the listing");
  REQUIRE(f.Run({"copy", "src", "s3:" + f.bucket}).exit_code == 0);
  REQUIRE(f.Run({"copy", "s3:" + f.bucket, "dst"}).exit_code == 0);
  REQUIRE(f.Fault(R"({"kind":"omit-keys","count":100,"method":"GET","match":"/)" + f.bucket +
                  R"(","query":"list-type","omit":"omit"})"));
  ProcessResult r = f.Run({"sync", "s3:" + f.bucket, "dst"});
  CHECK(r.exit_code != 0);
  CHECK(Contains(r.err, "omit.txt"));
  CHECK(f.cli.dir().ReadFile("dst/omit.txt") == "left out of the listing");
}

TEST_CASE("faults: a listing page that does not parse is asked for again") {
  Faults f;
  f.cli.MakeTree("src");
  REQUIRE(f.Run({"copy", "src", "s3:" + f.bucket}).exit_code == 0);
  REQUIRE(f.Fault(R"({"kind":"malformed","count":1,"method":"GET","match":"/)" + f.bucket +
                  R"(","query":"list-type"})"));
  const int injected = f.Count("faults_injected");
  ProcessResult r = f.Run({"lsf", "-R", "s3:" + f.bucket});
  CHECK(f.Count("faults_injected") == injected + 1);
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.out, "a/b/two.txt"));
  CHECK(Contains(r.out, "three.txt"));
}

}  // namespace
}  // namespace cvclone
