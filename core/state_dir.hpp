// Where cvclone keeps what it must remember between runs (for example the multipart uploads it
// started, and what it read of each file it uploaded).
#pragma once

#include <string>

namespace cvclone {

// $CVCLONE_STATE_DIR if set and not empty, else $XDG_STATE_HOME/cvclone, else
// $HOME/.local/state/cvclone (HOME from the password database when unset). Nothing is created:
// a caller makes the folders it writes into (mode 0700: the state names buckets and files).
std::string StateDir();

}  // namespace cvclone
