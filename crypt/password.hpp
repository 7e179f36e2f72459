// Password sources for the crypt remote beyond the config file: a command's output and a
// terminal prompt. The password is a secret: it never enters an error message.
#pragma once

#include <string>

#include "core/error.hpp"

namespace cvclone::crypt {

// Which trailing newline RunPasswordCommand removes from the output (one at most).
enum class TrailingNewline {
  kLfOrCrLf,  // "\n" or "\r\n" (crypt)
  kLfOnly,    // "\n" alone, a "\r" before it stays: encfs 1.9.5's --extpass (readPassword)
};

// Runs `command` with /bin/sh -c (stdin and stderr inherited) and returns its standard output
// with one trailing newline removed (`strip`). kConfig naming `option` when the command cannot
// run, exits non-zero or is killed, or prints nothing. The command's output is never part of an
// error.
Result<std::string> RunPasswordCommand(const std::string& command, const std::string& option,
                                       TrailingNewline strip = TrailingNewline::kLfOrCrLf);

// Whether standard input is a terminal (the condition for prompting).
bool StdinIsTerminal();

// Writes `prompt` to /dev/tty and reads one line from it with echo off (restored afterwards,
// also on error); the newline is not part of the result. kConfig when there is no terminal.
Result<std::string> PromptPassword(const std::string& prompt);

}  // namespace cvclone::crypt
