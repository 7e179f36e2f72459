// Obscured config values, exactly as rclone's fs/config/obscure (CRYPT-FORMAT.md §1.6):
// base64url-without-padding of IV(16) ‖ AES-256-CTR(fixed public key, IV, value).
// This is obfuscation against shoulder-surfing, not protection: the key is public.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/error.hpp"

namespace cvclone::crypt {

// Obscures `plain` with a fresh random IV.
Result<std::string> Obscure(const std::string& plain);
// Obscures with a given IV (tests, reproducible output).
Result<std::string> ObscureWithIv(const std::string& plain, const std::array<uint8_t, 16>& iv);
// Reverses Obscure. kConfig "failed to reveal password: …" when the value is not valid base64url
// or is shorter than the 16-byte IV. The result is not checked further (as rclone).
Result<std::string> Reveal(const std::string& obscured);

}  // namespace cvclone::crypt
