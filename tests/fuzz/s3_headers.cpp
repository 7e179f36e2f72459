// Fuzzes what the S3 backend reads from headers and option values (backends/s3): mtime
// metadata, MD5 metadata (base64, hex), HTTP dates, Retry-After, Content-Range, durations
// (timeout) and sizes. Every line of the input is given to every parser; any input gives a value
// in range or an error, never undefined behaviour (the sanitizers watch the conversions), and
// the formats we write parse back to what was written.
//
// The input's lines also form a response's headers ("Name: value"), read as a HEAD answer is.
#include <algorithm>
#include <chrono>
#include <string>

#include "backends/s3/multipart.hpp"
#include "backends/s3/s3_options.hpp"
#include "backends/s3/s3_remote_impl.hpp"
#include "backends/s3/xml.hpp"
#include "core/http/http.hpp"
#include "core/io.hpp"
#include "core/registry.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace cvclone::s3 {
namespace {

void CheckValue(const std::string& v) {
  if (auto t = ParseMtime(v)) {
    // What rclone's format reads, it writes back to the same time.
    const std::string written = FormatMtime(*t);
    auto back = ParseMtime(written);
    FUZZ_CHECK(back && *back == *t, fuzz::Printable(v) + " -> " + written);
  }
  (void)ParseHttpDate(v);
  (void)ParseIso8601(v);

  const std::string raw = Base64Decode(v);
  FUZZ_CHECK(raw.size() <= v.size(), fuzz::Printable(v));
  if (!raw.empty()) FUZZ_CHECK(Base64Decode(Base64Encode(raw)) == raw, fuzz::Printable(v));
  FUZZ_CHECK(Base64Decode(Base64Encode(v)) == v, fuzz::Printable(v));
  FUZZ_CHECK(HexDecode(ToHex(v)) == v, fuzz::Printable(v));
  const std::string hex = HexDecode(v);
  FUZZ_CHECK(hex.size() * 2 == v.size() || hex.empty(), fuzz::Printable(v));
  FUZZ_CHECK(!impl::IsMd5Hex(v) || v.size() == 32, fuzz::Printable(v));
  FUZZ_CHECK(UrlDecode(v).size() <= v.size(), fuzz::Printable(v));
  if (auto decoded = PercentDecode(v)) {
    // Three bytes per escape became one.
    const size_t escapes = static_cast<size_t>(std::count(v.begin(), v.end(), '%'));
    FUZZ_CHECK(decoded->size() == v.size() - 2 * escapes, fuzz::Printable(v));
  }
  FUZZ_CHECK(UrlPath(v).size() <= v.size(), fuzz::Printable(v));

  if (auto d = ParseDuration(v)) {
    FUZZ_CHECK(d->count() >= 0 && *d <= kMaxDuration, fuzz::Printable(v));
  }
  if (auto s = ParseSize(v)) FUZZ_CHECK(*s >= 0, fuzz::Printable(v));
  if (auto r = ParseRetryAfter(v)) {
    FUZZ_CHECK(r->count() >= 0 && *r <= kMaxRetryAfter, fuzz::Printable(v));
  }
  if (auto cr = ParseContentRange(v)) {
    FUZZ_CHECK(cr->first >= 0 && cr->first <= cr->last, fuzz::Printable(v));
    FUZZ_CHECK(cr->total == -1 || cr->last < cr->total, fuzz::Printable(v));
  }
}

}  // namespace
}  // namespace cvclone::s3

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cvclone;
  using namespace cvclone::s3;
  fuzz::ByteReader bytes(data, size);
  // Times from raw integers: written and read back exactly, whatever the range.
  const int64_t secs = static_cast<int32_t>(bytes.U32()) * int64_t{bytes.U32() % 4096 + 1};
  const int64_t nanos = static_cast<int32_t>(bytes.U32());
  if (auto t = TimeFromUnix(secs, nanos)) {
    auto back = ParseMtime(FormatMtime(*t));
    FUZZ_CHECK(back && *back == *t, FormatMtime(*t));
  }

  const std::string text = fuzz::AsString(data, size);
  const auto lines = fuzz::Lines(text);
  HttpResponse response;
  response.status = 200;
  for (const std::string& line : lines) {
    CheckValue(line);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      response.headers.Add(line.substr(0, colon), value);
    }
  }
  // A HEAD answer made of these headers.
  const ObjectInfo info = impl::InfoFromHeaders("fuzz/object", response.headers);
  FUZZ_CHECK(info.size >= -1, std::to_string(info.size));
  if (auto md5 = info.hashes.find(HashType::kMd5); md5 != info.hashes.end()) {
    FUZZ_CHECK(impl::IsMd5Hex(md5->second), md5->second);
  }
  (void)RetryAfterOf(response);

  // The same lines as option values of an s3 remote (sizes, durations, numbers, endpoint).
  static const char* const kOptions[] = {"timeout",       "connect_timeout",   "chunk_size",
                                         "upload_cutoff", "copy_cutoff",       "list_chunk",
                                         "endpoint",      "upload_concurrency"};
  Options options;
  for (size_t i = 0; i < lines.size() && i < std::size(kOptions); ++i) {
    options.Set(kOptions[i], lines[i]);
  }
  if (auto config = ParseS3Config(options)) {
    FUZZ_CHECK(config->timeout.count() >= 0 && config->timeout <= kMaxDuration, lines[0]);
    FUZZ_CHECK(config->chunk_size > 0, std::to_string(config->chunk_size));
  }
  return 0;
}
