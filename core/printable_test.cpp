#include "core/printable.hpp"

#include <doctest/doctest.h>

#include <string>

namespace cvclone {
namespace {

using namespace std::string_literals;

TEST_CASE("printable: names without control characters are shown as they are") {
  for (const std::string& s : {""s, "plain.txt"s, "dir/sub/file name (1).txt"s,
                               "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80.txt"s,  // é € 😀
                               "nb\xc2\xa0sp"s,      // U+00A0, the first character after C1
                               "back\\slash\\x1b"s,  // backslashes are not doubled
                               "\xe2\x90\x9b"s}) {   // U+241B, the picture of ESC
    CAPTURE(s);
    CHECK(TerminalSafe(s) == s);
    CHECK_FALSE(HasControlCharacter(s));
  }
}

TEST_CASE("printable: C0 controls and DEL are escaped") {
  CHECK(TerminalSafe("red\x1b[31m.txt") == "red\\x1b[31m.txt");
  CHECK(TerminalSafe("a\tb\nc\rd") == "a\\tb\\nc\\rd");
  CHECK(TerminalSafe("\a\b\v\f") == "\\a\\b\\v\\f");
  CHECK(TerminalSafe("nul\0x"s) == "nul\\x00x");
  CHECK(TerminalSafe("\x01\x1f") == "\\x01\\x1f");
  CHECK(TerminalSafe("del\x7f") == "del\\x7f");
  CHECK(TerminalSafe("title \x1b]0;pwned\x07") == "title \\x1b]0;pwned\\a");
  for (int c = 0; c < 0x20; ++c) {
    CAPTURE(c);
    const std::string s(1, static_cast<char>(c));
    CHECK(HasControlCharacter(s));
    CHECK(TerminalSafe(s).front() == '\\');
  }
  CHECK(HasControlCharacter("x\x7fy"));
}

TEST_CASE("printable: C1 controls encoded as UTF-8 are escaped by code point") {
  CHECK(TerminalSafe("csi\xc2\x9bK") == "csi\\u009bK");  // U+009B, a one-character CSI
  CHECK(TerminalSafe("\xc2\x80\xc2\x85\xc2\x9f") == "\\u0080\\u0085\\u009f");
  CHECK(HasControlCharacter("\xc2\x80"));
  CHECK(HasControlCharacter("x\xc2\x9f"));
  CHECK_FALSE(HasControlCharacter("\xc2\xa0"));
  CHECK_FALSE(HasControlCharacter("\xc2"));  // truncated: invalid UTF-8, not a control
}

TEST_CASE("printable: bytes that are not valid UTF-8 are escaped one by one") {
  CHECK(TerminalSafe("a\xffz") == "a\\xffz");
  CHECK(TerminalSafe("\x9bK") == "\\x9bK");                           // a bare C1 byte
  CHECK(TerminalSafe("cut\xe2\x82") == "cut\\xe2\\x82");              // truncated sequence
  CHECK(TerminalSafe("\xc0\xaf") == "\\xc0\\xaf");                    // overlong '/'
  CHECK(TerminalSafe("\xed\xa0\x80") == "\\xed\\xa0\\x80");           // a surrogate
  CHECK(TerminalSafe("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // past U+10FFFF
  // After a bad byte, what follows is read afresh: a valid character right after is kept.
  CHECK(TerminalSafe("\xe2\xc3\xa9") == "\\xe2\xc3\xa9");
  CHECK(TerminalSafe("\xe2\x1b") == "\\xe2\\x1b");
}

TEST_CASE("printable: nothing escaped contains a control character or invalid UTF-8") {
  // Every byte value followed by a few telling ones (controls, continuation and lead bytes):
  // what comes out holds no control and is valid UTF-8, so escaping it again changes nothing.
  auto clean = [](const std::string& s) { return !HasControlCharacter(s) && TerminalSafe(s) == s; };
  for (int a = 0; a < 256; ++a) {
    for (int b : {0x00, 0x1b, 0x41, 0x80, 0x9b, 0xbf, 0xc2, 0xe2, 0xff}) {
      std::string s{static_cast<char>(a), static_cast<char>(b)};
      CAPTURE(a);
      CAPTURE(b);
      CHECK(clean(TerminalSafe(s)));
    }
  }
}

}  // namespace
}  // namespace cvclone
