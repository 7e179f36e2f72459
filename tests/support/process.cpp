#include "tests/support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

extern char** environ;

namespace cvclone::test {
namespace {

// The child's environment: ours with options applied, as "KEY=VALUE" strings.
std::vector<std::string> ChildEnvironment(const ProcessOptions& options) {
  std::set<std::string> drop(options.unset_env.begin(), options.unset_env.end());
  for (const auto& [key, value] : options.set_env) drop.insert(key);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    if (drop.count(key) == 0) env.push_back(entry);
  }
  for (const auto& [key, value] : options.set_env) env.push_back(key + "=" + value);
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// Moves data between the parent's pipe ends until both outputs are closed or the deadline
// passes. Returns false on timeout.
bool Pump(int in_fd, int out_fd, int err_fd, const std::string& input, ProcessResult& result,
          std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t written = 0;
  if (input.empty()) CloseFd(in_fd);
  char buf[65536];
  while (out_fd >= 0 || err_fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      CloseFd(in_fd);
      CloseFd(out_fd);
      CloseFd(err_fd);
      return false;
    }
    pollfd fds[3] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
    int n = poll(fds, 3, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    for (int i = 0; i < 2; ++i) {
      int& fd = i == 0 ? out_fd : err_fd;
      if (fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t got = read(fd, buf, sizeof(buf));
      if (got > 0) {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        CloseFd(fd);
      }
    }
    if (in_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
      ssize_t put = write(in_fd, input.data() + written, input.size() - written);
      if (put > 0) written += static_cast<size_t>(put);
      if ((put < 0 && errno != EINTR) || written == input.size()) CloseFd(in_fd);
    }
  }
  CloseFd(in_fd);
  return true;
}

}  // namespace

pid_t SpawnProcess(const std::string& program, const std::vector<std::string>& args,
                   const ProcessOptions& options, posix_spawn_file_actions_t& actions,
                   std::string* why) {
  if (!options.cwd.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
  }
  // The child starts with default signal dispositions and an empty mask, whatever ours are.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty, all;
  sigemptyset(&empty);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> argv_strings{program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = ChildEnvironment(options);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, program.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  if (rc == 0) return pid;
  if (why != nullptr) *why = "posix_spawn " + program + ": " + std::strerror(rc);
  return -1;
}

ProcessResult RunProcess(const std::string& program, const std::vector<std::string>& args,
                         const ProcessOptions& options) {
  ProcessResult result;
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::string why;
  const pid_t pid = SpawnProcess(program, args, options, actions, &why);
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (pid < 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    result.error = why;
    return result;
  }
  // A child that exits without reading stdin must not kill us with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  bool finished =
      Pump(in_pipe[1], out_pipe[0], err_pipe[0], options.stdin_data, result, options.timeout);
  if (!finished) {
    kill(pid, SIGKILL);
    result.error = "timed out";
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  return result;
}

ProcessOptions IsolatedOptions(const std::string& home) {
  ProcessOptions opts;
  opts.cwd = home;
  opts.set_env["HOME"] = home;
  opts.set_env["TZ"] = "UTC";
  opts.unset_env = {"AWS_CA_BUNDLE",     "CVCLONE_CONFIG",         "XDG_CONFIG_HOME",
                    "RCLONE_CONFIG",     "CVCLONE_CRYPT_PASSWORD", "CVCLONE_CRYPT_PASSWORD2",
                    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",  "AWS_PROFILE",
                    "AWS_SESSION_TOKEN", "CVCLONE_ENCFS_PASSWORD", "ENCFS6_CONFIG"};
  return opts;
}

}  // namespace cvclone::test
