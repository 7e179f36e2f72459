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
#include <vector>

#include "backends/local/local_batch.hpp"
#include "backends/local/local_direct.hpp"
#include "backends/local/local_fs.hpp"
#include "core/io.hpp"
#include "core/log.hpp"

namespace cvclone {
namespace {

using local::ErrnoError;
using local::Fd;

// Reads [offset, end) of a file; end is the size the file had when opened, or the range's end,
// so the end of the data needs no last call that returns 0. A piece of at most kWholeMax bytes
// is read whole by the first Read that asks for less (crypt asks for a 32-byte header, then for
// the rest), so a small file costs one pread.
class FileReader : public Reader {
 public:
  static constexpr int64_t kWholeMax = 128 << 10;

  // opened: the file's fstat when it was opened. Once the range's last byte is read (or the
  // file ends early) the file must still have that size and mtime, else the read fails with a
  // retryable kCorrupt "source file changed during copy": what is read is one version, whole.
  FileReader(Fd fd, std::string path, int64_t offset, int64_t end, const struct stat& opened)
      : fd_(std::move(fd)), path_(std::move(path)), pos_(offset), end_(end), opened_(opened) {}

  Result<size_t> Read(std::span<std::byte> buf) override {
    if (failed_) return MakeError(ErrorCode::kIo, "local: read " + path_ + ": earlier error");
    if (held_pos_ < held_len_) {
      const size_t n = std::min(buf.size(), held_len_ - held_pos_);
      std::memcpy(buf.data(), held_.get() + held_pos_, n);
      held_pos_ += n;
      return n;
    }
    const int64_t left = end_ - pos_;
    if (left <= 0 || buf.empty()) return size_t{0};
    if (held_ == nullptr && left <= kWholeMax && static_cast<int64_t>(buf.size()) < left) {
      held_ = std::make_unique_for_overwrite<std::byte[]>(static_cast<size_t>(left));
      CVC_ASSIGN_OR_RETURN(held_len_, Pread(std::span<std::byte>(held_.get(), left)));
      held_pos_ = 0;
      return Read(buf);
    }
    return Pread(buf.first(static_cast<size_t>(std::min<int64_t>(left, buf.size()))));
  }

 private:
  Result<size_t> Pread(std::span<std::byte> buf) {
    for (;;) {
      ssize_t n = ::pread(fd_.get(), buf.data(), buf.size(), pos_);
      if (n >= 0) {
        pos_ += n;
        if (n == 0 || pos_ >= end_) CVC_RETURN_IF_ERROR(CheckUnchanged());
        return static_cast<size_t>(n);
      }
      if (errno == EINTR) continue;
      failed_ = true;
      return ErrnoError(errno, "read", path_);
    }
  }

  Status CheckUnchanged() {
    struct stat now {};
    if (::fstat(fd_.get(), &now) != 0) {
      failed_ = true;
      return ErrnoError(errno, "stat", path_);
    }
    if (now.st_size == opened_.st_size && now.st_mtim.tv_sec == opened_.st_mtim.tv_sec &&
        now.st_mtim.tv_nsec == opened_.st_mtim.tv_nsec) {
      return Ok();
    }
    failed_ = true;
    return MakeError(ErrorCode::kCorrupt, "local: " + path_ + ": source file changed during copy",
                     RetryClass::kRetryable);
  }

  Fd fd_;
  std::string path_;
  int64_t pos_;
  int64_t end_;
  struct stat opened_;
  std::unique_ptr<std::byte[]> held_;  // a small piece read whole
  size_t held_len_ = 0, held_pos_ = 0;
  bool failed_ = false;
};

ObjectInfo InfoFromStat(const std::string& path, const struct stat& st) {
  ObjectInfo info;
  info.path = path;
  info.is_dir = S_ISDIR(st.st_mode);
  info.size = info.is_dir ? 0 : static_cast<int64_t>(st.st_size);
  info.mtime = local::FromTimespec(st.st_mtim);
  return info;
}

constexpr int64_t kSequentialHintMin = 256 << 10;

struct OpenFile {
  Fd fd;
  struct stat st;
};

// Opens a regular file for reading without following a final symlink. A symlink, or a file in
// the middle of the path, counts as missing (kNotFound); a directory is kIsDir.
Result<OpenFile> OpenRegularFile(const std::string& full, const char* op) {
  const std::string what = std::string("local: ") + op + " " + full;
  Fd fd(::open(full.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ELOOP || errno == ENOTDIR)
      return MakeError(ErrorCode::kNotFound, what + ": not found");
    return ErrnoError(errno, op, full);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, "stat", full);
  if (S_ISDIR(st.st_mode)) return MakeError(ErrorCode::kIsDir, what + ": is a directory");
  if (!S_ISREG(st.st_mode)) return MakeError(ErrorCode::kNotFound, what + ": not a regular file");
  return OpenFile{std::move(fd), st};
}

class LocalRemote : public Remote {
 public:
  LocalRemote(std::string display_name, std::string root, const LocalOptions& options)
      : display_name_(std::move(display_name)), root_(std::move(root)), options_(options) {
    features_.server_side_copy = true;
    features_.server_side_move = true;
    features_.purge = true;
    features_.set_modtime = true;
    features_.empty_dirs = true;
    features_.hashes = HashSet{HashType::kMd5, HashType::kSha1};
    features_.mtime_precision = std::chrono::nanoseconds(1);
    features_.slow_hash = true;
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
  std::string Full(const std::string& rel) const {
    if (rel.empty()) return root_;
    return root_.back() == '/' ? root_ + rel : root_ + "/" + rel;
  }

 private:
  // Validates an object path (not the root) and returns its full path.
  Result<std::string> ObjectPath(const std::string& path) const;
  // lstat of an object: kNotFound if missing or a symlink/special file, kIsDir for a directory.
  Result<struct stat> StatObject(const std::string& full) const;
  // Writes src into a temporary for full and puts it in place.
  Result<ObjectInfo> WriteObject(const Context& ctx, const std::string& path,
                                 const std::string& full, Reader& src, const PutOptions& opts);
  // batchable: may be queued in a batch (not for a move, which then deletes the source).
  Result<ObjectInfo> CopyLocal(const Context& ctx, const std::string& src_full,
                               const std::string& dst_path, const std::string& dst_full,
                               bool batchable);
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
};

Result<std::string> LocalRemote::ObjectPath(const std::string& path) const {
  CVC_RETURN_IF_ERROR(ValidatePath(path));
  if (path.empty()) return MakeError(ErrorCode::kIsDir, "local: " + root_ + ": is a directory");
  return Full(path);
}

Result<struct stat> LocalRemote::StatObject(const std::string& full) const {
  struct stat st {};
  if (::lstat(full.c_str(), &st) != 0) {
    if (errno == ENOTDIR) return MakeError(ErrorCode::kNotFound, "local: " + full + ": not found");
    return ErrnoError(errno, "stat", full);
  }
  if (S_ISDIR(st.st_mode))
    return MakeError(ErrorCode::kIsDir, "local: " + full + ": is a directory");
  if (!S_ISREG(st.st_mode)) {
    return MakeError(ErrorCode::kNotFound,
                     "local: " + full + ": not a regular file (symlinks are not followed)");
  }
  return st;
}

Result<std::vector<ObjectInfo>> LocalRemote::List(const Context& ctx, const std::string& dir) {
  CVC_RETURN_IF_ERROR(ValidatePath(dir));
  CVC_RETURN_IF_ERROR(ctx.Check());
  const std::string full = Full(dir);
  Fd fd(::open(full.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, "list", full, ErrorCode::kDirNotFound);
  DIR* d = ::fdopendir(fd.get());
  if (d == nullptr) return ErrnoError(errno, "list", full, ErrorCode::kDirNotFound);
  fd.Release();  // owned by d now
  std::vector<ObjectInfo> out;
  errno = 0;
  while (struct dirent* ent = ::readdir(d)) {
    std::string name(ent->d_name);
    if (name == "." || name == ".." || local::IsPartialName(name)) {
      errno = 0;
      continue;
    }
    const std::string rel = JoinPath(dir, name);
    struct stat st {};
    if (!IsValidUtf8(name)) {
      log::Notice("local: skipping {}/{}: name is not valid UTF-8", full, name);
    } else if (::fstatat(::dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) log::Notice("local: skipping {}: {}", Full(rel), std::strerror(errno));
    } else if (S_ISLNK(st.st_mode)) {
      log::Notice("local: skipping symlink {}", Full(rel));
    } else if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
      out.push_back(InfoFromStat(rel, st));
    } else {
      log::Notice("local: skipping {}: not a regular file or directory", Full(rel));
    }
    errno = 0;
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) return ErrnoError(err, "list", full, ErrorCode::kDirNotFound);
  return out;
}

Result<ObjectInfo> LocalRemote::Stat(const Context& ctx, const std::string& path) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_ASSIGN_OR_RETURN(std::string full, ObjectPath(path));
  CVC_ASSIGN_OR_RETURN(struct stat st, StatObject(full));
  return InfoFromStat(path, st);
}

Result<std::unique_ptr<Reader>> LocalRemote::Open(const Context& ctx, const std::string& path,
                                                  int64_t offset, int64_t count) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_ASSIGN_OR_RETURN(std::string full, ObjectPath(path));
  if (offset < 0)
    return MakeError(ErrorCode::kInvalidArgument, "local: open " + full + ": negative offset");
  CVC_ASSIGN_OR_RETURN(OpenFile file, OpenRegularFile(full, "open"));
  Fd fd = std::move(file.fd);
  const int64_t size = file.st.st_size;
  // Larger read-ahead for a file that is more than the default window (128 KiB); a small one
  // is read whole in one or two calls anyway, and the call would be one more per file.
  if (size - offset > kSequentialHintMin) {
    ::posix_fadvise(fd.get(), offset, count < 0 ? 0 : count, POSIX_FADV_SEQUENTIAL);
  }
  const int64_t end = count < 0 || count > size - offset ? size : offset + count;
  return std::unique_ptr<Reader>(std::make_unique<FileReader>(std::move(fd), full, offset, end, file.st));
}

Result<ObjectInfo> LocalRemote::Put(const Context& ctx, const std::string& path, Reader& src,
                                    const PutOptions& opts) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_ASSIGN_OR_RETURN(std::string full, ObjectPath(path));
  return WriteObject(ctx, path, full, src, opts);
}

Result<ObjectInfo> LocalRemote::WriteObject(const Context& ctx, const std::string& path,
                                            const std::string& full, Reader& src,
                                            const PutOptions& opts) {
  CVC_ASSIGN_OR_RETURN(local::TempFile tmp, local::TempFile::Create(full));
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
  CVC_RETURN_IF_ERROR(StatObject(full));  // kNotFound, kIsDir; symlinks count as missing
  if (::unlink(full.c_str()) != 0) return ErrnoError(errno, "delete", full);
  return Ok();
}

Status LocalRemote::Mkdir(const Context& ctx, const std::string& dir) {
  CVC_RETURN_IF_ERROR(ValidatePath(dir));
  CVC_RETURN_IF_ERROR(ctx.Check());
  return local::MkdirAll(Full(dir));
}

Status LocalRemote::Rmdir(const Context& ctx, const std::string& dir) {
  CVC_RETURN_IF_ERROR(ValidatePath(dir));
  CVC_RETURN_IF_ERROR(ctx.Check());
  const std::string full = Full(dir);
  if (::rmdir(full.c_str()) != 0) {
    if (errno == EEXIST)
      return MakeError(ErrorCode::kDirNotEmpty, "local: rmdir " + full + ": directory not empty");
    return ErrnoError(errno, "rmdir", full, ErrorCode::kDirNotFound);
  }
  return Ok();
}

Status LocalRemote::Purge(const Context& ctx, const std::string& dir) {
  CVC_RETURN_IF_ERROR(ValidatePath(dir));
  CVC_RETURN_IF_ERROR(ctx.Check());
  const std::string full = Full(dir);
  struct stat st {};
  if (::lstat(full.c_str(), &st) != 0)
    return ErrnoError(errno, "purge", full, ErrorCode::kDirNotFound);
  if (!S_ISDIR(st.st_mode))
    return MakeError(ErrorCode::kNotDir, "local: purge " + full + ": not a directory");
  return local::RemoveTree(ctx, full);
}

Result<ObjectInfo> LocalRemote::CopyLocal(const Context& ctx, const std::string& src_full,
                                          const std::string& dst_path,
                                          const std::string& dst_full, bool batchable) {
  CVC_ASSIGN_OR_RETURN(OpenFile file, OpenRegularFile(src_full, "copy"));
  const Fd& in = file.fd;
  const struct stat& st = file.st;
  CVC_ASSIGN_OR_RETURN(local::TempFile tmp, local::TempFile::Create(dst_full));
  CVC_ASSIGN_OR_RETURN(int64_t copied,
                       local::CopyFileData(ctx, in.get(), tmp.fd(), src_full, tmp.path(),
                                           st.st_size, /*write_back=*/options_.fsync));
  if (copied != static_cast<int64_t>(st.st_size)) {
    return MakeError(ErrorCode::kCorrupt,
                     "local: copy " + src_full + ": file changed while copying",
                     RetryClass::kRetryable);
  }
  const TimePoint mtime = local::FromTimespec(st.st_mtim);
  return Finalize(std::move(tmp), dst_path, &mtime, batchable);
}

Result<ObjectInfo> LocalRemote::Copy(const Context& ctx, Remote& src, const std::string& src_path,
                                     const std::string& dst_path) {
  auto* src_local = dynamic_cast<LocalRemote*>(&src);
  if (src_local == nullptr) return Remote::Copy(ctx, src, src_path, dst_path);
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_ASSIGN_OR_RETURN(std::string src_full, src_local->ObjectPath(src_path));
  CVC_ASSIGN_OR_RETURN(std::string dst_full, ObjectPath(dst_path));
  return CopyLocal(ctx, src_full, dst_path, dst_full, /*batchable=*/true);
}

Result<ObjectInfo> LocalRemote::Move(const Context& ctx, Remote& src, const std::string& src_path,
                                     const std::string& dst_path) {
  auto* src_local = dynamic_cast<LocalRemote*>(&src);
  if (src_local == nullptr) return Remote::Move(ctx, src, src_path, dst_path);
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_ASSIGN_OR_RETURN(std::string src_full, src_local->ObjectPath(src_path));
  CVC_ASSIGN_OR_RETURN(std::string dst_full, ObjectPath(dst_path));
  CVC_RETURN_IF_ERROR(StatObject(src_full));
  CVC_RETURN_IF_ERROR(local::MkdirAll(Full(ParentPath(dst_path))));
  struct stat st {};
  if (::lstat(dst_full.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kIsDir,
                     "local: move to " + dst_full + ": a directory is in the way");
  }
  if (::rename(src_full.c_str(), dst_full.c_str()) != 0) {
    if (errno != EXDEV) return ErrnoError(errno, "move to", dst_full);
    // Another filesystem: copy, then remove the source.
    CVC_ASSIGN_OR_RETURN(ObjectInfo info, CopyLocal(ctx, src_full, dst_path, dst_full,
                                                     /*batchable=*/false));
    if (::unlink(src_full.c_str()) != 0) return ErrnoError(errno, "remove", src_full);
    return info;
  }
  if (::lstat(dst_full.c_str(), &st) != 0) return ErrnoError(errno, "stat", dst_full);
  return InfoFromStat(dst_path, st);
}

Status LocalRemote::SetModTime(const Context& ctx, const std::string& path, TimePoint mtime) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_ASSIGN_OR_RETURN(std::string full, ObjectPath(path));
  CVC_RETURN_IF_ERROR(StatObject(full));
  struct timespec times[2] = {local::ToTimespec(mtime), local::ToTimespec(mtime)};
  if (::utimensat(AT_FDCWD, full.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
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
