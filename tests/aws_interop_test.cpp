// Interop with the AWS CLI (v1, botocore) through the signature-checking front
// (tests/servers/s3front.py) in front of s3rver: objects the real build/cvclone binary uploads
// (single-part and multipart) are downloaded byte-identically by `aws s3 cp` and carry rclone's
// metadata (X-Amz-Meta-Mtime, X-Amz-Meta-Md5chksum) as `aws s3api head-object` shows it; objects
// `aws s3 cp` uploads (one of them multipart) are listed, checked and copied down by cvclone
// byte-identically; a wrong secret key fails fast with one clear error. Skipped when `aws` is not
// on PATH. Only 127.0.0.1 is contacted.
//
// What `cvclone check` does for objects the CLI uploads in several parts: they carry no
// md5chksum metadata, and on AWS their ETag is "<md5 of part md5s>-N", which is not an MD5, so
// check compares sizes only for them (silently; a hash missing on either side means "sizes
// only"). s3rver's multipart ETag is the whole object's MD5 (tests/README.md), so against it
// check compares MD5s even for those; `check --download` is what compares bytes on AWS.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "backends/s3/multipart.hpp"
#include "core/io.hpp"
#include "tests/support/process.hpp"
#include "tests/support/s3_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone {
namespace {

namespace fs = std::filesystem;
using test::ProcessResult;

const test::S3TestServer& Server() {
  std::string why;
  const test::S3TestServer* s = test::SharedS3Server(&why);
  REQUIRE_MESSAGE(s != nullptr, why);
  return *s;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// base64 of the raw MD5 of data: rclone's X-Amz-Meta-Md5chksum.
std::string Md5Base64(const std::string& data) {
  const std::string hex = HashBytes(AsBytes(data), HashSet{HashType::kMd5}).at(HashType::kMd5);
  std::string raw;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    raw.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return s3::Base64Encode(raw);
}

// `cvclone ls`/`lsl` output: name (last field) -> size (first field).
std::map<std::string, int64_t> ListedSizes(const std::string& out) {
  std::map<std::string, int64_t> sizes;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    if (f.size() >= 2) sizes[f.back()] = std::stoll(f.front());
  }
  return sizes;
}

int CountLines(const std::string& text, const std::string& needle) {
  int n = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) n += Contains(line, needle) ? 1 : 0;
  return n;
}

// One temporary directory with a cvclone config ([s3] at the front) and a clean AWS CLI
// environment (only the front's credentials, no user config or profile).
class AwsInterop {
 public:
  explicit AwsInterop(std::string aws) : aws_(std::move(aws)) {
    const test::S3TestServer& s = Server();
    WriteConfig("cvclone.conf", s.secret_key);
    REQUIRE(dir_.WriteFile("aws-config", "[default]\ns3 =\n    signature_version = s3v4\n"));
    env_ = {{"AWS_ACCESS_KEY_ID", s.access_key},
            {"AWS_SECRET_ACCESS_KEY", s.secret_key},
            {"AWS_DEFAULT_REGION", "us-east-1"},
            {"AWS_CONFIG_FILE", P("aws-config")},
            {"AWS_SHARED_CREDENTIALS_FILE", P("no-credentials")},
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"AWS_MAX_ATTEMPTS", "2"},
            // No aws-chunked bodies (the front would decode them, but plain bodies are simpler).
            {"AWS_REQUEST_CHECKSUM_CALCULATION", "when_required"},
            {"HOME", dir_.path()},
            {"TZ", "UTC"}};
  }

  std::string P(const std::string& rel) const { return dir_.Path(rel); }
  const test::TempDir& dir() const { return dir_; }

  // A config file rel with one [s3] remote at the front, using secret.
  void WriteConfig(const std::string& rel, const std::string& secret) const {
    const test::S3TestServer& s = Server();
    REQUIRE(
        dir_.WriteFile(rel, "[s3]\ntype = s3\nprovider = Other\naccess_key_id = " + s.access_key +
                                "\nsecret_access_key = " + secret + "\nendpoint = " + s.Endpoint() +
                                "\nregion = us-east-1\nupload_cutoff = 5Mi\nchunk_size = 5Mi\n"));
  }

  ProcessResult Cvclone(std::vector<std::string> args,
                        const std::string& conf = "cvclone.conf") const {
    args.insert(args.begin(), {"--config", P(conf)});
    return Run(CVCLONE_BINARY_DIR "/cvclone", args);
  }
  ProcessResult Aws(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--endpoint-url", Server().Endpoint()});
    return Run(aws_, args);
  }

 private:
  ProcessResult Run(const std::string& program, const std::vector<std::string>& args) const {
    test::ProcessOptions opts;
    opts.cwd = dir_.path();
    opts.set_env = env_;
    opts.unset_env = {"CVCLONE_CONFIG",    "XDG_CONFIG_HOME", "AWS_PROFILE",
                      "AWS_SESSION_TOKEN", "AWS_CA_BUNDLE",   "AWS_ENDPOINT_URL"};
    opts.timeout = std::chrono::seconds(60);
    ProcessResult r = test::RunProcess(program, args, opts);
    REQUIRE_MESSAGE(r.error.empty(), r.error);
    return r;
  }

  std::string aws_;
  test::TempDir dir_;
  std::map<std::string, std::string> env_;
};

#define REQUIRE_RUN(result)                                                   \
  REQUIRE_MESSAGE((result).exit_code == 0, "stdout:\n"                        \
                                               << (result).out << "stderr:\n" \
                                               << (result).err)

TEST_CASE("aws interop [any server]: objects cvclone uploads are read by aws s3 cp with rclone's metadata") {
  const std::string aws = test::FindOnPath("aws");
  if (aws.empty()) {
    MESSAGE("aws is not installed: skipped");
    return;
  }
  AwsInterop t(aws);
  const std::string bucket = test::UniqueName("awsdown");
  const std::string small = test::Pattern(100 * 1024 + 3, 1);
  const std::string large = test::Pattern(12 * 1024 * 1024 + 5, 2);  // 3 parts of 5 MiB at most
  REQUIRE(t.dir().WriteFile("src/small.bin", small));
  REQUIRE(t.dir().WriteFile("src/large.bin", large));
  REQUIRE(test::SetFileMtime(t.P("src/small.bin"), 1614834367'123456789LL));
  REQUIRE(test::SetFileMtime(t.P("src/large.bin"), 1614834367'500000000LL));

  REQUIRE_RUN(t.Cvclone({"mkdir", "s3:" + bucket}));
  REQUIRE_RUN(t.Cvclone({"copy", t.P("src"), "s3:" + bucket + "/up"}));

  auto get = t.Aws(
      {"s3", "cp", "--recursive", "--only-show-errors", "s3://" + bucket + "/up", t.P("back")});
  REQUIRE_RUN(get);
  const auto back = test::ReadTree(t.P("back"));
  CHECK(back.size() == 2);
  CHECK((back.count("small.bin") == 1 && back.at("small.bin") == small));
  CHECK((back.count("large.bin") == 1 && back.at("large.bin") == large));

  // rclone's format: decimal Unix seconds, trailing zeros of the fraction trimmed.
  const std::string query = "[ContentLength, Metadata.mtime, Metadata.md5chksum]";
  auto head_small = t.Aws({"s3api", "head-object", "--bucket", bucket, "--key", "up/small.bin",
                           "--query", query, "--output", "text"});
  REQUIRE_RUN(head_small);
  CHECK(head_small.out == std::to_string(small.size()) + "\t1614834367.123456789\tNone\n");

  auto head_large = t.Aws({"s3api", "head-object", "--bucket", bucket, "--key", "up/large.bin",
                           "--query", query, "--output", "text"});
  REQUIRE_RUN(head_large);
  CHECK(head_large.out ==
        std::to_string(large.size()) + "\t1614834367.5\t" + Md5Base64(large) + "\n");
}

TEST_CASE("aws interop [any server]: objects aws s3 cp uploads are listed, checked and copied by cvclone") {
  const std::string aws = test::FindOnPath("aws");
  if (aws.empty()) {
    MESSAGE("aws is not installed: skipped");
    return;
  }
  AwsInterop t(aws);
  const std::string bucket = test::UniqueName("awsup");
  const std::map<std::string, std::string> tree = {
      {"one.txt", "one\n"},
      {"d/x.bin", test::Pattern(3000, 3)},
      {"d/e/empty", ""},
      {"d/big.bin",
       test::Pattern(9 * 1024 * 1024 + 7, 4)},  // above the CLI's 8 MiB multipart threshold
  };
  for (const auto& [rel, data] : tree) REQUIRE(t.dir().WriteFile("tree/" + rel, data));

  REQUIRE_RUN(t.Aws({"s3", "mb", "s3://" + bucket}));
  REQUIRE_RUN(t.Aws({"s3", "cp", "--recursive", "--only-show-errors", t.P("tree"),
                     "s3://" + bucket + "/fromaws"}));
  const std::string remote = "s3:" + bucket + "/fromaws";

  std::map<std::string, int64_t> want;
  for (const auto& [rel, data] : tree) want[rel] = static_cast<int64_t>(data.size());
  auto lsl = t.Cvclone({"lsl", remote});
  REQUIRE_RUN(lsl);
  CHECK(ListedSizes(lsl.out) == want);
  auto ls = t.Cvclone({"ls", remote});
  REQUIRE_RUN(ls);
  CHECK(ListedSizes(ls.out) == want);
  CHECK(Contains(ls.out, "  9437191 d/big.bin\n"));

  auto check = t.Cvclone({"check", t.P("tree"), remote});
  CHECK_MESSAGE(check.exit_code == 0, check.err);
  CHECK(Contains(check.err, "0 differences found"));
  auto check_bytes = t.Cvclone({"check", "--download", t.P("tree"), remote});
  CHECK_MESSAGE(check_bytes.exit_code == 0, check_bytes.err);

  auto copy = t.Cvclone({"copy", remote, t.P("down")});
  REQUIRE_RUN(copy);
  CHECK(test::ReadTree(t.P("down")) == tree);

  // The single-part objects' ETag is their MD5, so check sees a same-size change.
  std::string changed = tree.at("d/x.bin");
  changed[100] = static_cast<char>(changed[100] ^ 1);
  REQUIRE(t.dir().WriteFile("tree/d/x.bin", changed));
  auto check_changed = t.Cvclone({"check", t.P("tree"), remote});
  CHECK(check_changed.exit_code != 0);
  CHECK(CountLines(check_changed.err, "d/x.bin: md5 differ") == 1);
  CHECK(Contains(check_changed.err, "1 differences found"));
}

TEST_CASE("aws interop [any server]: a wrong secret key fails fast with one clear error") {
  AwsInterop t("");
  const std::string bucket = test::UniqueName("awsbad");
  REQUIRE_RUN(t.Cvclone({"mkdir", "s3:" + bucket}));
  REQUIRE(t.dir().WriteFile("f.txt", "data\n"));
  REQUIRE_RUN(t.Cvclone({"copy", t.P("f.txt"), "s3:" + bucket}));
  const std::string wrong = "Wrong/Secret+Key0123456789abcdefghijklmn";
  t.WriteConfig("bad.conf", wrong);

  const int failures_before = Server().Stat("auth_failures");
  const auto start = std::chrono::steady_clock::now();
  auto lsl = t.Cvclone({"lsl", "s3:" + bucket}, "bad.conf");
  auto down = t.Cvclone({"copy", "s3:" + bucket, t.P("down")}, "bad.conf");
  auto up = t.Cvclone({"copy", t.P("f.txt"), "s3:" + bucket + "/other"}, "bad.conf");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const int failures = Server().Stat("auth_failures") - failures_before;

  for (const ProcessResult* r : {&lsl, &down, &up}) {
    CHECK_MESSAGE(r->exit_code != 0, r->err);
    CHECK_MESSAGE(CountLines(r->err, "ERROR") == 1, r->err);
    CHECK_FALSE(Contains(r->out + r->err, wrong));
  }
  // Listings get S3's error XML: the code and a plain-words explanation.
  CHECK(CountLines(lsl.err, "signature does not match") == 1);
  CHECK(Contains(lsl.err, "SignatureDoesNotMatch"));
  CHECK(CountLines(down.err, "signature does not match") == 1);
  // A HEAD answer has no body, hence no S3 error code: 403 is reported as access denied.
  CHECK(Contains(up.err, "403"));
  CHECK((Contains(up.err, "access denied") || Contains(up.err, "signature does not match")));
  // No retry storm: a 403 is not retryable, so a handful of signed requests in all (counted by
  // the front; RGW has none).
  if (!Server().rgw) {
    CHECK(failures >= 3);
    CHECK(failures <= 9);
  }
  CHECK(elapsed < std::chrono::seconds(10));
  CHECK_FALSE(fs::exists(t.P("down")));
}

}  // namespace
}  // namespace cvclone
