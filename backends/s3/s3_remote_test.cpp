// Unit tests of the s3 backend's pieces that need no server: options, the mtime metadata format,
// part sizing, and the multipart uploader's pool/abort logic over an in-memory target. The
// remote itself is tested against s3rver in tests/s3_test.cpp.
#include "backends/s3/s3_remote.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <utility>
#include <vector>

#include "backends/s3/multipart.hpp"
#include "backends/s3/s3_options.hpp"
#include "backends/s3/s3_remote_impl.hpp"
#include "core/io.hpp"

namespace cvclone::s3 {
namespace {

using std::chrono::nanoseconds;

TEST_CASE("s3 options: defaults and rclone's names") {
  auto c = ParseS3Config(Options());
  REQUIRE(c.has_value());
  CHECK_EQ(c->region, "us-east-1");
  CHECK_EQ(c->endpoint, "https://s3.us-east-1.amazonaws.com");
  CHECK_FALSE(c->path_style);  // AWS without a custom endpoint: virtual-hosted
  CHECK_EQ(c->upload_cutoff, 200 << 20);
  CHECK_EQ(c->chunk_size, 5 << 20);
  CHECK_EQ(c->upload_concurrency, 4);
  CHECK_EQ(c->list_chunk, 1000);
  CHECK_EQ(c->list_version, 2);

  // The seed example: empty values mean default.
  auto ca = ParseS3Config(Options({{"env_auth", "false"},
                                   {"region", "ca-central-1"},
                                   {"endpoint", ""},
                                   {"location_constraint", "ca-central-1"},
                                   {"acl", "private"},
                                   {"server_side_encryption", ""},
                                   {"storage_class", ""}}));
  REQUIRE(ca.has_value());
  CHECK_EQ(ca->endpoint, "https://s3.ca-central-1.amazonaws.com");
  CHECK_EQ(ca->location_constraint, "ca-central-1");
  CHECK_EQ(ca->acl, "private");

  auto other = ParseS3Config(Options({{"provider", "Other"},
                                      {"endpoint", "127.0.0.1:9000"},
                                      {"chunk_size", "8Mi"},
                                      {"list_version", "1"}}));
  REQUIRE(other.has_value());
  CHECK_EQ(other->endpoint, "https://127.0.0.1:9000");
  CHECK(other->path_style);
  CHECK_EQ(other->chunk_size, 8 << 20);
  CHECK_EQ(other->list_version, 1);
  auto forced = ParseS3Config(Options({{"endpoint", "http://h:1"}, {"force_path_style", "false"}}));
  REQUIRE(forced.has_value());
  CHECK_FALSE(forced->path_style);
}

TEST_CASE("s3 options: bad values are config errors naming the option") {
  for (const auto& option :
       std::vector<std::pair<std::string, std::string>>{{"chunk_size", "1Mi"},
                                                        {"upload_concurrency", "0"},
                                                        {"list_chunk", "5000"},
                                                        {"list_version", "3"},
                                                        {"endpoint", "ftp://x"},
                                                        {"endpoint", "http://h/path"},
                                                        {"env_auth", "maybe"},
                                                        {"connect_timeout", "soon"}}) {
    const std::string& name = option.first;
    const std::string& value = option.second;
    CAPTURE(name);
    auto c = ParseS3Config(Options(std::map<std::string, std::string>{{name, value}}));
    REQUIRE_FALSE(c.has_value());
    CHECK_EQ(c.error().code(), ErrorCode::kConfig);
    CHECK(c.error().message().find(name) != std::string::npos);
  }
}

TEST_CASE("s3 options: secret flags and the registry entry") {
  Registry registry;
  RegisterS3Backend(registry);
  const BackendInfo* info = registry.Find("s3");
  REQUIRE(info != nullptr);
  for (const char* name :
       {"provider",         "access_key_id", "secret_access_key",  "session_token",
        "env_auth",         "region",        "endpoint",           "location_constraint",
        "force_path_style", "acl",           "storage_class",      "server_side_encryption",
        "upload_cutoff",    "chunk_size",    "upload_concurrency", "copy_cutoff",
        "list_chunk",       "list_version",  "no_check_bucket",    "disable_checksum"}) {
    CAPTURE(name);
    REQUIRE(info->FindOption(name) != nullptr);
  }
  CHECK(info->FindOption("secret_access_key")->secret);
  CHECK(info->FindOption("session_token")->secret);
  CHECK_FALSE(info->FindOption("access_key_id")->secret);
}

TEST_CASE("s3 options: durations") {
  CHECK_EQ(ParseDuration("30s").value(), std::chrono::seconds(30));
  CHECK_EQ(ParseDuration("1m30s").value(), std::chrono::seconds(90));
  CHECK_EQ(ParseDuration("500ms").value(), std::chrono::milliseconds(500));
  CHECK_EQ(ParseDuration("2").value(), std::chrono::seconds(2));
  CHECK_FALSE(ParseDuration("").has_value());
  CHECK_FALSE(ParseDuration("5x").has_value());
}

TEST_CASE("s3: mtime metadata in rclone's format") {
  CHECK_EQ(FormatMtime(TimePoint(nanoseconds(1614834367'123456789LL))), "1614834367.123456789");
  CHECK_EQ(FormatMtime(TimePoint(nanoseconds(1614834367'500000000LL))), "1614834367.5");
  CHECK_EQ(FormatMtime(TimePoint(nanoseconds(1614834367'000000000LL))), "1614834367");
  CHECK_EQ(FormatMtime(TimePoint(nanoseconds(1'000'000LL))), "0.001");
  CHECK_EQ(FormatMtime(TimePoint(nanoseconds(-500'000'000LL))), "-0.5");
  CHECK_EQ(ParseMtime("1614834367.123456789").value(),
           TimePoint(nanoseconds(1614834367'123456789LL)));
  CHECK_EQ(ParseMtime("1614834367.5").value(), TimePoint(nanoseconds(1614834367'500000000LL)));
  CHECK_EQ(ParseMtime("1614834367").value(), TimePoint(nanoseconds(1614834367'000000000LL)));
  CHECK_EQ(ParseMtime("-1.5").value(), TimePoint(nanoseconds(-1'500'000'000LL)));
  for (TimePoint t : {TimePoint(nanoseconds(1)), TimePoint(nanoseconds(-1)),
                      TimePoint(nanoseconds(1646370367'987654321LL))}) {
    CHECK_EQ(ParseMtime(FormatMtime(t)).value(), t);
  }
  CHECK_FALSE(ParseMtime("").has_value());
  CHECK_FALSE(ParseMtime("abc").has_value());
  CHECK_FALSE(ParseMtime("1.2.3").has_value());
}

// A value a TimePoint cannot hold is an error, not a signed overflow.
TEST_CASE("s3: mtime metadata beyond a TimePoint's range is refused") {
  for (const char* text :
       {"999999999999", "-999999999999", "9223372037", "9223372036.9", "-9223372037"}) {
    auto t = ParseMtime(text);
    INFO(text);
    REQUIRE_FALSE(t.has_value());
    CHECK(t.error().code() == ErrorCode::kInvalidArgument);
    CHECK(t.error().message().find("out of range") != std::string::npos);
  }
  CHECK_EQ(ParseMtime("9223372036.854775807").value(), TimePoint::max());
  CHECK_EQ(ParseMtime("-9223372036.854775808").value(), TimePoint::min());
  CHECK_EQ(FormatMtime(TimePoint::min()), "-9223372036.854775808");
  CHECK_EQ(FormatMtime(TimePoint::max()), "9223372036.854775807");
}

TEST_CASE("s3 options: durations beyond range, infinite or not a number are refused") {
  for (const char* text :
       {"1e300s", "1e300", "1e18ms", "inf", "infs", "nans", "-0.5s", "9999999999999h", "1e16s"}) {
    INFO(text);
    CHECK_FALSE(ParseDuration(text).has_value());
  }
  CHECK_EQ(ParseDuration("1e3ms").value(), std::chrono::seconds(1));
  auto cfg = ParseS3Config(Options(std::map<std::string, std::string>{{"timeout", "1e300s"}}));
  REQUIRE_FALSE(cfg.has_value());
  CHECK(cfg.error().code() == ErrorCode::kConfig);
  CHECK(cfg.error().message().find("timeout") != std::string::npos);
  CHECK(cfg.error().message().find("1e300s") != std::string::npos);
}

TEST_CASE("s3: part size is raised so that no upload needs more than 10000 parts") {
  constexpr int64_t kMiB = 1 << 20;
  CHECK_EQ(PartSizeFor(5 * kMiB, -1), 5 * kMiB);
  CHECK_EQ(PartSizeFor(5 * kMiB, 10 * kMiB), 5 * kMiB);
  CHECK_EQ(PartSizeFor(5 * kMiB, 50000 * kMiB), 5 * kMiB);
  const int64_t big = int64_t{1} << 40;  // 1 TiB
  const int64_t part = PartSizeFor(5 * kMiB, big);
  CHECK_LE((big + part - 1) / part, kMaxParts);
  CHECK_EQ(part % kMiB, 0);
  CHECK_EQ(PartSizeFor(1, 10), kMinChunkSize);
}

TEST_CASE("s3: hex and base64 helpers") {
  CHECK_EQ(ToHex(Md5Raw("")), "d41d8cd98f00b204e9800998ecf8427e");
  CHECK_EQ(Base64Encode(Md5Raw("")), "1B2M2Y8AsgTpgAmY7PhCfg==");
  CHECK_EQ(Base64Decode("1B2M2Y8AsgTpgAmY7PhCfg=="), Md5Raw(""));
  CHECK_EQ(Base64Decode("YQ=="), "a");
  CHECK_EQ(Base64Decode("YWI="), "ab");
  CHECK_EQ(Base64Decode("abc"), "");
  CHECK_EQ(HexDecode("00ff10"), std::string("\x00\xff\x10", 3));
  CHECK_EQ(HexDecode("0"), "");
  CHECK_EQ(HexDecode("zz"), "");
}

// Malformed padding decodes to nothing, never to a negative length.
TEST_CASE("s3: base64 with malformed padding decodes to nothing") {
  for (const char* text :
       {"====", "A===", "=AAA", "A=AA", "AA=A", "YQ==YQ==", "YQ=\n", "Y Q=", "YQ", "YWJj===="}) {
    INFO(text);
    CHECK_EQ(Base64Decode(text), "");
  }
  CHECK_EQ(Base64Decode("YWJj"), "abc");
  CHECK_EQ(Base64Decode("YWJjYQ=="), "abca");
}

// Last-Modified beyond a TimePoint's range is treated as malformed (the
// epoch), not converted with a signed overflow.
TEST_CASE("s3: HTTP dates beyond a TimePoint's range read as malformed") {
  using impl::ParseHttpDate;
  CHECK_EQ(ParseHttpDate("Wed, 21 Oct 2015 07:28:00 GMT"),
           TimePoint(std::chrono::seconds(1445412480)));
  CHECK_EQ(ParseHttpDate("Sat, 01 Jan 2300 00:00:00 GMT"), TimePoint{});
  CHECK_EQ(ParseHttpDate("Fri, 01 Jan 1600 00:00:00 GMT"), TimePoint{});
  CHECK_EQ(ParseHttpDate("Sun, 01 Jan 9999 00:00:00 GMT"), TimePoint{});
  CHECK_EQ(ParseHttpDate("garbage"), TimePoint{});
}

// Hostile metadata is ignored, the rest of the headers still count.
TEST_CASE("s3: object info ignores out-of-range mtime and malformed md5 metadata") {
  HttpHeaders h;
  h.Add("Content-Length", "42");
  h.Add("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT");
  h.Add("ETag", "\"abc-2\"");
  h.Add("x-amz-meta-mtime", "999999999999");
  h.Add("x-amz-meta-md5chksum", "====");
  ObjectInfo info = impl::InfoFromHeaders("obj", h);
  CHECK_EQ(info.size, 42);
  CHECK_EQ(info.mtime, TimePoint(std::chrono::seconds(1445412480)));
  CHECK(info.hashes.empty());
}

// An in-memory MultipartTarget: records parts, can fail one part, counts concurrency.
class MemoryTarget : public MultipartTarget {
 public:
  Result<std::string> Create(const Context&) override { return std::string("upload-1"); }
  Result<std::string> UploadPart(const Context& ctx, const std::string&, int n,
                                 std::string_view data, const std::string& md5) override {
    const int now = ++active_;
    int seen = max_active_.load();
    while (now > seen && !max_active_.compare_exchange_weak(seen, now)) {
    }
    --active_;
    if (ctx.Cancelled()) return MakeError(ErrorCode::kCancelled, "cancelled");
    if (n == fail_part) return MakeError(ErrorCode::kIo, "injected part failure");
    if (md5 != Base64Encode(Md5Raw(data))) return MakeError(ErrorCode::kCorrupt, "bad md5");
    std::lock_guard lock(mu_);
    parts_[n] = std::string(data);
    return corrupt_etags ? std::string("00000000000000000000000000000000") : ToHex(Md5Raw(data));
  }
  Result<std::string> Complete(const Context&, const std::string&,
                               const std::vector<CompletedPart>& parts) override {
    completed = true;
    std::string all;
    std::string md5s;
    for (const CompletedPart& p : parts) {
      all += parts_.at(p.part_number);
      md5s += Md5Raw(parts_.at(p.part_number));
    }
    object = all;
    object_etag = ToHex(Md5Raw(md5s)) + "-" + std::to_string(parts.size());
    if (head_etag.has_value()) object_etag = *head_etag;
    return empty_complete_etag ? std::string() : object_etag;
  }
  Result<std::string> HeadEtag(const Context&) override {
    ++heads;
    return object_etag;
  }
  Status RemoveCompleted(const Context&) override {
    removed = true;
    object.clear();
    return Ok();
  }
  Status Abort(const Context&, const std::string&) override {
    aborted = true;
    return Ok();
  }

  int fail_part = 0;
  bool corrupt_etags = false;
  bool empty_complete_etag = false;       // Complete answers <ETag></ETag> (Ceph RGW 16)
  std::optional<std::string> head_etag;   // the stored object's ETag, if not the right one
  std::string object_etag;
  int heads = 0;
  bool removed = false;
  bool completed = false;
  bool aborted = false;
  std::string object;
  std::atomic<int> max_active_{0};

 private:
  std::atomic<int> active_{0};
  std::mutex mu_;
  std::map<int, std::string> parts_;
};

std::string Data(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7919) >> 3);
  return s;
}

TEST_CASE("multipart: parts reassemble, md5 of the whole, multipart ETag checked") {
  const std::string data = Data((12 << 20) + 123);
  MemoryTarget target;
  MemoryReader src(MemoryReader::kView, data);
  auto out = UploadMultipart(
      Context{}, target, src,
      {.part_size = 5 << 20, .concurrency = 2, .expected_size = static_cast<int64_t>(data.size())});
  REQUIRE(out.has_value());
  CHECK_EQ(out->parts, 3);
  CHECK_EQ(out->size, static_cast<int64_t>(data.size()));
  CHECK_EQ(out->md5_hex, ToHex(Md5Raw(data)));
  CHECK(target.object == data);
  CHECK_FALSE(target.aborted);
  CHECK_LE(target.max_active_.load(), 2);
}

TEST_CASE("multipart: a failed part, a size mismatch, a bad ETag or a cancel abort the upload") {
  const std::string data = Data(11 << 20);
  SUBCASE("part failure") {
    MemoryTarget target;
    target.fail_part = 2;
    MemoryReader src(MemoryReader::kView, data);
    auto out = UploadMultipart(Context{}, target, src, {.part_size = 5 << 20});
    REQUIRE_FALSE(out.has_value());
    CHECK_EQ(out.error().code(), ErrorCode::kIo);
    CHECK(target.aborted);
    CHECK_FALSE(target.completed);
  }
  SUBCASE("short stream") {
    MemoryTarget target;
    MemoryReader src(MemoryReader::kView, data);
    auto out = UploadMultipart(Context{}, target, src,
                               {.part_size = 5 << 20, .expected_size = (11 << 20) + 1});
    REQUIRE_FALSE(out.has_value());
    CHECK(target.aborted);
    CHECK_FALSE(target.completed);
  }
  SUBCASE("long stream") {
    MemoryTarget target;
    MemoryReader src(MemoryReader::kView, data);
    auto out =
        UploadMultipart(Context{}, target, src, {.part_size = 5 << 20, .expected_size = 6 << 20});
    REQUIRE_FALSE(out.has_value());
    CHECK(target.aborted);
  }
  SUBCASE("part ETag is not its MD5") {
    MemoryTarget target;
    target.corrupt_etags = true;
    MemoryReader src(MemoryReader::kView, data);
    auto out = UploadMultipart(Context{}, target, src, {.part_size = 5 << 20});
    REQUIRE_FALSE(out.has_value());
    CHECK_EQ(out.error().code(), ErrorCode::kCorrupt);
    CHECK(target.aborted);
  }
  SUBCASE("cancelled") {
    MemoryTarget target;
    std::stop_source stop;
    stop.request_stop();
    Context ctx;
    ctx.stop = stop.get_token();
    MemoryReader src(MemoryReader::kView, data);
    auto out = UploadMultipart(ctx, target, src, {.part_size = 5 << 20});
    REQUIRE_FALSE(out.has_value());
    CHECK_EQ(out.error().code(), ErrorCode::kCancelled);
    CHECK(target.aborted);
  }
}

TEST_CASE("multipart: an empty ETag from Complete is taken from a HEAD of the object") {
  const std::string data = Data(11 << 20);
  MemoryTarget target;
  target.empty_complete_etag = true;
  MemoryReader src(MemoryReader::kView, data);
  auto out = UploadMultipart(Context{}, target, src, {.part_size = 5 << 20});
  REQUIRE_MESSAGE(out.has_value(), out.error().message());
  CHECK_EQ(target.heads, 1);
  CHECK_EQ(out->etag, target.object_etag);
  CHECK(target.object == data);
  CHECK_FALSE(target.removed);
}

TEST_CASE("multipart: a completed object whose ETag is wrong is removed, not left behind") {
  const std::string data = Data(11 << 20);
  for (bool empty : {false, true}) {
    CAPTURE(empty);
    MemoryTarget target;
    target.empty_complete_etag = empty;
    target.head_etag = "0123456789abcdef0123456789abcdef-3";
    MemoryReader src(MemoryReader::kView, data);
    auto out = UploadMultipart(Context{}, target, src, {.part_size = 5 << 20});
    REQUIRE_FALSE(out.has_value());
    CHECK_EQ(out.error().code(), ErrorCode::kCorrupt);
    CHECK(out.error().message().find("0123456789abcdef0123456789abcdef-3") != std::string::npos);
    CHECK(target.removed);
    CHECK(target.object.empty());
    CHECK_FALSE(target.aborted);
  }
}

TEST_CASE("multipart: an empty stream is one empty part") {
  MemoryTarget target;
  MemoryReader src(std::string{});
  auto out = UploadMultipart(Context{}, target, src, {.part_size = 5 << 20, .expected_size = 0});
  REQUIRE(out.has_value());
  CHECK_EQ(out->parts, 1);
  CHECK_EQ(out->md5_hex, "d41d8cd98f00b204e9800998ecf8427e");
}

}  // namespace
}  // namespace cvclone::s3
