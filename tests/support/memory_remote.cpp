#include "tests/support/memory_remote.hpp"

#include <algorithm>
#include <cstring>

#include "core/io.hpp"

namespace cvclone {
namespace {

// Reads a copy of a stored object's bytes.
class StringReader : public Reader {
 public:
  explicit StringReader(std::string data) : data_(std::move(data)) {}
  Result<size_t> Read(std::span<std::byte> buf) override {
    size_t n = std::min(buf.size(), data_.size() - pos_);
    if (n > 0) std::memcpy(buf.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

bool IsChildOf(const std::string& path, const std::string& dir) {
  if (dir.empty()) return path.find('/') == std::string::npos;
  return path.size() > dir.size() + 1 && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/' && path.find('/', dir.size() + 1) == std::string::npos;
}

bool IsUnder(const std::string& path, const std::string& dir) {
  if (dir.empty()) return true;
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

Unexpected<Error> NotFound(const std::string& path) {
  return MakeError(ErrorCode::kNotFound, "memory: " + path + ": object not found");
}

}  // namespace

MemoryRemote::MemoryRemote(std::string name) : name_(std::move(name)) {
  features_.server_side_copy = true;
  features_.server_side_move = true;
  features_.purge = true;
  features_.set_modtime = true;
  features_.hashes = HashSet{HashType::kMd5, HashType::kSha1};
  features_.mtime_precision = std::chrono::nanoseconds(1);
}

MemoryRemote::Entry MemoryRemote::MakeEntry(std::string data, TimePoint mtime) const {
  Entry e;
  e.hashes = HashBytes(AsBytes(data), features_.hashes);
  e.data = std::move(data);
  e.mtime = std::chrono::floor<std::chrono::nanoseconds>(mtime);
  if (features_.mtime_precision > std::chrono::nanoseconds(1)) {
    e.mtime = TimePoint(e.mtime.time_since_epoch() -
                        e.mtime.time_since_epoch() % features_.mtime_precision);
  }
  return e;
}

ObjectInfo MemoryRemote::InfoLocked(const std::string& path, const Entry& e) const {
  ObjectInfo info;
  info.path = path;
  info.size = static_cast<int64_t>(e.data.size());
  info.mtime = e.mtime;
  info.hashes = e.hashes;
  return info;
}

bool MemoryRemote::DirExistsLocked(const std::string& dir) const {
  return dir.empty() || dirs_.count(dir) > 0;
}

Status MemoryRemote::AddDirsLocked(const std::string& dir) {
  for (std::string d = dir; !d.empty(); d = ParentPath(d)) {
    if (files_.count(d) > 0) {
      return MakeError(ErrorCode::kNotDir, "memory: " + d + ": is an object");
    }
  }
  for (std::string d = dir; !d.empty(); d = ParentPath(d)) dirs_.insert(d);
  return Ok();
}

void MemoryRemote::StoreLocked(const std::string& path, Entry e) { files_[path] = std::move(e); }

Result<std::vector<ObjectInfo>> MemoryRemote::List(const Context& ctx, const std::string& dir) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_RETURN_IF_ERROR(ValidatePath(dir));
  std::lock_guard lock(mu_);
  if (files_.count(dir) > 0) {
    return MakeError(ErrorCode::kNotDir, "memory: " + dir + ": is an object");
  }
  if (!DirExistsLocked(dir)) {
    return MakeError(ErrorCode::kDirNotFound, "memory: " + dir + ": directory not found");
  }
  std::vector<ObjectInfo> out;
  const std::string prefix = dir.empty() ? "" : dir + "/";
  for (auto it = files_.lower_bound(prefix); it != files_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    if (!IsChildOf(it->first, dir)) continue;
    out.push_back(InfoLocked(it->first, it->second));
    if (listed_upload_time_) {
      out.back().mtime = *listed_upload_time_;
      out.back().mtime_is_upload_time = true;
    }
  }
  for (auto it = dirs_.lower_bound(prefix); it != dirs_.end(); ++it) {
    if (it->compare(0, prefix.size(), prefix) != 0) break;
    if (!IsChildOf(*it, dir)) continue;
    ObjectInfo info;
    info.path = *it;
    info.is_dir = true;
    info.size = 0;
    out.push_back(std::move(info));
  }
  return out;
}

Result<ObjectInfo> MemoryRemote::Stat(const Context& ctx, const std::string& path) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_RETURN_IF_ERROR(ValidatePath(path));
  std::lock_guard lock(mu_);
  auto it = files_.find(path);
  if (it != files_.end()) return InfoLocked(path, it->second);
  if (DirExistsLocked(path)) return MakeError(ErrorCode::kIsDir, "memory: " + path + ": is a directory");
  return NotFound(path);
}

Result<std::unique_ptr<Reader>> MemoryRemote::Open(const Context& ctx, const std::string& path,
                                                   int64_t offset, int64_t count) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_RETURN_IF_ERROR(ValidatePath(path));
  std::lock_guard lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) {
    if (DirExistsLocked(path)) return MakeError(ErrorCode::kIsDir, "memory: " + path + ": is a directory");
    return NotFound(path);
  }
  const std::string& data = it->second.data;
  size_t start = std::min(static_cast<size_t>(std::max<int64_t>(offset, 0)), data.size());
  size_t len = count < 0 ? std::string::npos : static_cast<size_t>(count);
  return std::unique_ptr<Reader>(std::make_unique<StringReader>(data.substr(start, len)));
}

Result<ObjectInfo> MemoryRemote::Put(const Context& ctx, const std::string& path, Reader& src,
                                     const PutOptions& opts) {
  CVC_RETURN_IF_ERROR(ValidatePath(path));
  if (path.empty()) return MakeError(ErrorCode::kIsDir, "memory: cannot put the root");
  std::string data;
  std::string buf(64 * 1024, '\0');
  for (;;) {
    CVC_RETURN_IF_ERROR(ctx.Check());
    CVC_ASSIGN_OR_RETURN(size_t n, src.Read(AsWritableBytes(buf)));
    if (n == 0) break;
    data.append(buf.data(), n);
  }
  CVC_RETURN_IF_ERROR(ctx.Check());
  if (opts.size >= 0 && static_cast<int64_t>(data.size()) != opts.size) {
    return MakeError(ErrorCode::kCorrupt, "memory: " + path + ": expected " +
                                              std::to_string(opts.size) + " bytes, got " +
                                              std::to_string(data.size()));
  }
  Entry e = MakeEntry(std::move(data), opts.mtime == TimePoint{}
                                           ? std::chrono::system_clock::now()
                                           : opts.mtime);
  for (const auto& [type, want] : opts.hashes) {
    auto got = e.hashes.find(type);
    if (!want.empty() && got != e.hashes.end() && got->second != want) {
      return MakeError(ErrorCode::kCorrupt,
                       "memory: " + path + ": " + HashName(type) + " mismatch on upload");
    }
  }
  std::lock_guard lock(mu_);
  if (dirs_.count(path) > 0) return MakeError(ErrorCode::kIsDir, "memory: " + path + ": is a directory");
  CVC_RETURN_IF_ERROR(AddDirsLocked(ParentPath(path)));
  ObjectInfo info = InfoLocked(path, e);
  StoreLocked(path, std::move(e));
  return info;
}

Status MemoryRemote::Delete(const Context& ctx, const std::string& path) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_RETURN_IF_ERROR(ValidatePath(path));
  std::lock_guard lock(mu_);
  if (files_.erase(path) > 0) return Ok();
  if (DirExistsLocked(path)) return MakeError(ErrorCode::kIsDir, "memory: " + path + ": is a directory");
  return NotFound(path);
}

Status MemoryRemote::Mkdir(const Context& ctx, const std::string& dir) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_RETURN_IF_ERROR(ValidatePath(dir));
  std::lock_guard lock(mu_);
  return AddDirsLocked(dir);
}

Status MemoryRemote::Rmdir(const Context& ctx, const std::string& dir) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_RETURN_IF_ERROR(ValidatePath(dir));
  std::lock_guard lock(mu_);
  if (!DirExistsLocked(dir)) {
    return MakeError(ErrorCode::kDirNotFound, "memory: " + dir + ": directory not found");
  }
  for (const auto& [p, e] : files_) {
    if (IsUnder(p, dir)) return MakeError(ErrorCode::kDirNotEmpty, "memory: " + dir + ": not empty");
  }
  for (const auto& d : dirs_) {
    if (IsUnder(d, dir)) return MakeError(ErrorCode::kDirNotEmpty, "memory: " + dir + ": not empty");
  }
  dirs_.erase(dir);
  return Ok();
}

Status MemoryRemote::Purge(const Context& ctx, const std::string& dir) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_RETURN_IF_ERROR(ValidatePath(dir));
  std::lock_guard lock(mu_);
  if (!DirExistsLocked(dir)) {
    return MakeError(ErrorCode::kDirNotFound, "memory: " + dir + ": directory not found");
  }
  std::erase_if(files_, [&](const auto& kv) { return IsUnder(kv.first, dir); });
  std::erase_if(dirs_, [&](const std::string& d) { return IsUnder(d, dir); });
  dirs_.erase(dir);
  return Ok();
}

Result<ObjectInfo> MemoryRemote::Copy(const Context& ctx, Remote& src, const std::string& src_path,
                                      const std::string& dst_path) {
  auto* other = dynamic_cast<MemoryRemote*>(&src);
  if (other == nullptr || !features_.server_side_copy) {
    return MakeError(ErrorCode::kUnsupported, "memory: server-side copy not possible");
  }
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_RETURN_IF_ERROR(ValidatePath(dst_path));
  Entry e;
  {
    std::lock_guard lock(other->mu_);
    auto it = other->files_.find(src_path);
    if (it == other->files_.end()) return NotFound(src_path);
    e = it->second;
  }
  std::lock_guard lock(mu_);
  CVC_RETURN_IF_ERROR(AddDirsLocked(ParentPath(dst_path)));
  ObjectInfo info = InfoLocked(dst_path, e);
  StoreLocked(dst_path, std::move(e));
  return info;
}

Result<ObjectInfo> MemoryRemote::Move(const Context& ctx, Remote& src, const std::string& src_path,
                                      const std::string& dst_path) {
  if (!features_.server_side_move) {
    return MakeError(ErrorCode::kUnsupported, "memory: server-side move not possible");
  }
  CVC_ASSIGN_OR_RETURN(ObjectInfo info, Copy(ctx, src, src_path, dst_path));
  CVC_RETURN_IF_ERROR(src.Delete(ctx, src_path));
  return info;
}

Status MemoryRemote::SetModTime(const Context& ctx, const std::string& path, TimePoint mtime) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  if (!features_.set_modtime) return Remote::SetModTime(ctx, path, mtime);
  std::lock_guard lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return NotFound(path);
  it->second.mtime = mtime;
  return Ok();
}

Result<std::string> MemoryRemote::Hash(const Context& ctx, const std::string& path, HashType type) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  if (!features_.hashes.Has(type)) return Remote::Hash(ctx, path, type);
  std::lock_guard lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return NotFound(path);
  auto h = it->second.hashes.find(type);
  return h == it->second.hashes.end() ? std::string() : h->second;
}

void MemoryRemote::SetListedUploadTime(std::optional<TimePoint> upload_time) {
  std::lock_guard lock(mu_);
  listed_upload_time_ = upload_time;
}

void MemoryRemote::SetFile(const std::string& path, const std::string& data, TimePoint mtime) {
  Entry e = MakeEntry(data, mtime);
  std::lock_guard lock(mu_);
  (void)AddDirsLocked(ParentPath(path));
  StoreLocked(path, std::move(e));
}

std::optional<std::string> MemoryRemote::Contents(const std::string& path) const {
  std::lock_guard lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return std::nullopt;
  return it->second.data;
}

std::vector<std::string> MemoryRemote::Files() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [p, e] : files_) out.push_back(p);
  return out;
}

std::vector<std::string> MemoryRemote::Dirs() const {
  std::lock_guard lock(mu_);
  return std::vector<std::string>(dirs_.begin(), dirs_.end());
}

std::map<std::string, std::string> MemoryRemote::Snapshot() const {
  std::lock_guard lock(mu_);
  std::map<std::string, std::string> out;
  for (const auto& [p, e] : files_) out[p] = e.data;
  return out;
}

}  // namespace cvclone
