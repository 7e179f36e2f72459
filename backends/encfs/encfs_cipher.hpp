// encfs's primitives over one AES key (ENCFS-FORMAT.md §2), built on OpenSSL EVP: the 64/32/16-bit
// HMAC-SHA1 checksums, per-operation IVs, block (CBC) and stream (two-pass CFB) modes, PBKDF2 and
// the volume key's decoding.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "backends/encfs/encfs_config.hpp"
#include "core/error.hpp"

namespace cvclone::encfs {

// A key as encfs keeps it: key_bits/8 bytes of AES key, then a 16-byte key IV. Wiped when
// destroyed. Copyable (each copy wipes its own bytes).
class KeyMaterial {
 public:
  KeyMaterial() = default;
  KeyMaterial(std::vector<uint8_t> key, const std::array<uint8_t, kIvBytes>& iv)
      : key_(std::move(key)), iv_(iv) {}
  KeyMaterial(const KeyMaterial&) = default;
  KeyMaterial& operator=(const KeyMaterial&) = default;
  ~KeyMaterial();

  std::span<const uint8_t> key() const { return key_; }
  const std::array<uint8_t, kIvBytes>& iv() const { return iv_; }
  int key_bits() const { return static_cast<int>(key_.size() * 8); }

 private:
  std::vector<uint8_t> key_;
  std::array<uint8_t, kIvBytes> iv_{};
};

// The user key: PBKDF2-HMAC-SHA1(password, salt, iterations) cut into key and key IV.
// kInternal if OpenSSL fails.
Result<KeyMaterial> DeriveUserKey(const std::string& password, const VolumeConfig& config);

// One key's operations. Holds OpenSSL contexts keyed once: not thread-safe; make one per thread
// (SessionPool). All functions return kInternal only when OpenSSL itself fails.
class CipherSession {
 public:
  static Result<std::unique_ptr<CipherSession>> Create(const KeyMaterial& key);
  ~CipherSession();
  CipherSession(const CipherSession&) = delete;
  CipherSession& operator=(const CipherSession&) = delete;

  // HMAC-SHA1 over data (‖ *chain as 8 bytes LE when chain is given), folded to 64 bits. With a
  // chain, *chain becomes the result (encfs chains names this way).
  Result<uint64_t> Mac64(std::span<const uint8_t> data, uint64_t* chain = nullptr);
  Result<uint32_t> Mac32(std::span<const uint8_t> data, uint64_t* chain = nullptr);
  Result<uint16_t> Mac16(std::span<const uint8_t> data, uint64_t* chain = nullptr);

  // AES-CBC without padding with IV = ivec(seed); buf.size() must be a multiple of 16.
  Status BlockDecode(std::span<uint8_t> buf, uint64_t seed);
  Status BlockEncode(std::span<uint8_t> buf, uint64_t seed);
  // encfs's stream mode (any length): two CFB-128 passes around shuffles and a flip.
  Status StreamDecode(std::span<uint8_t> buf, uint64_t seed);
  Status StreamEncode(std::span<uint8_t> buf, uint64_t seed);

  // The IV of one operation: HMAC-SHA1(key, keyIV ‖ seed LE) cut to 16 bytes (cipher major 3).
  Result<std::array<uint8_t, kIvBytes>> Ivec(uint64_t seed);

 private:
  struct State;
  explicit CipherSession(std::unique_ptr<State> state);
  Status Cfb(std::span<uint8_t> buf, uint64_t seed, bool encrypt);
  Status Cbc(std::span<uint8_t> buf, uint64_t seed, bool encrypt);
  std::unique_ptr<State> state_;
};

// Decodes the volume key from config.encoded_key with the user key. kAuth "wrong password" when
// its checksum does not match (the only password check encfs has).
Result<KeyMaterial> DecodeVolumeKey(const KeyMaterial& user_key, const VolumeConfig& config);

// Sessions for one key, reused across calls: Acquire() hands one out (making a new one when
// none is free) and the handle gives it back when destroyed. Thread-safe.
class SessionPool {
 public:
  explicit SessionPool(KeyMaterial key) : key_(std::move(key)) {}

  class Handle {
   public:
    Handle(SessionPool* pool, std::unique_ptr<CipherSession> s) : pool_(pool), s_(std::move(s)) {}
    Handle(Handle&&) = default;
    Handle& operator=(Handle&&) = delete;
    ~Handle();
    CipherSession& operator*() const { return *s_; }
    CipherSession* operator->() const { return s_.get(); }

   private:
    SessionPool* pool_;
    std::unique_ptr<CipherSession> s_;
  };

  Result<Handle> Acquire();
  const KeyMaterial& key() const { return key_; }

 private:
  KeyMaterial key_;
  std::mutex mu_;
  std::vector<std::unique_ptr<CipherSession>> free_;
};

}  // namespace cvclone::encfs
