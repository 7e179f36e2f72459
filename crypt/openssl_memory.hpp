// OpenSSL's allocations of large blocks, mapped for huge pages and populated in one call.
//
// Every crypt remote derives its keys with scrypt (N=16384, r=8): OpenSSL's EVP_PBE_scrypt
// mallocs a 16 MiB block per derivation, and touching it for the first time costs one page fault
// per 4 KiB page, each of which traps to the hypervisor on a paravirtualised guest. Populating
// the block in one call, with transparent huge pages where allowed, takes most of that off every
// command that opens a crypt remote (figures in bench/RESULTS.md and commit 1e491f8).
//
// InstallOpenSslAllocator() routes OpenSSL's allocations through functions that serve blocks of
// at least kLargeBlock from their own mapping (advised MADV_HUGEPAGE, then MADV_POPULATE_WRITE;
// either may be refused, then pages come as usual) and everything smaller from malloc. OpenSSL
// still clears the scrypt block itself before freeing it (OPENSSL_clear_free). It must run
// before OpenSSL allocates anything, i.e. at the start of main: false if it is too late, and
// OpenSSL keeps malloc.
#pragma once

#include <cstddef>

namespace cvclone::crypt {

bool InstallOpenSslAllocator();

inline constexpr size_t kLargeBlock = size_t{1} << 20;

// The functions it installs (exposed for tests; the file and line arguments are OpenSSL's). As
// OpenSSL's own, they return nullptr for 0 bytes (realloc to 0 frees).
void* OpenSslAlloc(size_t n, const char* file, int line);
void* OpenSslRealloc(void* p, size_t n, const char* file, int line);
void OpenSslFree(void* p, const char* file, int line);

}  // namespace cvclone::crypt
