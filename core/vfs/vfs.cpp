// Vfs: the directory cache, attributes and the namespace operations.
#include "core/vfs/vfs.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

#include "core/io.hpp"
#include "core/log.hpp"
#include "core/vfs/vfs_impl.hpp"
#include "core/vfs/vfs_stream.hpp"

namespace cvclone::vfs {

namespace {

bool Fresh(const CachedDir& d, std::chrono::nanoseconds ttl) {
  return std::chrono::steady_clock::now() - d.fetched < ttl;
}

Attr DirAttr(TimePoint mtime) { return Attr{.is_dir = true, .size = 0, .mtime = mtime}; }

bool Writable(int flags) { return (flags & O_ACCMODE) != O_RDONLY; }

// A folder name for the remote: a hash of its name, so that no secret of an inline remote
// string lands in a path.
std::string RemoteKey(const Remote& remote) {
  const std::string name = remote.Name();
  return HashBytes(AsBytes(name), {HashType::kSha1}).at(HashType::kSha1).substr(0, 16);
}

}  // namespace

Result<CacheMode> ParseCacheMode(const std::string& text) {
  if (text == "off") return CacheMode::kOff;
  if (text == "minimal") return CacheMode::kMinimal;
  if (text == "writes") return CacheMode::kWrites;
  if (text == "full") return CacheMode::kFull;
  return MakeError(ErrorCode::kUsage, "--vfs-cache-mode must be off, minimal, writes or full, not \"" +
                                          text + "\"");
}

int ErrnoFor(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kOk: return 0;
    case ErrorCode::kNotFound:
    case ErrorCode::kDirNotFound: return ENOENT;
    case ErrorCode::kIsDir: return EISDIR;
    case ErrorCode::kNotDir: return ENOTDIR;
    case ErrorCode::kExists: return EEXIST;
    case ErrorCode::kDirNotEmpty: return ENOTEMPTY;
    case ErrorCode::kUnsupported: return ENOTSUP;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kUsage: return EINVAL;
    case ErrorCode::kNoSpace: return ENOSPC;
    case ErrorCode::kPermission:
    case ErrorCode::kAuth: return EACCES;
    case ErrorCode::kCancelled: return EINTR;
    default: return EIO;
  }
}

Error Logged(const Error& error, const std::string& what, const std::string& path) {
  Error e = error.WithContext(fmt::format("{} \"{}\"", what, path));
  log::Error("vfs: {}", e.message());
  return e;
}

Vfs::Vfs(VfsOptions options, std::string folder, std::unique_ptr<Impl> impl)
    : options_(std::move(options)), folder_(std::move(folder)), impl_(std::move(impl)) {}

Result<std::unique_ptr<Vfs>> Vfs::New(Remote& remote, VfsOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->remote = &remote;
  impl->options = options;
  impl->mount_time = std::chrono::time_point_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now());
  std::string folder;
  if (options.cache_mode != CacheMode::kOff) {
    folder = options.cache_dir + "/vfs/" + RemoteKey(remote);
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) {
      return MakeError(ErrorCode::kIo, "cannot create cache folder " + folder + ": " + ec.message());
    }
    impl->folder = folder;
    const std::string lock_path = folder + "/lock";
    impl->lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (impl->lock_fd < 0) {
      return MakeError(ErrorCode::kIo, "cannot open " + lock_path + ": " + strerror(errno));
    }
    if (flock(impl->lock_fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(impl->lock_fd);
      return MakeError(ErrorCode::kExists, "cache folder " + folder +
                                               " is in use by another cvclone mount of this remote");
    }
    CVC_RETURN_IF_ERROR(impl->Recover());
  }
  Impl* raw = impl.get();
  for (int i = 0; i < std::max(1, options.upload_workers); ++i) {
    impl->workers.emplace_back([raw] { raw->WorkerLoop(); });
  }
  return std::unique_ptr<Vfs>(new Vfs(options, folder, std::move(impl)));
}

Vfs::~Vfs() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->work_cv.notify_all();
  for (std::thread& t : impl_->workers) t.join();
  for (auto& [path, item] : impl_->items) {
    if (item->fd >= 0) ::close(item->fd);
    if (!item->dirty) ::unlink(impl_->DataPath(*item).c_str());  // kFull's clean files
  }
  if (impl_->lock_fd >= 0) ::close(impl_->lock_fd);
}

// ---- directory cache ----

Status Vfs::Impl::EnsureDir(std::unique_lock<std::mutex>& lock, const std::string& dir) {
  auto it = dirs.find(dir);
  if (it != dirs.end() && Fresh(it->second, options.dir_cache_time)) return Ok();
  lock.unlock();
  auto listed = remote->List(ctx, dir);
  lock.lock();
  if (!listed) {
    if (listed.error().code() == ErrorCode::kDirNotFound && (dir.empty() || virtual_dirs.count(dir))) {
      dirs[dir] = CachedDir{std::chrono::steady_clock::now(), {}};
      return Ok();
    }
    if (listed.error().code() != ErrorCode::kDirNotFound &&
        listed.error().code() != ErrorCode::kNotDir) {
      return Unexpected<Error>(Logged(listed.error(), "listing", dir));
    }
    return Propagate(listed.error());
  }
  CachedDir fresh{std::chrono::steady_clock::now(), {}};
  for (ObjectInfo& info : *listed) {
    std::string name = BaseName(info.path);
    // A listing made before the cache expired knew the exact mtime: keep it.
    if (it != dirs.end() && info.mtime_is_upload_time) {
      auto old = it->second.entries.find(name);
      if (old != it->second.entries.end() && !old->second.mtime_is_upload_time &&
          old->second.version == info.version && old->second.size == info.size) {
        info.mtime = old->second.mtime;
        info.mtime_is_upload_time = false;
      }
    }
    fresh.entries.emplace(std::move(name), std::move(info));
  }
  dirs[dir] = std::move(fresh);
  return Ok();
}

ObjectInfo* Vfs::Impl::Listed(const std::string& path) {
  auto d = dirs.find(ParentPath(path));
  if (d == dirs.end()) return nullptr;
  auto e = d->second.entries.find(BaseName(path));
  return e == d->second.entries.end() ? nullptr : &e->second;
}

bool Vfs::Impl::IsDirLocked(const std::string& path) {
  if (path.empty() || virtual_dirs.count(path)) return true;
  const ObjectInfo* info = Listed(path);
  return info != nullptr && info->is_dir;
}

void Vfs::Impl::SetListed(const ObjectInfo& info) {
  auto d = dirs.find(ParentPath(info.path));
  if (d == dirs.end()) return;
  d->second.entries[BaseName(info.path)] = info;
}

void Vfs::Impl::RemoveListed(const std::string& path) {
  auto d = dirs.find(ParentPath(path));
  if (d != dirs.end()) d->second.entries.erase(BaseName(path));
}

Result<Attr> Vfs::Impl::AttrLocked(std::unique_lock<std::mutex>& lock, const std::string& path) {
  if (path.empty()) return DirAttr(mount_time);
  if (auto it = items.find(path); it != items.end()) {
    return Attr{.is_dir = false, .size = it->second->size, .mtime = it->second->mtime};
  }
  if (virtual_dirs.count(path)) return DirAttr(mount_time);
  if (auto it = streams.find(path); it != streams.end()) {
    return Attr{.is_dir = false, .size = it->second->written(), .mtime = mount_time};
  }
  Status st = EnsureDir(lock, ParentPath(path));
  if (!st) {
    if (st.error().code() == ErrorCode::kDirNotFound || st.error().code() == ErrorCode::kNotDir) {
      return MakeError(ErrorCode::kNotFound, "not found: " + path);
    }
    return Propagate(st.error());
  }
  if (auto it = items.find(path); it != items.end()) {  // made while the lock was released
    return Attr{.is_dir = false, .size = it->second->size, .mtime = it->second->mtime};
  }
  ObjectInfo* info = Listed(path);
  if (info == nullptr) return LinkAttr(path);
  if (info->is_dir) {
    return DirAttr(info->mtime == TimePoint{} ? mount_time : info->mtime);
  }
  if (info->mtime_is_upload_time && !options.no_modtime) {
    const std::string version = info->version;
    lock.unlock();
    auto stat = remote->Stat(ctx, path);
    lock.lock();
    if (stat) {
      ObjectInfo* now = Listed(path);
      if (now != nullptr && !now->is_dir && now->version == version) {
        now->mtime = stat->mtime;
        now->size = stat->size;
        now->mtime_is_upload_time = false;
      }
      return Attr{.is_dir = false, .size = stat->size, .mtime = stat->mtime};
    }
    if (stat.error().code() == ErrorCode::kNotFound) {
      RemoveListed(path);
      return Propagate(stat.error());
    }
    info = Listed(path);
    if (info == nullptr) return MakeError(ErrorCode::kNotFound, "not found: " + path);
  }
  return Attr{.is_dir = false, .size = std::max<int64_t>(info->size, 0), .mtime = info->mtime};
}

// ---- the interface ----

Result<Attr> Vfs::GetAttr(const std::string& path) {
  std::unique_lock lock(impl_->mu);
  return impl_->AttrLocked(lock, path);
}

Result<Attr> Vfs::GetAttr(Handle& h) {
  std::unique_lock lock(impl_->mu);
  const TimePoint now =
      std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  switch (h.kind) {
    case Handle::Kind::kCache:
      return Attr{.is_dir = false, .size = h.item->size, .mtime = h.item->mtime};
    case Handle::Kind::kStreamWrite:
      return Attr{.is_dir = false, .size = h.writer->written(), .mtime = now};
    case Handle::Kind::kRemoteRead:
      break;
  }
  return impl_->AttrLocked(lock, h.path);
}

Result<std::vector<DirEntry>> Vfs::ReadDir(const std::string& dir) {
  std::unique_lock lock(impl_->mu);
  if (!dir.empty()) {
    CVC_ASSIGN_OR_RETURN(Attr attr, impl_->AttrLocked(lock, dir));
    if (!attr.is_dir) return MakeError(ErrorCode::kNotDir, "not a directory: " + dir);
  }
  CVC_RETURN_IF_ERROR(impl_->EnsureDir(lock, dir));
  std::map<std::string, DirEntry> names;
  auto add = [&](const std::string& name, bool is_dir) {
    names[name] = DirEntry{.name = name, .is_dir = is_dir};
  };
  for (const auto& [name, info] : impl_->dirs[dir].entries) {
    const std::string link = impl_->LinkName(name, info.is_dir);
    if (!link.empty()) {
      names[link] = DirEntry{.name = link, .is_dir = false, .is_link = true};
    } else {
      add(name, info.is_dir);
    }
  }
  for (const auto& [path, item] : impl_->items) {
    if (ParentPath(path) == dir) add(BaseName(path), false);
  }
  for (const std::string& v : impl_->virtual_dirs) {
    if (ParentPath(v) == dir) add(BaseName(v), true);
  }
  for (const auto& [path, writer] : impl_->streams) {
    if (ParentPath(path) == dir) add(BaseName(path), false);
  }
  std::vector<DirEntry> out;
  out.reserve(names.size());
  for (auto& [name, entry] : names) out.push_back(std::move(entry));
  return out;
}

Result<Handle*> Vfs::Impl::OpenItem(std::unique_lock<std::mutex>& lock,
                                     const std::shared_ptr<Item>& item, int flags) {
  if (item->fd < 0) {  // a clean kFull file kept after its last close
    item->fd = ::open(DataPath(*item).c_str(), O_RDWR | O_CLOEXEC);
    if (item->fd < 0) {
      return Unexpected<Error>(
          Logged(Error(ErrorCode::kIo, strerror(errno)), "opening the cache file of", item->path));
    }
  }
  auto h = std::make_unique<Handle>();
  h->flags = flags;
  h->kind = Handle::Kind::kCache;
  h->item = item;
  item->opens++;  // from here on the item stays, even if an upload of it ends
  if (!Writable(flags) || !(flags & O_TRUNC) || item->size == 0) return h.release();
  WaitQuiet(lock, *item);
  Resized(*item, 0);
  Status st = Ok();
  if (ftruncate(item->fd, 0) != 0) {
    st = Unexpected<Error>(Logged(Error(ErrorCode::kIo, strerror(errno)), "truncating", item->path));
  } else {
    item->size = 0;
    Touched(*item);
    st = MarkDirty(*item);
  }
  if (!st) {
    item->opens--;
    Closed(item);
    return Propagate(st.error());
  }
  return h.release();
}

Handle* Vfs::Impl::OpenStream(const std::string& path, int flags) {
  auto h = std::make_unique<Handle>();
  h->flags = flags;
  h->kind = Handle::Kind::kStreamWrite;
  h->path = path;
  h->writer = std::make_unique<StreamWriter>(*remote, ctx, path);
  streams[path] = h->writer.get();
  return h.release();
}

void Vfs::Impl::RevalidateClean(std::unique_lock<std::mutex>& lock, const std::string& path) {
  auto it = items.find(path);
  if (it == items.end()) return;
  const std::shared_ptr<Item> item = it->second;
  auto unused = [&] {
    return items.count(path) && items[path] == item && !item->dirty && item->opens == 0 &&
           !item->uploading && item->filling == 0;
  };
  if (!unused()) return;
  const Status listed = EnsureDir(lock, ParentPath(path));
  if (!unused()) return;
  const ObjectInfo* info = listed ? Listed(path) : nullptr;
  const bool same = info != nullptr && !info->is_dir && info->size == item->size &&
                    (info->version.empty() || item->version.empty() ||
                     info->version == item->version) &&
                    (info->mtime_is_upload_time || info->mtime == item->mtime);
  if (same) return;
  log::Debug("vfs: \"{}\" changed on the remote: dropping its cache file", path);
  items.erase(path);
  DropItem(*item);
}

Result<Handle*> Vfs::Impl::OpenUncached(const std::string& path, int flags, const Attr& attr) {
  if (!Writable(flags)) {
    auto h = std::make_unique<Handle>();
    h->flags = flags;
    h->kind = Handle::Kind::kRemoteRead;
    h->path = path;
    h->size = attr.size;
    h->next_chunk = options.read_chunk_size;
    return h.release();
  }
  if ((flags & O_ACCMODE) == O_RDWR || !(flags & O_TRUNC)) {
    return MakeError(ErrorCode::kPermission,
                     "with --vfs-cache-mode off a file can only be written whole, write-only "
                     "(O_TRUNC): " + path);
  }
  return OpenStream(path, flags);
}

Result<Handle*> Vfs::Impl::OpenCached(std::unique_lock<std::mutex>& lock, const std::string& path,
                                      int flags, const Attr& attr) {
  // A cache file: empty when truncated, sparse in kFull, else the object's bytes.
  std::shared_ptr<Item> item;
  const bool truncate = (Writable(flags) && (flags & O_TRUNC)) || attr.size == 0;
  if (truncate) {
    CVC_ASSIGN_OR_RETURN(item, NewItem(path));
    item->mtime = attr.mtime;
  } else if (options.cache_mode == CacheMode::kFull) {
    CVC_ASSIGN_OR_RETURN(item, SparseItem(path, attr));
    if (const ObjectInfo* info = Listed(path)) item->version = info->version;
  } else {
    lock.unlock();
    CVC_ASSIGN_OR_RETURN(item, DownloadItem(path));
    lock.lock();
  }
  if (auto it = items.find(path); it != items.end()) {  // another open made one meanwhile
    DropItem(*item);
    return OpenItem(lock, it->second, flags);
  }
  items[path] = item;
  if (truncate && attr.size != 0) {
    Touched(*item);
    Status st = MarkDirty(*item);
    if (!st) {
      items.erase(path);
      DropItem(*item);
      return Propagate(st.error());
    }
  }
  return OpenItem(lock, item, flags & ~O_TRUNC);
}

Result<Handle*> Vfs::Open(const std::string& path, int flags) {
  Impl& im = *impl_;
  if (Writable(flags) && options_.read_only) {
    return MakeError(ErrorCode::kPermission, "read-only mount: " + path);
  }
  std::unique_lock lock(im.mu);
  if (options_.cache_mode == CacheMode::kFull) im.RevalidateClean(lock, path);
  if (auto it = im.items.find(path); it != im.items.end()) {
    return im.OpenItem(lock, it->second, flags);
  }
  CVC_ASSIGN_OR_RETURN(Attr attr, im.AttrLocked(lock, path));
  if (attr.is_dir) return MakeError(ErrorCode::kIsDir, "is a directory: " + path);
  if (auto it = im.items.find(path); it != im.items.end()) {  // made while listing
    return im.OpenItem(lock, it->second, flags);
  }
  if (!im.UsesCache(flags, true)) return im.OpenUncached(path, flags, attr);
  return im.OpenCached(lock, path, flags, attr);
}

Result<Handle*> Vfs::Create(const std::string& path, int flags) {
  Impl& im = *impl_;
  if (options_.read_only) return MakeError(ErrorCode::kPermission, "read-only mount: " + path);
  {
    std::unique_lock lock(im.mu);
    auto parent = im.AttrLocked(lock, ParentPath(path));
    if (!parent) return Propagate(parent.error());
    if (!parent->is_dir) return MakeError(ErrorCode::kNotDir, "not a directory: " + ParentPath(path));
    auto existing = im.AttrLocked(lock, path);
    if (existing) {
      if (flags & O_EXCL) return MakeError(ErrorCode::kExists, "exists: " + path);
      lock.unlock();
      return Open(path, flags & ~(O_CREAT | O_EXCL));
    }
    if (existing.error().code() != ErrorCode::kNotFound) return Propagate(existing.error());
  }
  if (!im.UsesCache(flags, false)) {
    if ((flags & O_ACCMODE) == O_RDWR) {
      return MakeError(ErrorCode::kPermission,
                       "with --vfs-cache-mode off a file cannot be opened for reading and writing: " +
                           path);
    }
    std::lock_guard lock(im.mu);
    return im.OpenStream(path, flags);
  }
  CVC_ASSIGN_OR_RETURN(std::shared_ptr<Item> item, im.NewItem(path));
  std::unique_lock lock(im.mu);
  if (auto it = im.items.find(path); it != im.items.end()) {  // made meanwhile: open that one
    im.DropItem(*item);
    return im.OpenItem(lock, it->second, flags);
  }
  im.items[path] = item;
  im.Touched(*item);
  auto h = im.OpenItem(lock, item, flags & ~O_TRUNC);  // its fd is open: cannot fail
  if (!h) {
    im.items.erase(path);
    im.DropItem(*item);
    return h;
  }
  // A new file is uploaded even if nothing is written. Opened: its meta waits for the flush.
  Status st = im.MarkDirty(*item);
  if (!st) {
    (*h)->item->opens--;
    delete *h;
    im.items.erase(path);
    im.DropItem(*item);
    return Propagate(st.error());
  }
  return h;
}

Result<size_t> Vfs::Read(Handle& h, std::span<std::byte> buf, int64_t offset) {
  if (h.kind == Handle::Kind::kStreamWrite) {
    return MakeError(ErrorCode::kPermission, "opened write-only: " + h.path);
  }
  if (h.kind == Handle::Kind::kRemoteRead) return impl_->ReadRemote(h, buf, offset);
  {
    std::unique_lock lock(impl_->mu);
    CVC_RETURN_IF_ERROR(
        impl_->Fill(lock, h.item, offset, static_cast<int64_t>(buf.size())));  // kFull only
  }
  size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = pread(h.item->fd, buf.data() + done, buf.size() - done, offset + done);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string path;
      {
        std::lock_guard lock(impl_->mu);
        path = h.item->path;
      }
      return Unexpected<Error>(
          Logged(Error(ErrorCode::kIo, strerror(errno)), "reading the cache file of", path));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

Result<size_t> Vfs::Write(Handle& h, std::span<const std::byte> data, int64_t offset) {
  if (h.kind == Handle::Kind::kRemoteRead) {
    return MakeError(ErrorCode::kPermission, "opened read-only: " + h.path);
  }
  if (h.kind == Handle::Kind::kStreamWrite) {
    std::lock_guard hl(h.mu);
    return h.writer->Write(data, offset);
  }
  Item& item = *h.item;
  std::unique_lock lock(impl_->mu);
  CVC_RETURN_IF_ERROR(impl_->PrepareChange(lock, h.item));
  if (h.flags & O_APPEND) offset = item.size;
  lock.unlock();
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = pwrite(item.fd, data.data() + done, data.size() - done, offset + done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      lock.lock();
      return Unexpected<Error>(
          Logged(Error(err == ENOSPC || err == EDQUOT ? ErrorCode::kNoSpace : ErrorCode::kIo,
                       strerror(err)),
                 "writing the cache file of", item.path));
    }
    done += static_cast<size_t>(n);
  }
  lock.lock();
  item.size = std::max<int64_t>(item.size, offset + static_cast<int64_t>(done));
  impl_->Touched(item);
  CVC_RETURN_IF_ERROR(impl_->MarkDirty(item));
  return done;
}

Status Vfs::Flush(Handle& h) {
  if (h.kind == Handle::Kind::kCache) {
    std::lock_guard lock(impl_->mu);
    return impl_->EnsureMeta(*h.item);
  }
  if (h.kind != Handle::Kind::kStreamWrite) return Ok();
  std::lock_guard hl(h.mu);
  Result<ObjectInfo> stored = h.writer->Finish();
  std::lock_guard lock(impl_->mu);
  if (auto it = impl_->streams.find(h.path); it != impl_->streams.end() &&
                                             it->second == h.writer.get()) {
    impl_->streams.erase(it);
  }
  if (!stored) return Unexpected<Error>(Logged(stored.error(), "uploading", h.path));
  impl_->SetListed(*stored);
  return Ok();
}

Status Vfs::Fsync(Handle& h) {
  if (h.kind != Handle::Kind::kCache) return Ok();
  std::unique_lock lock(impl_->mu);
  return impl_->Upload(lock, h.item);
}

void Vfs::Release(Handle* h) {
  std::unique_ptr<Handle> owned(h);
  if (h->kind == Handle::Kind::kStreamWrite) {
    (void)Flush(*h);  // an error was logged; close(2) already returned it
    return;
  }
  if (h->kind != Handle::Kind::kCache) return;
  std::lock_guard lock(impl_->mu);
  h->item->opens--;
  impl_->Closed(h->item);
}

Status Vfs::Truncate(const std::string& path, int64_t size, Handle* h) {
  if (options_.read_only) return MakeError(ErrorCode::kPermission, "read-only mount: " + path);
  if (h != nullptr && h->kind == Handle::Kind::kStreamWrite) {
    std::lock_guard hl(h->mu);
    return h->writer->Truncate(size);
  }
  Handle* opened = nullptr;
  if (h == nullptr || h->kind != Handle::Kind::kCache) {
    if (!impl_->UsesCache(O_RDWR, true)) {
      CVC_ASSIGN_OR_RETURN(Attr attr, GetAttr(path));
      if (attr.size == size) return Ok();
      return MakeError(ErrorCode::kPermission,
                       "with --vfs-cache-mode off a file cannot be truncated: " + path);
    }
    CVC_ASSIGN_OR_RETURN(opened, Open(path, O_RDWR | (size == 0 ? O_TRUNC : 0)));
    h = opened;
  }
  Status st = Ok();
  {
    std::unique_lock lock(impl_->mu);
    Item& item = *h->item;
    if (item.size != size) {
      impl_->WaitQuiet(lock, item);
      Impl::Resized(item, size);
      st = impl_->PrepareChange(lock, h->item);
    }
    if (st && item.size != size) {
      if (ftruncate(item.fd, size) != 0) {
        st = Unexpected<Error>(Logged(Error(errno == ENOSPC ? ErrorCode::kNoSpace : ErrorCode::kIo,
                                            strerror(errno)),
                                      "truncating", item.path));
      } else {
        item.size = size;
        impl_->Touched(item);
        st = impl_->MarkDirty(item);
      }
    }
  }
  if (opened != nullptr) Release(opened);
  return st;
}

Status Vfs::SetMtime(const std::string& path, TimePoint mtime) {
  if (options_.read_only) return MakeError(ErrorCode::kPermission, "read-only mount: " + path);
  if (options_.no_modtime) return Ok();
  Impl& im = *impl_;
  std::unique_lock lock(im.mu);
  if (auto it = im.items.find(path); it != im.items.end()) {
    Item& item = *it->second;
    item.mtime = mtime;
    item.mtime_set = true;
    item.meta_current = false;
    if (item.dirty) {
      // The upload records it; a running upload sends the old one, so upload again.
      return im.MarkDirty(item);
    }
  }
  CVC_ASSIGN_OR_RETURN(Attr attr, im.AttrLocked(lock, path));
  if (attr.is_dir || !im.remote->GetFeatures().set_modtime) return Ok();
  lock.unlock();
  Status st = im.remote->SetModTime(im.ctx, path, mtime);
  lock.lock();
  if (!st) return Unexpected<Error>(Logged(st.error(), "setting the modification time of", path));
  if (ObjectInfo* info = im.Listed(path)) {
    info->mtime = mtime;
    info->mtime_is_upload_time = false;
  }
  return Ok();
}

Status Vfs::Mkdir(const std::string& path) {
  if (options_.read_only) return MakeError(ErrorCode::kPermission, "read-only mount: " + path);
  Impl& im = *impl_;
  std::unique_lock lock(im.mu);
  CVC_ASSIGN_OR_RETURN(Attr parent, im.AttrLocked(lock, ParentPath(path)));
  if (!parent.is_dir) return MakeError(ErrorCode::kNotDir, "not a directory: " + ParentPath(path));
  if (im.AttrLocked(lock, path)) return MakeError(ErrorCode::kExists, "exists: " + path);
  lock.unlock();
  Status st = im.remote->Mkdir(im.ctx, path);
  lock.lock();
  if (!st) return Unexpected<Error>(Logged(st.error(), "making directory", path));
  ObjectInfo info;
  info.path = path;
  info.is_dir = true;
  im.SetListed(info);
  im.dirs[path] = CachedDir{std::chrono::steady_clock::now(), {}};
  if (!im.remote->GetFeatures().empty_dirs) im.virtual_dirs.insert(path);
  return Ok();
}

Status Vfs::Rmdir(const std::string& path) {
  if (options_.read_only) return MakeError(ErrorCode::kPermission, "read-only mount: " + path);
  if (path.empty()) return MakeError(ErrorCode::kPermission, "cannot remove the root");
  CVC_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, ReadDir(path));
  if (!entries.empty()) return MakeError(ErrorCode::kDirNotEmpty, "directory not empty: " + path);
  Impl& im = *impl_;
  Status st = im.remote->Rmdir(im.ctx, path);
  std::lock_guard lock(im.mu);
  const bool was_virtual = im.virtual_dirs.erase(path) > 0;
  if (!st && !(st.error().code() == ErrorCode::kDirNotFound && was_virtual)) {
    if (st.error().code() == ErrorCode::kDirNotEmpty) return st;
    return Unexpected<Error>(Logged(st.error(), "removing directory", path));
  }
  im.RemoveListed(path);
  im.dirs.erase(path);
  return Ok();
}

Status Vfs::Unlink(const std::string& path) {
  if (options_.read_only) return MakeError(ErrorCode::kPermission, "read-only mount: " + path);
  Impl& im = *impl_;
  std::unique_lock lock(im.mu);
  bool had_item = false;
  if (auto it = im.items.find(path); it != im.items.end()) {
    std::shared_ptr<Item> item = it->second;
    im.WaitNotUploading(lock, *item);
    had_item = true;
    if (im.items.count(path) && im.items[path] == item) {
      im.items.erase(path);
      item->deleted = true;
      im.DropItem(*item);
    }
  }
  std::string object = path;  // a link's is path + kLinkSuffix
  if (!had_item) {
    CVC_ASSIGN_OR_RETURN(Attr attr, im.AttrLocked(lock, path));
    if (attr.is_dir) return MakeError(ErrorCode::kIsDir, "is a directory: " + path);
    if (attr.is_link) object += kLinkSuffix;
  }
  lock.unlock();
  Status st = im.remote->Delete(im.ctx, object);
  lock.lock();
  if (!st && !(had_item && st.error().code() == ErrorCode::kNotFound)) {
    if (st.error().code() == ErrorCode::kNotFound || st.error().code() == ErrorCode::kIsDir) {
      return st;
    }
    return Unexpected<Error>(Logged(st.error(), "deleting", path));
  }
  im.RemoveListed(object);
  return Ok();
}

Status Vfs::Rename(const std::string& from, const std::string& to, bool no_replace) {
  if (options_.read_only) return MakeError(ErrorCode::kPermission, "read-only mount: " + from);
  if (from == to) return Ok();
  if (to.size() > from.size() && to.compare(0, from.size() + 1, from + "/") == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "cannot move a directory into itself: " + from);
  }
  Impl& im = *impl_;
  std::unique_lock lock(im.mu);
  CVC_ASSIGN_OR_RETURN(Attr src, im.AttrLocked(lock, from));
  CVC_ASSIGN_OR_RETURN(Attr parent, im.AttrLocked(lock, ParentPath(to)));
  if (!parent.is_dir) return MakeError(ErrorCode::kNotDir, "not a directory: " + ParentPath(to));
  auto dst = im.AttrLocked(lock, to);
  if (dst) {
    if (no_replace) return MakeError(ErrorCode::kExists, "exists: " + to);
    if (dst->is_dir && !src.is_dir) return MakeError(ErrorCode::kIsDir, "is a directory: " + to);
    if (!dst->is_dir && src.is_dir) return MakeError(ErrorCode::kNotDir, "not a directory: " + to);
    if (dst->is_dir || dst->is_link != src.is_link) {  // not replaced by the move below
      lock.unlock();
      CVC_RETURN_IF_ERROR(dst->is_dir ? Rmdir(to) : Unlink(to));
      lock.lock();
    }
  } else if (dst.error().code() != ErrorCode::kNotFound) {
    return Propagate(dst.error());
  }
  if (src.is_link) return im.RenameFile(lock, from + kLinkSuffix, to + kLinkSuffix);
  return src.is_dir ? im.RenameDir(lock, from, to) : im.RenameFile(lock, from, to);
}

Status Vfs::Shutdown() {
  Impl& im = *impl_;
  std::unique_lock lock(im.mu);
  im.flushing = true;
  for (auto& [path, item] : im.items) item->shutdown_failed = false;
  im.work_cv.notify_all();
  im.cv.wait(lock, [&] {
    for (const auto& [path, item] : im.items) {
      if (item->dirty && !item->shutdown_failed) return false;
    }
    return true;
  });
  size_t failed = 0;
  for (const auto& [path, item] : im.items) failed += item->dirty ? 1 : 0;
  im.flushing = false;
  if (failed > 0) {
    return MakeError(ErrorCode::kIo,
                     fmt::format("{} file(s) could not be uploaded; they stay in the cache folder "
                                 "{} and the next mount of this remote uploads them",
                                 failed, im.folder));
  }
  return Ok();
}

size_t Vfs::DirtyCount() {
  std::lock_guard lock(impl_->mu);
  size_t n = 0;
  for (const auto& [path, item] : impl_->items) n += item->dirty ? 1 : 0;
  return n;
}

}  // namespace cvclone::vfs
