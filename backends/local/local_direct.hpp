// Writing a large file with O_DIRECT from a background thread. A file the local backend fsyncs
// anyway gains nothing from passing through the page cache: copying each byte into it and
// writing it back later costs about a second of system time per GiB on this project's machines,
// direct writes a tenth of that. The caller fills aligned blocks in place (Buffer/Commit) while
// the thread writes the previous ones, so the disk works while the data is produced.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"

namespace cvclone::local {

// Files of at least this many bytes are written directly when they are to be synced.
inline constexpr int64_t kDirectWriteMin = 16 << 20;

class DirectWriter {
 public:
  // Switches `fd` (a new, empty file) to O_DIRECT and starts the writer thread. nullptr if the
  // filesystem refuses O_DIRECT: the caller then writes as usual.
  static std::unique_ptr<DirectWriter> Start(int fd, std::string path);
  ~DirectWriter();  // waits for the writes in flight, discarding the rest
  DirectWriter(const DirectWriter&) = delete;
  DirectWriter& operator=(const DirectWriter&) = delete;

  // The free part of the block being filled (never empty). Waits for a free block if all are
  // queued, and reports a write error of the thread.
  Result<std::span<std::byte>> Buffer();
  // `n` bytes of the last Buffer() were filled; a full block goes to the thread.
  void Commit(size_t n);
  // Writes what is left (the last, partial block through the page cache: O_DIRECT needs whole
  // blocks) and waits until every byte is written. Returns the first error.
  Status Finish();

  static constexpr size_t kBlockSize = size_t{2} << 20;
  static constexpr size_t kBlocks = 4;

 private:
  struct Block {
    std::byte* data;
    size_t fill = 0;
  };
  DirectWriter(int fd, std::string path);
  void Run();
  Status WriteBlock(const std::byte* data, size_t size, int64_t offset);

  int fd_;
  std::string path_;
  std::unique_ptr<std::byte, void (*)(std::byte*)> memory_;
  std::vector<Block> blocks_;
  size_t current_ = 0;    // index of the block being filled
  int64_t offset_ = 0;    // file offset of the block being filled
  bool direct_ = true;    // false once the filesystem refused a direct write (written as usual)

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<size_t, int64_t>> queue_;  // (block, file offset) to write
  std::vector<size_t> free_;                      // blocks ready to be filled
  bool stop_ = false;
  Status error_ = Ok();
  std::thread thread_;
};

}  // namespace cvclone::local
