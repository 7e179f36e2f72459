#include "crypt/names.hpp"

#include <doctest/doctest.h>

#include <initializer_list>

#include "crypt/obfuscate.hpp"

namespace cvclone::crypt {
namespace {

const CryptKeys& Potato() {
  static const CryptKeys keys = DeriveKeys("potato", "").value();
  return keys;
}
const CryptKeys& PotatoSausage() {
  static const CryptKeys keys = DeriveKeys("potato", "sausage").value();
  return keys;
}

NameCipher Cipher(const CryptKeys& keys, NameMode mode = NameMode::kStandard,
                  NameEncoding enc = NameEncoding::kBase32, bool dirs = true) {
  NameOptions o;
  o.mode = mode;
  o.encoding = enc;
  o.encrypt_dirs = dirs;
  return NameCipher(keys, o);
}

void CheckBothWays(const NameCipher& c, const std::string& plain, const std::string& enc) {
  CAPTURE(plain);
  CHECK(c.EncryptPath(plain).value() == enc);
  auto back = c.DecryptPath(enc);
  REQUIRE(back.has_value());
  CHECK(*back == plain);
}

TEST_CASE("names: standard base32 vectors (potato, default salt)") {
  const NameCipher c = Cipher(Potato());
  CheckBothWays(c, "hello.txt", "oqt3pleorvo0jmt050a7sstgpo");
  CheckBothWays(c, "empty.txt", "ibtqe0a639sb1keev6cp9iekfc");
  CheckBothWays(c, "big65537.bin", "qnrp9r4gdnmkt4nedr8mls70j4");
  CheckBothWays(c, "dir1/sub.txt", "90oamaalos4vlckfk9sdjulqgc/tr1bgv196uqhg0ir9tjep9mp4k");
  CheckBothWays(c, "empty", "0vsusho0d185j4ktscr61cd6t4");
  CheckBothWays(c, "64k.bin", "umosl4pqgd4d7so105r4gpj87o");
  CheckBothWays(c, "carry.bin", "289ia74qi4lgocco1qa9ie2ldk");
  CHECK(c.EncryptDirPath("dir1").value() == "90oamaalos4vlckfk9sdjulqgc");
  CHECK(c.DecryptDirPath("90oamaalos4vlckfk9sdjulqgc").value() == "dir1");
  // Decoding is case-insensitive.
  CHECK(c.DecryptName("OQT3PLEORVO0JMT050A7SSTGPO").value() == "hello.txt");
}

TEST_CASE("names: standard vectors with password2 = sausage") {
  const NameCipher c = Cipher(PotatoSausage());
  CheckBothWays(c, "empty.txt", "gdj652hpick3j0eg0v4ntti8js");
  CheckBothWays(c, "hello.txt", "dvhjn229ej4s3k94n1mf5une30");
  CheckBothWays(c, "big65537.bin", "od0aid2kcqlkhluvm2gahhiq78");
  CheckBothWays(c, "dir1/sub.txt", "ba09v30a4ee52fu11l4t6ve2bk/l7fb8gj57kgl67fthpi1dqab4o");
}

TEST_CASE("names: base64 encoding vectors") {
  const NameCipher c = Cipher(Potato(), NameMode::kStandard, NameEncoding::kBase64);
  CheckBothWays(c, "hello.txt", "xro81djf8AnboCgUfnOwzg");
  CheckBothWays(c, "empty.txt", "kvunAUYaeLDRzvmZlMnUew");
  CheckBothWays(c, "dir1/sub.txt", "SDCrKVXHCfqyj6J42fq6gw/7sK4fCk3tRgCW09m7KbZJQ");
  CHECK_FALSE(c.DecryptName("XRO81DJF8ANBOCGUFNOWZG").has_value());  // base64 is case-sensitive
}

TEST_CASE("names: directory_name_encryption = false") {
  const NameCipher c = Cipher(Potato(), NameMode::kStandard, NameEncoding::kBase32, false);
  CheckBothWays(c, "dir1/sub.txt", "dir1/tr1bgv196uqhg0ir9tjep9mp4k");
  CHECK(c.EncryptDirPath("dir1/x").value() == "dir1/x");
  CHECK(c.DecryptDirPath("dir1/x").value() == "dir1/x");
}

TEST_CASE("names: obfuscate vectors") {
  const NameCipher c = Cipher(Potato(), NameMode::kObfuscate);
  CheckBothWays(c, "hello.txt", "162.rovvy.DHD");
  CheckBothWays(c, "empty.txt", "189.qyBFK.FJF");
  CheckBothWays(c, "dir1/sub.txt", "112.nsB3/216.GIp.HLH");
  const NameCipher zero = Cipher(CryptKeys{}, NameMode::kObfuscate);
  CheckBothWays(zero, "1/12/123/!hello", "49.6/99.23/150.890/53.!!lipps");
}

TEST_CASE("names: obfuscate round trips unicode, latin-1 and invalid UTF-8") {
  for (const char* cs : {"Grüße, ñandú", "日本語のファイル名.txt", "emoji 😀 !x!",
                              "\xc2\xa0\xc3\xbf", "1234567890 azAZ"}) {
    const std::string s = cs;
    CAPTURE(s);
    const std::string o = ObfuscateSegment(s, 3000);
    CHECK(o != s);
    CHECK(DeobfuscateSegment(o, 3000).value() == s);
  }
  const std::string bad = "bad\xff";
  CHECK(ObfuscateSegment(bad, 5) == "!.bad\xff");
  CHECK(DeobfuscateSegment("!.bad\xff", 5).value() == bad);
  CHECK(DeobfuscateSegment("nodot", 5).error().code() == ErrorCode::kCorrupt);
  CHECK_FALSE(DeobfuscateSegment("x1.abc", 5).has_value());
}

TEST_CASE("names: off mode appends the suffix to files only") {
  NameOptions o;
  o.mode = NameMode::kOff;
  const NameCipher c(Potato(), o);
  CheckBothWays(c, "hello.txt", "hello.txt.bin");
  CheckBothWays(c, "dir1/sub.txt", "dir1/sub.txt.bin");
  CHECK(c.EncryptDirPath("dir1").value() == "dir1");
  CHECK(c.DecryptName("hello.txt").error().code() == ErrorCode::kCorrupt);
  CHECK_FALSE(c.DecryptName(".bin").has_value());
  o.suffix = ".enc";
  const NameCipher c2(Potato(), o);
  CheckBothWays(c2, "a.txt", "a.txt.enc");
  o.suffix = "";
  const NameCipher c3(Potato(), o);
  CheckBothWays(c3, "a.txt", "a.txt");
}

TEST_CASE("names: zero-key vectors and version suffixes") {
  const NameCipher c = Cipher(CryptKeys{});
  CheckBothWays(c, "1", "p0e52nreeaj0a5ea7s64m4j72s");
  CheckBothWays(c, "12", "l42g6771hnv3an9cgc8cr2n1ng");
  CheckBothWays(c, "123", "qgm4avr35m5loi1th53ato71v0");
  CheckBothWays(c, "1234567890123456", "mijbj0frqf6ms7frcr6bd9h0env53jv96pjaaoirk7forcgpt70g");
  CheckBothWays(c, "1-v2001-02-03-040506-123", "p0e52nreeaj0a5ea7s64m4j72s-v2001-02-03-040506-123");
  // Only a real date counts as a version; otherwise the whole name is encrypted.
  const std::string not_version = "1-v2001-02-30-040506-123";
  CHECK(c.EncryptName(not_version).value().find("-v") == std::string::npos);
  CHECK(c.DecryptName(c.EncryptName(not_version).value()).value() == not_version);
  // The version goes before the extension, and round-trips.
  const std::string with_ext = "a-v2020-12-31-235959-999.txt";
  auto enc = c.EncryptName(with_ext);
  REQUIRE(enc.has_value());
  CHECK(enc->ends_with("-v2020-12-31-235959-999"));
  CHECK(c.DecryptName(*enc).value() == with_ext);
}

// Each path encrypts, in standard and obfuscate mode with either encoding, to a name that
// decrypts back to it.
void CheckRoundTripsInEveryMode(std::initializer_list<const char*> paths) {
  for (NameMode mode : {NameMode::kStandard, NameMode::kObfuscate}) {
    for (NameEncoding enc : {NameEncoding::kBase32, NameEncoding::kBase64}) {
      const NameCipher c = Cipher(Potato(), mode, enc);
      for (const std::string name : paths) {
        CAPTURE(name);
        auto e = c.EncryptPath(name);
        REQUIRE(e.has_value());
        auto back = c.DecryptPath(*e);
        REQUIRE(back.has_value());
        CHECK(*back == name);
      }
    }
  }
}

// Found by tests/fuzz/crypt_names: "-v2001-02-03-040506-789.txt" was taken as the version of
// ".txt", and a version goes back before an extension only when there is a base name, so it
// decrypted to ".txt-v2001-02-03-040506-789". Such a name is encrypted whole (rclone reads that
// back as it is).
TEST_CASE("names: a name that is only a version and an extension round-trips") {
  CheckRoundTripsInEveryMode(
      {"-v2001-02-03-040506-789.txt", "d/-v2020-12-31-235959-999.x", "-v2001-02-03-040506-789"});
}

// Found by tests/fuzz/crypt_names: ".-v2001-02-03-040506-789" was taken as the version of ".",
// which is no name, so it did not decrypt; and in obfuscate mode a name can encrypt to one that
// reads as carrying a version ("b-W8667-68-69-606162-345.txt" gives
// "177.A-v2001-02-03-040506-789.SWS"), which decrypts, in rclone too, to another name. The first
// is encrypted whole; the second cannot be written so that it reads back, and is refused.
TEST_CASE("names: every name that encrypts decrypts back to itself, or is refused") {
  CheckRoundTripsInEveryMode({".-v2001-02-03-040506-789", "d/..-v2001-02-03-040506-789"});
  const NameCipher obfuscate = Cipher(Potato(), NameMode::kObfuscate);
  auto refused = obfuscate.EncryptPath("dir/b-W8667-68-69-606162-345.txt");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == ErrorCode::kInvalidArgument);
  CHECK(refused.error().message().find("b-W8667-68-69-606162-345.txt") != std::string::npos);
  // The same name is fine in standard mode.
  CheckBothWays(Cipher(Potato()), "b-W8667-68-69-606162-345.txt",
                Cipher(Potato()).EncryptPath("b-W8667-68-69-606162-345.txt").value());
}

// Found by tests/fuzz/crypt_names: in off mode "-v2001-02-03-040506-789" was stored as
// "-v2001-02-03-040506-789.bin", which (as rclone) is not read as a file: it would be uploaded
// again on every sync and never listed. It is refused instead, naming it.
TEST_CASE("names: off mode refuses a name that could not be read back") {
  NameOptions o;
  o.mode = NameMode::kOff;
  const NameCipher c(Potato(), o);
  auto e = c.EncryptPath("-v2001-02-03-040506-789");
  REQUIRE_FALSE(e.has_value());
  CHECK(e.error().code() == ErrorCode::kInvalidArgument);
  CHECK(e.error().message().find("-v2001-02-03-040506-789") != std::string::npos);
  CheckBothWays(c, "d/-v2001-02-03-040506-789", "d/-v2001-02-03-040506-789.bin");
  CheckBothWays(c, "a-v2001-02-03-040506-789", "a-v2001-02-03-040506-789.bin");
}

TEST_CASE("names: round trips with unicode and long names") {
  for (NameEncoding enc : {NameEncoding::kBase32, NameEncoding::kBase64}) {
    const NameCipher c = Cipher(Potato(), NameMode::kStandard, enc);
    for (const std::string& s :
         {std::string("日本語/Grüße/ファイル 😀.txt"), std::string(143, 'x'),
          std::string(200, 'y') + "/" + std::string(2047, 'z'), std::string("a+b%20c/.hidden")}) {
      auto e = c.EncryptPath(s);
      REQUIRE(e.has_value());
      CHECK(c.DecryptPath(*e).value() == s);
    }
  }
  const NameCipher c = Cipher(Potato());
  CHECK(c.EncryptName(std::string(143, 'x')).value().size() <= 255);
  CHECK(c.EncryptName(std::string(144, 'x')).value().size() == 256);
  CHECK(c.EncryptName(std::string(2048, 'x')).error().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("names: invalid ciphertext names give kCorrupt naming the name") {
  const NameCipher c = Cipher(Potato());
  const std::pair<const char*, const char*> kBad[] = {
      {"hello.txt", "hello.txt"},                     // '.' and letters past v
      {"oqt3pleorvo0jmt050a7sstgp", "multiple"},      // 25 chars → 15 bytes
      {"oqt3pleorvo0jmt050a7sstgpo=", "base32"},      // padding is refused
      {"0000000000000000000000000g", "padding"},      // decrypts to garbage padding
      {"abc", "base32"},                              // impossible length
  };
  for (const auto& [name, fragment] : kBad) {
    CAPTURE(name);
    auto r = c.DecryptName(name);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == ErrorCode::kCorrupt);
    CHECK(r.error().message().find(name) != std::string::npos);
  }
  auto too_long = c.DecryptName(std::string(3303, '0'));  // 2064 bytes after decode
  REQUIRE_FALSE(too_long.has_value());
  CHECK(too_long.error().message().find("too long") != std::string::npos);
  // A wrong key fails on padding almost always.
  const NameCipher other = Cipher(PotatoSausage());
  CHECK_FALSE(other.DecryptName("oqt3pleorvo0jmt050a7sstgpo").has_value());
}

TEST_CASE("names: option parsing") {
  CHECK(ParseNameMode("").value() == NameMode::kStandard);
  CHECK(ParseNameMode("Obfuscate").value() == NameMode::kObfuscate);
  CHECK(ParseNameMode("off").value() == NameMode::kOff);
  CHECK(ParseNameMode("rot13").error().code() == ErrorCode::kConfig);
  CHECK(ParseNameEncoding("base64").value() == NameEncoding::kBase64);
  CHECK(ParseNameEncoding("").value() == NameEncoding::kBase32);
  CHECK(ParseNameEncoding("base32768").error().code() == ErrorCode::kUnsupported);
  CHECK(ParseNameEncoding("hex").error().code() == ErrorCode::kConfig);
}

}  // namespace
}  // namespace cvclone::crypt
