#include "backends/local/local.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "backends/local/local_batch.hpp"
#include "backends/local/local_direct.hpp"
#include "backends/local/local_fs.hpp"
#include "backends/local/local_links.hpp"
#include "backends/local/local_path.hpp"
#include "backends/local/local_reader.hpp"
#include "core/io.hpp"
#include "core/log.hpp"
#include "core/printable.hpp"

namespace cvclone {
namespace {

using local::ErrnoError;
using local::Fd;
using local::FileReader;

ObjectInfo InfoFromStat(const std::string& path, const struct stat& st) {
  ObjectInfo info;
  info.path = path;
  info.is_dir = S_ISDIR(st.st_mode);
  info.size = info.is_dir ? 0 : static_cast<int64_t>(st.st_size);
  info.mtime = local::FromTimespec(st.st_mtim);
  return info;
}

constexpr int64_t kSequentialHintMin = 256 << 10;

// Where an object is: its folder, opened from the root without following links unless the
// user chose to (local_path.hpp), and its name in that folder. Every operation on the object
// is relative to `dir`.
struct Located {
  local::DirFd dir;
  std::string name;
  std::string full;  // root/path, for messages
};

struct OpenFile {
  Fd fd;
  struct stat st;
};

// Opens a regular file for reading, following a final link only if `follow`. A link not
// followed, or a file in the middle of the path, counts as missing (kNotFound); a directory is
// kIsDir.
Result<OpenFile> OpenRegularFile(const Located& at, const char* op, bool follow) {
  const std::string what = std::string("local: ") + op + " " + at.full;
  Fd fd(::openat(at.dir->get(), at.name.c_str(), O_RDONLY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW)));
  if (!fd.valid()) {
    if (errno == ELOOP || errno == ENOTDIR)
      return MakeError(ErrorCode::kNotFound, what + ": not found");
    return ErrnoError(errno, op, at.full);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, "stat", at.full);
  if (S_ISDIR(st.st_mode)) return MakeError(ErrorCode::kIsDir, what + ": is a directory");
  if (!S_ISREG(st.st_mode)) return MakeError(ErrorCode::kNotFound, what + ": not a regular file");
  return OpenFile{std::move(fd), st};
}

// How many links a write onto a link follows before giving up (the kernel's own limit).
constexpr int kMaxLinkHops = 40;

class LocalRemote : public Remote {
 public:
  LocalRemote(std::string display_name, std::string root, const LocalOptions& options)
      : display_name_(std::move(display_name)), root_(std::move(root)), options_(options) {
    features_.server_side_copy = true;
    features_.server_side_move = true;
    features_.purge = true;
    features_.set_modtime = true;
    features_.empty_dirs = true;
    features_.hashes = HashSet{HashType::kMd5, HashType::kSha1, HashType::kSha256};
    features_.mtime_precision = std::chrono::nanoseconds(1);
    features_.slow_hash = true;
    features_.local_disk = true;
    features_.batch_commit = options_.fsync;  // without fsync there is nothing to group
  }

  std::string Type() const override { return "local"; }
  std::string Name() const override { return display_name_; }
  const Features& GetFeatures() const override { return features_; }
  StorageLocation StorageRoot() const override;

  Result<std::vector<ObjectInfo>> List(const Context& ctx, const std::string& dir) override;
  Result<ObjectInfo> Stat(const Context& ctx, const std::string& path) override;
  Result<std::unique_ptr<Reader>> Open(const Context& ctx, const std::string& path, int64_t offset,
                                       int64_t count) override;
  Result<std::unique_ptr<RandomReader>> OpenRandom(const Context& ctx,
                                                   const std::string& path) override;
  Result<ObjectInfo> Put(const Context& ctx, const std::string& path, Reader& src,
                         const PutOptions& opts) override;
  Status Delete(const Context& ctx, const std::string& path) override;
  Status Mkdir(const Context& ctx, const std::string& dir) override;
  Status Rmdir(const Context& ctx, const std::string& dir) override;
  Status Purge(const Context& ctx, const std::string& dir) override;
  Result<ObjectInfo> Copy(const Context& ctx, Remote& src, const std::string& src_path,
                          const std::string& dst_path) override;
  Result<ObjectInfo> Move(const Context& ctx, Remote& src, const std::string& src_path,
                          const std::string& dst_path) override;
  Status SetModTime(const Context& ctx, const std::string& path, TimePoint mtime) override;
  Result<std::string> Hash(const Context& ctx, const std::string& path, HashType type) override;
  void StartBatch(BatchFailure on_failure) override;
  Status FinishBatch(const Context& ctx) override;

  // The filesystem path of a validated relative path.
  std::string Full(const std::string& rel) const { return local::JoinRoot(root_, rel); }

 private:
  // Validates an object path (not the root) and returns its full path.
  Result<std::string> ObjectPath(const std::string& path) const;
  // Before creating path (a file, or a folder with its parents): refuses a name holding a
  // control character unless options_.allow_control_characters (local.hpp, LocalOptions).
  Status CheckCreatable(const std::string& path) const;
  // How folders are reached: reading, a link on the way counts as missing (`missing`);
  // writing, it is an error (local::LinkInTheWay), and missing folders are made if `create`.
  // With copy_links both follow links.
  local::Walk ReadWalk(ErrorCode missing, const char* op = "open") const;
  local::Walk WriteWalk(bool create, ErrorCode missing, const char* op = "mkdir") const;
  // The root's descriptor, opened once (O_PATH; followed, created if the walk creates) and
  // kept for the remote's life, or until this remote removes the root (Rmdir, Purge).
  Result<local::DirFd> Root(const local::Walk& walk) const;
  void ForgetRoot() const;
  // Opens the folder `dir` ("" the root) to work relative to.
  Result<local::DirFd> OpenDir(const std::string& dir, const local::Walk& walk) const;
  // Opens the folder `dir` ("" the root) to read its entries.
  Result<Fd> OpenDirEntries(const std::string& dir, const local::Walk& walk) const;
  // Opens the folder of the object `path` (validated, not empty).
  Result<Located> Locate(const std::string& path, const local::Walk& walk) const;
  // A regular file opened for reading in the common case's fewest calls (no link followed, as
  // ReadWalk without -L), or nullopt: then Locate and OpenRegularFile, which name what stopped
  // it and handle links.
  std::optional<OpenFile> OpenFast(const std::string& path) const;
  // With copy_links: a write to `at` that names a link goes to the link's target, followed
  // to its end (a link through folders that are links too is followed as the kernel would).
  Status FollowFinalLink(Located& at) const;
  // The stat of a located object: kNotFound if missing or not a regular file (a link counts
  // as missing unless copy_links follows it), kIsDir for a directory.
  Result<struct stat> StatObject(const Located& at) const;
  // Whether `path` is a link's object (NAME.rclonelink) under the links option.
  bool IsLink(const std::string& path) const { return options_.links && local::IsLinkObject(path); }
  // One directory entry for List: appended to out, skipped (with a log line), or an error.
  Status AddEntry(int dir_fd, const std::string& rel, const std::string& name,
                  const dev_t* root_dev, std::vector<ObjectInfo>& out) const;
  // Writes src into a temporary for `at` and puts it in place.
  Result<ObjectInfo> WriteObject(const Context& ctx, const std::string& path, Located at,
                                 Reader& src, const PutOptions& opts);
  // Put of a link's object: makes the link.
  Result<ObjectInfo> PutLink(const Context& ctx, const std::string& path, const Located& at,
                             Reader& src, const PutOptions& opts);
  // batchable: may be queued in a batch (not for a move, which then deletes the source).
  Result<ObjectInfo> CopyLocal(const Context& ctx, const Located& from, bool follow_from,
                               const std::string& dst_path, Located to, bool batchable);
  // Sets the mtime and puts the written temporary in place: at once (fsync unless no_fsync,
  // publish) or, in a batch and if batchable, by queueing it for the group commit.
  Result<ObjectInfo> Finalize(local::TempFile tmp, const std::string& path,
                              const TimePoint* mtime, bool batchable = true);

  std::string display_name_;
  std::string root_;
  LocalOptions options_;
  Features features_;
  // Set between StartBatch and FinishBatch, which the caller does not overlap with puts.
  std::unique_ptr<local::CommitBatch> batch_;
  mutable std::mutex root_mu_;
  mutable local::DirFd root_fd_;  // see Root()
};

Result<std::string> LocalRemote::ObjectPath(const std::string& path) const {
  CVC_RETURN_IF_ERROR(ValidatePath(path));
  if (path.empty()) return MakeError(ErrorCode::kIsDir, "local: " + root_ + ": is a directory");
  return Full(path);
}

Status LocalRemote::CheckCreatable(const std::string& path) const {
  if (options_.allow_control_characters || !HasControlCharacter(path)) return Ok();
  return MakeError(ErrorCode::kInvalidArgument,
                   "local: not creating \"" + TerminalSafe(Full(path)) +
                       "\": the name holds a control character (to create it as it is: "
                       "--local-allow-control-characters, or allow_control_characters = true)");
}

local::Walk LocalRemote::ReadWalk(ErrorCode missing, const char* op) const {
  return local::Walk{.follow = options_.copy_links,
                     .create = false,
                     .writing = false,
                     .missing = missing,
                     .op = op};
}

local::Walk LocalRemote::WriteWalk(bool create, ErrorCode missing, const char* op) const {
  return local::Walk{.follow = options_.copy_links,
                     .create = create,
                     .writing = true,
                     .missing = missing,
                     .op = op};
}

Result<local::DirFd> LocalRemote::Root(const local::Walk& walk) const {
  std::lock_guard lock(root_mu_);
  if (root_fd_ == nullptr) {
    CVC_ASSIGN_OR_RETURN(Fd fd, local::OpenRoot(root_, walk));
    root_fd_ = std::make_shared<const Fd>(std::move(fd));
  }
  return root_fd_;
}

void LocalRemote::ForgetRoot() const {
  std::lock_guard lock(root_mu_);
  root_fd_.reset();
}

Result<local::DirFd> LocalRemote::OpenDir(const std::string& dir, const local::Walk& walk) const {
  CVC_ASSIGN_OR_RETURN(local::DirFd root, Root(walk));
  if (dir.empty()) return root;
  CVC_ASSIGN_OR_RETURN(Fd fd, local::OpenBeneath(root->get(), root_, dir, walk));
  return std::make_shared<const Fd>(std::move(fd));
}

Result<Fd> LocalRemote::OpenDirEntries(const std::string& dir, const local::Walk& walk) const {
  CVC_ASSIGN_OR_RETURN(local::DirFd root, Root(walk));
  return local::OpenBeneath(root->get(), root_, dir, walk, O_RDONLY);
}

Result<Located> LocalRemote::Locate(const std::string& path, const local::Walk& walk) const {
  const auto slash = path.rfind('/');
  const std::string parent = slash == std::string::npos ? std::string() : path.substr(0, slash);
  CVC_ASSIGN_OR_RETURN(local::DirFd dir, OpenDir(parent, walk));
  return Located{std::move(dir), path.substr(slash == std::string::npos ? 0 : slash + 1),
                 Full(path)};
}

Status LocalRemote::FollowFinalLink(Located& at) const {
  for (int hop = 0; hop < kMaxLinkHops; ++hop) {
    struct stat st {};
    if (::fstatat(at.dir->get(), at.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISLNK(st.st_mode)) {
      return Ok();  // not a link (or nothing): written here
    }
    CVC_ASSIGN_OR_RETURN(std::string target,
                         local::ReadLinkTarget(at.dir->get(), at.name, at.full));
    while (target.size() > 1 && target.back() == '/') target.pop_back();
    const auto slash = target.rfind('/');
    std::string folder = slash == std::string::npos ? "." : target.substr(0, slash);
    if (folder.empty()) folder = "/";
    std::string name = target.substr(slash == std::string::npos ? 0 : slash + 1);
    if (name.empty() || name == "." || name == "..") {
      return MakeError(ErrorCode::kIsDir, "local: " + at.full + ": a link to a directory");
    }
    Fd dir(::openat(at.dir->get(), folder.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid()) return ErrnoError(errno, "follow link", at.full, ErrorCode::kDirNotFound);
    at.dir = std::make_shared<const Fd>(std::move(dir));
    at.name = std::move(name);
  }
  return MakeError(ErrorCode::kIo, "local: " + at.full + ": too many levels of symbolic links");
}

Result<struct stat> LocalRemote::StatObject(const Located& at) const {
  struct stat st {};
  const int flags = options_.copy_links ? 0 : AT_SYMLINK_NOFOLLOW;
  if (::fstatat(at.dir->get(), at.name.c_str(), &st, flags) != 0) {
    if (errno == ENOTDIR)
      return MakeError(ErrorCode::kNotFound, "local: " + at.full + ": not found");
    return ErrnoError(errno, "stat", at.full);
  }
  if (S_ISDIR(st.st_mode))
    return MakeError(ErrorCode::kIsDir, "local: " + at.full + ": is a directory");
  if (!S_ISREG(st.st_mode)) {
    return MakeError(ErrorCode::kNotFound,
                     "local: " + at.full + ": not a regular file (symlinks are not followed)");
  }
  return st;
}

Result<std::vector<ObjectInfo>> LocalRemote::List(const Context& ctx, const std::string& dir) {
  CVC_RETURN_IF_ERROR(ValidatePath(dir));
  CVC_RETURN_IF_ERROR(ctx.Check());
  const std::string full = Full(dir);
  CVC_ASSIGN_OR_RETURN(Fd fd, OpenDirEntries(dir, ReadWalk(ErrorCode::kDirNotFound, "list")));
  dev_t root_dev = 0;
  if (options_.one_file_system) {
    struct stat root {};
    if (::stat(root_.c_str(), &root) != 0) return ErrnoError(errno, "list", root_);
    root_dev = root.st_dev;
  }
  DIR* d = ::fdopendir(fd.get());
  if (d == nullptr) return ErrnoError(errno, "list", full, ErrorCode::kDirNotFound);
  fd.Release();  // owned by d now
  std::vector<ObjectInfo> out;
  Status added = Ok();
  errno = 0;
  while (struct dirent* ent = ::readdir(d)) {
    std::string name(ent->d_name);
    if (name == "." || name == ".." || local::IsPartialName(name)) {
      errno = 0;
      continue;
    }
    if (!IsValidUtf8(name)) {
      log::Notice("local: skipping {}/{}: name is not valid UTF-8", full, name);
    } else {
      added = AddEntry(::dirfd(d), JoinPath(dir, name), name,
                       options_.one_file_system ? &root_dev : nullptr, out);
      if (!added) break;
    }
    errno = 0;
  }
  int err = errno;
  ::closedir(d);
  CVC_RETURN_IF_ERROR(added);
  if (err != 0) return ErrnoError(err, "list", full, ErrorCode::kDirNotFound);
  return out;
}

Status LocalRemote::AddEntry(int dir_fd, const std::string& rel, const std::string& name,
                             const dev_t* root_dev, std::vector<ObjectInfo>& out) const {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno != ENOENT) log::Notice("local: skipping {}: {}", Full(rel), std::strerror(errno));
    return Ok();
  }
  if (S_ISLNK(st.st_mode)) {
    if (options_.links) {
      out.push_back(InfoFromStat(rel + std::string(local::kLinkSuffix), st));
      return Ok();
    }
    if (!options_.copy_links) {
      if (!options_.skip_links) {
        log::Notice("local: skipping symlink {} (use -L/--copy-links to follow it, -l/--links "
                    "to copy it as a .rclonelink file)",
                    Full(rel));
      }
      return Ok();
    }
    // A link the user asked to follow that leads nowhere: the listing cannot be complete.
    if (::fstatat(dir_fd, name.c_str(), &st, 0) != 0) {
      return MakeError(ErrorCode::kIo, "local: list " + Full(rel) +
                                           ": broken symbolic link (followed with "
                                           "-L/--copy-links): " + std::strerror(errno));
    }
  }
  if (S_ISDIR(st.st_mode)) {
    if (root_dev != nullptr && st.st_dev != *root_dev) {
      log::Info("local: skipping {}: on another filesystem (-x/--one-file-system)", Full(rel));
      return Ok();
    }
    out.push_back(InfoFromStat(rel, st));
  } else if (!S_ISREG(st.st_mode)) {
    log::Notice("local: skipping {}: not a regular file or directory", Full(rel));
  } else if (options_.links && local::IsLinkObject(name)) {
    log::Notice("local: skipping {}: -l/--links keeps names ending in {} for symbolic links",
                Full(rel), local::kLinkSuffix);
  } else {
    out.push_back(InfoFromStat(rel, st));
  }
  return Ok();
}

Result<ObjectInfo> LocalRemote::Stat(const Context& ctx, const std::string& path) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_RETURN_IF_ERROR(ObjectPath(path));
  CVC_ASSIGN_OR_RETURN(Located at, Locate(path, ReadWalk(ErrorCode::kNotFound, "stat")));
  if (IsLink(path)) {
    CVC_ASSIGN_OR_RETURN(struct stat st,
                         local::StatLink(at.dir->get(), local::LinkName(at.name), at.full));
    return InfoFromStat(path, st);
  }
  CVC_ASSIGN_OR_RETURN(struct stat st, StatObject(at));
  return InfoFromStat(path, st);
}

std::optional<OpenFile> LocalRemote::OpenFast(const std::string& path) const {
  if (options_.copy_links || IsLink(path)) return std::nullopt;
  auto root = Root(ReadWalk(ErrorCode::kNotFound));
  if (!root) return std::nullopt;
  Fd fd = local::OpenFileBeneath((*root)->get(), path, O_RDONLY);
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return OpenFile{std::move(fd), st};
}

Result<std::unique_ptr<Reader>> LocalRemote::Open(const Context& ctx, const std::string& path,
                                                  int64_t offset, int64_t count) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_ASSIGN_OR_RETURN(std::string full, ObjectPath(path));
  if (offset < 0)
    return MakeError(ErrorCode::kInvalidArgument, "local: open " + full + ": negative offset");
  std::optional<OpenFile> file = OpenFast(path);
  if (!file) {
    CVC_ASSIGN_OR_RETURN(Located at, Locate(path, ReadWalk(ErrorCode::kNotFound)));
    if (IsLink(path)) {
      CVC_ASSIGN_OR_RETURN(std::string target,
                           local::ReadLinkTarget(at.dir->get(), local::LinkName(at.name), full));
      const size_t from = std::min(target.size(), static_cast<size_t>(offset));
      const size_t n = count < 0 ? std::string::npos : static_cast<size_t>(count);
      return std::unique_ptr<Reader>(std::make_unique<MemoryReader>(target.substr(from, n)));
    }
    CVC_ASSIGN_OR_RETURN(file, OpenRegularFile(at, "open", options_.copy_links));
  }
  Fd fd = std::move(file->fd);
  const int64_t size = file->st.st_size;
  // Larger read-ahead for a file that is more than the default window (128 KiB); a small one
  // is read whole in one or two calls anyway, and the call would be one more per file.
  if (size - offset > kSequentialHintMin) {
    ::posix_fadvise(fd.get(), offset, count < 0 ? 0 : count, POSIX_FADV_SEQUENTIAL);
  }
  const int64_t end = count < 0 || count > size - offset ? size : offset + count;
  return std::unique_ptr<Reader>(std::make_unique<FileReader>(std::move(fd), full, offset, end, file->st));
}

Result<std::unique_ptr<RandomReader>> LocalRemote::OpenRandom(const Context& ctx,
                                                              const std::string& path) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_ASSIGN_OR_RETURN(std::string full, ObjectPath(path));
  CVC_ASSIGN_OR_RETURN(Located at, Locate(path, ReadWalk(ErrorCode::kNotFound)));
  if (IsLink(path)) return Remote::OpenRandom(ctx, path);  // a link's text, as Open gives it
  CVC_ASSIGN_OR_RETURN(OpenFile file, OpenRegularFile(at, "open", options_.copy_links));
  return std::unique_ptr<RandomReader>(
      std::make_unique<local::FileRandomReader>(std::move(file.fd), full));
}

Result<ObjectInfo> LocalRemote::Put(const Context& ctx, const std::string& path, Reader& src,
                                    const PutOptions& opts) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_RETURN_IF_ERROR(ObjectPath(path));
  CVC_RETURN_IF_ERROR(CheckCreatable(path));
  CVC_ASSIGN_OR_RETURN(Located at,
                       Locate(path, WriteWalk(/*create=*/true, ErrorCode::kDirNotFound)));
  if (IsLink(path)) return PutLink(ctx, path, at, src, opts);
  if (options_.copy_links) CVC_RETURN_IF_ERROR(FollowFinalLink(at));
  return WriteObject(ctx, path, std::move(at), src, opts);
}

Result<ObjectInfo> LocalRemote::PutLink(const Context& ctx, const std::string& path,
                                        const Located& at, Reader& src, const PutOptions& opts) {
  CVC_ASSIGN_OR_RETURN(std::string target,
                       local::ReadLinkSource(ctx, src, opts, features_.hashes, at.full));
  CVC_RETURN_IF_ERROR(ctx.Check());
  const bool has_mtime = opts.mtime != TimePoint{};
  CVC_ASSIGN_OR_RETURN(struct stat st,
                       local::WriteLink(at.dir->get(), local::LinkName(at.name), target,
                                        has_mtime ? &opts.mtime : nullptr, at.full));
  return InfoFromStat(path, st);
}

Result<ObjectInfo> LocalRemote::WriteObject(const Context& ctx, const std::string& path,
                                            Located at, Reader& src, const PutOptions& opts) {
  const std::string full = at.full;
  CVC_ASSIGN_OR_RETURN(local::TempFile tmp,
                       local::TempFile::Create(std::move(at.dir), std::move(at.name), full,
                                               /*replace_links=*/options_.links));
  // Verify the hashes the caller knows, if we can compute them.
  const HashSet verify = [&] {
    HashSet s;
    for (const auto& [type, value] : opts.hashes) {
      if (!value.empty() && features_.hashes.Has(type)) s.Add(type);
    }
    return s;
  }();
  Hasher hasher(verify);
  // A large file that will be synced anyway skips the page cache: it is read straight into the
  // direct writer's blocks.
  std::unique_ptr<local::DirectWriter> direct;
  if (options_.fsync && opts.size >= local::kDirectWriteMin) {
    direct = local::DirectWriter::Start(tmp.fd(), tmp.path());
  }
  // A small object needs no 1 MiB buffer (one more byte than its size detects a longer stream).
  const size_t buf_size =
      direct != nullptr ? 0
      : opts.size >= 0
          ? std::clamp<size_t>(static_cast<size_t>(opts.size) + 1, 4096, kCopyBufferSize)
          : kCopyBufferSize;
  auto storage = std::make_unique_for_overwrite<std::byte[]>(buf_size);
  int64_t total = 0;
  int64_t written_back = 0;  // bytes whose writeback was started
  for (;;) {
    CVC_RETURN_IF_ERROR(ctx.Check());
    std::span<std::byte> space(storage.get(), buf_size);
    if (direct != nullptr) {
      CVC_ASSIGN_OR_RETURN(space, direct->Buffer());
    }
    auto n = src.Read(space);
    if (!n) return Propagate(n.error(), "local: put " + full);
    if (*n == 0) break;
    const std::span<const std::byte> data = space.first(*n);
    if (!verify.Empty()) hasher.Update(data);
    total += static_cast<int64_t>(*n);
    if (direct != nullptr) {
      direct->Commit(*n);
    } else {
      CVC_RETURN_IF_ERROR(local::WriteAll(tmp.fd(), data.data(), data.size(), tmp.path()));
      if (options_.fsync && total - written_back >= local::kWriteBackChunk) {
        local::StartWriteBack(tmp.fd(), written_back, total - written_back);
        written_back = total;
      }
    }
    if (opts.size >= 0 && total > opts.size) break;
  }
  if (direct != nullptr) CVC_RETURN_IF_ERROR(direct->Finish());
  if (opts.size >= 0 && total != opts.size) {
    return MakeError(ErrorCode::kCorrupt,
                     "local: put " + full + ": size mismatch: expected " +
                         std::to_string(opts.size) + " bytes, got " +
                         (total > opts.size ? "more" : std::to_string(total)),
                     RetryClass::kRetryable);
  }
  if (!verify.Empty()) {
    for (const auto& [type, got] : hasher.Finish()) {
      if (got != opts.hashes.at(type)) {
        return MakeError(ErrorCode::kCorrupt,
                         std::string("local: put ") + full + ": " + HashName(type) + " mismatch",
                         RetryClass::kRetryable);
      }
    }
  }
  CVC_RETURN_IF_ERROR(ctx.Check());
  const bool has_mtime = opts.mtime != TimePoint{};
  // A directly written file is synced on its own: its fsync only has metadata and the disk's
  // cache to flush, where a group's syncfs would also wait for every other dirty page.
  return Finalize(std::move(tmp), path, has_mtime ? &opts.mtime : nullptr,
                  /*batchable=*/direct == nullptr);
}

Result<ObjectInfo> LocalRemote::Finalize(local::TempFile tmp, const std::string& path,
                                         const TimePoint* mtime, bool batchable) {
  if (batch_ == nullptr || !batchable) {
    CVC_ASSIGN_OR_RETURN(struct stat st, tmp.Commit(mtime, options_.fsync));
    return InfoFromStat(path, st);
  }
  CVC_ASSIGN_OR_RETURN(struct stat st, tmp.Seal(mtime, /*fsync=*/false));
  CVC_RETURN_IF_ERROR(batch_->Add(std::move(tmp), path, st.st_size, st.st_dev));
  return InfoFromStat(path, st);
}

void LocalRemote::StartBatch(BatchFailure on_failure) {
  if (!features_.batch_commit || batch_ != nullptr) return;
  batch_ = std::make_unique<local::CommitBatch>(std::move(on_failure));
}

Status LocalRemote::FinishBatch(const Context& ctx) {
  if (batch_ == nullptr) return Ok();
  Status st = batch_->Finish(ctx);
  batch_.reset();
  return st;
}

Status LocalRemote::Delete(const Context& ctx, const std::string& path) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_ASSIGN_OR_RETURN(std::string full, ObjectPath(path));
  if (batch_ != nullptr && batch_->Discard(full)) return Ok();
  CVC_ASSIGN_OR_RETURN(Located at,
                       Locate(path, WriteWalk(/*create=*/false, ErrorCode::kNotFound, "delete")));
  if (IsLink(path)) {
    const std::string link = local::LinkName(at.name);
    CVC_RETURN_IF_ERROR(local::StatLink(at.dir->get(), link, full));
    if (::unlinkat(at.dir->get(), link.c_str(), 0) != 0) return ErrnoError(errno, "delete", full);
    return Ok();
  }
  // kNotFound, kIsDir; a link counts as missing (with copy_links the link itself is removed).
  CVC_RETURN_IF_ERROR(StatObject(at));
  if (::unlinkat(at.dir->get(), at.name.c_str(), 0) != 0) return ErrnoError(errno, "delete", full);
  return Ok();
}

Status LocalRemote::Mkdir(const Context& ctx, const std::string& dir) {
  CVC_RETURN_IF_ERROR(ValidatePath(dir));
  CVC_RETURN_IF_ERROR(CheckCreatable(dir));
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_RETURN_IF_ERROR(OpenDir(dir, WriteWalk(/*create=*/true, ErrorCode::kDirNotFound)));
  return Ok();
}

Status LocalRemote::Rmdir(const Context& ctx, const std::string& dir) {
  CVC_RETURN_IF_ERROR(ValidatePath(dir));
  CVC_RETURN_IF_ERROR(ctx.Check());
  const std::string full = Full(dir);
  int err = 0;
  if (dir.empty()) {
    if (::rmdir(full.c_str()) != 0) err = errno;
    if (err == 0) ForgetRoot();
  } else {
    CVC_ASSIGN_OR_RETURN(
        Located at, Locate(dir, WriteWalk(/*create=*/false, ErrorCode::kDirNotFound, "rmdir")));
    if (::unlinkat(at.dir->get(), at.name.c_str(), AT_REMOVEDIR) != 0) err = errno;
  }
  if (err == 0) return Ok();
  if (err == EEXIST || err == ENOTEMPTY)
    return MakeError(ErrorCode::kDirNotEmpty, "local: rmdir " + full + ": directory not empty");
  return ErrnoError(err, "rmdir", full, ErrorCode::kDirNotFound);
}

Status LocalRemote::Purge(const Context& ctx, const std::string& dir) {
  CVC_RETURN_IF_ERROR(ValidatePath(dir));
  CVC_RETURN_IF_ERROR(ctx.Check());
  const std::string full = Full(dir);
  struct stat st {};
  if (dir.empty()) {
    if (::lstat(full.c_str(), &st) != 0)
      return ErrnoError(errno, "purge", full, ErrorCode::kDirNotFound);
    if (!S_ISDIR(st.st_mode))
      return MakeError(ErrorCode::kNotDir, "local: purge " + full + ": not a directory");
    ForgetRoot();
    return local::RemoveTree(ctx, full);
  }
  CVC_ASSIGN_OR_RETURN(Located at,
                       Locate(dir, WriteWalk(/*create=*/false, ErrorCode::kDirNotFound, "purge")));
  if (::fstatat(at.dir->get(), at.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return ErrnoError(errno, "purge", full, ErrorCode::kDirNotFound);
  if (S_ISLNK(st.st_mode)) return local::LinkInTheWay(full);  // never removes through a link
  if (!S_ISDIR(st.st_mode))
    return MakeError(ErrorCode::kNotDir, "local: purge " + full + ": not a directory");
  return local::RemoveTreeAt(ctx, at.dir->get(), at.name, full);
}

Result<ObjectInfo> LocalRemote::CopyLocal(const Context& ctx, const Located& from,
                                          bool follow_from, const std::string& dst_path,
                                          Located to, bool batchable) {
  CVC_ASSIGN_OR_RETURN(OpenFile file, OpenRegularFile(from, "copy", follow_from));
  const Fd& in = file.fd;
  const struct stat& st = file.st;
  const std::string dst_full = to.full;
  CVC_ASSIGN_OR_RETURN(local::TempFile tmp,
                       local::TempFile::Create(std::move(to.dir), std::move(to.name), dst_full,
                                               /*replace_links=*/options_.links));
  CVC_ASSIGN_OR_RETURN(int64_t copied,
                       local::CopyFileData(ctx, in.get(), tmp.fd(), from.full, tmp.path(),
                                           st.st_size, /*write_back=*/options_.fsync));
  if (copied != static_cast<int64_t>(st.st_size)) {
    return MakeError(ErrorCode::kCorrupt,
                     "local: copy " + from.full + ": file changed while copying",
                     RetryClass::kRetryable);
  }
  const TimePoint mtime = local::FromTimespec(st.st_mtim);
  return Finalize(std::move(tmp), dst_path, &mtime, batchable);
}

Result<ObjectInfo> LocalRemote::Copy(const Context& ctx, Remote& src, const std::string& src_path,
                                     const std::string& dst_path) {
  auto* src_local = dynamic_cast<LocalRemote*>(&src);
  // A link's object is copied as its content, by the caller (Open and Put).
  if (src_local == nullptr || src_local->IsLink(src_path) || IsLink(dst_path)) {
    return Remote::Copy(ctx, src, src_path, dst_path);
  }
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_RETURN_IF_ERROR(src_local->ObjectPath(src_path));
  CVC_RETURN_IF_ERROR(ObjectPath(dst_path));
  CVC_RETURN_IF_ERROR(CheckCreatable(dst_path));
  CVC_ASSIGN_OR_RETURN(Located from,
                       src_local->Locate(src_path, src_local->ReadWalk(ErrorCode::kNotFound)));
  CVC_ASSIGN_OR_RETURN(Located to,
                       Locate(dst_path, WriteWalk(/*create=*/true, ErrorCode::kDirNotFound)));
  if (options_.copy_links) CVC_RETURN_IF_ERROR(FollowFinalLink(to));
  return CopyLocal(ctx, from, src_local->options_.copy_links, dst_path, std::move(to),
                   /*batchable=*/true);
}

Result<ObjectInfo> LocalRemote::Move(const Context& ctx, Remote& src, const std::string& src_path,
                                     const std::string& dst_path) {
  auto* src_local = dynamic_cast<LocalRemote*>(&src);
  if (src_local == nullptr || src_local->IsLink(src_path) || IsLink(dst_path)) {
    return Remote::Move(ctx, src, src_path, dst_path);
  }
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_RETURN_IF_ERROR(src_local->ObjectPath(src_path));
  CVC_RETURN_IF_ERROR(ObjectPath(dst_path));
  CVC_RETURN_IF_ERROR(CheckCreatable(dst_path));
  CVC_ASSIGN_OR_RETURN(
      Located from,
      src_local->Locate(src_path, src_local->WriteWalk(/*create=*/false, ErrorCode::kNotFound,
                                                       "move")));
  CVC_RETURN_IF_ERROR(src_local->StatObject(from));
  CVC_ASSIGN_OR_RETURN(Located to,
                       Locate(dst_path, WriteWalk(/*create=*/true, ErrorCode::kDirNotFound)));
  if (options_.copy_links) CVC_RETURN_IF_ERROR(FollowFinalLink(to));
  struct stat st {};
  if (::fstatat(to.dir->get(), to.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISDIR(st.st_mode)) {
      return MakeError(ErrorCode::kIsDir,
                       "local: move to " + to.full + ": a directory is in the way");
    }
    if (S_ISLNK(st.st_mode) && !options_.links) return local::LinkNotReplaced(to.full);
  }
  if (::renameat(from.dir->get(), from.name.c_str(), to.dir->get(), to.name.c_str()) != 0) {
    if (errno != EXDEV) return ErrnoError(errno, "move to", to.full);
    // Another filesystem: copy, then remove the source.
    CVC_ASSIGN_OR_RETURN(ObjectInfo info,
                         CopyLocal(ctx, from, src_local->options_.copy_links, dst_path,
                                   std::move(to), /*batchable=*/false));
    if (::unlinkat(from.dir->get(), from.name.c_str(), 0) != 0) {
      return ErrnoError(errno, "remove", from.full);
    }
    return info;
  }
  if (::fstatat(to.dir->get(), to.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return ErrnoError(errno, "stat", to.full);
  return InfoFromStat(dst_path, st);
}

Status LocalRemote::SetModTime(const Context& ctx, const std::string& path, TimePoint mtime) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_ASSIGN_OR_RETURN(std::string full, ObjectPath(path));
  CVC_ASSIGN_OR_RETURN(
      Located at, Locate(path, WriteWalk(/*create=*/false, ErrorCode::kNotFound, "set mtime of")));
  std::string name = at.name;
  int flags = AT_SYMLINK_NOFOLLOW;
  if (IsLink(path)) {
    name = local::LinkName(at.name);
    CVC_RETURN_IF_ERROR(local::StatLink(at.dir->get(), name, full));
  } else {
    CVC_RETURN_IF_ERROR(StatObject(at));
    if (options_.copy_links) flags = 0;
  }
  struct timespec times[2] = {local::ToTimespec(mtime), local::ToTimespec(mtime)};
  if (::utimensat(at.dir->get(), name.c_str(), times, flags) != 0) {
    return ErrnoError(errno, "set mtime of", full);
  }
  return Ok();
}

Result<std::string> LocalRemote::Hash(const Context& ctx, const std::string& path, HashType type) {
  if (!features_.hashes.Has(type)) return Remote::Hash(ctx, path, type);
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, Open(ctx, path, 0, -1));
  CVC_ASSIGN_OR_RETURN(auto sums, HashReader(ctx, *reader, HashSet{type}));
  return sums[type];
}

// "" → "."; keeps "/" as is and drops other trailing slashes so joined paths have one separator.
std::string CleanRoot(const std::string& root) {
  std::string clean = root.empty() ? "." : root;
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  return clean;
}

Result<std::unique_ptr<Remote>> MakeLocalRemote(const std::string& display_name,
                                                const std::string& root,
                                                const LocalOptions& options) {
  if (root.find('\0') != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "local: root path contains a NUL byte");
  }
  if (options.links && options.copy_links) {
    return MakeError(ErrorCode::kUsage, "local: can't use -l/--links with -L/--copy-links");
  }
  return std::unique_ptr<Remote>(std::make_unique<LocalRemote>(
      display_name.empty() ? CleanRoot(root) : display_name, CleanRoot(root), options));
}

}  // namespace

// The root as the kernel resolves it: absolute, "." and ".." gone, every symlink of the part that
// exists followed, so two spellings of one folder compare equal.
StorageLocation LocalRemote::StorageRoot() const {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(root_.empty() ? "." : root_, ec);
  if (!ec) p = std::filesystem::weakly_canonical(p, ec);
  if (ec) return {};
  std::string path = p.lexically_normal().generic_string();
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return {.storage = "local", .path = path, .view = ""};
}

Result<std::unique_ptr<Remote>> NewLocalRemote(const std::string& root) {
  return MakeLocalRemote(root.empty() ? "." : root, root, LocalOptions{});
}

Result<std::unique_ptr<Remote>> NewLocalRemote(const std::string& root,
                                               const std::string& display_name,
                                               const LocalOptions& options) {
  return MakeLocalRemote(display_name, root, options);
}

}  // namespace cvclone
