#include "backends/local/local_path.hpp"

#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace cvclone::local {
namespace {

std::atomic<bool> use_openat2{true};

// openat2(2), which glibc does not wrap. The descriptor, or -1 with errno set (ENOSYS on a
// kernel before 5.6). EAGAIN means a rename elsewhere raced the lookup: tried again a few times.
int Openat2(int dir_fd, const char* path, int flags, uint64_t resolve) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = resolve;
  for (int attempt = 0;; ++attempt) {
    const long fd = ::syscall(SYS_openat2, dir_fd, path, &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno == EINTR || (errno == EAGAIN && attempt < 8)) continue;
    return -1;
  }
}

// One component at a time from root_fd: each is opened (O_PATH, O_NOFOLLOW unless following)
// and checked through its own descriptor, so the folder checked is the folder used. Slower than
// openat2 but exact, and it names the component that stopped it.
Result<Fd> WalkBeneath(int root_fd, const std::string& root, const std::string& rel,
                       const Walk& walk, int flags) {
  const char* op = walk.op;
  Fd cur;
  int at = root_fd;
  for (size_t start = 0; start < rel.size();) {
    size_t end = rel.find('/', start);
    if (end == std::string::npos) end = rel.size();
    const std::string name = rel.substr(start, end - start);
    const std::string shown = JoinRoot(root, rel.substr(0, end));
    Fd next;
    for (bool made = false;; made = true) {
      next = Fd(::openat(at, name.c_str(), O_PATH | O_CLOEXEC | (walk.follow ? 0 : O_NOFOLLOW)));
      if (next.valid()) break;
      const int err = errno;
      if (err != ENOENT || !walk.create || made) return ErrnoError(err, op, shown, walk.missing);
      if (::mkdirat(at, name.c_str(), 0777) != 0 && errno != EEXIST) {
        return ErrnoError(errno, "mkdir", shown, walk.missing);
      }
    }
    struct stat st {};
    if (::fstat(next.get(), &st) != 0) return ErrnoError(errno, "stat", shown);
    if (S_ISLNK(st.st_mode)) {  // only when not following
      if (walk.writing) return LinkInTheWay(shown);
      return MakeError(walk.missing, "local: " + shown +
                                         " is a symbolic link (not followed without "
                                         "-L/--copy-links)");
    }
    if (!S_ISDIR(st.st_mode)) {
      const ErrorCode code =
          !walk.writing && walk.missing == ErrorCode::kNotFound ? walk.missing : ErrorCode::kNotDir;
      return MakeError(code, std::string("local: ") + op + " " + shown + ": a file is in the way");
    }
    cur = std::move(next);
    at = cur.get();
    start = end + 1;
  }
  if ((flags & O_PATH) != 0) return cur;
  Fd opened(::openat(at, ".", flags | O_DIRECTORY | O_CLOEXEC));
  if (!opened.valid()) return ErrnoError(errno, op, JoinRoot(root, rel), walk.missing);
  return opened;
}

}  // namespace

std::string JoinRoot(const std::string& root, const std::string& rel) {
  if (rel.empty()) return root;
  return !root.empty() && root.back() == '/' ? root + rel : root + "/" + rel;
}

Result<Fd> OpenRoot(const std::string& root, const Walk& walk, int flags) {
  for (bool made = false;; made = true) {
    Fd fd(::open(root.c_str(), flags | O_DIRECTORY | O_CLOEXEC));
    if (fd.valid()) return fd;
    const int err = errno;
    if (err != ENOENT || !walk.create || made) {
      return ErrnoError(err, walk.op, root, walk.missing);
    }
    CVC_RETURN_IF_ERROR(MkdirAll(root));
  }
}

Result<Fd> OpenBeneath(int root_fd, const std::string& root, const std::string& rel,
                       const Walk& walk, int flags) {
  const int open_flags = flags | O_DIRECTORY | O_CLOEXEC;
  if (rel.empty()) {
    Fd fd(::openat(root_fd, ".", open_flags));
    if (!fd.valid()) return ErrnoError(errno, walk.op, root, walk.missing);
    return fd;
  }
  // The common case in one call; anything else (a folder to create, a link, an error to name)
  // is left to the walk.
  if (walk.follow) {
    const int fd = ::openat(root_fd, rel.c_str(), open_flags);
    if (fd >= 0) return Fd(fd);
  } else if (use_openat2.load(std::memory_order_relaxed)) {
    const int fd = Openat2(root_fd, rel.c_str(), open_flags, RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH);
    if (fd >= 0) return Fd(fd);
    if (errno == ENOSYS) use_openat2 = false;
  }
  return WalkBeneath(root_fd, root, rel, walk, flags);
}

Fd OpenFileBeneath(int root_fd, const std::string& rel, int flags) {
  if (!use_openat2.load(std::memory_order_relaxed)) return Fd();
  const int fd = Openat2(root_fd, rel.c_str(), flags | O_CLOEXEC | O_NOFOLLOW,
                         RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH);
  if (fd < 0 && errno == ENOSYS) use_openat2 = false;
  return Fd(fd);
}

Unexpected<Error> LinkInTheWay(const std::string& shown) {
  return MakeError(ErrorCode::kNotDir,
                   "local: " + shown +
                       " is a symbolic link; not writing through it (use -L/--copy-links to "
                       "follow links)");
}

void UseOpenat2(bool on) { use_openat2 = on; }

}  // namespace cvclone::local
