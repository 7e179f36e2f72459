#include "crypt/obfuscate.hpp"

#include <vector>

#include "core/remote.hpp"

namespace cvclone::crypt {
namespace {

constexpr char32_t kQuote = U'!';
constexpr char32_t kReplacement = 0xFFFD;

bool IsValidRune(int64_t r) { return r >= 0 && r <= 0x10FFFF && !(r >= 0xD800 && r <= 0xDFFF); }

// Decodes UTF-8 that the caller has validated; each malformed byte becomes U+FFFD.
std::vector<char32_t> DecodeUtf8(const std::string& s) {
  std::vector<char32_t> out;
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<uint8_t>(s[i]);
    int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    char32_t r = len == 1 ? b : (b & (0x7F >> len));
    for (int k = 1; k < len; ++k) r = (r << 6) | (static_cast<uint8_t>(s[i + k]) & 0x3F);
    out.push_back(r);
    i += static_cast<size_t>(len);
  }
  return out;
}

// Appends r as UTF-8; invalid runes become U+FFFD (as Go's WriteRune).
void AppendRune(std::string& out, int64_t value) {
  char32_t r = IsValidRune(value) ? static_cast<char32_t>(value) : kReplacement;
  if (r < 0x80) {
    out.push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (r >> 6)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (r >> 12)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (r >> 18)));
    out.push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

bool IsAsciiLetter(char32_t r) { return (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z'); }

// Position in the 52-letter ring A–Z a–z, and back.
int64_t LetterPos(char32_t r) { return r >= 'a' ? r - 'a' + 26 : r - 'A'; }
int64_t LetterFromPos(int64_t pos) { return pos >= 26 ? 'a' + (pos - 26) : 'A' + pos; }

// Parses an optionally signed decimal integer as Go's strconv.Atoi (64-bit).
bool ParseInt(const std::string& s, int64_t& out) {
  size_t i = 0;
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    i = 1;
  }
  if (i == s.size() || s.size() - i > 18) return false;
  int64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = neg ? -v : v;
  return true;
}

}  // namespace

std::string ObfuscateSegment(const std::string& segment, int64_t name_key_sum) {
  if (segment.empty()) return "";
  if (!IsValidUtf8(segment)) return "!." + segment;
  const std::vector<char32_t> runes = DecodeUtf8(segment);
  int64_t dir = 0;
  for (char32_t r : runes) dir += r;
  dir %= 256;
  std::string out = std::to_string(dir) + ".";
  dir += name_key_sum;
  for (char32_t r : runes) {
    if (r == kQuote) {
      out += "!!";
    } else if (r >= '0' && r <= '9') {
      AppendRune(out, '0' + (r - '0' + (dir % 9) + 1) % 10);
    } else if (IsAsciiLetter(r)) {
      AppendRune(out, LetterFromPos((LetterPos(r) + dir % 25 + 1) % 52));
    } else if (r >= 0xA0 && r <= 0xFF) {
      AppendRune(out, 0xA0 + (r - 0xA0 + (dir % 95) + 1) % 96);
    } else if (r >= 0x100) {
      const int64_t base = r - r % 256;
      const int64_t rotated = base + (r - base + (dir % 127) + 1) % 256;
      if (IsValidRune(rotated)) {
        AppendRune(out, rotated);
      } else {
        out += "!";
        AppendRune(out, r);
      }
    } else {
      AppendRune(out, r);
    }
  }
  return out;
}

Result<std::string> DeobfuscateSegment(const std::string& segment, int64_t name_key_sum) {
  if (segment.empty()) return std::string();
  const size_t dot = segment.find('.');
  if (dot == std::string::npos) {
    return MakeError(ErrorCode::kCorrupt, "not an encrypted file name: no '.'");
  }
  const std::string num = segment.substr(0, dot);
  if (num == "!") return segment.substr(dot + 1);
  int64_t dir = 0;
  if (!ParseInt(num, dir)) {
    return MakeError(ErrorCode::kCorrupt, "not an encrypted file name: bad rotation prefix");
  }
  dir += name_key_sum;
  std::string out;
  bool in_quote = false;
  for (char32_t r : DecodeUtf8(segment.substr(dot + 1))) {
    if (in_quote) {
      AppendRune(out, r);
      in_quote = false;
    } else if (r == kQuote) {
      in_quote = true;
    } else if (r >= '0' && r <= '9') {
      int64_t v = int64_t{r} - (dir % 9) - 1;
      if (v < '0') v += 10;
      AppendRune(out, v);
    } else if (IsAsciiLetter(r)) {
      int64_t pos = LetterPos(r) - (dir % 25) - 1;
      if (pos < 0) pos += 52;
      AppendRune(out, LetterFromPos(pos));
    } else if (r >= 0xA0 && r <= 0xFF) {
      int64_t v = int64_t{r} - (dir % 95) - 1;
      if (v < 0xA0) v += 96;
      AppendRune(out, v);
    } else if (r >= 0x100) {
      const int64_t base = r - r % 256;
      int64_t v = int64_t{r} - (dir % 127) - 1;
      if (v < base) v += 256;
      AppendRune(out, v);
    } else {
      AppendRune(out, r);
    }
  }
  return out;
}

}  // namespace cvclone::crypt
