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

// Makes a crash (SIGSEGV, SIGBUS, SIGILL, SIGFPE) write "ERROR : internal error: crashed with
// <signal> at <address>" and a backtrace of the crashing thread to stderr, then die of the same
// signal (exit status and core dump as without it): a crash that happens once in a CI run is
// then reported with where it happened. Stack overflows on the main thread are reported too (an
// alternate signal stack). Not installed under AddressSanitizer, whose own report says more.
// Call once, first thing in main.
void InstallCrashReporter();

// Runs body (on the calling thread) and returns its exit code; an exception escaping it is
// logged as one error line ("internal error: uncaught exception: <what()>") and gives exit
// code 1.
int RunGuarded(const std::function<int()>& body);

}  // namespace cvclone
