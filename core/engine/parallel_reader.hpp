// ParallelReader: reads one object through several ranged Open()s at once (multi-thread
// downloads, rclone's --multi-thread-streams) and yields its bytes in order as one Reader.
//
// The object [0, size) is split into blocks; `streams` worker threads each fetch one block at a
// time with Remote::Open(ctx, path, offset, count), at most `streams` blocks ahead of the block
// being read, so memory is bounded by streams × block_size. Errors are sticky: the first error of
// any stream (including a block shorter than asked for, or one read from another version of the
// object than an earlier block: Reader::Version) fails this Read and every later one. A stop on ctx stops the workers and Read returns kCancelled. Destroying the
// reader early stops and joins its workers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/context.hpp"
#include "core/remote.hpp"

namespace cvclone {

struct ParallelReadOptions {
  int streams = 4;  // concurrent ranged reads, >= 1
  // Bytes per block; 0 picks kMaxBlock, or less for small objects so every stream gets work.
  int64_t block_size = 0;
  static constexpr int64_t kMaxBlock = 8 << 20;
  static constexpr int64_t kMinBlock = 1 << 20;
};

// The block size a reader of an object of `size` bytes uses with opts.
int64_t ParallelBlockSize(int64_t size, const ParallelReadOptions& opts);

class ParallelReader : public Reader {
 public:
  // Reads [0, size) of path on remote, which must outlive the reader. size must be >= 0.
  ParallelReader(const Context& ctx, Remote& remote, std::string path, int64_t size,
                 const ParallelReadOptions& opts);
  ~ParallelReader() override;
  ParallelReader(const ParallelReader&) = delete;
  ParallelReader& operator=(const ParallelReader&) = delete;

  Result<size_t> Read(std::span<std::byte> buf) override;

 private:
  struct Shared;
  std::unique_ptr<Shared> shared_;
};

}  // namespace cvclone
