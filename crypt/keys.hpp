// Key derivation for the crypt format (rclone's Cipher.Key; CRYPT-FORMAT.md §1.2).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/error.hpp"

namespace cvclone::crypt {

constexpr size_t kDataKeySize = 32;
constexpr size_t kNameKeySize = 32;
constexpr size_t kNameTweakSize = 16;

using DataKey = std::array<uint8_t, kDataKeySize>;
using NameKey = std::array<uint8_t, kNameKeySize>;
using NameTweak = std::array<uint8_t, kNameTweakSize>;

// The 80 bytes of key material: data key (XSalsa20-Poly1305), name key (AES-256 for EME; its
// byte sum drives obfuscation) and name tweak (the EME tweak).
// Every copy is zeroed when destroyed.
struct CryptKeys {
  DataKey data_key{};
  NameKey name_key{};
  NameTweak name_tweak{};
  ~CryptKeys();
};

// A copy of a data key that is zeroed when destroyed (the copy each reader keeps).
struct WipedDataKey {
  DataKey key{};
  WipedDataKey(const DataKey& k) : key(k) {}  // NOLINT: converts implicitly, as a DataKey
  WipedDataKey(const WipedDataKey&) = default;
  WipedDataKey& operator=(const WipedDataKey&) = default;
  ~WipedDataKey();
  const uint8_t* data() const { return key.data(); }
};

// rclone's public built-in salt, used when password2 is empty.
extern const std::array<uint8_t, 16> kDefaultSalt;

// scrypt(password, salt, N=16384, r=8, p=1, 80 bytes) split into CryptKeys. `password` and
// `salt` are the *revealed* values; an empty salt selects kDefaultSalt. An empty password is
// refused with kConfig "crypt: password is empty" (rclone would derive all-zero keys).
// Takes ~16 MiB of memory and tens of milliseconds, so the keys are remembered for the rest of
// the process (under a SHA-256 of password and salt, not the password itself; in locked memory,
// see LockedKeys): a command that opens the same crypt remote twice (a parent to stat a leaf,
// then the folder itself) derives them once.
Result<CryptKeys> DeriveKeys(const std::string& password, const std::string& salt);

}  // namespace cvclone::crypt
