#include "crypt/keys.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>

#include "crypt/secret.hpp"

namespace cvclone::crypt {

const std::array<uint8_t, 16> kDefaultSalt = {0xA8, 0x0D, 0xF4, 0x3A, 0x8F, 0xBD, 0x03, 0x08,
                                              0xA7, 0xCA, 0xB8, 0x3E, 0x58, 0x1F, 0x86, 0xB1};

CryptKeys::~CryptKeys() {
  OPENSSL_cleanse(data_key.data(), data_key.size());
  OPENSSL_cleanse(name_key.data(), name_key.size());
  OPENSSL_cleanse(name_tweak.data(), name_tweak.size());
}

WipedDataKey::~WipedDataKey() { OPENSSL_cleanse(key.data(), key.size()); }

namespace {
constexpr uint64_t kScryptN = 16384;
constexpr uint64_t kScryptR = 8;
constexpr uint64_t kScryptP = 1;
// 128·r·N = 16 MiB is needed; leave headroom for OpenSSL's own accounting.
constexpr uint64_t kScryptMaxMem = 64ull << 20;

using MemoKey = std::array<uint8_t, 32>;

// SHA-256 over the lengths and bytes of password and salt; all zero if hashing failed (then
// nothing is remembered).
MemoKey MemoKeyOf(const std::string& password, const std::string& salt) {
  MemoKey out{};
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  const uint64_t lengths[2] = {password.size(), salt.size()};
  unsigned int len = 0;
  const bool ok = md != nullptr && EVP_DigestInit_ex(md, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(md, lengths, sizeof(lengths)) == 1 &&
                  EVP_DigestUpdate(md, password.data(), password.size()) == 1 &&
                  EVP_DigestUpdate(md, salt.data(), salt.size()) == 1 &&
                  EVP_DigestFinal_ex(md, out.data(), &len) == 1;
  EVP_MD_CTX_free(md);
  if (!ok) out.fill(0);
  return out;
}

Result<CryptKeys> Scrypt(const std::string& password, const std::string& salt) {
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

}  // namespace

Result<CryptKeys> DeriveKeys(const std::string& password, const std::string& salt) {
  if (password.empty()) return MakeError(ErrorCode::kConfig, "crypt: password is empty");
  static std::mutex mu;
  static std::map<MemoKey, LockedKeys> memo;
  const MemoKey key = MemoKeyOf(password, salt);
  const bool memoizable = key != MemoKey{};
  if (memoizable) {
    std::lock_guard lock(mu);
    if (auto it = memo.find(key); it != memo.end()) return it->second.get();
  }
  CVC_ASSIGN_OR_RETURN(CryptKeys keys, Scrypt(password, salt));
  if (memoizable) {
    CVC_ASSIGN_OR_RETURN(LockedKeys locked, LockedKeys::Create(keys));
    std::lock_guard lock(mu);
    memo.emplace(key, std::move(locked));
  }
  return keys;
}

}  // namespace cvclone::crypt
