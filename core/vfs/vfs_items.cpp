// Vfs cache items: cache files, their metadata, recovery after a crash, and the uploads.
//
// Cache folder layout: <id>.data holds an item's bytes; <id>.meta exists while the item is
// dirty and holds "cvclone-vfs-item 1\n<mtime ns>\n<path>" (the path is everything after the
// second newline, so any name fits; mtime 0: the data file's own mtime, that of its last
// write). A .data file without a .meta is not needed by anyone. The meta file is rewritten only
// when the path or a set mtime changes, not on every write.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "core/io.hpp"
#include "core/log.hpp"
#include "core/vfs/vfs_impl.hpp"

namespace cvclone::vfs {
namespace {

constexpr const char* kMetaMagic = "cvclone-vfs-item 1";
constexpr auto kMaxRetryDelay = std::chrono::seconds(60);

std::string NewId() {
  static std::mutex mu;
  static std::mt19937_64 rng(std::random_device{}());
  std::lock_guard lock(mu);
  return fmt::format("{:016x}", rng());
}

Error ErrnoError(const std::string& what) {
  const int err = errno;
  return Error(err == ENOSPC || err == EDQUOT ? ErrorCode::kNoSpace : ErrorCode::kIo,
               what + ": " + strerror(err));
}

TimePoint Now() {
  return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
}

}  // namespace

Result<std::shared_ptr<Item>> Vfs::Impl::NewItem(const std::string& path) {
  auto item = std::make_shared<Item>();
  item->path = path;
  item->id = NewId();
  const std::string data = DataPath(*item);
  item->fd = ::open(data.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (item->fd < 0) {
    return Unexpected<Error>(Logged(ErrnoError("creating " + data), "caching", path));
  }
  item->mtime = Now();
  return item;
}

Result<std::shared_ptr<Item>> Vfs::Impl::DownloadItem(const std::string& path) {
  CVC_ASSIGN_OR_RETURN(std::shared_ptr<Item> item, NewItem(path));
  auto fail = [&](const Error& e) {
    ::close(item->fd);
    ::unlink(DataPath(*item).c_str());
    return Unexpected<Error>(Logged(e, "downloading into the cache", path));
  };
  auto stat = remote->Stat(ctx, path);
  if (!stat) return fail(stat.error());
  auto reader = remote->Open(ctx, path);
  if (!reader) return fail(reader.error());
  std::vector<std::byte> buf(kCopyBufferSize);
  int64_t off = 0;
  while (true) {
    auto n = (*reader)->Read(buf);
    if (!n) return fail(n.error());
    if (*n == 0) break;
    size_t done = 0;
    while (done < *n) {
      ssize_t w = pwrite(item->fd, buf.data() + done, *n - done, off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return fail(ErrnoError("writing cache file"));
      done += static_cast<size_t>(w);
      off += w;
    }
  }
  item->size = off;
  item->mtime = stat->mtime;
  return item;
}

Status Vfs::Impl::WriteMeta(const Item& item) {
  const std::string meta = MetaPath(item);
  const std::string tmp = meta + ".tmp";
  const std::string text =
      fmt::format("{}\n{}\n{}", kMetaMagic,
                  item.mtime_set ? item.mtime.time_since_epoch().count() : 0, item.path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Unexpected<Error>(Logged(ErrnoError("creating " + tmp), "caching", item.path));
  const ssize_t n = ::write(fd, text.data(), text.size());
  const Error err = ErrnoError("writing " + tmp);
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size()) || ::rename(tmp.c_str(), meta.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Unexpected<Error>(Logged(n < 0 ? err : ErrnoError("writing " + meta), "caching",
                                    item.path));
  }
  return Ok();
}

void Vfs::Impl::Touched(Item& item) {
  item.mtime = Now();
  if (item.mtime_set) {
    item.mtime_set = false;
    item.meta_current = false;
  }
}

Status Vfs::Impl::MarkDirty(Item& item) {
  item.generation++;
  if (item.deleted) return Ok();
  if (!item.dirty) item.meta_current = false;
  item.dirty = true;
  item.failures = 0;
  if (item.opens > 0 && !item.meta_written) return Ok();  // the flush writes it
  CVC_RETURN_IF_ERROR(EnsureMeta(item));
  if (item.opens == 0) {
    item.upload_due = std::chrono::steady_clock::now() + options.write_back;
    work_cv.notify_one();
  }
  return Ok();
}

Status Vfs::Impl::EnsureMeta(Item& item) {
  if (!item.dirty || item.deleted || item.meta_current) return Ok();
  CVC_RETURN_IF_ERROR(WriteMeta(item));
  item.meta_current = true;
  item.meta_written = true;
  return Ok();
}

void Vfs::Impl::DropItem(Item& item) {
  if (item.meta_written) ::unlink(MetaPath(item).c_str());
  item.meta_written = false;
  ::unlink(DataPath(item).c_str());
  item.dirty = false;
  if (item.opens == 0 && item.fd >= 0) {
    ::close(item.fd);
    item.fd = -1;
  }
}

void Vfs::Impl::WaitNotUploading(std::unique_lock<std::mutex>& lock, Item& item) {
  cv.wait(lock, [&] { return !item.uploading; });
}

void Vfs::Impl::Closed(const std::shared_ptr<Item>& item) {
  if (item->opens > 0) return;
  item->last_used = std::chrono::steady_clock::now();
  if (item->deleted) {
    if (item->fd >= 0) ::close(item->fd);
    item->fd = -1;
    return;
  }
  if (item->dirty) {
    // Normally written by the flush before; a failure (logged) was returned by close(2).
    (void)EnsureMeta(*item);
    item->upload_due = std::chrono::steady_clock::now() + options.write_back;
    work_cv.notify_one();
    return;
  }
  if (item->uploading) return;  // the upload drops it when done
  KeepOrDrop(item);
}

void Vfs::Impl::KeepOrDrop(const std::shared_ptr<Item>& item) {
  if (options.cache_mode == CacheMode::kFull) {
    // Kept for the next open until evicted; its descriptor is closed (thousands may be kept).
    if (item->fd >= 0) ::close(item->fd);
    item->fd = -1;
    work_cv.notify_one();  // the workers evict
    return;
  }
  auto it = items.find(item->path);
  if (it != items.end() && it->second == item) items.erase(it);
  DropItem(*item);
}

Result<ObjectInfo> Vfs::Impl::PutCacheFile(const std::string& path, const std::string& data,
                                           int64_t size, TimePoint mtime) {
  const int fd = ::open(data.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unexpected<Error>(ErrnoError("opening " + data));
  FdReader reader(fd, size, FdReader::kOwn, "the cache file " + data);
  PutOptions opts;
  opts.size = size;
  opts.mtime = mtime;
  opts.reopen = [data, size]() -> Result<std::unique_ptr<Reader>> {
    const int again = ::open(data.c_str(), O_RDONLY | O_CLOEXEC);
    if (again < 0) return Unexpected<Error>(ErrnoError("opening " + data));
    return std::unique_ptr<Reader>(
        std::make_unique<FdReader>(again, size, FdReader::kOwn, "the cache file " + data));
  };
  return remote->Put(ctx, path, reader, opts);
}

Status Vfs::Impl::Upload(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Item>& item) {
  WaitNotUploading(lock, *item);
  if (!item->dirty || item->deleted) return Ok();
  item->uploading = true;
  const uint64_t generation = item->generation;
  const std::string path = item->path;
  const int64_t size = item->size;
  const std::string data = DataPath(*item);
  const TimePoint mtime = item->mtime;
  lock.unlock();
  Result<ObjectInfo> stored = PutCacheFile(path, data, size, mtime);
  lock.lock();
  item->uploading = false;
  cv.notify_all();
  if (!stored) {
    item->failures++;
    if (flushing) item->shutdown_failed = true;
    const auto delay = std::min<std::chrono::seconds>(
        kMaxRetryDelay, std::chrono::seconds(int64_t{1} << std::min(item->failures - 1, 6)));
    item->upload_due = std::chrono::steady_clock::now() + delay;
    log::Error("vfs: uploading \"{}\" failed: {}; it stays in the cache ({}), retrying in {}s",
               path, stored.error().message(), data, delay.count());
    return Unexpected<Error>(stored.error().WithContext("uploading \"" + path + "\""));
  }
  log::Info("vfs: uploaded \"{}\" ({} bytes)", path, size);
  Uploaded(item, *stored, generation, path);
  return Ok();
}

void Vfs::Impl::Uploaded(const std::shared_ptr<Item>& item, const ObjectInfo& stored,
                         uint64_t generation, const std::string& path) {
  item->failures = 0;
  if (item->path == path && !item->deleted) {
    ObjectInfo listed = stored;
    listed.path = path;
    SetListed(listed);
  }
  if (item->generation == generation && item->path == path && !item->deleted) {
    item->dirty = false;
    item->version = stored.version;
    if (item->meta_written) ::unlink(MetaPath(*item).c_str());
    item->meta_written = false;
    if (item->opens == 0) KeepOrDrop(item);
  }
}

bool Vfs::Impl::Frozen(const std::string& path) const {
  for (const std::string& dir : frozen) {
    if (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
        path[dir.size()] == '/') {
      return true;
    }
  }
  return false;
}

void Vfs::Impl::WorkerLoop() {
  std::unique_lock lock(mu);
  while (!stopping) {
    std::shared_ptr<Item> next;
    SteadyTime earliest = SteadyTime::max();
    const SteadyTime now = std::chrono::steady_clock::now();
    for (const auto& [path, item] : items) {
      if (!item->dirty || item->uploading || item->deleted || Frozen(path)) continue;
      if (flushing) {
        if (!item->shutdown_failed) {
          next = item;
          break;
        }
        continue;
      }
      if (item->opens > 0) continue;
      if (item->upload_due <= now) {
        next = item;
        break;
      }
      earliest = std::min(earliest, item->upload_due);
    }
    if (!next) earliest = std::min(earliest, Evict());
    if (next) {
      (void)Upload(lock, next);  // failures are logged and retried
      continue;
    }
    if (earliest == SteadyTime::max()) {
      work_cv.wait(lock);
    } else {
      work_cv.wait_until(lock, earliest);
    }
  }
}

Result<std::shared_ptr<Item>> Vfs::Impl::LoadItem(const std::string& id) {
  std::ifstream in(folder + "/" + id + ".meta", std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  const size_t nl1 = s.find('\n');
  const size_t nl2 = nl1 == std::string::npos ? nl1 : s.find('\n', nl1 + 1);
  auto item = std::make_shared<Item>();
  item->id = id;
  if (nl2 == std::string::npos || s.substr(0, nl1) != kMetaMagic) {
    return MakeError(ErrorCode::kCorrupt, fmt::format("cache metadata {}/{}.meta is unreadable; "
                                                        "leaving it and its data there",
                                                        folder, id));
  }
  item->path = s.substr(nl2 + 1);
  if (!ValidatePath(item->path)) {
    return MakeError(ErrorCode::kCorrupt, fmt::format("cache metadata {}/{}.meta names an "
                                                        "invalid path; leaving it",
                                                        folder, id));
  }
  const std::string_view mtime_text = std::string_view(s).substr(nl1 + 1, nl2 - nl1 - 1);
  int64_t mtime_ns = 0;
  const auto parsed =
      std::from_chars(mtime_text.data(), mtime_text.data() + mtime_text.size(), mtime_ns);
  if (mtime_text.empty() || parsed.ec != std::errc() ||
      parsed.ptr != mtime_text.data() + mtime_text.size()) {
    return MakeError(ErrorCode::kCorrupt, fmt::format("cache metadata {}/{}.meta has an invalid "
                                                        "modification time; leaving it and its "
                                                        "data there",
                                                        folder, id));
  }
  const std::string data = DataPath(*item);
  item->fd = ::open(data.c_str(), O_RDWR | O_CLOEXEC);
  struct stat st;
  if (item->fd < 0 || fstat(item->fd, &st) != 0) {
    if (item->fd >= 0) ::close(item->fd);
    return MakeError(ErrorCode::kNotFound, fmt::format("cache data {} of \"{}\" is missing; it "
                                                       "cannot be uploaded",
                                                       data, item->path));
  }
  item->size = st.st_size;
  item->mtime_set = mtime_ns != 0;
  item->meta_current = true;
  item->meta_written = true;
  item->mtime = item->mtime_set
                    ? TimePoint(std::chrono::nanoseconds(mtime_ns))
                    : TimePoint(std::chrono::seconds(st.st_mtim.tv_sec) +
                                std::chrono::nanoseconds(st.st_mtim.tv_nsec));
  item->dirty = true;
  item->upload_due = std::chrono::steady_clock::now();
  return item;
}

Status Vfs::Impl::Recover() {
  std::error_code ec;
  std::vector<std::string> metas;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 5 && name.ends_with(".meta")) metas.push_back(name.substr(0, name.size() - 5));
    if (name.ends_with(".tmp")) std::filesystem::remove(entry.path(), ec);
  }
  if (ec) return MakeError(ErrorCode::kIo, "reading cache folder " + folder + ": " + ec.message());
  std::set<std::string> kept;
  for (const std::string& id : metas) {
    auto loaded = LoadItem(id);
    if (!loaded) {
      log::Error("vfs: {}", loaded.error().message());
      continue;
    }
    std::shared_ptr<Item> item = *loaded;
    if (auto old = items.find(item->path); old != items.end()) {
      // Two files claim one path (a crash during a rename): keep the newer one.
      if (old->second->mtime >= item->mtime) {
        ::close(item->fd);
        continue;
      }
      ::close(old->second->fd);
      kept.erase(old->second->id);
    }
    log::Notice("vfs: \"{}\" was not uploaded by the last run; uploading it now", item->path);
    kept.insert(id);
    for (std::string dir = ParentPath(item->path); !dir.empty(); dir = ParentPath(dir)) {
      virtual_dirs.insert(dir);  // the remote may not have it yet
    }
    items[item->path] = item;
  }
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".data") && !kept.count(name.substr(0, name.size() - 5)) &&
        !std::filesystem::exists(folder + "/" + name.substr(0, name.size() - 5) + ".meta")) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
  return Ok();
}

}  // namespace cvclone::vfs
