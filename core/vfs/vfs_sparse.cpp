// The sparse cache files of --vfs-cache-mode full: ranges fetched on demand, and eviction of
// clean files.
//
// An item stays consistent with one rule: a dirty item has no missing range (PrepareChange
// fetches the rest before the first change), so an upload, a rename that deletes the old object
// and the recovery after a crash never meet a hole that should have held remote bytes.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "core/io.hpp"
#include "core/log.hpp"
#include "core/vfs/vfs_impl.hpp"

namespace cvclone::vfs {
namespace {

using Range = std::pair<int64_t, int64_t>;  // [first, second)

constexpr auto kEvictEvery = std::chrono::milliseconds(500);

// The parts of [start, end) that present does not hold.
std::vector<Range> Gaps(const std::map<int64_t, int64_t>& present, int64_t start, int64_t end) {
  std::vector<Range> gaps;
  int64_t at = start;
  auto it = present.upper_bound(start);
  if (it != present.begin()) at = std::max(at, std::prev(it)->second);
  while (at < end) {
    if (it == present.end() || it->first >= end) {
      gaps.emplace_back(at, end);
      break;
    }
    if (it->first > at) gaps.emplace_back(at, it->first);
    at = std::max(at, it->second);
    ++it;
  }
  return gaps;
}

// Copies [from, to) of the remote object path into fd at the same offsets. kIo if the object
// holds fewer bytes (it changed since it was listed).
Status FetchRange(Remote& remote, const Context& ctx, const std::string& path, int fd, int64_t from,
                  int64_t to) {
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, remote.Open(ctx, path, from, to - from));
  std::vector<std::byte> buf(static_cast<size_t>(std::min<int64_t>(to - from, kCopyBufferSize)));
  int64_t at = from;
  while (at < to) {
    const size_t want = static_cast<size_t>(std::min<int64_t>(to - at, buf.size()));
    CVC_ASSIGN_OR_RETURN(size_t n, ReadFull(*reader, std::span(buf).first(want)));
    if (n == 0) return MakeError(ErrorCode::kIo, "the object is shorter than listed");
    size_t done = 0;
    while (done < n) {
      const ssize_t w = pwrite(fd, buf.data() + done, n - done, at);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        const int err = errno;
        return MakeError(err == ENOSPC || err == EDQUOT ? ErrorCode::kNoSpace : ErrorCode::kIo,
                         std::string("writing the cache file: ") + strerror(err));
      }
      done += static_cast<size_t>(w);
      at += w;
    }
  }
  return Ok();
}

// Disk space a cache file takes (its allocated blocks: holes take none).
int64_t Allocated(const std::string& data) {
  struct stat st;
  return ::stat(data.c_str(), &st) == 0 ? int64_t{st.st_blocks} * 512 : 0;
}

}  // namespace

bool Vfs::Impl::UsesCache(int flags, bool exists) const {
  const bool writable = (flags & O_ACCMODE) != O_RDONLY;
  switch (options.cache_mode) {
    case CacheMode::kOff: return false;
    case CacheMode::kMinimal:
      return writable && ((flags & O_ACCMODE) == O_RDWR || (exists && !(flags & O_TRUNC)));
    case CacheMode::kWrites: return writable || !exists;
    case CacheMode::kFull: return true;
  }
  return false;
}

Result<std::shared_ptr<Item>> Vfs::Impl::SparseItem(const std::string& path, const Attr& attr) {
  CVC_ASSIGN_OR_RETURN(std::shared_ptr<Item> item, NewItem(path));
  if (ftruncate(item->fd, attr.size) != 0) {
    const int err = errno;
    ::close(item->fd);
    ::unlink(DataPath(*item).c_str());
    return Unexpected<Error>(
        Logged(Error(err == ENOSPC ? ErrorCode::kNoSpace : ErrorCode::kIo, strerror(err)),
               "caching", path));
  }
  item->size = attr.size;
  item->backed = attr.size;
  item->mtime = attr.mtime;
  return item;
}

Status Vfs::Impl::Fill(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Item>& item,
                       int64_t offset, int64_t len) {
  cv.wait(lock, [&] { return !item->moving; });
  const int64_t end = std::min(item->backed, offset + len);
  if (offset >= end || Gaps(item->present, offset, end).empty()) return Ok();
  const std::vector<Range> gaps =
      Gaps(item->present, offset, std::min(item->backed, end + options.read_ahead));
  // A descriptor of our own: the item's may be closed meanwhile (unlink, eviction).
  const int fd = ::dup(item->fd);
  if (fd < 0) {
    return Unexpected<Error>(Logged(Error(ErrorCode::kIo, strerror(errno)), "caching", item->path));
  }
  const std::string path = item->path;
  item->filling++;
  lock.unlock();
  Status st = Ok();
  std::vector<Range> fetched;
  for (const Range& gap : gaps) {
    log::Debug("vfs: fetching bytes {}-{} of \"{}\"", gap.first, gap.second, path);
    st = FetchRange(*remote, ctx, path, fd, gap.first, gap.second);
    if (!st) break;
    fetched.push_back(gap);
  }
  ::close(fd);
  lock.lock();
  for (const Range& r : fetched) MarkPresent(*item, r.first, r.second);
  item->filling--;
  cv.notify_all();
  if (!st) return Unexpected<Error>(Logged(st.error(), "reading", path));
  return Ok();
}

Status Vfs::Impl::PrepareChange(std::unique_lock<std::mutex>& lock,
                                const std::shared_ptr<Item>& item) {
  while (true) {
    WaitQuiet(lock, *item);
    if (Gaps(item->present, 0, item->backed).empty()) return Ok();
    CVC_RETURN_IF_ERROR(Fill(lock, item, 0, item->backed));
  }
}

void Vfs::Impl::WaitQuiet(std::unique_lock<std::mutex>& lock, Item& item) {
  cv.wait(lock, [&] { return !item.uploading && item.filling == 0; });
}

void Vfs::Impl::MarkPresent(Item& item, int64_t start, int64_t end) {
  end = std::min(end, item.backed);
  if (start >= end) return;
  auto it = item.present.upper_bound(start);
  if (it != item.present.begin() && std::prev(it)->second >= start) {
    --it;
    start = it->first;
    end = std::max(end, it->second);
    it = item.present.erase(it);
  }
  while (it != item.present.end() && it->first <= end) {
    end = std::max(end, it->second);
    it = item.present.erase(it);
  }
  item.present[start] = end;
}

void Vfs::Impl::Resized(Item& item, int64_t size) {
  if (size >= item.backed) return;
  item.backed = size;
  item.present.erase(item.present.lower_bound(size), item.present.end());
  if (!item.present.empty() && item.present.rbegin()->second > size) {
    item.present.rbegin()->second = size;
  }
  if (item.backed == 0) item.present.clear();
}

SteadyTime Vfs::Impl::Evict() {
  if (options.cache_mode != CacheMode::kFull) return SteadyTime::max();
  const SteadyTime now = std::chrono::steady_clock::now();
  // At most once per kEvictEvery: the workers call this whenever they wake.
  if (now < next_evict) return next_evict;
  next_evict = now + kEvictEvery;
  std::vector<std::shared_ptr<Item>> clean;
  int64_t used = 0;
  for (const auto& [path, item] : items) {
    if (options.cache_max_size >= 0) used += Allocated(DataPath(*item));
    if (!item->dirty && !item->deleted && item->opens == 0 && !item->uploading &&
        item->filling == 0) {
      clean.push_back(item);
    }
  }
  std::sort(clean.begin(), clean.end(),
            [](const auto& a, const auto& b) { return a->last_used < b->last_used; });
  SteadyTime next = SteadyTime::max();
  for (const std::shared_ptr<Item>& item : clean) {
    const bool too_old = now - item->last_used >= options.cache_max_age;
    const bool too_big = options.cache_max_size >= 0 && used > options.cache_max_size;
    if (!too_old && !too_big) {
      const auto age = std::chrono::duration_cast<SteadyTime::duration>(options.cache_max_age);
      next = std::min(next, item->last_used + age);
      continue;
    }
    log::Debug("vfs: evicting \"{}\" from the cache", item->path);
    used -= Allocated(DataPath(*item));
    items.erase(item->path);
    DropItem(*item);
  }
  return next;
}

}  // namespace cvclone::vfs
