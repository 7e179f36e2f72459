#include "crypt/openssl_memory.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>

namespace cvclone::crypt {
namespace {

void Fill(void* p, size_t n, char c) { std::memset(p, c, n); }
bool AllAre(const void* p, size_t n, char c) {
  const auto* b = static_cast<const char*>(p);
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != c) return false;
  }
  return true;
}

TEST_CASE("openssl memory: small and large blocks keep their bytes across reallocs") {
  const size_t small = 1000;
  const size_t large = kLargeBlock + 4096;
  void* p = OpenSslAlloc(small, __FILE__, __LINE__);
  REQUIRE(p != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(p) % 16 == 0);
  Fill(p, small, 'a');
  SUBCASE("small, grown while small, then large, then small again") {
    p = OpenSslRealloc(p, 2 * small, __FILE__, __LINE__);
    REQUIRE(p != nullptr);
    CHECK(AllAre(p, small, 'a'));
    Fill(p, 2 * small, 'b');
    p = OpenSslRealloc(p, large, __FILE__, __LINE__);
    REQUIRE(p != nullptr);
    CHECK(AllAre(p, 2 * small, 'b'));
    Fill(p, large, 'c');  // the whole large block is writable
    CHECK(AllAre(p, large, 'c'));
    p = OpenSslRealloc(p, small, __FILE__, __LINE__);
    REQUIRE(p != nullptr);
    CHECK(AllAre(p, small, 'c'));
    OpenSslFree(p, __FILE__, __LINE__);
  }
  SUBCASE("large from the start, grown and shrunk") {
    OpenSslFree(p, __FILE__, __LINE__);
    p = OpenSslAlloc(large, __FILE__, __LINE__);
    REQUIRE(p != nullptr);
    CHECK(reinterpret_cast<uintptr_t>(p) % 16 == 0);
    Fill(p, large, 'd');
    p = OpenSslRealloc(p, 2 * large, __FILE__, __LINE__);
    REQUIRE(p != nullptr);
    CHECK(AllAre(p, large, 'd'));
    p = OpenSslRealloc(p, 10, __FILE__, __LINE__);
    REQUIRE(p != nullptr);
    CHECK(AllAre(p, 10, 'd'));
    OpenSslFree(p, __FILE__, __LINE__);
  }
  SUBCASE("zero bytes: nullptr, and a realloc to zero frees") {
    CHECK(OpenSslAlloc(0, __FILE__, __LINE__) == nullptr);
    CHECK(OpenSslRealloc(p, 0, __FILE__, __LINE__) == nullptr);
    OpenSslFree(nullptr, __FILE__, __LINE__);  // a no-op, as free(nullptr)
  }
}

}  // namespace
}  // namespace cvclone::crypt
