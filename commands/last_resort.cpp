#include "commands/last_resort.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
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

}  // namespace

void InstallLastResortHandler() { std::set_terminate(&OnTerminate); }

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
