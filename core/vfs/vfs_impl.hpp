// Internals of Vfs shared by its source files (not part of the interface).
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/vfs/vfs.hpp"

namespace cvclone::vfs {

using SteadyTime = std::chrono::steady_clock::time_point;

// A file backed by a cache file: open for writing, or dirty. Its fields are guarded by
// Vfs::Impl::mu; its data file is read and written without it (pread/pwrite).
struct Item {
  std::string path;  // where it is shown and uploaded to
  std::string id;    // cache files <id>.data and <id>.meta
  int fd = -1;       // the data file, read-write
  int64_t size = 0;
  TimePoint mtime{};
  // Differs from the remote. <id>.meta exists once the item was dirty with no handle open, or
  // a handle was flushed: a file whose close(2) returned survives a killed process, and one
  // being written (tar, cp) gets its meta once, at close, not at create and again at utimes.
  bool dirty = false;
  bool meta_current = false;  // <id>.meta says what it must (path; mtime when mtime_set)
  bool meta_written = false;  // <id>.meta exists
  bool mtime_set = false;     // mtime was set (utimes) after the last change of the bytes
  bool deleted = false;    // unlinked or replaced: never uploaded; files removed
  uint64_t generation = 0;  // bumped on every change, so an upload knows if it is still current
  int opens = 0;            // handles on it
  bool uploading = false;
  SteadyTime upload_due{};
  int failures = 0;            // uploads failed in a row
  bool shutdown_failed = false;  // failed during Shutdown: left for the next run
  // kFull: the bytes of [0, backed) that are not in `present` (start → end ranges of the data
  // file) are still the remote object's, fetched on demand; beyond backed the data file holds
  // what was written, holes reading as zeros. backed is 0 for a file cached whole.
  int64_t backed = 0;
  std::map<int64_t, int64_t> present;
  int filling = 0;         // downloads into the data file running now
  // Its object is being renamed on the remote (RenameFile): no range is fetched meanwhile,
  // since the object is under neither name for a moment.
  bool moving = false;
  std::string version;     // the remote object's version the clean bytes are of
  SteadyTime last_used{};  // the last close, for eviction (least recently used first)
};

class StreamWriter;  // kOff writes: a Put fed through a pipe (vfs_stream.cpp)

struct Handle {
  enum class Kind { kRemoteRead, kCache, kStreamWrite };
  Kind kind = Kind::kRemoteRead;
  int flags = 0;  // open(2) flags
  std::mutex mu;  // one request at a time on the stream below
  // kRemoteRead: the object and the stream now open on it.
  std::string path;
  int64_t size = 0;
  std::unique_ptr<Reader> stream;
  int64_t stream_pos = 0;  // offset of the stream's next byte
  bool stream_done = false;  // the stream's range was read to its end
  int64_t next_chunk = 0;  // bytes the next sequential ranged read asks for
  std::unique_ptr<RandomReader> random;  // reads after a seek (Remote::OpenRandom), once opened
  // kCache
  std::shared_ptr<Item> item;
  // kStreamWrite
  std::unique_ptr<StreamWriter> writer;
};

struct CachedDir {
  SteadyTime fetched{};
  std::map<std::string, ObjectInfo> entries;  // by name
};

struct Vfs::Impl {
  Remote* remote = nullptr;
  VfsOptions options;
  std::string folder;
  int lock_fd = -1;
  Context ctx;  // never cancelled: uploads at shutdown must still run
  TimePoint mount_time{};

  std::mutex mu;
  std::condition_variable cv;  // item state changes (uploads done, moves settled)
  // The upload workers wait here alone: an item falling due wakes one of them, not every thread
  // waiting for some item's state.
  std::condition_variable work_cv;
  std::map<std::string, CachedDir> dirs;         // by directory path
  std::set<std::string> virtual_dirs;            // made here on a remote without empty dirs
  std::map<std::string, std::shared_ptr<Item>> items;  // by path
  // kOff files being written (shown while their upload runs): path → the writer.
  std::map<std::string, StreamWriter*> streams;
  // Directories being renamed: files under them are not uploaded meanwhile, so that each is
  // either a cache item or an object the rename lists, never neither.
  std::set<std::string> frozen;
  bool Frozen(const std::string& path) const;
  SteadyTime next_evict{};  // Evict does nothing before then
  bool flushing = false;  // Shutdown: every dirty item is due now
  bool stopping = false;  // workers exit
  std::vector<std::thread> workers;

  // ---- directory cache (vfs.cpp) ----
  // Makes dirs[dir] fresh (lock held on entry and exit, released while listing). kDirNotFound
  // when dir is missing and not virtual.
  Status EnsureDir(std::unique_lock<std::mutex>& lock, const std::string& dir);
  // The listed entry of path (parent fresh), or nullptr.
  ObjectInfo* Listed(const std::string& path);
  // Whether path is a directory in this view (lock held; the parent listing must be fresh).
  bool IsDirLocked(const std::string& path);
  // Adds or replaces path's entry in its parent's cached listing (if cached).
  void SetListed(const ObjectInfo& info);
  void RemoveListed(const std::string& path);
  // Attr of path under the lock (may release it to list or Stat).
  Result<Attr> AttrLocked(std::unique_lock<std::mutex>& lock, const std::string& path);

  // ---- cache items (vfs_items.cpp) ----
  std::string DataPath(const Item& item) const { return folder + "/" + item.id + ".data"; }
  std::string MetaPath(const Item& item) const { return folder + "/" + item.id + ".meta"; }
  // A new item for path with an empty data file (lock not needed).
  Result<std::shared_ptr<Item>> NewItem(const std::string& path);
  // A new item holding the remote object's bytes (lock not held: downloads).
  Result<std::shared_ptr<Item>> DownloadItem(const std::string& path);
  // Records a change of item's bytes: mtime now (lock held).
  void Touched(Item& item);
  // Marks item changed: dirty, meta written unless a handle has it and it has none yet (then
  // the flush writes it) (lock held). kIo if the meta cannot be written.
  Status MarkDirty(Item& item);
  // Writes item's meta if it is dirty and the meta is not current (lock held).
  Status EnsureMeta(Item& item);
  Status WriteMeta(const Item& item);
  // Removes item's cache files and closes its data file once no handle has it (lock held).
  void DropItem(Item& item);
  // Waits until no upload of item runs (lock held). Called before every change of its bytes, so
  // that an upload never sends bytes written after it started. A running upload is never
  // cancelled for a change: a PUT whose body was sent may still be stored after a cancel, later
  // than the next PUT of the file.
  void WaitNotUploading(std::unique_lock<std::mutex>& lock, Item& item);
  // Uploads item if dirty (lock held on entry and exit, released while uploading).
  Status Upload(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Item>& item);
  // One Put of a cache file's first size bytes (lock not held).
  Result<ObjectInfo> PutCacheFile(const std::string& path, const std::string& data, int64_t size,
                                  TimePoint mtime);
  // Records a successful upload of generation of item to path (lock held).
  void Uploaded(const std::shared_ptr<Item>& item, const ObjectInfo& stored, uint64_t generation,
                const std::string& path);
  // The handle's item was closed for the last time (lock held).
  void Closed(const std::shared_ptr<Item>& item);
  // A clean item no handle has: kFull keeps it (descriptor closed) for eviction, other modes
  // drop it (lock held).
  void KeepOrDrop(const std::shared_ptr<Item>& item);
  void WorkerLoop();
  // Takes up the dirty items a previous run left in the cache folder.
  Status Recover();
  // The dirty item of <id>.meta and <id>.data (its data file open); an error naming the files.
  Result<std::shared_ptr<Item>> LoadItem(const std::string& id);

  // ---- sparse cache files of kFull (vfs_sparse.cpp) ----
  // Whether an open with flags of a file (existing or not) goes through a cache file.
  bool UsesCache(int flags, bool exists) const;
  // A clean item for the existing object path of attr's size, none of its bytes fetched yet.
  Result<std::shared_ptr<Item>> SparseItem(const std::string& path, const Attr& attr);
  // Fetches the missing bytes of [offset, offset + len) ∩ [0, backed), plus --vfs-read-ahead
  // bytes after them (lock held on entry and exit, released while downloading).
  Status Fill(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Item>& item, int64_t offset,
              int64_t len);
  // Waits until item's data file may change, and fetches what it still misses first, so that a
  // dirty item is always whole (lock held on entry and exit; released while downloading).
  Status PrepareChange(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Item>& item);
  // Waits until item's data file may change: no upload and no download into it (lock held).
  void WaitQuiet(std::unique_lock<std::mutex>& lock, Item& item);
  // Records that [start, end) of item's data file now holds its bytes.
  static void MarkPresent(Item& item, int64_t start, int64_t end);
  // The size of item is now size: bytes past it no longer come from the remote.
  static void Resized(Item& item, int64_t size);
  // Drops clean, closed items older than --vfs-cache-max-age, then the least recently used
  // ones while the cache uses more than --vfs-cache-max-size (lock held). The next time an
  // item becomes too old, or SteadyTime::max().
  SteadyTime Evict();

  // ---- handles (vfs.cpp) ----
  // A handle on item (truncated first for a writable O_TRUNC open); lock held.
  Result<Handle*> OpenItem(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Item>& item,
                           int flags);
  // A kOff writer of path, shown while it runs (lock held).
  Handle* OpenStream(const std::string& path, int flags);
  // Open of an existing file of attr without a cache file: a remote reader, or (writable) a
  // kOff writer where the flags allow streaming.
  Result<Handle*> OpenUncached(const std::string& path, int flags, const Attr& attr);
  // Open of an existing file through a new cache file (lock held; released while downloading).
  Result<Handle*> OpenCached(std::unique_lock<std::mutex>& lock, const std::string& path, int flags,
                             const Attr& attr);
  // kFull: drops the clean, closed cache file of path if the remote object changed since.
  void RevalidateClean(std::unique_lock<std::mutex>& lock, const std::string& path);

  // ---- data (vfs_read.cpp) ----
  Result<size_t> ReadRemote(Handle& h, std::span<std::byte> buf, int64_t offset);

  // ---- symbolic links (vfs_links.cpp) ----
  // The link name an entry of the object listing stands for, or "" (not a link, or !links).
  std::string LinkName(const std::string& name, bool is_dir) const;
  // Attr of path as a link: its object path + kLinkSuffix in the fresh parent listing (lock
  // held); kNotFound otherwise.
  Result<Attr> LinkAttr(const std::string& path);

  // ---- renames (vfs_rename.cpp) ----
  Status RenameFile(std::unique_lock<std::mutex>& lock, const std::string& from,
                    const std::string& to);
  Status RenameDir(std::unique_lock<std::mutex>& lock, const std::string& from,
                   const std::string& to);
  Status RenameDirFrozen(std::unique_lock<std::mutex>& lock, const std::string& from,
                         const std::string& to);
  // The steps of RenameDirFrozen; the remote ones run without the lock.
  // Makes the folders (rebased from `from` to `to`), recording those made.
  Status MakeFolders(const std::vector<std::string>& folders, const std::string& from,
                     const std::string& to, std::vector<std::string>& made);
  // Removes folders, children first; failures are logged only when why is given.
  void RemoveFolders(std::vector<std::string> folders, const std::string& why);
  // Renames the cache items and virtual directories under from to under to (lock held). The old
  // paths of dirty items go to *stale when given. The first error of writing their metadata.
  Status RebaseItems(std::unique_lock<std::mutex>& lock, const std::string& from,
                     const std::string& to, std::set<std::string>* stale);
  // Moves objects under from to under to (stale ones are deleted), recording each move.
  Status MoveObjects(const std::vector<ObjectInfo>& objects, const std::string& from,
                     const std::string& to, const std::set<std::string>& stale,
                     std::vector<std::pair<std::string, std::string>>& moved);
  // Moves the objects of `moved` back, last first; what cannot be moved back is logged.
  void UndoMoves(const std::vector<std::pair<std::string, std::string>>& moved,
                 const std::string& from, const std::string& to);
  // Drops the cached listings of both directories and below (lock held).
  void ForgetListings(const std::string& from, const std::string& to);
  // Every folder (dir first) and object the remote holds under dir (lock not held).
  Status ListTree(const std::string& dir, std::vector<std::string>& folders,
                  std::vector<ObjectInfo>& objects);
  // Moves a remote object: server-side move, copy + delete, or download + upload + delete.
  Result<ObjectInfo> MoveObject(const std::string& from, const std::string& to);
};

// Logs and returns error as it reaches the filesystem user, naming path.
Error Logged(const Error& error, const std::string& what, const std::string& path);

}  // namespace cvclone::vfs
