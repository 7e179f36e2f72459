#include "crypt/keys.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

namespace cvclone::crypt {

const std::array<uint8_t, 16> kDefaultSalt = {0xA8, 0x0D, 0xF4, 0x3A, 0x8F, 0xBD, 0x03, 0x08,
                                              0xA7, 0xCA, 0xB8, 0x3E, 0x58, 0x1F, 0x86, 0xB1};

namespace {
constexpr uint64_t kScryptN = 16384;
constexpr uint64_t kScryptR = 8;
constexpr uint64_t kScryptP = 1;
// 128·r·N = 16 MiB is needed; leave headroom for OpenSSL's own accounting.
constexpr uint64_t kScryptMaxMem = 64ull << 20;
}  // namespace

Result<CryptKeys> DeriveKeys(const std::string& password, const std::string& salt) {
  if (password.empty()) return MakeError(ErrorCode::kConfig, "crypt: password is empty");
  const unsigned char* salt_bytes = kDefaultSalt.data();
  size_t salt_len = kDefaultSalt.size();
  if (!salt.empty()) {
    salt_bytes = reinterpret_cast<const unsigned char*>(salt.data());
    salt_len = salt.size();
  }
  std::array<uint8_t, kDataKeySize + kNameKeySize + kNameTweakSize> out{};
  if (EVP_PBE_scrypt(password.data(), password.size(), salt_bytes, salt_len, kScryptN, kScryptR,
                     kScryptP, kScryptMaxMem, out.data(), out.size()) != 1) {
    return MakeError(ErrorCode::kInternal, "crypt: scrypt key derivation failed");
  }
  CryptKeys keys;
  auto it = out.begin();
  std::copy_n(it, kDataKeySize, keys.data_key.begin());
  std::copy_n(it + kDataKeySize, kNameKeySize, keys.name_key.begin());
  std::copy_n(it + kDataKeySize + kNameKeySize, kNameTweakSize, keys.name_tweak.begin());
  OPENSSL_cleanse(out.data(), out.size());
  return keys;
}

}  // namespace cvclone::crypt
