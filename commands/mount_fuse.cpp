// The libfuse 3 high-level operations, each a thin mapping onto vfs::Vfs.
#define FUSE_USE_VERSION 312
#include "commands/mount_fuse.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>

#include "core/log.hpp"

extern char** environ;

namespace cvclone {
namespace {

struct Mounted {
  vfs::Vfs* vfs;
  FuseOptions options;
};

Mounted& M() { return *static_cast<Mounted*>(fuse_get_context()->private_data); }
vfs::Vfs& V() { return *M().vfs; }
vfs::Handle* H(const fuse_file_info* fi) {
  return fi == nullptr ? nullptr : reinterpret_cast<vfs::Handle*>(fi->fh);
}

// FUSE paths are absolute ("/a/b"); Vfs paths are relative ("a/b", "" for the root).
std::string P(const char* path) { return path[0] == '/' ? std::string(path + 1) : path; }

int Err(const Error& e) { return -vfs::ErrnoFor(e); }
int Err(const Status& st) { return st ? 0 : Err(st.error()); }

timespec ToTimespec(TimePoint t) {
  const auto ns = t.time_since_epoch().count();
  timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1000000000);
  ts.tv_nsec = static_cast<long>(ns % 1000000000);
  if (ts.tv_nsec < 0) {
    ts.tv_sec -= 1;
    ts.tv_nsec += 1000000000;
  }
  return ts;
}

void FillStat(const vfs::Attr& a, struct stat* st) {
  const FuseOptions& o = M().options;
  *st = {};
  st->st_mode = a.is_dir ? (S_IFDIR | (0777 & ~o.umask)) : (S_IFREG | (0666 & ~o.umask));
  if (a.is_link) st->st_mode = S_IFLNK | 0777;
  st->st_nlink = a.is_dir ? 2 : 1;
  st->st_uid = o.uid;
  st->st_gid = o.gid;
  st->st_size = a.size;
  st->st_blksize = 4096;
  st->st_blocks = (a.size + 511) / 512;
  st->st_mtim = st->st_ctim = st->st_atim = ToTimespec(a.mtime);
}

void* OpInit(fuse_conn_info* conn, fuse_config* cfg) {
  Mounted& m = M();
  cfg->use_ino = 0;
  cfg->hard_remove = 1;  // no .fuse_hidden files: the Vfs keeps unlinked open files itself
  cfg->nullpath_ok = 1;
  cfg->kernel_cache = 0;
  cfg->attr_timeout = m.options.attr_timeout.count();
  cfg->entry_timeout = m.options.attr_timeout.count();
  cfg->negative_timeout = 0;
  conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
  // Reads of one handle arrive in order, so a sequential reader keeps one stream open.
  conn->want &= ~FUSE_CAP_ASYNC_READ;
  return &m;
}

int OpGetattr(const char* path, struct stat* st, fuse_file_info* fi) {
  if (path == nullptr && H(fi) == nullptr) return -ENOENT;
  auto a = path == nullptr ? V().GetAttr(*H(fi)) : V().GetAttr(P(path));
  if (!a) return Err(a.error());
  FillStat(*a, st);
  return 0;
}

// A directory handle is its path (with nullpath_ok, readdir is given no path).
int OpOpendir(const char* path, fuse_file_info* fi) {
  fi->fh = reinterpret_cast<uint64_t>(new std::string(P(path)));
  return 0;
}

int OpReleasedir(const char*, fuse_file_info* fi) {
  delete reinterpret_cast<std::string*>(fi->fh);
  return 0;
}

int OpReaddir(const char*, void* buf, fuse_fill_dir_t fill, off_t, fuse_file_info* fi,
              fuse_readdir_flags) {
  auto entries = V().ReadDir(*reinterpret_cast<std::string*>(fi->fh));
  if (!entries) return Err(entries.error());
  fill(buf, ".", nullptr, 0, fuse_fill_dir_flags{});
  fill(buf, "..", nullptr, 0, fuse_fill_dir_flags{});
  for (const vfs::DirEntry& e : *entries) {
    struct stat st = {};
    st.st_mode = e.is_dir ? S_IFDIR : (e.is_link ? S_IFLNK : S_IFREG);
    if (fill(buf, e.name.c_str(), &st, 0, fuse_fill_dir_flags{}) != 0) break;
  }
  return 0;
}

int OpOpen(const char* path, fuse_file_info* fi) {
  auto h = V().Open(P(path), fi->flags);
  if (!h) return Err(h.error());
  fi->fh = reinterpret_cast<uint64_t>(*h);
  return 0;
}

int OpCreate(const char* path, mode_t, fuse_file_info* fi) {
  auto h = V().Create(P(path), fi->flags);
  if (!h) return Err(h.error());
  fi->fh = reinterpret_cast<uint64_t>(*h);
  return 0;
}

int OpRead(const char*, char* buf, size_t size, off_t off, fuse_file_info* fi) {
  auto n = V().Read(*H(fi), std::span(reinterpret_cast<std::byte*>(buf), size), off);
  return n ? static_cast<int>(*n) : Err(n.error());
}

int OpWrite(const char*, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
  auto n = V().Write(*H(fi), std::span(reinterpret_cast<const std::byte*>(buf), size), off);
  return n ? static_cast<int>(*n) : Err(n.error());
}

int OpFlush(const char*, fuse_file_info* fi) { return Err(V().Flush(*H(fi))); }

int OpRelease(const char*, fuse_file_info* fi) {
  V().Release(H(fi));
  return 0;
}

int OpFsync(const char*, int, fuse_file_info* fi) { return Err(V().Fsync(*H(fi))); }

int OpTruncate(const char* path, off_t size, fuse_file_info* fi) {
  if (path == nullptr && H(fi) == nullptr) return -ENOENT;
  return Err(V().Truncate(path == nullptr ? "" : P(path), size, H(fi)));
}

int OpUtimens(const char* path, const timespec tv[2], fuse_file_info*) {
  if (path == nullptr) return 0;
  if (tv == nullptr || tv[1].tv_nsec == UTIME_NOW) {
    return Err(V().SetMtime(P(path), std::chrono::time_point_cast<std::chrono::nanoseconds>(
                                         std::chrono::system_clock::now())));
  }
  if (tv[1].tv_nsec == UTIME_OMIT) return 0;
  const TimePoint t{std::chrono::seconds(tv[1].tv_sec) + std::chrono::nanoseconds(tv[1].tv_nsec)};
  return Err(V().SetMtime(P(path), t));
}

int OpSymlink(const char* target, const char* path) { return Err(V().Symlink(target, P(path))); }

int OpReadlink(const char* path, char* buf, size_t size) {
  auto target = V().Readlink(P(path));
  if (!target) return Err(target.error());
  if (size == 0) return -EINVAL;
  const size_t n = std::min(size - 1, target->size());  // truncated, as readlink(2) does
  std::memcpy(buf, target->data(), n);
  buf[n] = '\0';
  return 0;
}

int OpMkdir(const char* path, mode_t) { return Err(V().Mkdir(P(path))); }
int OpRmdir(const char* path) { return Err(V().Rmdir(P(path))); }
int OpUnlink(const char* path) { return Err(V().Unlink(P(path))); }

int OpRename(const char* from, const char* to, unsigned int flags) {
  if (flags & ~static_cast<unsigned>(RENAME_NOREPLACE)) return -EINVAL;
  return Err(V().Rename(P(from), P(to), (flags & RENAME_NOREPLACE) != 0));
}

// Permissions are the mount's (--uid, --gid, --umask); the remote stores none. Accepting these
// keeps cp -p, tar and rsync -a working.
int OpChmod(const char*, mode_t, fuse_file_info*) { return 0; }
int OpChown(const char*, uid_t, gid_t, fuse_file_info*) { return 0; }

int OpStatfs(const char*, struct statvfs* st) {
  // A remote has no fixed size: report a large, mostly free filesystem as rclone does.
  constexpr fsblkcnt_t kBlocks = fsblkcnt_t{1} << 40;
  *st = {};
  st->f_bsize = st->f_frsize = 4096;
  st->f_blocks = kBlocks;
  st->f_bfree = st->f_bavail = kBlocks;
  st->f_files = st->f_ffree = st->f_favail = 1000000000;
  st->f_namemax = 255;
  return 0;
}

fuse_operations MakeOps() {
  fuse_operations ops = {};
  ops.init = OpInit;
  ops.getattr = OpGetattr;
  ops.opendir = OpOpendir;
  ops.releasedir = OpReleasedir;
  ops.readdir = OpReaddir;
  ops.open = OpOpen;
  ops.create = OpCreate;
  ops.read = OpRead;
  ops.write = OpWrite;
  ops.flush = OpFlush;
  ops.release = OpRelease;
  ops.fsync = OpFsync;
  ops.truncate = OpTruncate;
  ops.utimens = OpUtimens;
  ops.symlink = OpSymlink;
  ops.readlink = OpReadlink;
  ops.mkdir = OpMkdir;
  ops.rmdir = OpRmdir;
  ops.unlink = OpUnlink;
  ops.rename = OpRename;
  ops.chmod = OpChmod;
  ops.chown = OpChown;
  ops.statfs = OpStatfs;
  return ops;
}

// Detaches the mount (fusermount3 -u -z): the kernel ends the session once nothing uses it, and
// the event loop then returns.
void LazyUnmount(const std::string& mountpoint) {
  const char* argv[] = {"fusermount3", "-u", "-z", "-q", mountpoint.c_str(), nullptr};
  pid_t pid = -1;
  if (posix_spawnp(&pid, "fusermount3", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) {
    log::Error("mount: cannot run fusermount3 to unmount {}", mountpoint);
    return;
  }
  int status = 0;
  waitpid(pid, &status, 0);
}

std::string EscapeOption(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == ',' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

Status CheckMountpoint(const FuseOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(options.mountpoint, ec);
  if (!fs::exists(st)) {
    return MakeError(ErrorCode::kDirNotFound,
                     "mount point " + options.mountpoint + " does not exist; create it first");
  }
  if (!fs::is_directory(st)) {
    return MakeError(ErrorCode::kUsage, "mount point " + options.mountpoint + " is not a directory");
  }
  if (!options.allow_non_empty && !fs::is_empty(options.mountpoint, ec)) {
    return MakeError(ErrorCode::kUsage, "mount point " + options.mountpoint +
                                            " is not empty (use --allow-non-empty to mount over it)");
  }
  if (access("/dev/fuse", R_OK | W_OK) != 0) {
    return MakeError(ErrorCode::kUnsupported,
                     std::string("cannot use /dev/fuse (") + strerror(errno) +
                         "): FUSE is not available here; load the fuse module, or give a "
                         "container --device /dev/fuse");
  }
  return Ok();
}

Status ServeFuse(vfs::Vfs& vfs, const FuseOptions& options, std::stop_token stop,
                 const std::function<void()>& on_ready) {
  Mounted mounted{&vfs, options};
  std::string opts = "fsname=" + EscapeOption(options.fsname) + ",subtype=cvclone";
  if (options.read_only) opts += ",ro";
  if (options.allow_other) opts += ",allow_other";
  if (options.default_permissions) opts += ",default_permissions";
  std::vector<std::string> argv_s = {"cvclone", "-o", opts};
  std::vector<char*> argv;
  for (std::string& s : argv_s) argv.push_back(s.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  // fuse_new may copy the arguments into memory of its own (args.allocated); freed on return.
  struct FreeArgs {
    fuse_args* a;
    ~FreeArgs() { fuse_opt_free_args(a); }
  } free_args{&args};
  const fuse_operations ops = MakeOps();
  fuse* f = fuse_new(&args, &ops, sizeof(ops), &mounted);
  if (f == nullptr) return MakeError(ErrorCode::kInvalidArgument, "mount: bad FUSE options " + opts);
  if (fuse_mount(f, options.mountpoint.c_str()) != 0) {
    fuse_destroy(f);
    return MakeError(ErrorCode::kIo, "mount: cannot mount on " + options.mountpoint +
                                         " (see the fuse message above)");
  }
  log::Info("mount: {} mounted on {}", options.fsname, options.mountpoint);
  int result = 0;
  {
    std::stop_callback on_stop(stop, [&] {
      log::Notice("mount: unmounting {}", options.mountpoint);
      fuse_exit(f);
      LazyUnmount(options.mountpoint);
    });
    if (on_ready) on_ready();
    fuse_loop_config* cfg = fuse_loop_cfg_create();
    fuse_loop_cfg_set_clone_fd(cfg, 0);
    fuse_loop_cfg_set_idle_threads(cfg, 10);
    result = fuse_loop_mt(f, cfg);
    fuse_loop_cfg_destroy(cfg);
  }
  fuse_unmount(f);
  fuse_destroy(f);
  if (result != 0 && !stop.stop_requested()) {
    return MakeError(ErrorCode::kIo, fmt::format("mount: the FUSE session ended with error {}",
                                                 result));
  }
  return Ok();
}

}  // namespace cvclone
