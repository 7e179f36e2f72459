#include "crypt/eme.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <mutex>

namespace cvclone::crypt {
namespace {

using Block = std::array<uint8_t, 16>;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

// An AES-256-ECB context without padding, for whole blocks.
CtxPtr NewAes(const uint8_t* key, bool encrypt) {
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return nullptr;
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_ecb(), nullptr, key, nullptr, encrypt ? 1 : 0) !=
      1) {
    return nullptr;
  }
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  return ctx;
}

}  // namespace

struct Eme::Pool {
  std::mutex mu;
  std::vector<CtxPtr> free[2];  // [encrypt]

  CtxPtr Take(const uint8_t* key, bool encrypt) {
    {
      std::lock_guard lock(mu);
      auto& list = free[encrypt ? 1 : 0];
      if (!list.empty()) {
        CtxPtr ctx = std::move(list.back());
        list.pop_back();
        return ctx;
      }
    }
    return NewAes(key, encrypt);
  }
  // ECB keeps no state between calls: a context goes back as it is.
  void Give(CtxPtr ctx, bool encrypt) {
    if (!ctx) return;
    std::lock_guard lock(mu);
    free[encrypt ? 1 : 0].push_back(std::move(ctx));
  }
};

namespace {

// Applies the block cipher to n whole blocks (ECB), in may equal out.
bool AesBlocks(EVP_CIPHER_CTX* ctx, const uint8_t* in, uint8_t* out, size_t len) {
  int n = 0;
  return EVP_CipherUpdate(ctx, out, &n, in, static_cast<int>(len)) == 1 &&
         static_cast<size_t>(n) == len;
}

// Doubling in GF(2^128), little-endian byte order, reduction 0x87.
void MulByTwo(Block& b) {
  const uint8_t carry_out = b[15] >> 7;
  for (size_t j = 15; j > 0; --j) b[j] = static_cast<uint8_t>((b[j] << 1) | (b[j - 1] >> 7));
  b[0] = static_cast<uint8_t>(b[0] << 1);
  if (carry_out) b[0] ^= 0x87;
}

void XorInto(uint8_t* dst, const uint8_t* src) {
  for (size_t i = 0; i < 16; ++i) dst[i] ^= src[i];
}

}  // namespace

Eme::Eme(std::span<const uint8_t, 32> key) : pool_(std::make_shared<Pool>()) {
  std::copy(key.begin(), key.end(), key_.begin());
  CtxPtr enc = NewAes(key_.data(), true);
  Block zero{};
  if (enc && AesBlocks(enc.get(), zero.data(), l_.data(), 16)) {
    MulByTwo(l_);
    l_ok_ = true;
  }
  pool_->Give(std::move(enc), true);
}

Eme::~Eme() {
  OPENSSL_cleanse(key_.data(), key_.size());
  OPENSSL_cleanse(l_.data(), l_.size());
}

Result<std::vector<uint8_t>> Eme::Encrypt(std::span<const uint8_t, 16> tweak,
                                          std::span<const uint8_t> in) const {
  return Transform(tweak, in, true);
}

Result<std::vector<uint8_t>> Eme::Decrypt(std::span<const uint8_t, 16> tweak,
                                          std::span<const uint8_t> in) const {
  return Transform(tweak, in, false);
}

Result<std::vector<uint8_t>> Eme::Transform(std::span<const uint8_t, 16> tweak,
                                            std::span<const uint8_t> in, bool encrypt) const {
  const size_t m = in.size() / kBlockSize;
  if (in.size() % kBlockSize != 0 || m == 0 || m > kMaxBlocks) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "EME: input must be 1 to 128 blocks of 16 bytes, got " +
                         std::to_string(in.size()) + " bytes");
  }
  CtxPtr ctx = pool_->Take(key_.data(), encrypt);
  if (!l_ok_ || !ctx) return MakeError(ErrorCode::kInternal, "EME: AES initialisation failed");
  struct GiveBack {
    Pool& pool;
    CtxPtr& ctx;
    bool encrypt;
    ~GiveBack() { pool.Give(std::move(ctx), encrypt); }
  } give_back{*pool_, ctx, encrypt};

  // Lj = 2^(j+1)·E(0), one per block.
  std::vector<Block> l_table(m);
  Block li = l_;
  for (size_t j = 0; j < m; ++j) {
    l_table[j] = li;
    MulByTwo(li);
  }
  // PPPj = AES(Pj ⊕ Lj), all blocks in one call.
  std::vector<uint8_t> c(in.begin(), in.end());
  for (size_t j = 0; j < m; ++j) XorInto(&c[j * 16], l_table[j].data());
  if (!AesBlocks(ctx.get(), c.data(), c.data(), c.size())) {
    return MakeError(ErrorCode::kInternal, "EME: AES failed");
  }
  // MP = T ⊕ XOR(PPPj); MC = AES(MP); M = MP ⊕ MC.
  Block mp;
  std::copy(tweak.begin(), tweak.end(), mp.begin());
  for (size_t j = 0; j < m; ++j) XorInto(mp.data(), &c[j * 16]);
  Block mc;
  if (!AesBlocks(ctx.get(), mp.data(), mc.data(), 16)) {
    return MakeError(ErrorCode::kInternal, "EME: AES failed");
  }
  Block mm = mp;
  XorInto(mm.data(), mc.data());
  // CCCj = PPPj ⊕ 2^j·M for j ≥ 1; CCC0 = MC ⊕ T ⊕ XOR(CCCj, j ≥ 1).
  Block ccc0 = mc;
  XorInto(ccc0.data(), tweak.data());
  for (size_t j = 1; j < m; ++j) {
    MulByTwo(mm);
    XorInto(&c[j * 16], mm.data());
    XorInto(ccc0.data(), &c[j * 16]);
  }
  std::copy(ccc0.begin(), ccc0.end(), c.begin());
  // Cj = AES(CCCj) ⊕ Lj.
  if (!AesBlocks(ctx.get(), c.data(), c.data(), c.size())) {
    return MakeError(ErrorCode::kInternal, "EME: AES failed");
  }
  for (size_t j = 0; j < m; ++j) XorInto(&c[j * 16], l_table[j].data());
  return c;
}

}  // namespace cvclone::crypt
