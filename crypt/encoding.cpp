#include "crypt/encoding.hpp"

#include <array>

namespace cvclone::crypt {
namespace {

constexpr char kBase32Hex[] = "0123456789abcdefghijklmnopqrstuv";
constexpr char kBase64Url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int Base32Value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'v') return c - 'a' + 10;
  if (c >= 'A' && c <= 'V') return c - 'A' + 10;
  return -1;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Generic MSB-first bit packing: `bits` bits per character.
std::string EncodeBits(std::span<const uint8_t> data, int bits, const char* alphabet) {
  std::string out;
  out.reserve((data.size() * 8 + bits - 1) / bits);
  uint32_t acc = 0;
  int have = 0;
  const uint32_t mask = (1u << bits) - 1;
  for (uint8_t b : data) {
    acc = (acc << 8) | b;
    have += 8;
    while (have >= bits) {
      have -= bits;
      out.push_back(alphabet[(acc >> have) & mask]);
    }
  }
  if (have > 0) out.push_back(alphabet[(acc << (bits - have)) & mask]);
  return out;
}

template <typename ValueFn>
Result<std::vector<uint8_t>> DecodeBits(std::string_view text, int bits, ValueFn value,
                                        const char* what) {
  std::vector<uint8_t> out;
  out.reserve(text.size() * bits / 8);
  uint32_t acc = 0;
  int have = 0;
  for (char c : text) {
    int v = value(c);
    if (v < 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string("illegal ") + what + " data at input byte " +
                           std::to_string(&c - text.data()));
    }
    acc = ((acc << bits) | static_cast<uint32_t>(v)) & 0xffff;
    have += bits;
    if (have >= 8) {
      have -= 8;
      out.push_back(static_cast<uint8_t>(acc >> have));
    }
  }
  return out;
}

}  // namespace

std::string Base32HexEncode(std::span<const uint8_t> data) {
  return EncodeBits(data, 5, kBase32Hex);
}

Result<std::vector<uint8_t>> Base32HexDecode(std::string_view text) {
  if (!text.empty() && text.back() == '=') {
    return MakeError(ErrorCode::kInvalidArgument, "bad base32 filename encoding");
  }
  size_t tail = text.size() % 8;
  if (tail == 1 || tail == 3 || tail == 6) {
    return MakeError(ErrorCode::kInvalidArgument, "bad base32 length " +
                                                      std::to_string(text.size()));
  }
  return DecodeBits(text, 5, Base32Value, "base32");
}

std::string Base64UrlEncode(std::span<const uint8_t> data) {
  return EncodeBits(data, 6, kBase64Url);
}

Result<std::vector<uint8_t>> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "bad base64 length " + std::to_string(text.size()));
  }
  return DecodeBits(text, 6, Base64Value, "base64");
}

std::string HexEncode(std::span<const uint8_t> data) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (uint8_t b : data) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

}  // namespace cvclone::crypt
