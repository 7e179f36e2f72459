// The last resort of main. Errors are Status values (STYLE.md), so an exception that escapes a
// command is a bug; it still ends the process with one error line and exit code 1, instead of
// std::terminate's abort (SIGABRT: exit status 134 in a shell, a core dump, no message of ours).
#pragma once

#include <functional>

namespace cvclone {

// Makes std::terminate (an exception escaping a thread's function or a noexcept function, or a
// direct call) write "ERROR : internal error: <what>" to stderr and end the process with exit
// code 1 at once: no destructors run and standard output is not flushed, since other threads
// may be anywhere. Call once, first thing in main.
void InstallLastResortHandler();

// Runs body (on the calling thread) and returns its exit code; an exception escaping it is
// logged as one error line ("internal error: uncaught exception: <what()>") and gives exit
// code 1.
int RunGuarded(const std::function<int()>& body);

}  // namespace cvclone
