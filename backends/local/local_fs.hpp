// POSIX helpers for the local backend: errno mapping, an owned file descriptor, directory
// creation and removal, the temporary-file protocol and data copying. Paths here are full
// filesystem paths (already validated and joined to the root by the caller), or names in a
// folder the caller opened (local_path.hpp), which is how the backend writes.
#pragma once

#include <sys/stat.h>

#include <memory>
#include <string>

#include "core/context.hpp"
#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone::local {

// Suffix of temporary files written by Put/Copy; listings skip `.*<kPartialSuffix>`.
inline constexpr std::string_view kPartialSuffix = ".cvclone-partial";

// Whether a directory entry name is one of our temporaries.
bool IsPartialName(std::string_view name);

// A new temporary's name for the target `base`: `.<base>.<owner>-<random>.cvclone-partial`
// (base cut so that the name stays within NAME_MAX), where owner is `<host>-<pid>`: 8 hex digits
// of a hash of this machine's host name and this process's id, so that a later run can tell a
// temporary whose writer is gone (StaleTemporary).
std::string TemporaryName(std::string base);

// Whether `name` is a temporary written on this machine by a process that no longer exists:
// left by a run that was killed between naming and publishing it. Temporaries of this process,
// of a live process, of another machine, or without an owner are not stale. (A process of
// another PID namespace on a host of the same name may look gone; its publish then fails and is
// retried.)
bool StaleTemporary(std::string_view name);

// Removes the stale temporaries (StaleTemporary) in the folder open at dir_fd (`folder` names it
// in log lines, "" for the root), the first time this process writes into that folder: the
// next run cleans up after a killed one. Errors are ignored (a folder that cannot be read or a
// file that cannot be removed is left as it is).
void SweepStaleTemporariesOnce(int dir_fd, const std::string& folder);
// For tests: every folder is swept again on its next write (a folder is known by its device and
// inode, which a new folder may reuse).
void ForgetSweptFolders();

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

// A folder's descriptor shared by the operations working in it (the root's is kept by the
// remote; a TempFile keeps its target folder's until it is published).
using DirFd = std::shared_ptr<const Fd>;

// TimePoint <-> struct timespec.
struct timespec ToTimespec(TimePoint t);
TimePoint FromTimespec(const struct timespec& ts);

// Creates dir and any missing parents; ok if it exists as a directory (or a symlink to one).
// Something else in the way → kNotDir.
Status MkdirAll(const std::string& dir);

// Removes dir and everything below it, not following symlinks. Checks ctx between entries.
Status RemoveTree(const Context& ctx, const std::string& dir);
// The same for the folder `name` in the folder open at parent_fd (`path` names it in messages).
// A symlink at `name` is not followed (kNotDir).
Status RemoveTreeAt(const Context& ctx, int parent_fd, const std::string& name,
                    const std::string& path);

// The error for a write that would replace the symbolic link at `path`: kExists, "local: <path> is
// a symbolic link; not replacing it (...)", naming the options that change this.
Unexpected<Error> LinkNotReplaced(const std::string& path);

// Writes all of data to fd (retrying short writes and EINTR).
Status WriteAll(int fd, const void* data, size_t size, const std::string& path);

// For tests: false makes TempFile::Create use named temporaries only, as on a filesystem
// without O_TMPFILE. Default true.
void UseUnnamedTemporaries(bool on);

// For tests: false makes TempFile::Publish link unnamed files through /proc/self/fd, as on a
// kernel that refuses linkat(AT_EMPTY_PATH). Default true (tried first).
void UseEmptyPathLinks(bool on);

// A file being written for the name `name` in a folder, put in place by Publish() and removed
// on destruction unless published. Where the filesystem allows it, the file has no name until
// then (O_TMPFILE): Publish links it in with one directory operation instead of a create and a
// rename, and a killed process leaves nothing behind. Elsewhere it is a temporary
// `.<name>.<random>.cvclone-partial` next to the target, renamed over it. Every operation is
// relative to the folder's descriptor, which the TempFile holds: the file lands in the folder
// that was opened, whatever is renamed or linked in its path meanwhile.
class TempFile {
 public:
  // Creates the file (mode 0666 & ~umask) in the folder open at `dir` (O_PATH is enough).
  // final_path names the target in messages and for CommitBatch::Discard. replace_links: Publish
  // may replace a symbolic link at the target (-l/--links); otherwise it refuses to (kExists),
  // since a link there is something the user made and the listing did not show.
  static Result<TempFile> Create(DirFd dir, std::string name, std::string final_path,
                                 bool replace_links = false);
  // By path, for tests and tools: opens final_path's folder (following links), creating it and
  // its parents where missing.
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
  // Descriptors held open until Publish: the folder's, and an unnamed file's own.
  size_t descriptors() const { return (dir_ != nullptr ? 1 : 0) + (fd_.valid() ? 1 : 0); }
  // Sets the mtime (both atime and mtime; skipped if mtime is nullptr), fsyncs (if `fsync`) and
  // returns the file's stat. The descriptor stays open.
  Result<struct stat> Seal(const TimePoint* mtime, bool fsync);
  // Closes the descriptor of a named temporary, reporting close()'s error; an unnamed file
  // keeps it (closing would discard the file).
  Status CloseIfNamed();
  // Puts the file at its target (replacing a file there) and closes its descriptors; the
  // destructor then leaves it alone. A directory at the target → kIsDir; a symbolic link →
  // kExists unless replace_links.
  Status Publish();
  // Seal and Publish. Returns the published file's stat.
  Result<struct stat> Commit(const TimePoint* mtime, bool fsync);

 private:
  TempFile(DirFd dir, std::string name, Fd fd, std::string tmp_name, std::string path,
           std::string final_path, bool unnamed, bool replace_links);
  // Refuses a symbolic link at the target unless replace_links.
  Status CheckTarget() const;
  // Renames the temporary `from` (in dir_) over the target.
  Status RenameOver(const std::string& from);
  DirFd dir_;              // the target's folder
  std::string name_;       // the target's name in it
  Fd fd_;                  // the file
  std::string tmp_name_;   // a named temporary's name in dir_; "" for an unnamed file
  std::string path_;
  std::string final_path_;
  bool unnamed_ = false;
  bool replace_links_ = false;
  bool committed_ = false;
};

// Copies the bytes from in_fd (from its start) to out_fd: copy_file_range where the kernel offers
// it, else read/write. Checks ctx between chunks. Stops at EOF, or once `expected` bytes (the
// size fstat gave; -1 if unknown) are copied, which spares a last call that would return 0.
// Returns the bytes copied. write_back: starts the writeback of each whole kWriteBackChunk as
// soon as it is copied (see StartWriteBack), for a file that will be synced anyway. Smaller
// pieces are left to the sync: starting a small file's writeback blocks the copying thread on
// block allocation and I/O submission, which the batch's syncfs does for many files at once.
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
