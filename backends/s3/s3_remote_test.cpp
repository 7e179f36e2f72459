// Unit tests of the s3 backend's pieces that need no server: options, the mtime metadata format,
// part sizing, and the multipart uploader's pool/abort logic over an in-memory target. The
// remote itself is tested against s3rver in tests/s3_test.cpp.
#include "backends/s3/s3_remote.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
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

// Caught by the size check of tests/fuzz/s3_headers: a negative Content-Length became a
// negative size. A size that is not a byte count is unknown (-1), as ObjectInfo's contract says.
TEST_CASE("s3: object info takes a negative or malformed Content-Length as unknown") {
  for (const char* length : {"-5", "-1", "abc", "", "99999999999999999999"}) {
    HttpHeaders h;
    h.Add("Content-Length", length);
    CAPTURE(length);
    CHECK_EQ(impl::InfoFromHeaders("obj", h).size, -1);
  }
  HttpHeaders h;
  h.Add("Content-Length", "0");
  CHECK_EQ(impl::InfoFromHeaders("obj", h).size, 0);
}

// An in-memory MultipartTarget: records parts, can fail one part, counts concurrency.
// Uploads kept in memory by id; "old" uploads can be set up beforehand to be resumed.
class MemoryTarget : public MultipartTarget {
 public:
  Result<std::string> Create(const Context&) override {
    std::lock_guard lock(mu_);
    const std::string id = "upload-" + std::to_string(++creates);
    uploads_[id];
    return id;
  }
  Result<std::string> UploadPart(const Context& ctx, const std::string& id, int n,
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
    if (!uploads_.contains(id)) return MakeError(ErrorCode::kNotFound, "no such upload " + id);
    uploads_[id][n] = std::string(data);
    sent.push_back(n);
    return corrupt_etags ? std::string("00000000000000000000000000000000") : ToHex(Md5Raw(data));
  }
  Result<std::string> Complete(const Context&, const std::string& id,
                               const std::vector<CompletedPart>& parts) override {
    std::lock_guard lock(mu_);
    completed = true;
    completed_id = id;
    std::string all;
    std::string md5s;
    for (const CompletedPart& p : parts) {
      const std::string& part = uploads_.at(id).at(p.part_number);
      if (p.etag != ToHex(Md5Raw(part))) {
        return MakeError(ErrorCode::kInvalidArgument, "InvalidPart");
      }
      all += part;
      md5s += Md5Raw(part);
    }
    uploads_.erase(id);
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
  Status Abort(const Context&, const std::string& id) override {
    std::lock_guard lock(mu_);
    aborted = true;
    aborted_ids.push_back(id);
    uploads_.erase(id);
    return Ok();
  }

  // An upload "old" holding these parts; what ListParts would give for it.
  ResumeFrom Earlier(const std::map<int, std::string>& parts) {
    std::lock_guard lock(mu_);
    uploads_["old"] = parts;
    ResumeFrom r{.upload_id = "old", .parts = {}};
    for (const auto& [n, data] : parts) {
      r.parts.push_back({.part_number = n,
                         .etag = ToHex(Md5Raw(data)),
                         .size = static_cast<int64_t>(data.size())});
    }
    return r;
  }
  // The parts an upload holds now (empty if there is no such upload).
  std::map<int, std::string> Parts(const std::string& id) {
    std::lock_guard lock(mu_);
    auto it = uploads_.find(id);
    return it == uploads_.end() ? std::map<int, std::string>() : it->second;
  }
  size_t OpenUploads() {
    std::lock_guard lock(mu_);
    return uploads_.size();
  }

  int fail_part = 0;
  bool corrupt_etags = false;
  bool empty_complete_etag = false;       // Complete answers <ETag></ETag> (Ceph RGW 16)
  std::optional<std::string> head_etag;   // the stored object's ETag, if not the right one
  std::string object_etag;
  int heads = 0;
  int creates = 0;
  bool removed = false;
  bool completed = false;
  std::string completed_id;
  bool aborted = false;
  std::vector<std::string> aborted_ids;
  std::vector<int> sent;  // part numbers sent, in the order they arrived

  // The part numbers sent, in ascending order (with concurrency their order is a race).
  std::vector<int> SentSorted() const {
    std::vector<int> out = sent;
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string object;
  std::atomic<int> max_active_{0};

 private:
  std::atomic<int> active_{0};
  std::mutex mu_;
  std::map<std::string, std::map<int, std::string>> uploads_;
};

// Yields data up to fail_at, then fails (a source that broke, or a process stopped mid-way);
// counts the bytes it gave.
class BreakingReader : public Reader {
 public:
  BreakingReader(std::string_view data, size_t fail_at) : data_(data), fail_at_(fail_at) {}
  Result<size_t> Read(std::span<std::byte> buf) override {
    if (pos_ == data_.size()) return size_t{0};
    if (pos_ >= fail_at_) return MakeError(ErrorCode::kIo, "source broke");
    const size_t n = std::min({buf.size(), fail_at_ - pos_, data_.size() - pos_});
    std::memcpy(buf.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  size_t given() const { return pos_; }

 private:
  std::string_view data_;
  size_t fail_at_;
  size_t pos_ = 0;
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

constexpr int64_t kPart = 5 << 20;

std::string Part(const std::string& data, int n) {
  return data.substr(static_cast<size_t>((n - 1) * kPart), static_cast<size_t>(kPart));
}

MultipartParams Params(const std::string& data, int concurrency = 2) {
  return {.part_size = kPart,
          .concurrency = concurrency,
          .expected_size = static_cast<int64_t>(data.size())};
}

TEST_CASE("multipart resume: the parts an earlier upload holds are read, hashed, not sent again") {
  const std::string data = Data(4 * kPart + 123);  // 5 parts
  MemoryTarget target;
  MultipartParams params = Params(data);
  params.resume = target.Earlier({{1, Part(data, 1)}, {2, Part(data, 2)}, {4, Part(data, 4)}});
  BreakingReader src(data, data.size());
  auto out = UploadMultipart(Context{}, target, src, params);
  REQUIRE_MESSAGE(out.has_value(), out.error().message());
  CHECK(target.SentSorted() == std::vector<int>{3, 5});
  CHECK_EQ(target.creates, 0);
  CHECK_FALSE(target.aborted);
  CHECK_EQ(target.completed_id, "old");
  CHECK(target.object == data);
  CHECK_EQ(src.given(), data.size());  // every byte read: the whole MD5 and the source checks
  CHECK_EQ(out->md5_hex, ToHex(Md5Raw(data)));
  CHECK_EQ(out->parts, 5);
  CHECK_EQ(out->parts_reused, 3);
  CHECK_FALSE(out->restarted);
  CHECK_EQ(out->upload_id, "old");
}

TEST_CASE("multipart resume: an upload whose first part differs is aborted and made anew") {
  const std::string data = Data(3 * kPart + 7);
  const std::string other = Data(3 * kPart + 7).replace(10, 3, "xyz");
  for (bool etag_checks : {true, false}) {
    CAPTURE(etag_checks);
    MemoryTarget target;
    MultipartParams params = Params(data);
    params.check_part_etags = etag_checks;
    // Without ETag checks even a matching part cannot be known to hold the same bytes.
    params.resume = target.Earlier({{1, etag_checks ? Part(other, 1) : Part(data, 1)},
                                    {2, Part(data, 2)}});
    MemoryReader src(MemoryReader::kView, data);
    auto out = UploadMultipart(Context{}, target, src, params);
    REQUIRE_MESSAGE(out.has_value(), out.error().message());
    CHECK(target.aborted_ids == std::vector<std::string>{"old"});
    CHECK_EQ(target.creates, 1);
    CHECK_EQ(target.completed_id, "upload-1");
    CHECK_EQ(target.sent.size(), 4u);
    CHECK(target.object == data);
    CHECK_EQ(target.OpenUploads(), 0u);
    CHECK(out->restarted);
    CHECK_EQ(out->parts_reused, 0);
  }
}

TEST_CASE("multipart resume: a later part that differs, or is listed with another size, is sent "
          "again in place, and listed parts beyond the end are left out") {
  const std::string data = Data(2 * kPart + 99);  // 3 parts
  std::string changed = Part(data, 3);
  changed[5] = static_cast<char>(changed[5] ^ 1);
  MemoryTarget target;
  MultipartParams params = Params(data, 1);
  params.resume = target.Earlier({{1, Part(data, 1)},
                                  {2, Part(data, 2)},
                                  {3, changed},
                                  {4, Data(1000)}});  // the earlier file was longer
  params.resume->parts[1].size += 1;  // a server listing part 2 with another size
  MemoryReader src(MemoryReader::kView, data);
  auto out = UploadMultipart(Context{}, target, src, params);
  REQUIRE_MESSAGE(out.has_value(), out.error().message());
  CHECK(target.SentSorted() == std::vector<int>{2, 3});
  CHECK_FALSE(target.aborted);
  CHECK_EQ(target.creates, 0);
  CHECK(target.object == data);
  CHECK_EQ(out->parts, 3);
  CHECK_EQ(out->parts_reused, 1);
}

TEST_CASE("multipart resume: leave_on_error keeps a failed upload's parts for the next run") {
  const std::string data = Data(4 * kPart + 1);  // 5 parts
  MemoryTarget target;
  MultipartParams first = Params(data, 1);
  first.leave_on_error = true;
  BreakingReader broken(data, static_cast<size_t>(2 * kPart));  // breaks as part 3 is read
  auto failed = UploadMultipart(Context{}, target, broken, first);
  REQUIRE_FALSE(failed.has_value());
  CHECK_EQ(failed.error().code(), ErrorCode::kIo);
  CHECK_FALSE(target.aborted);
  CHECK_FALSE(target.completed);
  // The part in flight when the source broke was let finish.
  const std::map<int, std::string> left = target.Parts("upload-1");
  REQUIRE_EQ(left.size(), 2u);
  CHECK(left.at(2) == Part(data, 2));

  MultipartParams again = Params(data, 1);
  again.resume = ResumeFrom{.upload_id = "upload-1", .parts = {}};
  for (const auto& [n, part] : left) {
    again.resume->parts.push_back(
        {.part_number = n, .etag = ToHex(Md5Raw(part)), .size = static_cast<int64_t>(part.size())});
  }
  target.sent.clear();
  MemoryReader src(MemoryReader::kView, data);
  auto out = UploadMultipart(Context{}, target, src, again);
  REQUIRE_MESSAGE(out.has_value(), out.error().message());
  CHECK(target.SentSorted() == std::vector<int>{3, 4, 5});
  CHECK_EQ(target.creates, 1);
  CHECK(target.object == data);
  CHECK_EQ(out->parts_reused, 2);
}

TEST_CASE("multipart resume: a resumed upload that fails is aborted unless leave_on_error") {
  const std::string data = Data(2 * kPart + 5);
  for (bool leave : {false, true}) {
    CAPTURE(leave);
    MemoryTarget target;
    MultipartParams params = Params(data, 1);
    params.leave_on_error = leave;
    params.resume = target.Earlier({{1, Part(data, 1)}});
    target.fail_part = 2;
    MemoryReader src(MemoryReader::kView, data);
    auto out = UploadMultipart(Context{}, target, src, params);
    REQUIRE_FALSE(out.has_value());
    CHECK_EQ(target.aborted, !leave);
    CHECK_EQ(target.Parts("old").empty(), !leave);
    CHECK_EQ(target.creates, 0);
  }
}

}  // namespace
}  // namespace cvclone::s3
