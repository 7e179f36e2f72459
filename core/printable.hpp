// Names as they may be shown on a terminal. A file name or object key comes from whoever wrote
// it, and a terminal acts on the control characters in what it prints: ESC starts a sequence
// that recolours, moves the cursor, clears the screen, retitles the window or, on some
// terminals, answers back as if typed; CR and BS overwrite what was already printed. So every
// name that reaches a terminal (listings, log lines, error messages) goes through TerminalSafe.
//
// What is escaped, with Go's strconv.Quote spellings (rclone's language):
// - C0 controls U+0000-U+001F and DEL U+007F: `\a \b \t \n \v \f \r` for those that have one,
//   else `\xHH` (ESC is `\x1b`);
// - C1 controls U+0080-U+009F (valid UTF-8 `C2 80`-`C2 9F`; terminals act on them as on ESC
//   sequences, U+009B is a one-character CSI): `\u0080`-`\u009f`;
// - every byte that is not part of valid UTF-8 (stray continuation bytes, truncated, overlong
//   or surrogate sequences, bytes F5-FF): `\xHH` per byte.
// Everything else, printable UTF-8 of any script included, is shown as it is.
//
// A backslash is shown as it is, not doubled. The escaping is there so that no name acts on the
// terminal, not to be an encoding of names: doubling every backslash would show every name that
// holds one (keys written from Windows often do) differently from what it is, in listings that
// scripts read. The price is that a name holding the literal text `\x1b` looks like one holding
// ESC; where the exact name matters, `--raw-names` prints the bytes and `lsjson` escapes as JSON
// does (exact once parsed).
#pragma once

#include <string>
#include <string_view>

namespace cvclone {

// text with its control characters and invalid UTF-8 escaped as above (equal to text when it
// holds none).
std::string TerminalSafe(std::string_view text);

// Whether name holds a C0 control, DEL, or a C1 control encoded as UTF-8 (U+0080-U+009F): the
// characters a local file name does not get unless asked (backends/local). Invalid UTF-8 is
// not looked at here (ValidatePath refuses it).
bool HasControlCharacter(std::string_view name);

}  // namespace cvclone
