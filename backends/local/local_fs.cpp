#include "backends/local/local_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "core/io.hpp"
#include "core/log.hpp"

namespace cvclone::local {

bool IsPartialName(std::string_view name) {
  return name.size() > kPartialSuffix.size() + 1 && name.front() == '.' &&
         name.ends_with(kPartialSuffix);
}

Unexpected<Error> ErrnoError(int err, const std::string& op, const std::string& path,
                             ErrorCode enoent_code) {
  ErrorCode code = ErrorCode::kIo;
  std::string text;
  switch (err) {
    case ENOENT:
      code = enoent_code;
      break;
    case EACCES:
    case EPERM:
      code = ErrorCode::kPermission;
      text = "permission denied";
      break;
    case ENOSPC:
    case EDQUOT:
      code = ErrorCode::kNoSpace;
      text = "no space left on device";
      break;
    case ENOTDIR:
      code = ErrorCode::kNotDir;
      break;
    case EISDIR:
      code = ErrorCode::kIsDir;
      break;
    case ENOTEMPTY:
      code = ErrorCode::kDirNotEmpty;
      break;
    case EEXIST:
      code = ErrorCode::kExists;
      break;
    default:
      break;
  }
  if (text.empty()) {
    text = std::strerror(err);
    if (!text.empty())
      text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return MakeError(code, "local: " + op + " " + path + ": " + text);
}

// ---- Fd ----

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    Reset();
    fd_ = other.Release();
  }
  return *this;
}

void Fd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status Fd::Close(const std::string& path) {
  int fd = Release();
  if (fd >= 0 && ::close(fd) != 0 && errno != EINTR) return ErrnoError(errno, "close", path);
  return Ok();
}

struct timespec ToTimespec(TimePoint t) {
  const auto ns = t.time_since_epoch().count();
  struct timespec ts {};
  ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  if (ts.tv_nsec < 0) {  // times before 1970 round towards -infinity
    ts.tv_nsec += 1'000'000'000;
    ts.tv_sec -= 1;
  }
  return ts;
}

TimePoint FromTimespec(const struct timespec& ts) {
  return TimePoint(
      std::chrono::nanoseconds(static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec));
}

// ---- directories ----

static std::string ParentOf(const std::string& path) {
  auto pos = path.find_last_not_of('/');
  if (pos == std::string::npos) return "";
  pos = path.rfind('/', pos);
  if (pos == std::string::npos) return "";
  auto end = path.find_last_not_of('/', pos);
  return end == std::string::npos ? "/" : path.substr(0, end + 1);
}

Status MkdirAll(const std::string& dir) {
  if (dir.empty()) return Ok();
  if (::mkdir(dir.c_str(), 0777) == 0) return Ok();
  int err = errno;
  if (err == ENOENT) {
    std::string parent = ParentOf(dir);
    if (parent.empty() || parent == dir) return ErrnoError(err, "mkdir", dir);
    CVC_RETURN_IF_ERROR(MkdirAll(parent));
    if (::mkdir(dir.c_str(), 0777) == 0) return Ok();
    err = errno;
  }
  if (err == EEXIST) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Ok();
    return MakeError(ErrorCode::kNotDir, "local: mkdir " + dir + ": a file is in the way");
  }
  return ErrnoError(err, "mkdir", dir, ErrorCode::kDirNotFound);
}

static Result<std::vector<std::string>> ReadNames(int dir_fd, const std::string& path) {
  int fd = ::dup(dir_fd);
  if (fd < 0) return ErrnoError(errno, "opendir", path, ErrorCode::kDirNotFound);
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    int err = errno;
    ::close(fd);
    return ErrnoError(err, "opendir", path, ErrorCode::kDirNotFound);
  }
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* ent = ::readdir(d)) {
    std::string_view name(ent->d_name);
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) return ErrnoError(err, "readdir", path);
  return names;
}

Status RemoveTreeAt(const Context& ctx, int parent_fd, const std::string& name,
                    const std::string& path) {
  Fd fd(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, "open", path, ErrorCode::kDirNotFound);
  CVC_ASSIGN_OR_RETURN(std::vector<std::string> names, ReadNames(fd.get(), path));
  for (const std::string& child : names) {
    CVC_RETURN_IF_ERROR(ctx.Check());
    const std::string child_path = path + "/" + child;
    struct stat st {};
    if (::fstatat(fd.get(), child.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return ErrnoError(errno, "stat", child_path);
    }
    if (S_ISDIR(st.st_mode)) {
      CVC_RETURN_IF_ERROR(RemoveTreeAt(ctx, fd.get(), child, child_path));
    } else if (::unlinkat(fd.get(), child.c_str(), 0) != 0 && errno != ENOENT) {
      return ErrnoError(errno, "remove", child_path);
    }
  }
  fd.Reset();
  if (::unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR) != 0) {
    return ErrnoError(errno, "rmdir", path, ErrorCode::kDirNotFound);
  }
  return Ok();
}

Status RemoveTree(const Context& ctx, const std::string& dir) {
  return RemoveTreeAt(ctx, AT_FDCWD, dir, dir);
}

Unexpected<Error> LinkNotReplaced(const std::string& path) {
  return MakeError(ErrorCode::kExists,
                   "local: " + path +
                       " is a symbolic link; not replacing it (use -L/--copy-links to write "
                       "through links, -l/--links to copy them as .rclonelink files)");
}

Status WriteAll(int fd, const void* data, size_t size, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "write", path);
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return Ok();
}

// ---- TempFile ----

// Temporary names need only be unlikely to collide (O_EXCL guarantees uniqueness), so a
// per-thread generator seeded once from getrandom saves a syscall per file.
static std::string RandomHex() {
  thread_local std::mt19937_64 generator = [] {
    uint64_t seed = 0;
    if (::getrandom(&seed, sizeof seed, 0) != static_cast<ssize_t>(sizeof seed)) {
      seed = static_cast<uint64_t>(::getpid()) ^
             static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }
    return std::mt19937_64(seed);
  }();
  std::byte buf[8];
  const uint64_t v = generator();
  std::memcpy(buf, &v, sizeof buf);
  return HexEncode(buf);
}

TempFile::TempFile(DirFd dir, std::string name, Fd fd, std::string tmp_name, std::string path,
                   std::string final_path, bool unnamed, bool replace_links)
    : dir_(std::move(dir)),
      name_(std::move(name)),
      fd_(std::move(fd)),
      tmp_name_(std::move(tmp_name)),
      path_(std::move(path)),
      final_path_(std::move(final_path)),
      unnamed_(unnamed),
      replace_links_(replace_links) {}

TempFile::TempFile(TempFile&& other) noexcept
    : dir_(std::move(other.dir_)),
      name_(std::move(other.name_)),
      fd_(std::move(other.fd_)),
      tmp_name_(std::move(other.tmp_name_)),
      path_(std::move(other.path_)),
      final_path_(std::move(other.final_path_)),
      unnamed_(other.unnamed_),
      replace_links_(other.replace_links_),
      committed_(other.committed_) {
  other.committed_ = true;  // the moved-from object owns nothing
}

TempFile::~TempFile() {
  if (committed_) return;
  fd_.Reset();  // an unnamed file goes with its last descriptor
  if (!unnamed_) ::unlinkat(dir_->get(), tmp_name_.c_str(), 0);
}

static std::atomic<bool> use_unnamed{true};

void UseUnnamedTemporaries(bool on) { use_unnamed = on; }

// An unnamed file is published with linkat(fd, "", AT_EMPTY_PATH) where the kernel allows it
// (Linux 6.10 on for the process that opened the file, earlier only with CAP_DAC_READ_SEARCH;
// otherwise it fails with ENOENT), else by linking /proc/self/fd/N, which must then exist.
// The first saves the kernel walking that path for every file.
static std::atomic<bool> use_empty_path{true};

void UseEmptyPathLinks(bool on) { use_empty_path = on; }

// Links the unnamed file open at fd as `name` in the folder open at dir_fd; linkat's result,
// errno set on failure.
static int LinkUnnamed(int fd, int dir_fd, const char* name) {
  const bool tried = use_empty_path.load(std::memory_order_relaxed);
  if (tried) {
    if (::linkat(fd, "", dir_fd, name, AT_EMPTY_PATH) == 0) return 0;
    if (errno != ENOENT) return -1;  // ENOENT: refused, or the folder is gone
  }
  char proc[40];
  std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  const int r = ::linkat(AT_FDCWD, proc, dir_fd, name, AT_SYMLINK_FOLLOW);
  if (r == 0 && tried) use_empty_path = false;  // the kernel refused AT_EMPTY_PATH
  return r;
}

static bool UnnamedAvailable() {
  static const bool proc_fd = ::access("/proc/self/fd", X_OK) == 0;
  return proc_fd && use_unnamed;
}

// A path's folder (with its trailing '/', or empty) and its last segment.
static std::pair<std::string, std::string> SplitFolder(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return {std::string(), path};
  return {path.substr(0, slash + 1), path.substr(slash + 1)};
}

// "<host>-": 8 hex digits of an FNV-1a hash of the host name, the same in every process of
// this machine.
static const std::string& HostTag() {
  static const std::string tag = [] {
    char host[256] = {};
    (void)::gethostname(host, sizeof host - 1);
    uint32_t h = 2166136261u;
    for (const char* c = host; *c != '\0'; ++c) {
      h = (h ^ static_cast<unsigned char>(*c)) * 16777619u;
    }
    char out[16];
    std::snprintf(out, sizeof out, "%08x-", h);
    return std::string(out);
  }();
  return tag;
}

std::string TemporaryName(std::string base) {
  // Keep the temporary within NAME_MAX (255): 1 + base + 1 + 9 + pid (<= 10) + 1 + 16 + suffix.
  constexpr size_t kMaxBase = 200;
  if (base.size() > kMaxBase) base.resize(kMaxBase);
  return "." + base + "." + HostTag() + std::to_string(::getpid()) + "-" + RandomHex() +
         std::string(kPartialSuffix);
}

bool StaleTemporary(std::string_view name) {
  if (!IsPartialName(name)) return false;
  name.remove_suffix(kPartialSuffix.size());
  // ...".<host>-<pid>-<16 hex>"
  constexpr size_t kRandom = 16;
  if (name.size() < kRandom + 1 || name[name.size() - kRandom - 1] != '-') return false;
  name.remove_suffix(kRandom + 1);
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return false;
  std::string_view owner = name.substr(dot + 1);
  const std::string& host = HostTag();
  if (!owner.starts_with(host)) return false;
  owner.remove_prefix(host.size());
  if (owner.empty() || owner.size() > 10 ||
      !std::all_of(owner.begin(), owner.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  const long pid = std::stol(std::string(owner));
  if (pid <= 0 || pid > std::numeric_limits<pid_t>::max() || pid == ::getpid()) return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

// The folders swept by this process, by device and inode.
static std::mutex swept_mu;
static std::set<std::pair<dev_t, ino_t>> swept_folders;

void ForgetSweptFolders() {
  std::lock_guard lock(swept_mu);
  swept_folders.clear();
}

void SweepStaleTemporariesOnce(int dir_fd, const std::string& folder) {
  struct stat st {};
  if (::fstat(dir_fd, &st) != 0) return;
  {
    std::lock_guard lock(swept_mu);
    if (!swept_folders.emplace(st.st_dev, st.st_ino).second) return;
  }
  const int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    ::close(fd);
    return;
  }
  while (struct dirent* ent = ::readdir(d)) {
    if (!StaleTemporary(ent->d_name)) continue;
    if (::unlinkat(fd, ent->d_name, 0) == 0) {
      log::Info("local: removed {}{}, left by an interrupted run", folder, ent->d_name);
    }
  }
  ::closedir(d);
}

Result<TempFile> TempFile::Create(DirFd dir, std::string name, std::string final_path,
                                  bool replace_links) {
  const std::string folder = SplitFolder(final_path).first;  // for messages
  SweepStaleTemporariesOnce(dir->get(), folder);
  if (UnnamedAvailable()) {
    const int fd = ::openat(dir->get(), ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    if (fd >= 0) {
      return TempFile(std::move(dir), std::move(name), Fd(fd), std::string(), final_path,
                      final_path, /*unnamed=*/true, replace_links);
    }
    const int err = errno;
    if (err != EISDIR && err != EOPNOTSUPP && err != EINVAL && err != ENOSYS) {
      return ErrnoError(err, "create a file in", folder.empty() ? "." : folder,
                        ErrorCode::kDirNotFound);
    }
  }
  // No unnamed files here: a named temporary.
  for (int attempt = 0;; ++attempt) {
    std::string tmp_name = TemporaryName(name);
    const int fd = ::openat(dir->get(), tmp_name.c_str(),
                            O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0) {
      std::string path = folder + tmp_name;
      return TempFile(std::move(dir), std::move(name), Fd(fd), std::move(tmp_name),
                      std::move(path), std::move(final_path), /*unnamed=*/false, replace_links);
    }
    const int err = errno;
    if (err != EEXIST || attempt >= 10) {
      return ErrnoError(err, "create", folder + tmp_name, ErrorCode::kDirNotFound);
    }
  }
}

Result<TempFile> TempFile::Create(const std::string& final_path) {
  const auto [folder, base] = SplitFolder(final_path);
  const std::string where = folder.empty() ? std::string(".") : folder;
  Fd dir(::open(where.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid() && errno == ENOENT) {
    CVC_RETURN_IF_ERROR(MkdirAll(where));
    dir = Fd(::open(where.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
  if (!dir.valid()) return ErrnoError(errno, "open", where, ErrorCode::kDirNotFound);
  return Create(std::make_shared<const Fd>(std::move(dir)), base, final_path);
}

Result<struct stat> TempFile::Seal(const TimePoint* mtime, bool fsync) {
  if (mtime != nullptr) {
    struct timespec times[2] = {ToTimespec(*mtime), ToTimespec(*mtime)};
    if (::futimens(fd_.get(), times) != 0) return ErrnoError(errno, "set mtime of", path_);
  }
  if (fsync && ::fsync(fd_.get()) != 0) return ErrnoError(errno, "fsync", path_);
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) return ErrnoError(errno, "stat", path_);
  return st;
}

Status TempFile::CloseIfNamed() {
  if (unnamed_) return Ok();
  return fd_.Close(path_);
}

Status TempFile::CheckTarget() const {
  struct stat st {};
  if (replace_links_ || ::fstatat(dir_->get(), name_.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
      !S_ISLNK(st.st_mode)) {
    return Ok();  // a missing target, or anything else, is for the rename to judge
  }
  return LinkNotReplaced(final_path_);
}

Status TempFile::RenameOver(const std::string& from) {
  CVC_RETURN_IF_ERROR(CheckTarget());
  if (::renameat(dir_->get(), from.c_str(), dir_->get(), name_.c_str()) != 0) {
    if (errno == EISDIR) {
      return MakeError(ErrorCode::kIsDir, "local: " + final_path_ + ": a directory is in the way");
    }
    return ErrnoError(errno, "rename to", final_path_);
  }
  committed_ = true;
  return Ok();
}

Status TempFile::Publish() {
  if (!unnamed_) {
    CVC_RETURN_IF_ERROR(fd_.Close(path_));
    CVC_RETURN_IF_ERROR(RenameOver(tmp_name_));
  } else if (LinkUnnamed(fd_.get(), dir_->get(), name_.c_str()) == 0) {
    committed_ = true;
  } else if (errno != EEXIST) {
    return ErrnoError(errno, "link", final_path_);
  } else {
    // Something is at the target (an older copy, or a directory): link under a temporary
    // name, then rename over it, which replaces a file atomically and refuses a directory.
    std::string named;
    for (int attempt = 0;; ++attempt) {
      named = TemporaryName(name_);
      if (LinkUnnamed(fd_.get(), dir_->get(), named.c_str()) == 0) break;
      if (errno != EEXIST || attempt >= 10) return ErrnoError(errno, "link", final_path_);
    }
    if (Status st = RenameOver(named); !st) {
      ::unlinkat(dir_->get(), named.c_str(), 0);
      return st;
    }
  }
  dir_.reset();
  return fd_.Close(final_path_);
}

Result<struct stat> TempFile::Commit(const TimePoint* mtime, bool fsync) {
  CVC_ASSIGN_OR_RETURN(struct stat st, Seal(mtime, fsync));
  CVC_RETURN_IF_ERROR(Publish());
  return st;
}

// ---- copying ----

static Result<int64_t> CopyByReadWrite(const Context& ctx, int in_fd, int out_fd,
                                       const std::string& in_path, const std::string& out_path) {
  auto buf = std::make_unique_for_overwrite<char[]>(kCopyBufferSize);
  int64_t total = 0;
  for (;;) {
    CVC_RETURN_IF_ERROR(ctx.Check());
    ssize_t n = ::read(in_fd, buf.get(), kCopyBufferSize);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "read", in_path);
    }
    if (n == 0) return total;
    CVC_RETURN_IF_ERROR(WriteAll(out_fd, buf.get(), static_cast<size_t>(n), out_path));
    total += n;
  }
}

void StartWriteBack(int fd, int64_t offset, int64_t length) {
  (void)::sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
}

Result<int64_t> CopyFileData(const Context& ctx, int in_fd, int out_fd, const std::string& in_path,
                             const std::string& out_path, int64_t expected, bool write_back) {
  // Chunks bound how long a cancel waits; the kernel may reflink or copy in-kernel.
  const size_t kChunk = write_back ? static_cast<size_t>(kWriteBackChunk) : size_t{64} << 20;
  int64_t total = 0;
  for (;;) {
    CVC_RETURN_IF_ERROR(ctx.Check());
    ssize_t n = ::copy_file_range(in_fd, nullptr, out_fd, nullptr, kChunk, 0);
    if (n > 0) {
      if (write_back && n >= kWriteBackChunk) StartWriteBack(out_fd, total, n);
      total += n;
      if (expected >= 0 && total >= expected) return total;
      continue;
    }
    if (n == 0) {
      // EOF, or a filesystem (procfs-like) that reports 0: read/write finds out which.
      CVC_ASSIGN_OR_RETURN(int64_t rest, CopyByReadWrite(ctx, in_fd, out_fd, in_path, out_path));
      return total + rest;
    }
    if (errno == EINTR) continue;
    if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP ||
        errno == EBADF || errno == ETXTBSY) {
      CVC_ASSIGN_OR_RETURN(int64_t rest, CopyByReadWrite(ctx, in_fd, out_fd, in_path, out_path));
      return total + rest;
    }
    return ErrnoError(errno, "copy to", out_path);
  }
}

}  // namespace cvclone::local
