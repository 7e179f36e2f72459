// rcat: copies standard input to one object.
#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <stop_token>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "core/log.hpp"

namespace cvclone {
namespace {

// Reads the process's standard input. A stop request (Ctrl-C) wakes a blocked read through an
// eventfd, so an idle pipe cannot keep an interrupted rcat alive.
class StdinReader : public Reader {
 public:
  explicit StdinReader(const Context& ctx)
      : ctx_(ctx), wake_fd_(::eventfd(0, EFD_CLOEXEC)), on_stop_(ctx.stop, [fd = wake_fd_] {
          const uint64_t one = 1;
          [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof one);
        }) {}
  ~StdinReader() override { ::close(wake_fd_); }
  StdinReader(const StdinReader&) = delete;
  StdinReader& operator=(const StdinReader&) = delete;

  Result<size_t> Read(std::span<std::byte> buf) override {
    for (;;) {
      CVC_RETURN_IF_ERROR(ctx_.Check());
      struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 && errno != EINTR) return Failed("waiting for");
      if (fds[1].revents != 0) continue;  // stop requested: Check() above reports it
      if (fds[0].revents == 0) continue;
      ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR && errno != EAGAIN) return Failed("reading");
    }
  }

 private:
  static Unexpected<Error> Failed(const char* what) {
    return MakeError(ErrorCode::kIo,
                     fmt::format("{} standard input: {}", what, std::strerror(errno)));
  }

  Context ctx_;
  int wake_fd_;
  std::stop_callback<std::function<void()>> on_stop_;
};

Status RunRcat(const Invocation& inv) {
  auto dst_split = SplitLeaf(inv.args[0]);
  if (!dst_split) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("\"{}\" does not name a file path", inv.args[0]));
  }
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> dst, inv.Open(dst_split->first));
  if (inv.DryRun()) {
    log::NoticeAt(dst_split->second, "Skipped upload of standard input as --dry-run is set");
    return Ok();
  }
  StdinReader reader(inv.ctx);
  PutOptions opts;
  opts.mtime =
      std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  CVC_ASSIGN_OR_RETURN(ObjectInfo info, dst->Put(inv.ctx, dst_split->second, reader, opts));
  log::InfoAt(info.path, "Copied from standard input ({} bytes)", info.size);
  return Ok();
}

}  // namespace

Command MakeRcatCommand() {
  Command c;
  c.name = "rcat";
  c.short_help = "Copy standard input to a file";
  c.usage = "rcat DEST_PATH [flags]";
  c.long_help =
      "Reads standard input to its end and stores it as DEST_PATH, atomically: the file\n"
      "appears complete or not at all (an interrupted rcat leaves nothing behind).\n\n"
      "Example:\n"
      "  tar c ~/docs | cvclone rcat backup:docs.tar\n";
  c.min_args = c.max_args = 1;
  c.run = RunRcat;
  return c;
}

}  // namespace cvclone
