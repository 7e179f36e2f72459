// A filesystem view of any Remote, for `cvclone mount`: a directory cache, files read through
// ranged Open, and files written through a local cache file that is uploaded once closed.
// Independent of FUSE: commands/mount_fuse.cpp maps its calls onto this class.
//
// Paths are Remote paths (core/remote.hpp): relative, '/'-separated, "" for the root.
//
// Cache modes (rclone's names):
// - kOff: no cache files. A file opened read-only streams from the remote; a file opened for
//   writing must be new or opened with O_TRUNC, written sequentially, write-only; close() waits
//   for its upload and returns its error.
// - kWrites: a file opened for writing (or truncated) is backed by a cache file under
//   <cache_dir>/vfs/<remote key>/; it is uploaded in one atomic Put once no handle has it open
//   and write_back has passed (fsync uploads at once). Until then it is "dirty": it is shown with
//   its cached size and mtime, it survives the death of the process (its metadata file is
//   written when it first becomes dirty) and the next Vfs over the same remote and cache folder
//   uploads it. A failed upload is logged naming the file and retried with backoff; the file is
//   never dropped. Files opened read-only and not dirty are read through the remote.
// - kMinimal: as kOff, except that files opened for reading and writing, and files opened
//   write-only that cannot be streamed (existing, without O_TRUNC), and truncations, go through
//   a cache file as in kWrites.
// - kFull: every open file is backed by a cache file. An existing file's cache file starts
//   sparse: a read fetches only the missing ranges it touches (plus read_ahead bytes) and keeps
//   them; a write changes the cache file only, and the missing rest is fetched before the
//   upload. Clean files stay cached after their last close until evicted (cache_max_age,
//   cache_max_size; least recently used first; never a dirty or open one), and are reused by
//   the next open while the remote object is unchanged. They do not outlive the Vfs.
//
// Threads: every method may be called from any number of threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone::vfs {

enum class CacheMode { kOff, kMinimal, kWrites, kFull };

// "off", "minimal", "writes", "full" (kUsage naming --vfs-cache-mode otherwise).
Result<CacheMode> ParseCacheMode(const std::string& text);

struct VfsOptions {
  bool read_only = false;
  CacheMode cache_mode = CacheMode::kWrites;
  std::chrono::nanoseconds dir_cache_time = std::chrono::minutes(5);
  // The cache root; this Vfs keeps its files in cache_dir/vfs/<key of the remote's name>.
  std::string cache_dir;
  std::chrono::nanoseconds write_back = std::chrono::seconds(5);
  // The first ranged read of a sequential stream asks for this many bytes; each further one
  // for twice as many as the last.
  int64_t read_chunk_size = int64_t{128} << 20;
  // Neither read exact mtimes (S3 listings give upload times) nor store them (utimes ignored).
  bool no_modtime = false;
  int upload_workers = 4;  // uploads at once
  // kFull: bytes fetched beyond each read that misses the cache.
  int64_t read_ahead = 0;
  // kFull: the most the cache files may take on disk (blocks allocated), -1 for no limit.
  int64_t cache_max_size = -1;
  // kFull: how long a clean file stays cached after its last close.
  std::chrono::nanoseconds cache_max_age = std::chrono::hours(1);
  // rclone's --links: a symbolic link is stored as an object NAME.rclonelink holding its target,
  // and such objects are shown as links named NAME.
  bool links = false;
};

struct Attr {
  bool is_dir = false;
  bool is_link = false;  // size: the target's length
  int64_t size = 0;
  TimePoint mtime{};
};

struct DirEntry {
  std::string name;
  bool is_dir = false;
  bool is_link = false;
};

// The name suffix of the objects that hold symbolic links (options.links).
inline constexpr const char* kLinkSuffix = ".rclonelink";

struct Handle;  // an open file; owned by the Vfs from Open/Create until Release

class Vfs {
 public:
  // Makes the cache folder, takes its lock (kExists if another process holds it) and recovers
  // the dirty files a previous run left there: they are shown at once and uploaded now.
  // remote must outlive the Vfs.
  static Result<std::unique_ptr<Vfs>> New(Remote& remote, VfsOptions options);
  // Stops the upload workers; dirty files stay in the cache. Call Shutdown first to upload them.
  ~Vfs();
  Vfs(const Vfs&) = delete;
  Vfs& operator=(const Vfs&) = delete;

  const VfsOptions& options() const { return options_; }
  // The folder holding this remote's cache files.
  const std::string& cache_folder() const { return folder_; }

  // Missing → kNotFound.
  Result<Attr> GetAttr(const std::string& path);
  // The attributes of an open file, as its handle sees them (also after an unlink).
  Result<Attr> GetAttr(Handle& h);
  // Entries directly in dir (sorted by name). Missing → kDirNotFound; a file → kNotDir.
  Result<std::vector<DirEntry>> ReadDir(const std::string& dir);

  // open(2) of an existing file: flags as open's (O_ACCMODE, O_TRUNC, O_APPEND). A directory →
  // kIsDir; writing in read-only mode → kPermission; see the cache modes above.
  Result<Handle*> Open(const std::string& path, int flags);
  // Creates (or, without O_EXCL, opens) path for writing. Missing parent → kNotFound.
  Result<Handle*> Create(const std::string& path, int flags);
  // Reads up to buf.size() bytes at offset; fewer only at the end of the file.
  Result<size_t> Read(Handle& h, std::span<std::byte> buf, int64_t offset);
  // Writes all of data at offset (O_APPEND handles: at the end). Cache write errors → kIo /
  // kNoSpace, logged naming the file.
  Result<size_t> Write(Handle& h, std::span<const std::byte> data, int64_t offset);
  // close(2) of one descriptor of h (kOff writers: waits for the upload and returns its error).
  Status Flush(Handle& h);
  // Uploads h's file now if it is dirty; its error if that fails.
  Status Fsync(Handle& h);
  // The last close of h: h is invalid afterwards.
  void Release(Handle* h);

  // Sets the size of path (through h when the caller has one open).
  Status Truncate(const std::string& path, int64_t size, Handle* h);
  // Records a new mtime (stored on the remote, unless no_modtime).
  Status SetMtime(const std::string& path, TimePoint mtime);
  // Existing path → kExists; missing parent → kNotFound.
  Status Mkdir(const std::string& path);
  // Missing → kNotFound; not empty → kDirNotEmpty; a file → kNotDir.
  Status Rmdir(const std::string& path);
  // Missing → kNotFound; a directory → kIsDir.
  Status Unlink(const std::string& path);
  // rename(2): replaces a file, or an empty directory, at to; no_replace: kExists if to exists.
  Status Rename(const std::string& from, const std::string& to, bool no_replace);
  // symlink(2) (options.links; else kUnsupported): stores target in the object
  // path + kLinkSuffix. Existing path → kExists; missing parent → kNotFound.
  Status Symlink(const std::string& target, const std::string& path);
  // readlink(2): the target of the link path; not a link → kInvalidArgument.
  Result<std::string> Readlink(const std::string& path);

  // Uploads every dirty file now, waiting for each; the first error (the files that failed stay
  // in the cache for the next run). Further changes are still accepted afterwards.
  Status Shutdown();
  // Files not yet uploaded.
  size_t DirtyCount();

 private:
  struct Impl;
  Vfs(VfsOptions options, std::string folder, std::unique_ptr<Impl> impl);

  VfsOptions options_;
  std::string folder_;
  std::unique_ptr<Impl> impl_;
};

// The errno a filesystem user expects for error (ENOENT, ENOTEMPTY, EEXIST, EACCES, ENOSPC, EIO
// for remote and network failures, ...), positive.
int ErrnoFor(const Error& error);

}  // namespace cvclone::vfs
