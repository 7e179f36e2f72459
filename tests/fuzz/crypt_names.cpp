// Fuzzes crypt name encryption (crypt/names, crypt/encoding, crypt/obfuscate) in every mode
// (standard, obfuscate, off), encoding (base32, base64), with and without directory name
// encryption. The first input byte picks the options, the rest is a path:
// - a valid path (core/remote.hpp's ValidatePath) that encrypts decrypts back to itself, and its
//   encrypted form is a valid path too;
// - decrypting any text fails with an error or gives a path of valid segments;
// - the encodings round-trip any bytes.
// Keys: rclone's for password "potato" and the default salt (tests/data/crypt-vectors), fixed so
// that no scrypt runs per input.
#include <string>
#include <vector>

#include "core/remote.hpp"
#include "crypt/encoding.hpp"
#include "crypt/keys.hpp"
#include "crypt/names.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace cvclone::crypt {
namespace {

template <size_t N>
std::array<uint8_t, N> Hex(const char* hex) {
  std::array<uint8_t, N> out{};
  for (size_t i = 0; i < N; ++i)
    out[i] = static_cast<uint8_t>(std::stoi(std::string(hex + 2 * i, 2), nullptr, 16));
  return out;
}

const CryptKeys& Keys() {
  static const CryptKeys keys{
      Hex<kDataKeySize>("7455c71ab17c865b8471f47b79acb07eb31d5678b80c7e2eaf4fc8066a9ee468"),
      Hex<kNameKeySize>("765da27ab15d77f95796711f7b93ad63bbb484072e7180a8d17a9bbec14270d0"),
      Hex<kNameTweakSize>("c18d5932f55b2828c5e1e87215520310")};
  return keys;
}

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string::npos ? slash : slash - start));
    if (slash == std::string::npos) return out;
    start = slash + 1;
  }
}

std::string Describe(const NameOptions& o) {
  return "mode=" + std::to_string(static_cast<int>(o.mode)) +
         " encoding=" + std::to_string(static_cast<int>(o.encoding)) +
         " encrypt_dirs=" + std::to_string(o.encrypt_dirs) + " suffix=" + o.suffix;
}

}  // namespace
}  // namespace cvclone::crypt

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cvclone;
  using namespace cvclone::crypt;
  if (size == 0) return 0;
  const uint8_t pick = data[0];
  NameOptions options;
  options.mode = pick % 3 == 0   ? NameMode::kStandard
                 : pick % 3 == 1 ? NameMode::kObfuscate
                                 : NameMode::kOff;
  options.encoding = (pick / 3) % 2 == 0 ? NameEncoding::kBase32 : NameEncoding::kBase64;
  options.encrypt_dirs = (pick / 6) % 2 == 0;
  options.suffix = (pick / 12) % 2 == 0 ? ".bin" : "";
  const NameCipher cipher(Keys(), options);
  const std::string path = fuzz::AsString(data + 1, size - 1);
  const std::string context = Describe(options) + " path=" + fuzz::Printable(path);

  // Valid paths round-trip.
  if (!path.empty() && ValidatePath(path)) {
    if (auto enc = cipher.EncryptPath(path)) {
      FUZZ_CHECK(ValidatePath(*enc).has_value(), context + " -> " + fuzz::Printable(*enc));
      auto dec = cipher.DecryptPath(*enc);
      FUZZ_CHECK(dec.has_value(), context + " -> " + fuzz::Printable(*enc) + ": " +
                                      (dec ? "" : dec.error().message()));
      FUZZ_CHECK(*dec == path,
                 context + " -> " + fuzz::Printable(*enc) + " -> " + fuzz::Printable(*dec));
    }
    if (auto enc = cipher.EncryptDirPath(path)) {
      auto dec = cipher.DecryptDirPath(*enc);
      FUZZ_CHECK(dec && *dec == path, context + " (dir) -> " + fuzz::Printable(*enc));
    }
  }
  // Any single segment, valid UTF-8 or not, round-trips through the segment cipher.
  if (options.mode != NameMode::kOff && !path.empty() && path != "." && path != ".." &&
      path.find_first_of(std::string("/\0", 2)) == std::string::npos) {
    if (auto enc = cipher.EncryptSegment(path)) {
      auto dec = cipher.DecryptSegment(*enc);
      FUZZ_CHECK(dec && *dec == path, context + " (segment) -> " + fuzz::Printable(*enc));
    }
  }
  // Anything decrypts to an error or to a path of valid segments.
  if (auto dec = cipher.DecryptPath(path);
      dec && options.mode != NameMode::kOff && options.encrypt_dirs) {
    const auto in = Segments(path);
    const auto out = Segments(*dec);
    FUZZ_CHECK(in.size() == out.size(), context + " -> " + fuzz::Printable(*dec));
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i].empty()) continue;
      FUZZ_CHECK(!out[i].empty() && out[i] != "." && out[i] != ".." &&
                     out[i].find('\0') == std::string::npos,
                 context + " -> " + fuzz::Printable(*dec));
    }
  }
  (void)cipher.DecryptDirPath(path);

  // The encodings: decode anything without a crash; encode then decode gives the bytes back.
  const std::vector<uint8_t> bytes(data + 1, data + size);
  (void)Base32HexDecode(path);
  (void)Base64UrlDecode(path);
  auto b32 = Base32HexDecode(Base32HexEncode(bytes));
  FUZZ_CHECK(b32 && *b32 == bytes, "base32hex of " + fuzz::Printable(path));
  auto b64 = Base64UrlDecode(Base64UrlEncode(bytes));
  FUZZ_CHECK(b64 && *b64 == bytes, "base64url of " + fuzz::Printable(path));
  return 0;
}
