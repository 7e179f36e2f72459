// Writes with --vfs-cache-mode off: the bytes written go straight into a Put running in a
// thread of its own, through a bounded pipe.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/remote.hpp"

namespace cvclone::vfs {

class StreamWriter {
 public:
  // Starts Put(path) on remote; the object appears when Finish succeeds.
  StreamWriter(Remote& remote, const Context& ctx, std::string path);
  // Abandons the upload if Finish was not called (no object is stored).
  ~StreamWriter();
  StreamWriter(const StreamWriter&) = delete;
  StreamWriter& operator=(const StreamWriter&) = delete;

  // Appends data; offset must be the number of bytes written so far (kInvalidArgument
  // otherwise: this mode cannot seek). Blocks while the pipe is full.
  Result<size_t> Write(std::span<const std::byte> data, int64_t offset);
  // Only a truncation to the size written so far is possible (kPermission otherwise).
  Status Truncate(int64_t size);
  int64_t written() {
    std::lock_guard lock(mu_);
    return written_;
  }
  // Ends the stream and waits for the Put; its result (the same on later calls).
  Result<ObjectInfo> Finish();

 private:
  class PipeReader;
  void Run();

  Remote& remote_;
  Context ctx_;
  std::stop_source abandon_;
  std::string path_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<std::byte>> queue_;
  size_t queued_ = 0;
  bool closed_ = false;      // no more writes
  bool reader_gone_ = false;  // the Put ended (it failed, or read everything)
  int64_t written_ = 0;
  bool finished_ = false;
  Result<ObjectInfo> result_ = MakeError(ErrorCode::kInternal, "upload not finished");
  std::thread thread_;
};

}  // namespace cvclone::vfs
