// Unfinished multipart uploads (issue #12) against the test S3 server: an upload left unfinished
// is resumed by the next upload of the same key (only the missing parts are sent), or aborted
// when the data differs (a changed file, crypt's fresh nonce); another client's upload is left
// alone; `cvclone cleanup` aborts what is older than --max-age.
//
// Ceph RGW answers ListParts, ListMultipartUploads and AbortMultipartUpload; s3rver 3.7.1 answers
// each with 405 (tests/README.md). So these tests run on both servers ("[any server]") and check
// on each what it can show: on RGW the resume itself, with the server's own listings read by the
// AWS CLI as an independent witness; on s3rver that an upload still succeeds, sending every part,
// that no record of an upload the server cannot abort stays behind, and that cleanup fails with a
// clear error. A failed upload is left unfinished with leave_parts_on_error (rclone's option),
// which is deterministic where a kill is not; tests/kill_test.cpp kills real runs.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "backends/s3/s3_remote.hpp"
#include "core/io.hpp"
#include "crypt/crypt_remote.hpp"
#include "crypt/keys.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/process.hpp"
#include "tests/support/s3_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone {
namespace {

namespace fs = std::filesystem;
using test::Contains;
using test::ProcessResult;

constexpr size_t kPart = 5 << 20;
const TimePoint kMtime{std::chrono::nanoseconds(1614834367'123456789LL)};
const std::map<std::string, std::string> kMultipart = {
    {"upload_cutoff", "5Mi"}, {"chunk_size", "5Mi"}, {"upload_concurrency", "1"}};

#define REQUIRE_OK(expr)                                                          \
  do {                                                                            \
    auto&& r_ = (expr);                                                           \
    REQUIRE_MESSAGE(r_.has_value(), (r_ ? std::string() : r_.error().message())); \
  } while (0)

const test::S3TestServer& Server() {
  std::string why;
  const test::S3TestServer* s = test::SharedS3Server(&why);
  REQUIRE_MESSAGE(s != nullptr, why);
  return *s;
}

// $CVCLONE_STATE_DIR points at a fresh folder while this lives: the journal of the remotes made
// meanwhile (and of the cvclone processes started) is there, not in the user's home.
class ScopedStateDir {
 public:
  ScopedStateDir() {
    if (const char* old = std::getenv("CVCLONE_STATE_DIR")) old_ = old;
    ::setenv("CVCLONE_STATE_DIR", dir_.path().c_str(), 1);
  }
  ~ScopedStateDir() {
    if (old_) {
      ::setenv("CVCLONE_STATE_DIR", old_->c_str(), 1);
    } else {
      ::unsetenv("CVCLONE_STATE_DIR");
    }
  }
  // The upload records kept there.
  size_t Records() const {
    const fs::path uploads = fs::path(dir_.path()) / "uploads";
    if (!fs::exists(uploads)) return 0;
    return static_cast<size_t>(std::distance(fs::directory_iterator(uploads), {}));
  }

 private:
  test::TempDir dir_;
  std::optional<std::string> old_;
};

std::unique_ptr<Remote> MakeRemote(const std::string& root,
                                   std::map<std::string, std::string> extra = kMultipart) {
  const test::S3TestServer& s = Server();
  extra.insert({{"provider", "Other"},
                {"access_key_id", s.access_key},
                {"secret_access_key", s.secret_key},
                {"endpoint", s.Endpoint()},
                {"region", "us-east-1"}});
  auto r = s3::NewS3Remote("s3:" + root, root, Options(extra));
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message()));
  return std::move(r).value();
}

std::map<std::string, std::string> Leaving() {
  std::map<std::string, std::string> o = kMultipart;
  o["leave_parts_on_error"] = "true";
  return o;
}

std::string NewBucket() {
  const std::string bucket = test::UniqueName("up");
  auto st = MakeRemote(bucket)->Mkdir(Context{}, "");
  REQUIRE_MESSAGE(st.has_value(), (st ? "" : st.error().message()));
  return bucket;
}

// Yields data up to fail_at, then fails: an upload that breaks off after some parts.
class BreakingReader : public Reader {
 public:
  BreakingReader(const std::string& data, size_t fail_at) : data_(data), fail_at_(fail_at) {}
  Result<size_t> Read(std::span<std::byte> buf) override {
    if (pos_ == data_.size()) return size_t{0};
    if (pos_ >= fail_at_) return MakeError(ErrorCode::kIo, "the source broke off");
    const size_t n = std::min({buf.size(), fail_at_ - pos_, data_.size() - pos_});
    std::memcpy(buf.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  const std::string& data_;
  size_t fail_at_;
  size_t pos_ = 0;
};

PutOptions Opts(const std::string& data) {
  PutOptions o;
  o.size = static_cast<int64_t>(data.size());
  o.mtime = kMtime;
  return o;
}

// An upload of data to path that breaks off once `parts` parts were read, leaving them.
void LeaveUnfinished(Remote& r, const std::string& path, const std::string& data, size_t parts) {
  BreakingReader src(data, parts * kPart);
  auto put = r.Put(Context{}, path, src, Opts(data));
  REQUIRE_FALSE(put.has_value());
  CHECK(Contains(put.error().message(), "the source broke off"));
}

Result<ObjectInfo> PutString(Remote& r, const std::string& path, const std::string& data) {
  MemoryReader src(MemoryReader::kView, data);
  return r.Put(Context{}, path, src, Opts(data));
}

Result<std::string> ReadString(Remote& r, const std::string& path) {
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, r.Open(Context{}, path, 0, -1));
  return ReadAll(*reader);
}

std::string Md5Hex(const std::string& data) {
  return HashBytes(AsBytes(data), HashSet{HashType::kMd5}).at(HashType::kMd5);
}

// The AWS CLI against the test server: the server's own view of its unfinished uploads.
class Aws {
 public:
  Aws() : aws_(test::FindOnPath("aws")) {
    REQUIRE_MESSAGE(!aws_.empty(), "the AWS CLI (aws) is not on PATH: run scripts/setup-s3");
    REQUIRE(dir_.WriteFile("aws-config", "[default]\ns3 =\n    signature_version = s3v4\n"));
  }
  ProcessResult Run(std::vector<std::string> args) const {
    const test::S3TestServer& s = Server();
    args.insert(args.begin(), {"--endpoint-url", s.Endpoint(), "--output", "json"});
    test::ProcessOptions opts;
    opts.cwd = dir_.path();
    opts.set_env = {{"AWS_ACCESS_KEY_ID", s.access_key},
                    {"AWS_SECRET_ACCESS_KEY", s.secret_key},
                    {"AWS_DEFAULT_REGION", "us-east-1"},
                    {"AWS_CONFIG_FILE", dir_.Path("aws-config")},
                    {"AWS_SHARED_CREDENTIALS_FILE", dir_.Path("none")},
                    {"AWS_EC2_METADATA_DISABLED", "true"},
                    {"AWS_REQUEST_CHECKSUM_CALCULATION", "when_required"},
                    {"HOME", dir_.path()}};
    opts.unset_env = {"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CA_BUNDLE", "AWS_ENDPOINT_URL"};
    opts.timeout = std::chrono::seconds(60);
    ProcessResult r = test::RunProcess(aws_, args, opts);
    REQUIRE_MESSAGE(r.error.empty(), r.error);
    REQUIRE_MESSAGE(r.exit_code == 0, "aws " << args[4] << " " << args[5] << ": " << r.err);
    return r;
  }
  // The ids of the unfinished uploads of bucket/key.
  std::vector<std::string> Uploads(const std::string& bucket, const std::string& key) const {
    const std::string out =
        Run({"s3api", "list-multipart-uploads", "--bucket", bucket, "--prefix", key}).out;
    return Values(out, "UploadId");
  }
  size_t Parts(const std::string& bucket, const std::string& key, const std::string& id) const {
    const std::string out =
        Run({"s3api", "list-parts", "--bucket", bucket, "--key", key, "--upload-id", id}).out;
    return Values(out, "PartNumber").size();
  }
  // Another client's upload of bucket/key, with one part: its id.
  std::string StartUpload(const std::string& bucket, const std::string& key) const {
    const std::string out =
        Run({"s3api", "create-multipart-upload", "--bucket", bucket, "--key", key}).out;
    const std::vector<std::string> ids = Values(out, "UploadId");
    REQUIRE(ids.size() == 1);
    REQUIRE(dir_.WriteFile("part", test::Pattern(1000, 5)));
    Run({"s3api", "upload-part", "--bucket", bucket, "--key", key, "--upload-id", ids[0],
         "--part-number", "1", "--body", dir_.Path("part")});
    return ids[0];
  }

 private:
  // The values of "name": "value" (or a number) in the CLI's JSON.
  static std::vector<std::string> Values(const std::string& json, const std::string& name) {
    std::vector<std::string> out;
    const std::regex re("\"" + name + "\": \"?([^\",\\n]*)\"?");
    for (auto it = std::sregex_iterator(json.begin(), json.end(), re); it != std::sregex_iterator();
         ++it) {
      out.push_back((*it)[1]);
    }
    return out;
  }

  std::string aws_;
  test::TempDir dir_;
};

TEST_CASE(
    "s3 resume [any server]: an upload left unfinished is resumed, sending only the "
    "missing parts") {
  ScopedStateDir state;
  const std::string bucket = NewBucket();
  const std::string data = test::Pattern(4 * kPart + 1000, 21);  // 5 parts
  LeaveUnfinished(*MakeRemote(bucket, Leaving()), "big.bin", data, 2);
  CHECK(state.Records() == 1);
  const bool rgw = Server().rgw;
  std::optional<Aws> aws;
  if (rgw) {
    aws.emplace();
    const std::vector<std::string> ids = aws->Uploads(bucket, "big.bin");
    REQUIRE(ids.size() == 1);
    CHECK(aws->Parts(bucket, "big.bin", ids[0]) == 2);
  }

  auto rerun = MakeRemote(bucket);
  REQUIRE_OK(PutString(*rerun, "big.bin", data));
  // RGW: parts 3 to 5. s3rver can neither list the parts nor abort the upload: all five, and the
  // record of an upload that nothing can ever resume or abort is dropped.
  CHECK(s3::UploadPartRequests(*rerun) == (rgw ? 3 : 5));
  CHECK(ReadString(*rerun, "big.bin").value_or("") == data);
  CHECK(rerun->Hash(Context{}, "big.bin", HashType::kMd5).value_or("") == Md5Hex(data));
  CHECK(Contains(Server().SignedHead(bucket, "big.bin"), "x-amz-meta-md5chksum: "));
  auto stat = rerun->Stat(Context{}, "big.bin");
  REQUIRE_OK(stat);
  CHECK(stat->size == static_cast<int64_t>(data.size()));
  CHECK(stat->mtime == kMtime);
  CHECK(state.Records() == 0);
  if (rgw) CHECK(aws->Uploads(bucket, "big.bin").empty());
}

TEST_CASE(
    "s3 resume [any server]: a file changed between runs is uploaded whole, and the old "
    "upload does not stay") {
  ScopedStateDir state;
  const std::string bucket = NewBucket();
  const bool rgw = Server().rgw;
  const std::string old_data = test::Pattern(4 * kPart + 1000, 22);
  std::string new_data = old_data;
  size_t expected_parts = 5;
  SUBCASE("the first part changed: the old upload is aborted, a new one made") {
    new_data[100] = static_cast<char>(new_data[100] ^ 1);
  }
  SUBCASE("the second part changed: the first is kept, the second sent again in place") {
    new_data[kPart + 100] = static_cast<char>(new_data[kPart + 100] ^ 1);
    if (rgw) expected_parts = 4;
  }
  SUBCASE("the file grew: the part size is the same, the old parts are kept") {
    new_data += test::Pattern(kPart, 23);
    expected_parts = rgw ? 4 : 6;
  }
  LeaveUnfinished(*MakeRemote(bucket, Leaving()), "f.bin", old_data, 2);
  auto rerun = MakeRemote(bucket);
  REQUIRE_OK(PutString(*rerun, "f.bin", new_data));
  CHECK(s3::UploadPartRequests(*rerun) == static_cast<int64_t>(expected_parts));
  CHECK(ReadString(*rerun, "f.bin").value_or("") == new_data);
  CHECK(rerun->Hash(Context{}, "f.bin", HashType::kMd5).value_or("") == Md5Hex(new_data));
  CHECK(state.Records() == 0);
  if (rgw) CHECK(Aws().Uploads(bucket, "f.bin").empty());
}

TEST_CASE(
    "s3 resume [any server]: through crypt nothing matches (a fresh nonce): the old upload "
    "is aborted and the file uploaded anew") {
  ScopedStateDir state;
  const std::string bucket = NewBucket();
  crypt::CryptConfig config;
  config.password = "resume test";
  auto keys = crypt::DeriveKeys(config.password, "");
  REQUIRE_OK(keys);
  auto make = [&](std::map<std::string, std::string> options) {
    auto r =
        crypt::NewCryptRemote(MakeRemote(bucket, std::move(options)), "crypt(s3):", config, *keys);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message()));
    return std::move(r).value();
  };
  const std::string data = test::Pattern(4 * kPart, 24);  // 5 encrypted parts
  LeaveUnfinished(*make(Leaving()), "secret.bin", data, 2);
  CHECK(state.Records() == 1);
  auto rerun = make(kMultipart);
  REQUIRE_OK(PutString(*rerun, "secret.bin", data));
  const Remote& inner = crypt::AsCrypt(*rerun)->Inner();
  CHECK(s3::UploadPartRequests(inner) == 5);
  CHECK(ReadString(*rerun, "secret.bin").value_or("") == data);
  CHECK(state.Records() == 0);
  if (Server().rgw) {
    Aws aws;
    auto listed = crypt::AsCrypt(*rerun)->Inner().List(Context{}, "");
    REQUIRE_OK(listed);
    REQUIRE(listed->size() == 1);
    CHECK(aws.Uploads(bucket, listed->front().path).empty());
  }
}

std::string S3Section(const test::S3TestServer& s) {
  return "[s3]\ntype = s3\nprovider = Other\naccess_key_id = " + s.access_key +
         "\nsecret_access_key = " + s.secret_key + "\nendpoint = " + s.Endpoint() +
         "\nregion = us-east-1\nupload_cutoff = 5Mi\nchunk_size = 5Mi\n\n";
}

ProcessResult RunLogged(const test::Cli& cli, const std::vector<std::string>& args) {
  ProcessResult r = cli.Run(args, {{"CVCLONE_CRYPT_PASSWORD", "pw"}});
  std::string joined;
  for (const std::string& a : args) joined += a + " ";
  MESSAGE("cvclone " << joined << "-> exit " << r.exit_code << "\n" << r.err);
  return r;
}

TEST_CASE(
    "s3 cleanup [any server]: copy leaves another client's upload alone, cleanup aborts "
    "what is older than --max-age, and --dry-run nothing") {
  ScopedStateDir state;
  const test::S3TestServer& s = Server();
  const std::string bucket = NewBucket();
  test::Cli cli;
  cli.WriteConfig(S3Section(s));
  if (!s.rgw) {
    ProcessResult r = RunLogged(cli, {"cleanup", "s3:" + bucket, "--max-age", "0s"});
    CHECK(r.exit_code != 0);
    CHECK(Contains(r.err, "ListMultipartUploads"));
    CHECK((Contains(r.err, "501 NotImplemented") || Contains(r.err, "405 MethodNotAllowed")));
    return;
  }
  Aws aws;
  const std::string theirs = aws.StartUpload(bucket, "big.bin");
  const std::string data = test::Pattern(3 * kPart + 10, 25);
  REQUIRE(cli.dir().WriteFile("src/big.bin", data));
  CHECK(RunLogged(cli, {"copy", cli.P("src"), "s3:" + bucket}).exit_code == 0);
  CHECK(aws.Uploads(bucket, "big.bin") == std::vector<std::string>{theirs});

  ProcessResult fresh = RunLogged(cli, {"cleanup", "s3:" + bucket, "-v"});  // default 24h
  CHECK(fresh.exit_code == 0);
  CHECK(Contains(fresh.err, "started at least 1d ago"));
  ProcessResult other_dir = RunLogged(cli, {"cleanup", "s3:" + bucket + "/sub", "--max-age", "0s"});
  CHECK(other_dir.exit_code == 0);
  ProcessResult dry = RunLogged(cli, {"cleanup", "s3:" + bucket, "--max-age", "0s", "--dry-run"});
  CHECK(dry.exit_code == 0);
  CHECK(Contains(dry.err, "Skipped abort as --dry-run is set"));
  CHECK(Contains(dry.err, theirs));
  ProcessResult dry_crypt =
      RunLogged(cli, {"cleanup", "crypt(s3:" + bucket + ")", "--max-age", "0s", "--dry-run"});
  CHECK(dry_crypt.exit_code == 0);
  CHECK(Contains(dry_crypt.err, theirs));
  CHECK(aws.Uploads(bucket, "big.bin") == std::vector<std::string>{theirs});

  ProcessResult old = RunLogged(cli, {"cleanup", "s3:" + bucket, "--max-age", "0s", "-v"});
  CHECK(old.exit_code == 0);
  CHECK(Contains(old.err, "aborted the unfinished upload " + theirs));
  CHECK(aws.Uploads(bucket, "big.bin").empty());
  CHECK(cli.dir().ReadFile("src/big.bin") == data);
  CHECK(state.Records() == 0);
}

TEST_CASE("cleanup: a remote without unfinished uploads (local) is a clear error") {
  test::Cli cli;
  cli.MakeTree("d");
  ProcessResult r = cli.Run({"cleanup", "d"});
  CHECK(r.exit_code != 0);
  CHECK(Contains(r.err, "cleanup is not supported by local remote \"d\""));
  ProcessResult bad = cli.Run({"cleanup", "d", "--max-age", "soon"});
  CHECK(bad.exit_code == 1);
  CHECK(Contains(bad.err, "--max-age"));
  ProcessResult help = cli.Run({"cleanup", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(Contains(help.out, "--max-age"));
}

}  // namespace
}  // namespace cvclone
