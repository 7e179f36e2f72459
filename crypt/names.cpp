#include "crypt/names.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include "crypt/encoding.hpp"
#include "crypt/obfuscate.hpp"

namespace cvclone::crypt {
namespace {

constexpr size_t kNameBlock = 16;
constexpr size_t kMaxNameCipherBytes = 2048;
constexpr size_t kVersionLen = 23;  // "-v2006-01-02-150405-000"

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

std::string Join(const std::vector<std::string>& segments) {
  std::string out;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i) out += '/';
    out += segments[i];
  }
  return out;
}

// As Go's path.Ext with lib/version's swap: ".file" is all base.
void SplitExt(const std::string& name, std::string& base, std::string& ext) {
  size_t dot = name.rfind('.');
  ext = dot == std::string::npos ? "" : name.substr(dot);
  base = name.substr(0, name.size() - ext.size());
  if (!ext.empty() && base.empty()) std::swap(base, ext);
}

bool Digits(const std::string& s, size_t pos, size_t n) {
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

int Num(const std::string& s, size_t pos, size_t n) { return std::stoi(s.substr(pos, n)); }

// Whether v (23 chars) is "-vYYYY-MM-DD-HHMMSS-mmm" with a real calendar date and time, as
// lib/version's time.Parse requires.
bool IsVersion(const std::string& v) {
  if (v.size() != kVersionLen || v[0] != '-' || v[1] != 'v' || v[6] != '-' || v[9] != '-' ||
      v[12] != '-' || v[19] != '-') {
    return false;
  }
  if (!Digits(v, 2, 4) || !Digits(v, 7, 2) || !Digits(v, 10, 2) || !Digits(v, 13, 6) ||
      !Digits(v, 20, 3)) {
    return false;
  }
  const int year = Num(v, 2, 4), month = Num(v, 7, 2), day = Num(v, 10, 2);
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) return false;
  return Num(v, 13, 2) < 24 && Num(v, 15, 2) < 60 && Num(v, 17, 2) < 60;
}

// Splits a trailing version off the base name: "a-v2001-….txt" → ("a.txt", "-v2001-…").
bool RemoveVersion(const std::string& name, std::string& stripped, std::string& version) {
  std::string base, ext;
  SplitExt(name, base, ext);
  if (base.size() < kVersionLen) return false;
  std::string v = base.substr(base.size() - kVersionLen);
  if (!IsVersion(v)) return false;
  stripped = base.substr(0, base.size() - kVersionLen) + ext;
  version = v;
  return true;
}

std::string AddVersion(const std::string& name, const std::string& version) {
  std::string base, ext;
  SplitExt(name, base, ext);
  return base + version + ext;
}

Unexpected<Error> BadName(const std::string& name, const std::string& why) {
  return MakeError(ErrorCode::kCorrupt, "crypt: cannot decrypt name \"" + name + "\": " + why);
}

}  // namespace

Result<NameMode> ParseNameMode(const std::string& text) {
  const std::string t = Lower(text);
  if (t.empty() || t == "standard") return NameMode::kStandard;
  if (t == "obfuscate") return NameMode::kObfuscate;
  if (t == "off") return NameMode::kOff;
  return MakeError(ErrorCode::kConfig, "crypt: unknown filename_encryption \"" + text +
                                           "\" (standard, obfuscate or off)");
}

Result<NameEncoding> ParseNameEncoding(const std::string& text) {
  const std::string t = Lower(text);
  if (t.empty() || t == "base32") return NameEncoding::kBase32;
  if (t == "base64") return NameEncoding::kBase64;
  if (t == "base32768") {
    return MakeError(ErrorCode::kUnsupported,
                     "crypt: filename_encoding base32768 is not supported yet");
  }
  return MakeError(ErrorCode::kConfig, "crypt: unknown filename_encoding \"" + text +
                                           "\" (base32 or base64)");
}

NameCipher::NameCipher(const CryptKeys& keys, NameOptions options)
    : options_(std::move(options)), eme_(keys.name_key), tweak_(keys.name_tweak) {
  for (uint8_t b : keys.name_key) name_key_sum_ += b;
}

Result<std::string> NameCipher::EncryptStandard(const std::string& segment) const {
  if (segment.empty()) return std::string();
  const size_t pad = kNameBlock - segment.size() % kNameBlock;
  if (segment.size() + pad > kMaxNameCipherBytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "crypt: name too long to encrypt (" + std::to_string(segment.size()) +
                         " bytes, at most 2047): \"" + segment + "\"");
  }
  std::vector<uint8_t> padded(segment.begin(), segment.end());
  padded.insert(padded.end(), pad, static_cast<uint8_t>(pad));
  CVC_ASSIGN_OR_RETURN(std::vector<uint8_t> ct, eme_.Encrypt(tweak_, padded));
  return options_.encoding == NameEncoding::kBase64 ? Base64UrlEncode(ct) : Base32HexEncode(ct);
}

Result<std::string> NameCipher::DecryptStandard(const std::string& segment) const {
  if (segment.empty()) return std::string();
  auto raw = options_.encoding == NameEncoding::kBase64 ? Base64UrlDecode(segment)
                                                        : Base32HexDecode(segment);
  if (!raw) return BadName(segment, raw.error().message());
  if (raw->size() % kNameBlock != 0) return BadName(segment, "not a multiple of blocksize");
  if (raw->empty()) return BadName(segment, "too short after decode");
  if (raw->size() > kMaxNameCipherBytes) return BadName(segment, "too long after decode");
  CVC_ASSIGN_OR_RETURN(std::vector<uint8_t> padded, eme_.Decrypt(tweak_, *raw));
  const uint8_t pad = padded.back();
  if (pad == 0 || pad > kNameBlock) return BadName(segment, "bad PKCS#7 padding");
  for (size_t i = 0; i < pad; ++i) {
    if (padded[padded.size() - 1 - i] != pad) return BadName(segment, "bad PKCS#7 padding");
  }
  return std::string(padded.begin(), padded.end() - pad);
}

Result<std::string> NameCipher::EncryptSegment(const std::string& segment) const {
  if (options_.mode == NameMode::kObfuscate) return ObfuscateSegment(segment, name_key_sum_);
  return EncryptStandard(segment);
}

Result<std::string> NameCipher::DecryptSegment(const std::string& segment) const {
  std::string plain;
  if (options_.mode == NameMode::kObfuscate) {
    auto r = DeobfuscateSegment(segment, name_key_sum_);
    if (!r) return BadName(segment, r.error().message());
    plain = std::move(r).value();
  } else {
    CVC_ASSIGN_OR_RETURN(plain, DecryptStandard(segment));
  }
  if (segment.empty()) return plain;
  if (plain.empty() || plain == "." || plain == ".." ||
      plain.find_first_of(std::string("/\0", 2)) != std::string::npos) {
    return BadName(segment, "decrypts to a name that is not a valid path segment");
  }
  return plain;
}

Result<std::string> NameCipher::DecryptLast(const std::string& name) const {
  std::string stripped, version;
  if (!RemoveVersion(name, stripped, version)) return DecryptSegment(name);
  CVC_ASSIGN_OR_RETURN(std::string plain, DecryptSegment(stripped));
  return AddVersion(plain, version);
}

Result<std::string> NameCipher::EncryptLast(const std::string& name) const {
  std::string stripped, version;
  // A version stays in clear only where it comes back in its place, after a name: in
  // "-v2001-02-03-040506-789.txt" it would come back after ".txt", and ".-v2001-..." has no
  // name before it. Such names are encrypted whole.
  const bool has_version = RemoveVersion(name, stripped, version) && stripped != "." &&
                           stripped != ".." && AddVersion(stripped, version) == name;
  CVC_ASSIGN_OR_RETURN(std::string out, EncryptSegment(has_version ? stripped : name));
  if (has_version) out = AddVersion(out, version);
  // Not every name can be written in rclone's format: an obfuscated name may read as carrying a
  // version ("b-W8667-68-69-606162-345.txt" gives "177.A-v2001-02-03-040506-789.SWS"), and
  // decrypt to another name. Refused, rather than stored as a file listed under another name.
  auto back = DecryptLast(out);
  if (!back || *back != name) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "crypt: cannot encrypt name \"" + name +
                         "\": its encrypted form would not decrypt to it (it would read as "
                         "carrying a version suffix); rename it");
  }
  return out;
}

Result<std::string> NameCipher::TransformPath(const std::string& path, bool encrypt) const {
  std::vector<std::string> segments = Split(path);
  for (size_t i = 0; i < segments.size(); ++i) {
    const bool last = i + 1 == segments.size();
    if (!options_.encrypt_dirs && !last) continue;
    auto out = last ? (encrypt ? EncryptLast(segments[i]) : DecryptLast(segments[i]))
                    : (encrypt ? EncryptSegment(segments[i]) : DecryptSegment(segments[i]));
    if (!out) return Propagate(out.error());
    segments[i] = std::move(out).value();
  }
  return Join(segments);
}

Result<std::string> NameCipher::EncryptPath(const std::string& path) const {
  if (options_.mode == NameMode::kOff) {
    // DecryptPath (as rclone) does not take a name that is a version alone for a file.
    std::string stripped, version;
    if (RemoveVersion(path, stripped, version) && stripped.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "crypt: \"" + path + "\" cannot be stored with filename_encryption = off: "
                       "a name that is only a version suffix is not read back as a file");
    }
    return path + options_.suffix;
  }
  return TransformPath(path, true);
}

Result<std::string> NameCipher::DecryptPath(const std::string& path) const {
  if (options_.mode != NameMode::kOff) return TransformPath(path, false);
  const std::string& suffix = options_.suffix;
  if (path.size() <= suffix.size() ||
      path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return BadName(path, "not an encrypted file (no \"" + suffix + "\" suffix)");
  }
  std::string plain = path.substr(0, path.size() - suffix.size());
  std::string stripped, version;
  if (RemoveVersion(plain, stripped, version) && stripped.empty()) {
    return BadName(path, "not an encrypted file");
  }
  return plain;
}

Result<std::string> NameCipher::EncryptDirPath(const std::string& path) const {
  if (options_.mode == NameMode::kOff || !options_.encrypt_dirs) return path;
  return TransformPath(path, true);
}

Result<std::string> NameCipher::DecryptDirPath(const std::string& path) const {
  if (options_.mode == NameMode::kOff || !options_.encrypt_dirs) return path;
  return TransformPath(path, false);
}

}  // namespace cvclone::crypt
