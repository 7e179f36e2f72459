#include "crypt/obscure.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <vector>

#include "crypt/encoding.hpp"

#include "crypt/secret.hpp"

namespace cvclone::crypt {
namespace {

// rclone's fixed, public obscuring key (fs/config/obscure).
constexpr std::array<uint8_t, 32> kObscureKey = {
    0x9c, 0x93, 0x5b, 0x48, 0x73, 0x0a, 0x55, 0x4d, 0x6b, 0xfd, 0x7c, 0x63, 0xc8, 0x86, 0xa9, 0x2b,
    0xd3, 0x90, 0x19, 0x8e, 0xb8, 0x12, 0x8a, 0xfb, 0xf4, 0xde, 0x16, 0x2b, 0x8b, 0x95, 0xf6, 0x38};

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// AES-256-CTR is its own inverse.
Result<std::vector<uint8_t>> Ctr(const uint8_t* iv, const uint8_t* in, size_t len) {
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  std::vector<uint8_t> out(len + 16);
  int n = 0;
  int tail = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_ctr(), nullptr, kObscureKey.data(), iv) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &n, in, static_cast<int>(len)) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + n, &tail) != 1) {
    return MakeError(ErrorCode::kInternal, "obscure: AES-CTR failed");
  }
  out.resize(static_cast<size_t>(n + tail));
  return out;
}

}  // namespace

Result<std::string> ObscureWithIv(const std::string& plain, const std::array<uint8_t, 16>& iv) {
  CVC_ASSIGN_OR_RETURN(
      std::vector<uint8_t> ct,
      Ctr(iv.data(), reinterpret_cast<const uint8_t*>(plain.data()), plain.size()));
  std::vector<uint8_t> all(iv.begin(), iv.end());
  all.insert(all.end(), ct.begin(), ct.end());
  return Base64UrlEncode(all);
}

Result<std::string> Obscure(const std::string& plain) {
  std::array<uint8_t, 16> iv{};
  if (RAND_bytes(iv.data(), static_cast<int>(iv.size())) != 1) {
    return MakeError(ErrorCode::kInternal, "obscure: no random bytes for the IV");
  }
  return ObscureWithIv(plain, iv);
}

Result<std::string> Reveal(const std::string& obscured) {
  auto raw = Base64UrlDecode(obscured);
  if (!raw) {
    return MakeError(ErrorCode::kConfig,
                     "failed to reveal password: base64 decode failed when revealing password - "
                     "is it obscured?");
  }
  if (raw->size() < 16) {
    return MakeError(ErrorCode::kConfig,
                     "failed to reveal password: input too short when revealing password - is it "
                     "obscured?");
  }
  CVC_ASSIGN_OR_RETURN(std::vector<uint8_t> pt, Ctr(raw->data(), raw->data() + 16, raw->size() - 16));
  std::string plain(pt.begin(), pt.end());
  WipeBytes(pt.data(), pt.size());
  return plain;
}

}  // namespace cvclone::crypt
