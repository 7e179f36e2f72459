#include "backends/encfs/encfs_names.hpp"

#include "core/remote.hpp"

namespace cvclone::encfs {
namespace {

constexpr std::string_view kBase64Alphabet =
    ",-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr size_t kAesBlock = 16;
constexpr size_t kMacBytes = 2;

Unexpected<Error> Bad(const std::string& why) { return MakeError(ErrorCode::kCorrupt, why); }

std::span<uint8_t> Bytes(std::string& s) {
  return {reinterpret_cast<uint8_t*>(s.data()), s.size()};
}
std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A name a clean relative path may hold as one element.
Status CheckPlainName(const std::string& name) {
  if (name.empty()) return Bad("decodes to an empty name");
  if (name == "." || name == "..") return Bad("decodes to \"" + name + "\"");
  if (name.find('/') != std::string::npos) return Bad("decodes to a name holding '/'");
  if (name.find('\0') != std::string::npos) return Bad("decodes to a name holding NUL");
  if (!IsValidUtf8(name)) return Bad("decodes to a name that is not UTF-8");
  return Ok();
}

}  // namespace

std::string EncodeText(std::string_view bytes, bool base32) {
  const int bits_per = base32 ? 5 : 6;
  const std::string_view alphabet = base32 ? kBase32Alphabet : kBase64Alphabet;
  const uint32_t mask = (1u << bits_per) - 1;
  std::string out;
  uint32_t work = 0;
  int bits = 0;
  for (char c : bytes) {
    work |= static_cast<uint32_t>(static_cast<uint8_t>(c)) << bits;
    bits += 8;
    while (bits >= bits_per) {
      out.push_back(alphabet[work & mask]);
      work >>= bits_per;
      bits -= bits_per;
    }
  }
  if (bits > 0) out.push_back(alphabet[work & mask]);
  return out;
}

Result<std::string> DecodeText(std::string_view text, bool base32) {
  const int bits_per = base32 ? 5 : 6;
  const std::string_view alphabet = base32 ? kBase32Alphabet : kBase64Alphabet;
  std::string out;
  uint32_t work = 0;
  int bits = 0;
  for (char c : text) {
    const size_t v = alphabet.find(c);
    if (v == std::string_view::npos) return Bad("holds a character outside encfs's alphabet");
    work |= static_cast<uint32_t>(v) << bits;
    bits += bits_per;
    if (bits >= 8) {
      out.push_back(static_cast<char>(work & 0xff));
      work >>= 8;
      bits -= 8;
    }
  }
  // Canonical: the leftover bits are the zero fill of the last symbol, less than one symbol.
  if (work != 0 || bits >= bits_per) return Bad("is not in the form encfs writes");
  return out;
}

Result<std::string> NameCoder::DecodeBlock(CipherSession& s, std::string raw, uint64_t* iv) const {
  if (raw.size() < kMacBytes + kAesBlock || (raw.size() - kMacBytes) % kAesBlock != 0) {
    return Bad("has the wrong length for an encfs name");
  }
  const uint16_t mac =
      static_cast<uint16_t>((static_cast<uint8_t>(raw[0]) << 8) | static_cast<uint8_t>(raw[1]));
  std::string padded = raw.substr(kMacBytes);
  const uint64_t chain = iv != nullptr ? *iv : 0;
  CVC_RETURN_IF_ERROR(s.BlockDecode(Bytes(padded), mac ^ chain));
  const size_t pad = static_cast<uint8_t>(padded.back());
  if (pad == 0 || pad > kAesBlock) return Bad("has invalid padding (wrong key?)");
  for (size_t i = padded.size() - pad; i < padded.size(); ++i) {
    if (static_cast<uint8_t>(padded[i]) != pad) return Bad("has invalid padding (wrong key?)");
  }
  uint64_t next = chain;
  CVC_ASSIGN_OR_RETURN(uint16_t check,
                       s.Mac16(Bytes(std::string_view(padded)), iv != nullptr ? &next : nullptr));
  if (check != mac) return Bad("fails its checksum (wrong key or another directory's name)");
  if (iv != nullptr) *iv = next;
  padded.resize(padded.size() - pad);
  return padded;
}

Result<std::string> NameCoder::DecodeStream(CipherSession& s, std::string raw, uint64_t* iv) const {
  if (raw.size() <= kMacBytes) return Bad("is too short for an encfs name");
  const uint16_t mac =
      static_cast<uint16_t>((static_cast<uint8_t>(raw[0]) << 8) | static_cast<uint8_t>(raw[1]));
  std::string name = raw.substr(kMacBytes);
  const uint64_t chain = iv != nullptr ? *iv : 0;
  CVC_RETURN_IF_ERROR(s.StreamDecode(Bytes(name), mac ^ chain));
  uint64_t next = chain;
  CVC_ASSIGN_OR_RETURN(uint16_t check,
                       s.Mac16(Bytes(std::string_view(name)), iv != nullptr ? &next : nullptr));
  if (check != mac) return Bad("fails its checksum (wrong key or another directory's name)");
  if (iv != nullptr) *iv = next;
  return name;
}

Result<std::string> NameCoder::DecodeRaw(CipherSession& s, std::string_view stored,
                                         uint64_t* iv) const {
  if (alg_ == NameAlg::kNull) return std::string(stored);
  CVC_ASSIGN_OR_RETURN(std::string raw, DecodeText(stored, alg_ == NameAlg::kBlock32));
  uint64_t* chain = chained_ ? iv : nullptr;
  if (alg_ == NameAlg::kStream) return DecodeStream(s, std::move(raw), chain);
  return DecodeBlock(s, std::move(raw), chain);
}

Result<std::string> NameCoder::Decode(CipherSession& s, std::string_view stored,
                                      uint64_t* iv) const {
  uint64_t local = iv != nullptr ? *iv : 0;
  CVC_ASSIGN_OR_RETURN(std::string name, DecodeRaw(s, stored, &local));
  CVC_RETURN_IF_ERROR(CheckPlainName(name));
  if (iv != nullptr) *iv = local;
  return name;
}

Result<std::string> NameCoder::Encode(CipherSession& s, std::string_view plain,
                                      uint64_t* iv) const {
  if (plain.empty() || plain.find('/') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "encfs: cannot encode name \"" + std::string(plain) + "\"");
  }
  if (alg_ == NameAlg::kNull) return std::string(plain);
  uint64_t* chain = chained_ ? iv : nullptr;
  const uint64_t before = chain != nullptr ? *chain : 0;
  std::string out(kMacBytes, '\0');
  if (alg_ == NameAlg::kStream) {
    std::string body(plain);
    CVC_ASSIGN_OR_RETURN(uint16_t mac, s.Mac16(Bytes(std::string_view(body)), chain));
    CVC_RETURN_IF_ERROR(s.StreamEncode(Bytes(body), mac ^ before));
    out[0] = static_cast<char>(mac >> 8);
    out[1] = static_cast<char>(mac & 0xff);
    return EncodeText(out + body, false);
  }
  const size_t pad = kAesBlock - plain.size() % kAesBlock;
  std::string body(plain);
  body.append(pad, static_cast<char>(pad));
  CVC_ASSIGN_OR_RETURN(uint16_t mac, s.Mac16(Bytes(std::string_view(body)), chain));
  CVC_RETURN_IF_ERROR(s.BlockEncode(Bytes(body), mac ^ before));
  out[0] = static_cast<char>(mac >> 8);
  out[1] = static_cast<char>(mac & 0xff);
  return EncodeText(out + body, alg_ == NameAlg::kBlock32);
}

Result<std::string> NameCoder::EncodePath(CipherSession& s, std::string_view path,
                                          uint64_t* iv) const {
  *iv = 0;
  std::string out;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    const std::string_view element = path.substr(0, slash);
    CVC_ASSIGN_OR_RETURN(std::string enc, Encode(s, element, iv));
    if (!out.empty()) out += '/';
    out += enc;
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  return out;
}

Result<std::string> NameCoder::DecodeLinkTarget(CipherSession& s, std::string_view stored) const {
  if (!stored.empty() && stored.front() == '+') {
    CVC_ASSIGN_OR_RETURN(std::string whole, DecodeRaw(s, stored.substr(1), nullptr));
    return "/" + whole;
  }
  std::string out;
  uint64_t iv = 0;
  size_t start = 0;
  while (start <= stored.size()) {
    size_t slash = stored.find('/', start);
    if (slash == std::string_view::npos) slash = stored.size();
    const std::string_view element = stored.substr(start, slash - start);
    if (!element.empty()) {
      if (!out.empty() || start > 0) out += '/';
      if (element == "." || element == "..") {
        out += element;
      } else {
        CVC_ASSIGN_OR_RETURN(std::string plain, DecodeRaw(s, element, &iv));
        out += plain;
      }
    }
    start = slash + 1;
  }
  return out;
}

}  // namespace cvclone::encfs
