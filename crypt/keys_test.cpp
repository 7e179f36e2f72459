#include "crypt/keys.hpp"

#include <doctest/doctest.h>

#include "crypt/encoding.hpp"

namespace cvclone::crypt {
namespace {

std::string Hex(const auto& a) { return HexEncode(std::span<const uint8_t>(a.data(), a.size())); }

TEST_CASE("DeriveKeys: potato with the default salt matches rclone") {
  auto keys = DeriveKeys("potato", "");
  REQUIRE(keys.has_value());
  CHECK(Hex(keys->data_key) == "7455c71ab17c865b8471f47b79acb07eb31d5678b80c7e2eaf4fc8066a9ee468");
  CHECK(Hex(keys->name_key) == "765da27ab15d77f95796711f7b93ad63bbb484072e7180a8d17a9bbec14270d0");
  CHECK(Hex(keys->name_tweak) == "c18d5932f55b2828c5e1e87215520310");
}

TEST_CASE("DeriveKeys: potato with salt sausage matches rclone") {
  auto keys = DeriveKeys("potato", "sausage");
  REQUIRE(keys.has_value());
  CHECK(Hex(keys->data_key) == "8e9b6b99f8690467a071f9cb92d0aa787f8ff178bec96f999fd5206e644a1b50");
  CHECK(Hex(keys->name_key) == "3ea95ef681782dc9d9955d225bfd442c6f5d6897b029015c6f462e2a9dae2ce3");
  CHECK(Hex(keys->name_tweak) == "f17fd7141d65274f363fc2a04dd2148a");
}

TEST_CASE("DeriveKeys: remembered keys are those of their own password and salt") {
  // Same bytes split differently between password and salt: different keys, each stable.
  auto a1 = DeriveKeys("potatosa", "usage");
  auto b1 = DeriveKeys("potato", "sausage");
  auto a2 = DeriveKeys("potatosa", "usage");
  auto b2 = DeriveKeys("potato", "sausage");
  REQUIRE(a1.has_value());
  REQUIRE(b1.has_value());
  REQUIRE(a2.has_value());
  REQUIRE(b2.has_value());
  CHECK(Hex(b2->data_key) == "8e9b6b99f8690467a071f9cb92d0aa787f8ff178bec96f999fd5206e644a1b50");
  CHECK(Hex(a1->data_key) != Hex(b1->data_key));
  CHECK(Hex(a1->data_key) == Hex(a2->data_key));
  CHECK(Hex(a1->name_key) == Hex(a2->name_key));
  CHECK(Hex(a1->name_tweak) == Hex(a2->name_tweak));
  CHECK(Hex(b1->name_tweak) == Hex(b2->name_tweak));
}

TEST_CASE("DeriveKeys: an empty password is refused") {
  auto keys = DeriveKeys("", "sausage");
  REQUIRE_FALSE(keys.has_value());
  CHECK(keys.error().code() == ErrorCode::kConfig);
  CHECK(keys.error().message() == "crypt: password is empty");
}

TEST_CASE("Base32hex and base64url encodings") {
  std::string s = "hello world!";
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  CHECK(Base32HexEncode(bytes) == "d1imor3f41rmusjccggg");
  auto back = Base32HexDecode("D1IMOR3F41RMUSJCCGGG");
  REQUIRE(back.has_value());
  CHECK(std::string(back->begin(), back->end()) == s);
  CHECK(Base64UrlEncode(bytes) == "aGVsbG8gd29ybGQh");
  std::array<uint8_t, 2> ff = {0xfb, 0xff};
  CHECK(Base64UrlEncode(ff) == "-_8");
  CHECK(Base64UrlDecode("-_8").value() == std::vector<uint8_t>{0xfb, 0xff});
  CHECK_FALSE(Base32HexDecode("abc=").has_value());
  CHECK_FALSE(Base32HexDecode("w0").has_value());     // outside the alphabet
  CHECK_FALSE(Base32HexDecode("abc").has_value());    // impossible length
  CHECK_FALSE(Base64UrlDecode("a+bc").has_value());   // standard alphabet is not URL-safe
  CHECK_FALSE(Base64UrlDecode("abcde").has_value());  // 1 mod 4
}

}  // namespace
}  // namespace cvclone::crypt
