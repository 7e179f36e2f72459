#include "crypt/secret.hpp"

#include <sodium.h>

#include <new>
#include <utility>

#include "crypt/data.hpp"

namespace cvclone::crypt {

void WipeString(std::string& s) {
  s.resize(s.capacity());
  sodium_memzero(s.data(), s.size());
  s.clear();
}

void WipeBytes(void* p, size_t n) { sodium_memzero(p, n); }

Result<LockedKeys> LockedKeys::Create(const CryptKeys& keys) {
  CVC_RETURN_IF_ERROR(InitSodium());
  void* memory = sodium_malloc(sizeof(CryptKeys));
  if (memory == nullptr) {
    return MakeError(ErrorCode::kInternal, "crypt: cannot allocate locked memory for the keys");
  }
  return LockedKeys(new (memory) CryptKeys(keys));
}

LockedKeys::LockedKeys(LockedKeys&& other) noexcept
    : keys_(std::exchange(other.keys_, nullptr)) {}

LockedKeys& LockedKeys::operator=(LockedKeys&& other) noexcept {
  if (this != &other) {
    this->~LockedKeys();
    keys_ = std::exchange(other.keys_, nullptr);
  }
  return *this;
}

LockedKeys::~LockedKeys() {
  if (keys_ == nullptr) return;
  keys_->~CryptKeys();
  sodium_free(keys_);  // zeroes the region, unlocks and unmaps it
}

}  // namespace cvclone::crypt
