// Crypt over S3 (issue 4): the conformance suite against crypt(s3) on s3rver behind the
// signature-checking front, and interop with Debian's rclone (1.60.1) through the same server:
// a tree written by cvclone into crypt(s3) is read back by `rclone copy` byte-identically and
// passes `rclone cryptcheck`; a tree written by `rclone copy` into rclone's crypt(s3) is read back
// by cvclone byte-identically and passes `cvclone check`. Both tools read one shared config file
// (rclone.conf syntax) whose crypt sections name its [s3] section. Only 127.0.0.1 is used; the
// interop tests are skipped when rclone is not installed.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "backends/s3/s3_remote.hpp"
#include "core/io.hpp"
#include "crypt/crypt_remote.hpp"
#include "crypt/keys.hpp"
#include "tests/conformance/conformance.hpp"
#include "tests/support/process.hpp"
#include "tests/support/rclone_run.hpp"
#include "tests/support/s3_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone {
namespace {

namespace fs = std::filesystem;
using test::ProcessResult;

const char kPassword[] = "crypt-over-s3 pässword";

const test::S3TestServer& Server() {
  std::string why;
  const test::S3TestServer* s = test::SharedS3Server(&why);
  REQUIRE_MESSAGE(s != nullptr, why);
  return *s;
}

std::unique_ptr<Remote> MakeS3Remote(const std::string& root) {
  const test::S3TestServer& s = Server();
  const Options options(std::map<std::string, std::string>{{"provider", "Other"},
                                                           {"access_key_id", s.access_key},
                                                           {"secret_access_key", s.secret_key},
                                                           {"endpoint", s.Endpoint()},
                                                           {"region", "us-east-1"}});
  auto r = s3::NewS3Remote("s3:" + root, root, options);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message()));
  return std::move(r).value();
}

// A fresh bucket, made through a remote rooted at it.
std::string NewBucket() {
  const std::string bucket = test::UniqueName("cs3");
  auto st = MakeS3Remote(bucket)->Mkdir(Context{}, "");
  REQUIRE_MESSAGE(st.has_value(), (st ? "" : st.error().message()));
  return bucket;
}

const crypt::CryptKeys& Keys() {
  static const crypt::CryptKeys keys = crypt::DeriveKeys(kPassword, "").value();
  return keys;
}

crypt::CryptConfig Config(crypt::NameMode mode) {
  crypt::CryptConfig c;
  c.password = kPassword;
  c.names.mode = mode;
  return c;
}

// crypt over a fresh prefix of bucket.
std::unique_ptr<Remote> MakeCryptS3(const std::string& bucket, const crypt::CryptConfig& config) {
  auto r = crypt::NewCryptRemote(MakeS3Remote(bucket + "/" + test::UniqueName("c")),
                                 "crypt(s3):", config, Keys());
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message()));
  return std::move(r).value();
}

// Long (200-byte) plaintext names are left out: their standard-mode ciphertext segment is 333
// bytes, which s3rver cannot store (it keeps each key segment as a file name, at most 255 bytes).
TEST_CASE("crypt over s3 [any server]: conformance, standard names") {
  static const std::string bucket = NewBucket();
  RunConformanceSuite(
      {.name = "crypt(s3) standard",
       .make_empty_remote = [] { return MakeCryptS3(bucket, Config(crypt::NameMode::kStandard)); },
       .supports_empty_dirs = false,
       .supports_long_names = false,
       .server_lists_uploads = Server().rgw});
}

TEST_CASE("crypt over s3: a listed small file is read in one GET that reports its plain info") {
  const std::string bucket = NewBucket();
  auto r = MakeCryptS3(bucket, Config(crypt::NameMode::kStandard));
  const std::string data = test::Pattern(100'000, 7);
  const TimePoint mtime{std::chrono::nanoseconds(1'700'000'000'123456789LL)};
  {
    MemoryReader reader(data);
    PutOptions opts;
    opts.size = static_cast<int64_t>(data.size());
    opts.mtime = mtime;
    REQUIRE(r->Put(Context{}, "d/file.bin", reader, opts).has_value());
  }
  auto listed = r->List(Context{}, "d");
  REQUIRE(listed.has_value());
  REQUIRE_EQ(listed->size(), 1u);
  CHECK(listed->front().mtime_is_upload_time);  // S3 listings give upload times
  const int before = Server().Stat("forwarded");
  auto reader = r->OpenListed(Context{}, listed->front());
  REQUIRE(reader.has_value());
  CHECK_EQ(Server().Stat("forwarded"), before + 1);  // the GET only: no HEAD
  auto got = ReadAll(**reader);
  REQUIRE(got.has_value());
  CHECK(*got == data);
  const ObjectInfo* info = (*reader)->OpenedInfo();
  REQUIRE(info != nullptr);
  CHECK_EQ(info->size, static_cast<int64_t>(data.size()));  // the plaintext size
  CHECK_EQ(info->mtime, mtime);
  CHECK_FALSE(info->mtime_is_upload_time);
  CHECK(info->hashes.empty());  // crypt has no plaintext hashes
  // A ranged read reports nothing about the whole object.
  auto ranged = r->Open(Context{}, "d/file.bin", 10, 100);
  REQUIRE(ranged.has_value());
  CHECK((*ranged)->OpenedInfo() == nullptr);
}

TEST_CASE("crypt over s3 [any server]: conformance, obfuscated names") {
  static const std::string bucket = NewBucket();
  RunConformanceSuite(
      {.name = "crypt(s3) obfuscate",
       .make_empty_remote = [] { return MakeCryptS3(bucket, Config(crypt::NameMode::kObfuscate)); },
       .supports_empty_dirs = false,
       .server_lists_uploads = Server().rgw});
}

// ---- Interop with rclone through the S3 server ----

// Every object under remote's root (recursively), path → first up to 8 bytes.
std::map<std::string, std::string> ObjectHeads(Remote& remote, const std::string& dir = "") {
  std::map<std::string, std::string> out;
  auto list = remote.List(Context{}, dir);
  REQUIRE_MESSAGE(list.has_value(), (list ? "" : list.error().message()));
  for (const ObjectInfo& e : *list) {
    if (e.is_dir) {
      out.merge(ObjectHeads(remote, e.path));
      continue;
    }
    auto reader = remote.Open(Context{}, e.path, 0, std::min<int64_t>(e.size, 8));
    REQUIRE_MESSAGE(reader.has_value(), (reader ? "" : reader.error().message()));
    auto data = ReadAll(**reader);
    REQUIRE(data.has_value());
    out[e.path] = *data;
  }
  return out;
}

// One scratch folder, one config file for both tools, one fresh bucket.
class S3Interop : public test::RcloneRun {
 public:
  explicit S3Interop(std::string rclone) : RcloneRun(std::move(rclone)), bucket_(NewBucket()) {}

  const std::string& bucket() const { return bucket_; }

  // The plaintext tree: an empty file, exactly 64 KiB, a multi-chunk file, a unicode name,
  // nested directories. Every directory holds a file directly: s3rver 3.7.1's delimited listing
  // leaves out a common prefix that holds only deeper prefixes (with only a/b/c/deep.txt, listing
  // "" shows no "a/"), which would hide such a directory from both tools.
  std::map<std::string, std::string> MakeTree() const {
    const std::map<std::string, std::string> files = {
        {"empty.txt", ""},
        {"exact64k.bin", test::Pattern(65536, 1)},
        {"multi.bin", test::Pattern(200000, 2)},
        {"ünïcödé/日本語のファイル.txt", "unicode ✓\n"},
        {"a/top.txt", "top\n"},
        {"a/b/sibling.bin", test::Pattern(1000, 3)},
        {"a/b/c/deep.txt", "deep\n"},
    };
    for (const auto& [path, data] : files) REQUIRE(test::WriteFile(P("src/" + path), data));
    return files;
  }
  // [s3] on the front with the test keys; [c] (cvclone writes) and [r] (rclone writes) are
  // crypt remotes over two prefixes of the bucket, with the same password.
  void WriteConfig() const {
    const test::S3TestServer& s = Server();
    const std::string crypt_body = "type = crypt\npassword = " + RcloneObscure(kPassword) + "\n";
    const std::string text =
        "# written for both tools\n[s3]\ntype = s3\nprovider = Other\naccess_key_id = " +
        s.access_key + "\nsecret_access_key = " + s.secret_key + "\nendpoint = " + s.Endpoint() +
        "\nregion = us-east-1\nforce_path_style = true\n\n[c]\n" + crypt_body +
        "remote = s3:" + bucket_ + "/cv\n\n[r]\n" + crypt_body + "remote = s3:" + bucket_ + "/rc\n";
    RcloneRun::WriteConfig(text);
  }

 private:
  std::string bucket_;
};

TEST_CASE("crypt over s3 [any server]: interop with rclone") {
  const std::string rclone = test::FindOnPath("rclone");
  if (rclone.empty()) {
    MESSAGE("rclone is not installed: interop test skipped");
    return;
  }
  S3Interop t(rclone);
  const auto files = t.MakeTree();
  t.WriteConfig();

  // cvclone writes into crypt(s3); rclone reads it back and cryptchecks it.
  CHECK_RUN_OK(t.Cvclone({"copy", "src", "c:"}));
  CHECK_RUN_OK(t.Rclone({"copy", "c:", t.P("back_rc")}));
  CHECK(test::ReadTree(t.P("back_rc")) == files);
  CHECK_RUN_OK(t.Rclone({"cryptcheck", "src", "c:"}));
  auto cat = t.Rclone({"cat", "c:multi.bin"});
  CHECK_RUN_OK(cat);
  CHECK(cat.out == files.at("multi.bin"));

  // rclone writes into its crypt(s3); cvclone reads it back and checks it.
  CHECK_RUN_OK(t.Rclone({"copy", "src", "r:"}));
  CHECK_RUN_OK(t.Cvclone({"copy", "r:", "back_cv"}));
  CHECK(test::ReadTree(t.P("back_cv")) == files);
  CHECK_RUN_OK(t.Cvclone({"check", "src", "r:"}));
  CHECK_RUN_OK(t.Cvclone({"check", "--download", "src", "r:"}));
  CHECK_RUN_OK(t.Cvclone({"cryptcheck", "src", "r:"}));

  // The provider's view: the same encrypted names on both sides (names are deterministic),
  // every object an rclone crypt file, and no plaintext name anywhere.
  auto cv_objects = ObjectHeads(*MakeS3Remote(t.bucket() + "/cv"));
  auto rc_objects = ObjectHeads(*MakeS3Remote(t.bucket() + "/rc"));
  std::vector<std::string> cv_names, rc_names;
  for (const auto& [path, head] : cv_objects) cv_names.push_back(path);
  for (const auto& [path, head] : rc_objects) rc_names.push_back(path);
  CHECK(cv_names == rc_names);
  CHECK(cv_names.size() == files.size());
  for (const auto& objects : {cv_objects, rc_objects}) {
    for (const auto& [path, head] : objects) {
      CAPTURE(path);
      CHECK(head == std::string("RCLONE\0\0", 8));
      CHECK(path.find("deep") == std::string::npos);
      CHECK(path.find(".txt") == std::string::npos);
    }
  }
}

}  // namespace
}  // namespace cvclone
