// rclone's "obfuscate" name mode (CRYPT-FORMAT.md §1.4): a weak, reversible rotation of each
// character, driven by the segment's code-point sum and the name key's byte sum. Used by
// NameCipher; exposed for tests.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.hpp"

namespace cvclone::crypt {

// "<sum>.<rotated>" for a valid UTF-8 segment, "!." + segment otherwise; "" stays "".
std::string ObfuscateSegment(const std::string& segment, int64_t name_key_sum);
// Reverses ObfuscateSegment. kCorrupt if there is no '.' or the prefix is not a number.
Result<std::string> DeobfuscateSegment(const std::string& segment, int64_t name_key_sum);

}  // namespace cvclone::crypt
