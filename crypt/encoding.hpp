// Binary-to-text encodings used by the crypt format (names and obscured secrets).
//
// Both follow RFC 4648 as Go's encoders do, since rclone writes them: base32hex ("0-9a-v",
// lower case, no padding) for encrypted names, and base64 with the URL-safe alphabet and no
// padding for base64 names and obscured config values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cvclone::crypt {

// Lower-case base32hex without '=' padding.
std::string Base32HexEncode(std::span<const uint8_t> data);
// Decodes base32hex case-insensitively. A trailing '=' or any character outside the alphabet,
// or a length that cannot come from the encoder (1, 3 or 6 characters in the last group), is
// kInvalidArgument. Unused trailing bits are ignored, as Go's decoder does.
Result<std::vector<uint8_t>> Base32HexDecode(std::string_view text);

// URL-safe base64 ('-', '_') without padding.
std::string Base64UrlEncode(std::span<const uint8_t> data);
// Decodes URL-safe base64 without padding; '=' or a length of 1 mod 4 or a foreign character
// is kInvalidArgument. Unused trailing bits are ignored (Go's non-strict mode).
Result<std::vector<uint8_t>> Base64UrlDecode(std::string_view text);

// Lower-case hex, for tests and messages.
std::string HexEncode(std::span<const uint8_t> data);

}  // namespace cvclone::crypt
