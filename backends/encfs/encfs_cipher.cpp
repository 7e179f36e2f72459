#include "backends/encfs/encfs_cipher.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>

namespace cvclone::encfs {
namespace {

constexpr size_t kSha1Bytes = 20;
// encfs folds only the first 19 of the 20 digest bytes (`mdLen - 1` in _checksum_64).
constexpr size_t kFoldedBytes = kSha1Bytes - 1;
// The stream mode's flip reverses bytes within chunks of this many.
constexpr size_t kFlipChunk = 64;

Unexpected<Error> SslError(const char* what) {
  return MakeError(ErrorCode::kInternal, std::string("encfs: OpenSSL ") + what + " failed");
}

const EVP_CIPHER* AesCbc(int bits) {
  return bits == 128 ? EVP_aes_128_cbc() : bits == 192 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
}
const EVP_CIPHER* AesCfb(int bits) {
  return bits == 128   ? EVP_aes_128_cfb128()
         : bits == 192 ? EVP_aes_192_cfb128()
                       : EVP_aes_256_cfb128();
}

void PutLe64(uint64_t v, uint8_t* out) {
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
}

void Shuffle(std::span<uint8_t> b) {
  for (size_t i = 0; i + 1 < b.size(); ++i) b[i + 1] ^= b[i];
}
void Unshuffle(std::span<uint8_t> b) {
  for (size_t i = b.size(); i-- > 1;) b[i] ^= b[i - 1];
}
void Flip(std::span<uint8_t> b) {
  for (size_t at = 0; at < b.size(); at += kFlipChunk) {
    const size_t n = std::min(kFlipChunk, b.size() - at);
    std::reverse(b.begin() + static_cast<std::ptrdiff_t>(at),
                 b.begin() + static_cast<std::ptrdiff_t>(at + n));
  }
}

struct MacFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
struct CipherFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using MacPtr = std::unique_ptr<EVP_MAC_CTX, MacFree>;
using CipherPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherFree>;

// Runs the keyed context c over buf in place with a new IV; what is one of SslError's names.
Status RunCipher(EVP_CIPHER_CTX* c, const std::array<uint8_t, kIvBytes>& iv,
                 std::span<uint8_t> buf, const char* what) {
  int n = 0;
  int tail = 0;
  if (EVP_CipherInit_ex(c, nullptr, nullptr, nullptr, iv.data(), -1) != 1 ||
      EVP_CipherUpdate(c, buf.data(), &n, buf.data(), static_cast<int>(buf.size())) != 1 ||
      EVP_CipherFinal_ex(c, buf.data() + n, &tail) != 1 ||
      static_cast<size_t>(n + tail) != buf.size()) {
    return SslError(what);
  }
  return Ok();
}

// KeyMaterial from buf = key (key_len bytes) ‖ key IV; buf and the copies on the way are wiped.
KeyMaterial TakeKeyMaterial(std::vector<uint8_t>& buf, size_t key_len) {
  std::array<uint8_t, kIvBytes> iv;
  std::copy_n(buf.begin() + static_cast<std::ptrdiff_t>(key_len), kIvBytes, iv.begin());
  std::vector<uint8_t> key(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(key_len));
  OPENSSL_cleanse(buf.data(), buf.size());
  KeyMaterial material(std::move(key), iv);
  OPENSSL_cleanse(iv.data(), iv.size());
  return material;
}

}  // namespace

KeyMaterial::~KeyMaterial() {
  if (!key_.empty()) OPENSSL_cleanse(key_.data(), key_.size());
  OPENSSL_cleanse(iv_.data(), iv_.size());
}

// One keyed HMAC context (re-initialised per message with the same key) and one keyed cipher
// context per mode and direction (only the IV changes per operation).
struct CipherSession::State {
  KeyMaterial key;
  MacPtr mac;
  CipherPtr cbc_dec, cbc_enc, cfb_dec, cfb_enc;
};

CipherSession::CipherSession(std::unique_ptr<State> state) : state_(std::move(state)) {}
CipherSession::~CipherSession() = default;

Result<std::unique_ptr<CipherSession>> CipherSession::Create(const KeyMaterial& key) {
  auto s = std::make_unique<State>();
  s->key = key;
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (hmac == nullptr) return SslError("HMAC fetch");
  s->mac.reset(EVP_MAC_CTX_new(hmac));
  EVP_MAC_free(hmac);
  char digest[] = "SHA1";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (!s->mac || EVP_MAC_init(s->mac.get(), key.key().data(), key.key().size(), params) != 1) {
    return SslError("HMAC init");
  }
  const int bits = key.key_bits();
  auto init = [&](CipherPtr& ctx, const EVP_CIPHER* type, int enc) {
    ctx.reset(EVP_CIPHER_CTX_new());
    return ctx &&
           EVP_CipherInit_ex(ctx.get(), type, nullptr, key.key().data(), nullptr, enc) == 1 &&
           EVP_CIPHER_CTX_set_padding(ctx.get(), 0) == 1;
  };
  if (!init(s->cbc_dec, AesCbc(bits), 0) || !init(s->cbc_enc, AesCbc(bits), 1) ||
      !init(s->cfb_dec, AesCfb(bits), 0) || !init(s->cfb_enc, AesCfb(bits), 1)) {
    return SslError("AES init");
  }
  return std::unique_ptr<CipherSession>(new CipherSession(std::move(s)));
}

Result<uint64_t> CipherSession::Mac64(std::span<const uint8_t> data, uint64_t* chain) {
  EVP_MAC_CTX* m = state_->mac.get();
  uint8_t md[kSha1Bytes];
  size_t md_len = 0;
  bool ok =
      EVP_MAC_init(m, nullptr, 0, nullptr) == 1 && EVP_MAC_update(m, data.data(), data.size()) == 1;
  if (ok && chain != nullptr) {
    uint8_t le[8];
    PutLe64(*chain, le);
    ok = EVP_MAC_update(m, le, sizeof le) == 1;
  }
  if (!ok || EVP_MAC_final(m, md, &md_len, sizeof md) != 1 || md_len != kSha1Bytes) {
    return SslError("HMAC");
  }
  uint8_t h[8] = {};
  for (size_t i = 0; i < kFoldedBytes; ++i) h[i % 8] ^= md[i];
  uint64_t value = 0;
  for (uint8_t b : h) value = (value << 8) | b;
  if (chain != nullptr) *chain = value;
  return value;
}

Result<uint32_t> CipherSession::Mac32(std::span<const uint8_t> data, uint64_t* chain) {
  CVC_ASSIGN_OR_RETURN(uint64_t m, Mac64(data, chain));
  return static_cast<uint32_t>((m >> 32) ^ (m & 0xffffffffu));
}

Result<uint16_t> CipherSession::Mac16(std::span<const uint8_t> data, uint64_t* chain) {
  CVC_ASSIGN_OR_RETURN(uint32_t m, Mac32(data, chain));
  return static_cast<uint16_t>((m >> 16) ^ (m & 0xffffu));
}

Result<std::array<uint8_t, kIvBytes>> CipherSession::Ivec(uint64_t seed) {
  EVP_MAC_CTX* m = state_->mac.get();
  uint8_t le[8];
  PutLe64(seed, le);
  uint8_t md[kSha1Bytes];
  size_t md_len = 0;
  const auto& key_iv = state_->key.iv();
  if (EVP_MAC_init(m, nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(m, key_iv.data(), key_iv.size()) != 1 ||
      EVP_MAC_update(m, le, sizeof le) != 1 || EVP_MAC_final(m, md, &md_len, sizeof md) != 1 ||
      md_len != kSha1Bytes) {
    return SslError("HMAC");
  }
  std::array<uint8_t, kIvBytes> iv;
  std::copy_n(md, kIvBytes, iv.begin());
  return iv;
}

Status CipherSession::Cbc(std::span<uint8_t> buf, uint64_t seed, bool encrypt) {
  if (buf.size() % kIvBytes != 0) {
    return MakeError(ErrorCode::kInternal, "encfs: block mode on a partial AES block");
  }
  CVC_ASSIGN_OR_RETURN(auto iv, Ivec(seed));
  return RunCipher(encrypt ? state_->cbc_enc.get() : state_->cbc_dec.get(), iv, buf, "AES-CBC");
}

Status CipherSession::Cfb(std::span<uint8_t> buf, uint64_t seed, bool encrypt) {
  CVC_ASSIGN_OR_RETURN(auto iv, Ivec(seed));
  return RunCipher(encrypt ? state_->cfb_enc.get() : state_->cfb_dec.get(), iv, buf, "AES-CFB");
}

Status CipherSession::BlockDecode(std::span<uint8_t> buf, uint64_t seed) {
  return Cbc(buf, seed, false);
}
Status CipherSession::BlockEncode(std::span<uint8_t> buf, uint64_t seed) {
  return Cbc(buf, seed, true);
}

Status CipherSession::StreamDecode(std::span<uint8_t> buf, uint64_t seed) {
  if (buf.empty()) return Ok();
  CVC_RETURN_IF_ERROR(Cfb(buf, seed + 1, false));
  Unshuffle(buf);
  Flip(buf);
  CVC_RETURN_IF_ERROR(Cfb(buf, seed, false));
  Unshuffle(buf);
  return Ok();
}

Status CipherSession::StreamEncode(std::span<uint8_t> buf, uint64_t seed) {
  if (buf.empty()) return Ok();
  Shuffle(buf);
  CVC_RETURN_IF_ERROR(Cfb(buf, seed, true));
  Flip(buf);
  Shuffle(buf);
  CVC_RETURN_IF_ERROR(Cfb(buf, seed + 1, true));
  return Ok();
}

Result<KeyMaterial> DeriveUserKey(const std::string& password, const VolumeConfig& config) {
  const size_t key_len = static_cast<size_t>(config.key_bytes());
  std::vector<uint8_t> out(key_len + kIvBytes);
  if (config.kdf_iterations <= 0 || config.kdf_iterations > INT32_MAX ||
      PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), config.salt.data(),
                        static_cast<int>(config.salt.size()),
                        static_cast<int>(config.kdf_iterations), EVP_sha1(),
                        static_cast<int>(out.size()), out.data()) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return SslError("PBKDF2");
  }
  return TakeKeyMaterial(out, key_len);
}

Result<KeyMaterial> DecodeVolumeKey(const KeyMaterial& user_key, const VolumeConfig& config) {
  const size_t key_len = static_cast<size_t>(config.key_bytes());
  if (config.encoded_key.size() != 4 + key_len + kIvBytes) {
    return MakeError(ErrorCode::kConfig, "encfs: encodedKeyData has the wrong length");
  }
  const uint32_t checksum = (uint32_t{config.encoded_key[0]} << 24) |
                            (uint32_t{config.encoded_key[1]} << 16) |
                            (uint32_t{config.encoded_key[2]} << 8) | config.encoded_key[3];
  std::vector<uint8_t> data(config.encoded_key.begin() + 4, config.encoded_key.end());
  CVC_ASSIGN_OR_RETURN(auto session, CipherSession::Create(user_key));
  Status decoded = session->StreamDecode(data, checksum);
  auto mac = decoded ? session->Mac32(data) : Result<uint32_t>(Unexpected<Error>(decoded.error()));
  if (!mac || *mac != checksum) {
    OPENSSL_cleanse(data.data(), data.size());
    if (!mac) return Propagate(mac.error());
    return MakeError(ErrorCode::kAuth,
                     "encfs: wrong password (the volume key's checksum does not match)",
                     RetryClass::kFatal);
  }
  return TakeKeyMaterial(data, key_len);
}

SessionPool::Handle::~Handle() {
  if (s_ == nullptr || pool_ == nullptr) return;
  std::lock_guard lock(pool_->mu_);
  pool_->free_.push_back(std::move(s_));
}

Result<SessionPool::Handle> SessionPool::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!free_.empty()) {
      auto s = std::move(free_.back());
      free_.pop_back();
      return Handle(this, std::move(s));
    }
  }
  CVC_ASSIGN_OR_RETURN(auto s, CipherSession::Create(key_));
  return Handle(this, std::move(s));
}

}  // namespace cvclone::encfs
