// The local backend's reader of a regular file (Remote::Open).
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "backends/local/local_fs.hpp"
#include "core/io.hpp"

namespace cvclone::local {

// Reads [offset, end) of a file; end is the size the file had when opened, or the range's end,
// so the end of the data needs no last call that returns 0. A piece of at most kWholeMax bytes
// is read whole by the first Read that asks for less (crypt asks for a 32-byte header, then for
// the rest), so a small file costs one pread.
class FileReader : public Reader {
 public:
  static constexpr int64_t kWholeMax = 128 << 10;

  // opened: the file's fstat when it was opened. Once the range's last byte is read (or the
  // file ends early) the file must still have that size and mtime, else the read fails with a
  // retryable kCorrupt "source file changed during copy": what is read is one version, whole.
  FileReader(Fd fd, std::string path, int64_t offset, int64_t end, const struct stat& opened)
      : fd_(std::move(fd)), path_(std::move(path)), pos_(offset), end_(end), opened_(opened) {}

  Result<size_t> Read(std::span<std::byte> buf) override;

 private:
  Result<size_t> Pread(std::span<std::byte> buf);
  Status CheckUnchanged();

  Fd fd_;
  std::string path_;
  int64_t pos_;
  int64_t end_;
  struct stat opened_;
  std::unique_ptr<std::byte[]> held_;  // a small piece read whole
  size_t held_len_ = 0, held_pos_ = 0;
  bool failed_ = false;
};

// Positioned reads on a descriptor opened once (Remote::OpenRandom): what a mount reads after a
// seek costs one pread, not an open. Reads see the file opened, as a process holding it open.
class FileRandomReader : public RandomReader {
 public:
  FileRandomReader(Fd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  Result<size_t> ReadAt(std::span<std::byte> buf, int64_t offset) override;

 private:
  Fd fd_;
  std::string path_;
};

}  // namespace cvclone::local
