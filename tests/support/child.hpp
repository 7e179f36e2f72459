// A child process that the test controls while it runs (unlike RunProcess, which waits for it):
// started without a shell, its output going to files, waited for with waitpid, and killed at a
// moment the test chooses. For the kill -9 tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace cvclone::test {

class Child {
 public:
  // Starts program (a path; not searched in PATH) with args (argv[1..]). The environment and
  // working directory come from options (set_env, unset_env, cwd; stdin_data and timeout are not
  // used: stdin is /dev/null). stdout and stderr go to these files (created or truncated; "" =
  // /dev/null). The child starts with default signal dispositions and an empty signal mask.
  // nullptr if it cannot be started; *why (if given) then says why.
  static std::unique_ptr<Child> Start(const std::string& program,
                                      const std::vector<std::string>& args,
                                      const ProcessOptions& options, const std::string& out_path,
                                      const std::string& err_path, std::string* why = nullptr);

  // A child still running is killed (SIGKILL) and reaped: no zombie, no orphan outlives a test.
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }

  // Waits up to `timeout` for the child to exit (a pidfd polled for readability, so an early
  // exit ends the wait at once); reaps it if it did. True once it has exited.
  bool WaitFor(std::chrono::milliseconds timeout);
  // Blocks until the child exits (waitpid) and returns its exit status: the exit code, or
  // 128 + signal number when a signal ended it. Again after that: the same value.
  int Wait();
  // SIGKILL, then Wait(). The child may have exited already (a zombie keeps its PID until it is
  // reaped, so the signal never reaches another process); the status then says how it ended.
  int Kill();

  bool exited() const { return reaped_; }

 private:
  Child(pid_t pid, int pidfd) : pid_(pid), pidfd_(pidfd) {}
  // Records how the child ended from a waitpid status.
  void Reaped(int status);

  pid_t pid_;
  int pidfd_;  // -1 where pidfd_open is unavailable: WaitFor then polls waitpid(WNOHANG)
  bool reaped_ = false;
  int exit_code_ = -1;
};

}  // namespace cvclone::test
