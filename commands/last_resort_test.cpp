#include "commands/last_resort.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>

namespace cvclone {
namespace {

// Runs f in a forked child whose stderr is a pipe; returns the child's wait status and what it
// wrote to stderr. The child never returns into the test framework.
std::pair<int, std::string> InChild(void (*f)()) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    ::dup2(fds[1], STDERR_FILENO);
    f();
    ::_exit(99);  // f was expected not to return
  }
  ::close(fds[1]);
  std::string err;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
    err.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  return {status, err};
}

TEST_CASE("last resort: an exception escaping the command is one error line and exit 1") {
  CHECK(RunGuarded([] { return 7; }) == 7);
  auto [status, err] = InChild(
      [] { ::_exit(RunGuarded([]() -> int { throw std::runtime_error("boom at the top"); })); });
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  // A log line as any other: rclone's date and time first.
  CHECK(std::regex_match(err, std::regex(R"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ERROR : internal )"
                                         R"(error: uncaught exception: boom at the top\n)")));
}

TEST_CASE("last resort: an exception escaping a worker thread is one error line and exit 1") {
  auto [status, err] = InChild([] {
    InstallLastResortHandler();
    std::thread([] { throw std::out_of_range("basic_string::substr"); }).join();
  });
  REQUIRE(WIFEXITED(status));  // not killed by SIGABRT
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(err == "ERROR : internal error: uncaught exception: basic_string::substr\n");
}

TEST_CASE("last resort: a crash names its signal, prints a backtrace and dies of that signal") {
  for (int sig : {SIGSEGV, SIGBUS}) {
    CAPTURE(sig);
    static int raised;
    raised = sig;
    auto [status, err] = InChild([] {
      InstallCrashReporter();
      ::raise(raised);
    });
#if defined(__SANITIZE_ADDRESS__)
    REQUIRE(WIFSIGNALED(status));  // ASan's own handler reports instead
#else
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == sig);
    const std::string first = std::string("ERROR : internal error: crashed with ") +
                              sigabbrev_np(sig) + " at address ";
    CHECK(err.rfind(first, 0) == 0);
    // The backtrace: at least one frame line after the first line.
    const size_t eol = err.find('\n');
    REQUIRE(eol != std::string::npos);
    CHECK(err.size() > eol + 1);
#endif
  }
}

}  // namespace
}  // namespace cvclone
