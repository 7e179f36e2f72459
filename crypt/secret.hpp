// Secrets in memory. A password is needed only until the keys are derived from it: it is wiped
// then. The derived keys live as long as the remotes that use them, in memory of their own that
// is kept out of swap and core dumps where the system allows it; copies made for one file or
// one name cipher are wiped when they are destroyed.
#pragma once

#include <cstddef>
#include <string>

#include "core/error.hpp"
#include "crypt/keys.hpp"

namespace cvclone::crypt {

// Overwrites all of s's buffer (its whole capacity, not only its size) with zeros, then empties
// it; the buffer stays s's.
void WipeString(std::string& s);

// Overwrites n bytes at p with zeros in a way the compiler does not remove.
void WipeBytes(void* p, size_t n);

// Wipes a string (WipeString) when the scope ends, also when it was moved from (a moved-from
// short string keeps its bytes): for every buffer a password passes through.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::string& s) : s_(s) {}
  ~WipeOnExit() { WipeString(s_); }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

 private:
  std::string& s_;
};

// A copy of CryptKeys in pages of their own (libsodium's sodium_malloc: guard pages around it,
// mlock'ed where RLIMIT_MEMLOCK allows and excluded from core dumps), zeroed and unmapped when
// destroyed. Move-only.
class LockedKeys {
 public:
  // kInternal when the pages cannot be had.
  static Result<LockedKeys> Create(const CryptKeys& keys);
  LockedKeys(LockedKeys&& other) noexcept;
  LockedKeys& operator=(LockedKeys&& other) noexcept;
  LockedKeys(const LockedKeys&) = delete;
  LockedKeys& operator=(const LockedKeys&) = delete;
  ~LockedKeys();

  const CryptKeys& get() const { return *keys_; }
  const CryptKeys* operator->() const { return keys_; }

 private:
  explicit LockedKeys(CryptKeys* keys) : keys_(keys) {}
  CryptKeys* keys_ = nullptr;
};

}  // namespace cvclone::crypt
