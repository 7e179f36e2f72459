// POSIX helpers for the local backend: errno mapping, an owned file descriptor, directory
// creation and removal, the temporary-file protocol and data copying. Paths here are full
// filesystem paths (already validated and joined to the root by the caller).
#pragma once

#include <sys/stat.h>

#include <string>

#include "core/context.hpp"
#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone::local {

// Suffix of temporary files written by Put/Copy; listings skip `.*<kPartialSuffix>`.
inline constexpr std::string_view kPartialSuffix = ".cvclone-partial";

// Whether a directory entry name is one of our temporaries.
bool IsPartialName(std::string_view name);

// The error for errno `err` from operation `op` on `path`: "local: <op> <path>: <strerror>".
// ENOENT maps to `enoent_code` (kNotFound or kDirNotFound).
Unexpected<Error> ErrnoError(int err, const std::string& op, const std::string& path,
                             ErrorCode enoent_code = ErrorCode::kNotFound);

// An owned file descriptor, closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& other) noexcept : fd_(other.Release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset();
  // Closes now, reporting close()'s error (data may be lost on some filesystems).
  Status Close(const std::string& path);

 private:
  int fd_ = -1;
};

// TimePoint <-> struct timespec.
struct timespec ToTimespec(TimePoint t);
TimePoint FromTimespec(const struct timespec& ts);

// Creates dir and any missing parents; ok if it exists as a directory (or a symlink to one).
// Something else in the way → kNotDir.
Status MkdirAll(const std::string& dir);

// Removes dir and everything below it, not following symlinks. Checks ctx between entries.
Status RemoveTree(const Context& ctx, const std::string& dir);

// Writes all of data to fd (retrying short writes and EINTR).
Status WriteAll(int fd, const void* data, size_t size, const std::string& path);

// For tests: false makes TempFile::Create use named temporaries only, as on a filesystem
// without O_TMPFILE. Default true.
void UseUnnamedTemporaries(bool on);

// For tests: false makes TempFile::Publish link unnamed files through /proc/self/fd, as on a
// kernel that refuses linkat(AT_EMPTY_PATH). Default true (tried first).
void UseEmptyPathLinks(bool on);

// A file being written for `final_path`, put in place by Publish() and removed on destruction
// unless published. Where the filesystem allows it, the file has no name until then (O_TMPFILE):
// Publish links it in with one directory operation instead of a create and a rename, and a
// killed process leaves nothing behind. Elsewhere it is a temporary
// `.<base>.<random>.cvclone-partial` next to `final_path`, renamed over it.
class TempFile {
 public:
  // Creates the file (mode 0666 & ~umask), creating missing parent directories (only when the
  // first attempt finds them missing: one syscall per file in the common case).
  static Result<TempFile> Create(const std::string& final_path);
  TempFile(TempFile&& other) noexcept;
  TempFile& operator=(TempFile&&) = delete;
  ~TempFile();

  int fd() const { return fd_.get(); }
  // For messages: the temporary's name, or final_path for an unnamed file.
  const std::string& path() const { return path_; }
  const std::string& final_path() const { return final_path_; }
  // Whether the file has no name yet (O_TMPFILE): its descriptor must stay open until Publish.
  bool unnamed() const { return unnamed_; }
  // Sets the mtime (both atime and mtime; skipped if mtime is nullptr), fsyncs (if `fsync`) and
  // returns the file's stat. The descriptor stays open.
  Result<struct stat> Seal(const TimePoint* mtime, bool fsync);
  // Closes the descriptor of a named temporary, reporting close()'s error; an unnamed file
  // keeps it (closing would discard the file).
  Status CloseIfNamed();
  // Puts the file at final_path (replacing a file there) and closes its descriptor; the
  // destructor then leaves it alone. A directory at final_path → kIsDir.
  Status Publish();
  // Seal and Publish. Returns the published file's stat.
  Result<struct stat> Commit(const TimePoint* mtime, bool fsync);

 private:
  TempFile(Fd fd, std::string path, std::string final_path, bool unnamed);
  Status RenameOver(const std::string& from);
  Fd fd_;
  std::string path_;
  std::string final_path_;
  bool unnamed_ = false;
  bool committed_ = false;
};

// Copies the bytes from in_fd (from its start) to out_fd: copy_file_range where the kernel offers
// it, else read/write. Checks ctx between chunks. Stops at EOF, or once `expected` bytes (the
// size fstat gave; -1 if unknown) are copied, which spares a last call that would return 0.
// Returns the bytes copied. write_back: starts the writeback of each whole kWriteBackChunk as
// soon as it is copied (see StartWriteBack), for a file that will be synced anyway. Smaller
// pieces are left to the sync: starting a small file's writeback blocks the copying thread on
// block allocation and I/O submission (10,000 small files: 1.0-1.1 s instead of 1.2-1.4 s).
Result<int64_t> CopyFileData(const Context& ctx, int in_fd, int out_fd, const std::string& in_path,
                             const std::string& out_path, int64_t expected = -1,
                             bool write_back = false);

// Asks the kernel to start writing [offset, offset + length) of fd to disk without waiting
// (sync_file_range SYNC_FILE_RANGE_WRITE), so that a later fsync/syncfs finds most of a large
// file already written: the disk works while the copy goes on. Best effort: errors are ignored
// (the sync that follows reports them).
void StartWriteBack(int fd, int64_t offset, int64_t length);

// Writes of at least this many bytes are worth an early writeback.
inline constexpr int64_t kWriteBackChunk = 8 << 20;

}  // namespace cvclone::local
