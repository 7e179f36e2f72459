// Where cvclone keeps what it must remember between runs (for example the multipart uploads it
// started, and what it read of each file it uploaded).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cvclone {

// $CVCLONE_STATE_DIR if set and not empty, else $XDG_STATE_HOME/cvclone, else
// $HOME/.local/state/cvclone (HOME from the password database when unset). Nothing is created:
// a caller makes the folders it writes into (mode 0700: the state names buckets and files).
std::string StateDir();

// One field of a line in a state file: the bytes that would break a line of space-separated
// fields (controls, space, '%', DEL) written as %XX; and back (nullopt on a malformed %XX).
std::string EscapeStateField(std::string_view field);
std::optional<std::string> UnescapeStateField(std::string_view text);

}  // namespace cvclone
