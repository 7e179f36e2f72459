#include "crypt/eme.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "crypt/encoding.hpp"

namespace cvclone::crypt {
namespace {

std::vector<uint8_t> Padded(const std::string& s) {
  std::vector<uint8_t> out(s.begin(), s.end());
  const size_t pad = 16 - s.size() % 16;
  out.insert(out.end(), pad, static_cast<uint8_t>(pad));
  return out;
}

const std::array<uint8_t, 32> kZeroKey{};
const std::array<uint8_t, 16> kZeroTweak{};

// rclone's zero-key name vectors, seen at the EME level: E(pad(name)) = base32hexdecode(ct).
TEST_CASE("EME: known answers with the zero key (rclone's name vectors)") {
  const Eme eme(kZeroKey);
  const std::pair<const char*, const char*> kVectors[] = {
      {"1", "p0e52nreeaj0a5ea7s64m4j72s"},
      {"12", "l42g6771hnv3an9cgc8cr2n1ng"},
      {"123", "qgm4avr35m5loi1th53ato71v0"},
      {"1234567890123456", "mijbj0frqf6ms7frcr6bd9h0env53jv96pjaaoirk7forcgpt70g"},
  };
  for (const auto& [plain, encoded] : kVectors) {
    CAPTURE(plain);
    auto expected = Base32HexDecode(encoded);
    REQUIRE(expected.has_value());
    auto ct = eme.Encrypt(kZeroTweak, Padded(plain));
    REQUIRE(ct.has_value());
    CHECK(*ct == *expected);
    auto back = eme.Decrypt(kZeroTweak, *expected);
    REQUIRE(back.has_value());
    CHECK(*back == Padded(plain));
  }
}

TEST_CASE("EME: round trip for every length from 16 to 2048 bytes") {
  std::array<uint8_t, 32> key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 7 + 1);
  std::array<uint8_t, 16> tweak{};
  tweak.fill(0x5a);
  const Eme eme(key);
  for (size_t len = 16; len <= 2048; len += 16) {
    std::vector<uint8_t> in(len);
    for (size_t i = 0; i < len; ++i) in[i] = static_cast<uint8_t>(i * 31 + len);
    auto ct = eme.Encrypt(tweak, in);
    REQUIRE(ct.has_value());
    REQUIRE(ct->size() == len);
    CHECK(*ct != in);
    auto back = eme.Decrypt(tweak, *ct);
    REQUIRE(back.has_value());
    CHECK(*back == in);
  }
}

TEST_CASE("EME: one Eme and its copy used from several threads at once give the one-thread "
          "results") {
  std::array<uint8_t, 32> key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 13 + 5);
  std::array<uint8_t, 16> tweak{};
  tweak.fill(0x33);
  const Eme eme(key);
  const Eme copy = eme;  // shares the context pool
  std::vector<std::vector<uint8_t>> inputs, expected;
  for (size_t len = 16; len <= 512; len += 16) {
    std::vector<uint8_t> in(len);
    for (size_t i = 0; i < len; ++i) in[i] = static_cast<uint8_t>(i * 17 + len);
    auto ct = eme.Encrypt(tweak, in);
    REQUIRE(ct.has_value());
    inputs.push_back(in);
    expected.push_back(*ct);
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const Eme& e = t % 2 == 0 ? eme : copy;
      for (int round = 0; round < 50; ++round) {
        for (size_t i = 0; i < inputs.size(); ++i) {
          auto ct = e.Encrypt(tweak, inputs[i]);
          auto back = e.Decrypt(tweak, expected[i]);
          if (!ct || *ct != expected[i] || !back || *back != inputs[i]) ++wrong;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong == 0);
}

TEST_CASE("EME: a one-byte change affects every output block (wide block)") {
  const Eme eme(kZeroKey);
  std::vector<uint8_t> a(256, 0x41);
  std::vector<uint8_t> b = a;
  b[200] ^= 1;
  auto ca = eme.Encrypt(kZeroTweak, a);
  auto cb = eme.Encrypt(kZeroTweak, b);
  REQUIRE(ca.has_value());
  REQUIRE(cb.has_value());
  for (size_t block = 0; block < 16; ++block) {
    CAPTURE(block);
    CHECK(!std::equal(ca->begin() + block * 16, ca->begin() + block * 16 + 16,
                      cb->begin() + block * 16));
  }
  std::array<uint8_t, 16> tweak2{};
  tweak2[15] = 1;
  CHECK(eme.Encrypt(tweak2, a).value() != *ca);
}

TEST_CASE("EME: bad lengths are refused") {
  const Eme eme(kZeroKey);
  CHECK(eme.Encrypt(kZeroTweak, std::vector<uint8_t>{}).error().code() ==
        ErrorCode::kInvalidArgument);
  CHECK_FALSE(eme.Encrypt(kZeroTweak, std::vector<uint8_t>(15)).has_value());
  CHECK_FALSE(eme.Decrypt(kZeroTweak, std::vector<uint8_t>(17)).has_value());
  CHECK_FALSE(eme.Encrypt(kZeroTweak, std::vector<uint8_t>(2064)).has_value());
  CHECK(eme.Encrypt(kZeroTweak, std::vector<uint8_t>(2048)).has_value());
}

}  // namespace
}  // namespace cvclone::crypt
