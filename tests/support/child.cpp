#include "tests/support/child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <set>
#include <thread>

namespace cvclone::test {
namespace {

// A descriptor that becomes readable when pid exits; -1 where the kernel has no pidfd_open.
int OpenPidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  const long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) {
    ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    return static_cast<int>(fd);
  }
#else
  (void)pid;
#endif
  return -1;
}

}  // namespace

std::unique_ptr<Child> Child::Start(const std::string& program,
                                    const std::vector<std::string>& args,
                                    const ProcessOptions& options, const std::string& out_path,
                                    const std::string& err_path, std::string* why) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  const std::string out = out_path.empty() ? "/dev/null" : out_path;
  const std::string err = err_path.empty() ? "/dev/null" : err_path;
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const pid_t pid = SpawnProcess(program, args, options, actions, why);
  posix_spawn_file_actions_destroy(&actions);
  if (pid < 0) return nullptr;
  // The child cannot have been reaped yet (only we wait for it), so its PID is still its own.
  return std::unique_ptr<Child>(new Child(pid, OpenPidfd(pid)));
}

Child::~Child() {
  if (!reaped_) (void)Kill();
  if (pidfd_ >= 0) ::close(pidfd_);
}

void Child::Reaped(int status) {
  reaped_ = true;
  if (WIFEXITED(status)) {
    exit_code_ = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    exit_code_ = 128 + WTERMSIG(status);
  }
}

bool Child::WaitFor(std::chrono::milliseconds timeout) {
  if (reaped_) return true;
  if (pidfd_ >= 0) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{pidfd_, POLLIN, 0};
      const int n = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
      if (n > 0) break;           // exited: reap below
      if (n == 0) return false;   // still running at the deadline
      if (errno != EINTR) break;  // poll failed: let waitpid tell
    }
  } else {
    // No pidfd: the delay itself is what the caller asked for; then look without blocking.
    std::this_thread::sleep_for(timeout);
  }
  int status = 0;
  pid_t r;
  while ((r = ::waitpid(pid_, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (r == pid_) Reaped(status);
  return reaped_;
}

int Child::Wait() {
  if (reaped_) return exit_code_;
  int status = 0;
  pid_t r;
  while ((r = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
  }
  if (r == pid_) {
    Reaped(status);
  } else {
    reaped_ = true;  // ECHILD: someone else reaped it; nothing is left to wait for
  }
  return exit_code_;
}

int Child::Kill() {
  if (!reaped_) ::kill(pid_, SIGKILL);
  return Wait();
}

}  // namespace cvclone::test
