#include "crypt/openssl_memory.hpp"

#include <openssl/crypto.h>
#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

namespace cvclone::crypt {

namespace {

// Each block starts with this header; the caller gets the bytes after it. 16 bytes keep
// malloc's 16-byte alignment.
struct Header {
  size_t size;    // bytes the caller asked for
  size_t mapped;  // 1: its own mapping (munmap), 0: malloc
};
static_assert(sizeof(Header) == 16);

#ifndef MADV_POPULATE_WRITE
constexpr int kPopulateWrite = 23;  // Linux 5.14; older headers lack the name
#else
constexpr int kPopulateWrite = MADV_POPULATE_WRITE;
#endif

Header* HeaderOf(void* p) { return static_cast<Header*>(p) - 1; }

void* MapLarge(size_t n) {
  const size_t len = sizeof(Header) + n;
  void* base = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return nullptr;
  // Both are hints: without them the pages fault in one by one, as with malloc.
  (void)::madvise(base, len, MADV_HUGEPAGE);
  (void)::madvise(base, len, kPopulateWrite);
  auto* h = static_cast<Header*>(base);
  *h = Header{n, 1};
  return h + 1;
}

}  // namespace

void* OpenSslAlloc(size_t n, const char*, int) {
  if (n == 0) return nullptr;  // as OpenSSL's own CRYPTO_malloc
  if (n >= kLargeBlock) return MapLarge(n);
  auto* h = static_cast<Header*>(std::malloc(sizeof(Header) + n));
  if (h == nullptr) return nullptr;
  *h = Header{n, 0};
  return h + 1;
}

void OpenSslFree(void* p, const char*, int) {
  if (p == nullptr) return;
  Header* h = HeaderOf(p);
  if (h->mapped != 0) {
    ::munmap(h, sizeof(Header) + h->size);
  } else {
    std::free(h);
  }
}

void* OpenSslRealloc(void* p, size_t n, const char* file, int line) {
  if (p == nullptr) return OpenSslAlloc(n, file, line);
  if (n == 0) {  // as OpenSSL's own CRYPTO_realloc
    OpenSslFree(p, file, line);
    return nullptr;
  }
  Header* h = HeaderOf(p);
  if (h->mapped == 0 && n < kLargeBlock) {
    auto* grown = static_cast<Header*>(std::realloc(h, sizeof(Header) + n));
    if (grown == nullptr) return nullptr;
    grown->size = n;
    return grown + 1;
  }
  void* moved = OpenSslAlloc(n, file, line);
  if (moved == nullptr) return nullptr;
  std::memcpy(moved, p, h->size < n ? h->size : n);
  OpenSslFree(p, file, line);
  return moved;
}

bool InstallOpenSslAllocator() {
  return CRYPTO_set_mem_functions(OpenSslAlloc, OpenSslRealloc, OpenSslFree) == 1;
}

}  // namespace cvclone::crypt
