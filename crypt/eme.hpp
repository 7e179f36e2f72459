// EME ("ECB-Mix-ECB", Halevi–Rogaway) wide-block encryption over AES-256, exactly as
// rfjakob/eme's Transform which rclone uses for file names (CRYPT-FORMAT.md §1.4).
//
// Thread-safe: an Eme holds the key, a precomputed constant and a pool of keyed OpenSSL
// contexts (one per concurrent call; a context is keyed once, not once per name).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/error.hpp"

namespace cvclone::crypt {

class Eme {
 public:
  static constexpr size_t kBlockSize = 16;
  static constexpr size_t kMaxBlocks = 128;  // inputs of 16..2048 bytes

  explicit Eme(std::span<const uint8_t, 32> key);
  Eme(const Eme&) = default;
  Eme& operator=(const Eme&) = default;
  // Zeroes this copy of the key and of what was derived from it.
  ~Eme();

  // Encrypts/decrypts `in` (a multiple of 16 bytes, 16..2048) with the 16-byte tweak. Output has
  // the same length. kInvalidArgument on a bad length; kInternal if OpenSSL fails.
  Result<std::vector<uint8_t>> Encrypt(std::span<const uint8_t, 16> tweak,
                                       std::span<const uint8_t> in) const;
  Result<std::vector<uint8_t>> Decrypt(std::span<const uint8_t, 16> tweak,
                                       std::span<const uint8_t> in) const;

 private:
  Result<std::vector<uint8_t>> Transform(std::span<const uint8_t, 16> tweak,
                                         std::span<const uint8_t> in, bool encrypt) const;

  struct Pool;  // keyed contexts not in use (eme.cpp)

  std::array<uint8_t, 32> key_{};
  std::array<uint8_t, 16> l_{};  // L = 2·AES_enc(K, 0)
  bool l_ok_ = false;            // false if OpenSSL failed at construction
  std::shared_ptr<Pool> pool_;   // shared by copies of this Eme (same key)
};

}  // namespace cvclone::crypt
