#include "crypt/password.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "crypt/secret.hpp"

namespace cvclone::crypt {
namespace {

void StripOneNewline(std::string& s, TrailingNewline strip) {
  if (!s.empty() && s.back() == '\n') {
    s.pop_back();
    if (strip == TrailingNewline::kLfOrCrLf && !s.empty() && s.back() == '\r') s.pop_back();
  }
}

// Restores the terminal settings of fd on destruction.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

}  // namespace

Result<std::string> RunPasswordCommand(const std::string& command, const std::string& option,
                                       TrailingNewline strip) {
  // popen runs the command with /bin/sh -c.
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return MakeError(ErrorCode::kConfig, "crypt: " + option + ": cannot run the command");
  }
  std::string out;
  WipeOnExit wipe_out(out);
  char buf[4096];
  out.reserve(sizeof buf);  // a password fits: no reallocation leaves a copy behind
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  WipeBytes(buf, sizeof buf);
  const int status = ::pclose(pipe);
  if (status == -1) {
    return MakeError(ErrorCode::kConfig, "crypt: " + option + ": cannot run the command");
  }
  if (WIFSIGNALED(status)) {
    return MakeError(ErrorCode::kConfig, "crypt: " + option + ": the command was killed by signal " +
                                             std::to_string(WTERMSIG(status)));
  }
  if (WEXITSTATUS(status) != 0) {
    return MakeError(ErrorCode::kConfig, "crypt: " + option + ": the command failed with exit status " +
                                             std::to_string(WEXITSTATUS(status)));
  }
  StripOneNewline(out, strip);
  if (out.empty()) {
    return MakeError(ErrorCode::kConfig, "crypt: " + option + ": the command printed no password");
  }
  return out;
}

bool StdinIsTerminal() { return ::isatty(STDIN_FILENO) == 1; }

Result<std::string> PromptPassword(const std::string& prompt) {
  const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return MakeError(ErrorCode::kConfig, "crypt: cannot prompt for a password: no terminal");
  std::string line;
  WipeOnExit wipe_line(line);
  line.reserve(1024);  // a password fits: no reallocation leaves a copy behind
  bool ok = true;
  {
    EchoOff echo_off(fd);
    ok = ::write(fd, prompt.data(), prompt.size()) == static_cast<ssize_t>(prompt.size());
    char c;
    while (ok) {
      const ssize_t n = ::read(fd, &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || c == '\n') break;
      line.push_back(c);
    }
    WipeBytes(&c, sizeof c);
  }
  ::close(fd);
  if (!ok) return MakeError(ErrorCode::kConfig, "crypt: cannot prompt for a password on the terminal");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace cvclone::crypt
