// Ctrl-C on the real binary: an interrupted upload leaves nothing at the destination and the
// exit code is non-zero. rcat reads a pipe that this test controls, so the interruption lands
// mid-transfer deterministically (no sleeps): rcat creates its temporary before it reads stdin,
// so once the child has consumed part of the pipe, the upload is under way.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace cvclone::test {
namespace {

const std::string kBinary = std::string(CVCLONE_BINARY_DIR) + "/cvclone";

bool WriteAllFd(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

TEST_CASE("cli: Ctrl-C during an upload exits non-zero and leaves no partial file") {
  TempDir tmp;
  REQUIRE(tmp.MakeDir("dst"));
  REQUIRE(tmp.WriteFile("cvclone.conf", ""));
  const std::string dst = tmp.Path("dst");

  int in[2];
  REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  const std::string log = tmp.Path("stderr.txt");
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> args = {kBinary, "--config", tmp.Path("cvclone.conf"), "rcat",
                                   dst + "/upload.bin"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(::posix_spawn(&pid, kBinary.c_str(), &actions, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);

  // 256 KiB is more than a pipe holds (64 KiB): when the write returns, the child has read
  // from stdin, which it does only once its temporary exists. We are mid-transfer.
  CHECK(WriteAllFd(in[1], std::string(256 << 10, 'x')));
  REQUIRE(::kill(pid, SIGINT) == 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);  // the pipe is still open: no EOF helps it end
  ::close(in[1]);

  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) != 0);
  std::vector<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(dst)) {
    left.push_back(e.path().filename().string());
  }
  CHECK_MESSAGE(left.empty(), "left behind: " << (left.empty() ? "" : left.front()));
  auto err = ReadFile(log);
  REQUIRE(err.has_value());
  CHECK(err->find("cancel") != std::string::npos);
}

}  // namespace
}  // namespace cvclone::test
