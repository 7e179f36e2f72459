#include "crypt/secret.hpp"

#include <doctest/doctest.h>
#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>

#include "crypt/crypt_remote.hpp"
#include "tests/support/memory_remote.hpp"

namespace cvclone::crypt {
namespace {

// Kilobytes of this process's memory locked in RAM (VmLck in /proc/self/status); -1 if unread.
long LockedKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmLck:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// Whether this process may lock at least one page (RLIMIT_MEMLOCK).
bool MayLockMemory() {
  rlimit limit{};
  return ::getrlimit(RLIMIT_MEMLOCK, &limit) == 0 && limit.rlim_cur >= 64 * 1024;
}

bool AllZero(const char* p, size_t n) {
  return std::all_of(p, p + n, [](char c) { return c == 0; });
}

CryptKeys SomeKeys() {
  CryptKeys keys;
  keys.data_key.fill(0x11);
  keys.name_key.fill(0x22);
  keys.name_tweak.fill(0x33);
  return keys;
}

TEST_CASE("secret: WipeString zeroes the whole buffer, short and long strings alike") {
  for (size_t length : {7u, 15u, 100u, 5000u}) {
    CAPTURE(length);
    std::string s(length, 'p');
    s.reserve(length + 50);
    s.pop_back();  // a byte beyond size() that still holds a password byte
    const char* buffer = s.data();
    const size_t capacity = s.capacity();
    WipeString(s);
    CHECK(s.empty());
    CHECK(s.data() == buffer);  // still this string's: reading it below is valid
    CHECK(AllZero(buffer, capacity));
  }
}

TEST_CASE("secret: WipeOnExit wipes a string that was moved from") {
  std::string from = "hunter2";  // short: a move copies its bytes and leaves them
  const char* buffer = from.data();
  std::string to;
  {
    WipeOnExit wipe(from);
    to = std::move(from);
  }
  CHECK(to == "hunter2");
  CHECK(AllZero(buffer, 7));
}

TEST_CASE("secret: LockedKeys holds the keys in locked memory while it lives") {
  const long before = LockedKiB();
  REQUIRE(before >= 0);
  {
    auto locked = LockedKeys::Create(SomeKeys());
    REQUIRE(locked.has_value());
    CHECK(locked->get().data_key == SomeKeys().data_key);
    CHECK(locked->get().name_tweak == SomeKeys().name_tweak);
    LockedKeys moved = std::move(*locked);
    CHECK(moved->name_key == SomeKeys().name_key);
    if (MayLockMemory()) CHECK(LockedKiB() > before);
  }
  CHECK(LockedKiB() == before);
}

TEST_CASE("secret: a crypt remote keeps its keys in locked memory") {
  if (!MayLockMemory()) {
    MESSAGE("RLIMIT_MEMLOCK below 64 KiB here: nothing can be locked, nothing to check");
    return;
  }
  CryptConfig config;
  config.password = "unused: the keys are given";
  const long before = LockedKiB();
  auto remote = NewCryptRemote(std::make_unique<MemoryRemote>(), "crypt:", config, SomeKeys());
  REQUIRE(remote.has_value());
  CHECK(LockedKiB() > before);
  CHECK(AsCrypt(**remote)->Key() == SomeKeys().data_key);
  remote->reset();
  CHECK(LockedKiB() == before);
}

}  // namespace
}  // namespace cvclone::crypt
