// Symbolic links as rclone's --links stores them: an object NAME.rclonelink whose bytes are the
// link's target, so that rclone (and cvclone's local backend, which turns such objects back into
// links) reads them as links too.
#include <algorithm>
#include <cstring>

#include "core/io.hpp"
#include "core/vfs/vfs_impl.hpp"

namespace cvclone::vfs {
namespace {

// Longer targets are refused (PATH_MAX, as the kernel does).
constexpr int64_t kMaxTarget = 4096;

TimePoint Now() {
  return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
}

}  // namespace

std::string Vfs::Impl::LinkName(const std::string& name, bool is_dir) const {
  const size_t n = std::strlen(kLinkSuffix);
  if (!options.links || is_dir || name.size() <= n || !name.ends_with(kLinkSuffix)) return "";
  return name.substr(0, name.size() - n);
}

Result<Attr> Vfs::Impl::LinkAttr(const std::string& path) {
  const ObjectInfo* info = options.links ? Listed(path + kLinkSuffix) : nullptr;
  if (info == nullptr || info->is_dir) {
    return MakeError(ErrorCode::kNotFound, "not found: " + path);
  }
  return Attr{.is_dir = false, .is_link = true, .size = std::max<int64_t>(info->size, 0),
              .mtime = info->mtime};
}

Status Vfs::Symlink(const std::string& target, const std::string& path) {
  if (options_.read_only) return MakeError(ErrorCode::kPermission, "read-only mount: " + path);
  if (!options_.links) {
    return MakeError(ErrorCode::kUnsupported,
                     "symbolic links need --links (stored as NAME.rclonelink): " + path);
  }
  if (target.empty() || static_cast<int64_t>(target.size()) >= kMaxTarget) {
    return MakeError(ErrorCode::kInvalidArgument, "bad symbolic link target for " + path);
  }
  Impl& im = *impl_;
  std::unique_lock lock(im.mu);
  CVC_ASSIGN_OR_RETURN(Attr parent, im.AttrLocked(lock, ParentPath(path)));
  if (!parent.is_dir) return MakeError(ErrorCode::kNotDir, "not a directory: " + ParentPath(path));
  if (im.AttrLocked(lock, path)) return MakeError(ErrorCode::kExists, "exists: " + path);
  const std::string object = path + kLinkSuffix;
  lock.unlock();
  MemoryReader src(MemoryReader::kView, target);
  PutOptions opts;
  opts.size = static_cast<int64_t>(target.size());
  opts.mtime = Now();
  auto stored = im.remote->Put(im.ctx, object, src, opts);
  lock.lock();
  if (!stored) return Unexpected<Error>(Logged(stored.error(), "making symbolic link", path));
  ObjectInfo info = *stored;
  info.path = object;
  im.SetListed(info);
  return Ok();
}

Result<std::string> Vfs::Readlink(const std::string& path) {
  Impl& im = *impl_;
  {
    std::unique_lock lock(im.mu);
    CVC_ASSIGN_OR_RETURN(Attr attr, im.AttrLocked(lock, path));
    if (!attr.is_link) return MakeError(ErrorCode::kInvalidArgument, "not a link: " + path);
  }
  auto reader = im.remote->Open(im.ctx, path + kLinkSuffix, 0, kMaxTarget);
  if (!reader) return Unexpected<Error>(Logged(reader.error(), "reading symbolic link", path));
  auto target = ReadAll(**reader);
  if (!target) return Unexpected<Error>(Logged(target.error(), "reading symbolic link", path));
  return *target;
}

}  // namespace cvclone::vfs
