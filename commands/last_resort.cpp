#include "commands/last_resort.hpp"

#include <execinfo.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "core/error.hpp"
#include "core/log.hpp"

namespace cvclone {
namespace {

// Formats into a fixed buffer and writes with write(2): the handler may run because memory ran
// out, or while another thread holds the log's lock.
[[noreturn]] void OnTerminate() {
  char line[512];
  const char* what = "std::terminate called without an exception";
  const char* detail = "";
  if (std::exception_ptr current = std::current_exception()) {
    what = "uncaught exception of an unknown type";
    try {
      std::rethrow_exception(current);
    } catch (const std::exception& e) {
      what = "uncaught exception: ";
      detail = e.what();
    } catch (...) {
    }
  }
  const int n = std::snprintf(line, sizeof line, "ERROR : internal error: %s%s\n", what, detail);
  if (n > 0) {
    size_t len = static_cast<size_t>(n);
    if (len >= sizeof line) {  // cut short: still one whole line
      len = sizeof line - 1;
      line[len - 1] = '\n';
    }
    (void)!::write(STDERR_FILENO, line, len);
  }
  std::_Exit(exit_code::kUncategorized);
}

constexpr int kCrashSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};

// Async-signal-safe apart from backtrace(), whose first call may allocate: InstallCrashReporter
// makes that call beforehand.
void OnCrash(int sig, siginfo_t* info, void*) {
  char line[160];
  const int n = std::snprintf(line, sizeof line,
                              "ERROR : internal error: crashed with %s at address %p; backtrace:\n",
                              sigabbrev_np(sig) != nullptr ? sigabbrev_np(sig) : "a signal",
                              info != nullptr ? info->si_addr : nullptr);
  if (n > 0) (void)!::write(STDERR_FILENO, line, std::min(static_cast<size_t>(n), sizeof line - 1));
  void* frames[64];
  const int depth = ::backtrace(frames, 64);
  ::backtrace_symbols_fd(frames, depth, STDERR_FILENO);
  // Die of the same signal: the default action, re-raised when the handler returns (the
  // faulting instruction runs again) or at once for a raised signal.
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

}  // namespace

void InstallLastResortHandler() { std::set_terminate(&OnTerminate); }

void InstallCrashReporter() {
#if defined(__SANITIZE_ADDRESS__)
  return;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return;
#endif
#endif
  void* warm[1];
  (void)::backtrace(warm, 1);  // loads libgcc's unwinder now, not inside the handler
  static char alt_stack[64 * 1024];
  stack_t ss{};
  ss.ss_sp = alt_stack;
  ss.ss_size = sizeof alt_stack;
  (void)::sigaltstack(&ss, nullptr);
  struct sigaction sa {};
  sa.sa_sigaction = &OnCrash;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  for (int sig : kCrashSignals) (void)::sigaction(sig, &sa, nullptr);
}

int RunGuarded(const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    log::Error("internal error: uncaught exception: {}", e.what());
  } catch (...) {
    log::Error("internal error: uncaught exception of an unknown type");
  }
  std::fflush(stdout);
  return exit_code::kUncategorized;
}

}  // namespace cvclone
