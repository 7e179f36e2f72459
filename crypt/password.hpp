// Password sources for the crypt remote beyond the config file: a command's output and a
// terminal prompt. The password is a secret: it never enters an error message.
#pragma once

#include <string>

#include "core/error.hpp"

namespace cvclone::crypt {

// Runs `command` with /bin/sh -c (stdin and stderr inherited) and returns its standard output
// with one trailing newline ("\n" or "\r\n") removed. kConfig naming `option` when the command
// cannot run, exits non-zero or is killed, or prints nothing. The command's output is never
// part of an error.
Result<std::string> RunPasswordCommand(const std::string& command, const std::string& option);

// Whether standard input is a terminal (the condition for prompting).
bool StdinIsTerminal();

// Writes `prompt` to /dev/tty and reads one line from it with echo off (restored afterwards,
// also on error); the newline is not part of the result. kConfig when there is no terminal.
Result<std::string> PromptPassword(const std::string& prompt);

}  // namespace cvclone::crypt
