// mount: serves a remote as a filesystem (FUSE 3) until unmounted.
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <string_view>
#include <filesystem>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "commands/mount_fuse.hpp"
#include "core/log.hpp"
#include "core/registry.hpp"
#include "core/remote_spec.hpp"
#include "core/vfs/vfs.hpp"

extern char** environ;

namespace cvclone {
namespace {

// Set in the environment of the process that --daemon starts: the descriptor it writes one
// byte to once the mount is ready.
constexpr const char* kReadyFdEnv = "CVCLONE_MOUNT_READY_FD";

std::string DefaultCacheDir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/cvclone";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.cache/cvclone";
}

unsigned ProcessUmask() {
  const mode_t old = umask(0);
  umask(old);
  return old;
}

Result<unsigned> ParseOctal(const std::string& text, const std::string& flag) {
  char* end = nullptr;
  const unsigned long v = std::strtoul(text.c_str(), &end, 8);
  if (text.empty() || *end != '\0' || v > 0777) {
    return MakeError(ErrorCode::kUsage, "invalid value \"" + text + "\" for --" + flag +
                                            ": want an octal mode such as 022");
  }
  return static_cast<unsigned>(v);
}

// --uid/--gid: a decimal user or group id; fallback without the flag. (uid_t)-1 means "no
// change" to the kernel, so it is refused with the other values out of range.
Result<unsigned> IdFlag(const Invocation& inv, const std::string& flag, unsigned fallback) {
  if (!inv.flags.Has(flag)) return fallback;
  const std::string text = inv.flags.Get(flag);
  unsigned id = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || parsed.ec != std::errc() || parsed.ptr != text.data() + text.size() ||
      id == static_cast<unsigned>(-1)) {
    return MakeError(ErrorCode::kUsage, "invalid value \"" + text + "\" for --" + flag +
                                            ": want a numeric id such as 1000");
  }
  return id;
}

Result<int64_t> SizeFlag(const Invocation& inv, const std::string& flag, int64_t fallback) {
  if (!inv.flags.Has(flag)) return fallback;
  const std::string text = inv.flags.Get(flag);
  if (text == "off") return int64_t{-1};
  auto size = ParseSize(text);
  if (!size) return MakeError(ErrorCode::kUsage, "invalid value \"" + text + "\" for --" + flag);
  return size;
}

struct Settings {
  vfs::VfsOptions vfs;
  FuseOptions fuse;
};

Result<Settings> ParseSettings(const Invocation& inv) {
  Settings s;
  vfs::VfsOptions& v = s.vfs;
  CVC_ASSIGN_OR_RETURN(v.cache_mode, vfs::ParseCacheMode(inv.flags.Get("vfs-cache-mode", "writes")));
  v.read_only = inv.flags.Bool("read-only");
  v.no_modtime = inv.flags.Bool("no-modtime");
  v.links = inv.flags.Bool("links");
  v.cache_dir = inv.flags.Get("cache-dir", DefaultCacheDir());
  using std::chrono::seconds;
  CVC_ASSIGN_OR_RETURN(seconds dir_cache,
                       ParseDurationFlag(inv.flags.Get("dir-cache-time", "5m"), "dir-cache-time",
                                         seconds(0)));
  v.dir_cache_time = dir_cache;
  CVC_ASSIGN_OR_RETURN(seconds write_back,
                       ParseDurationFlag(inv.flags.Get("vfs-write-back", "5s"), "vfs-write-back",
                                         seconds(0)));
  v.write_back = write_back;
  CVC_ASSIGN_OR_RETURN(v.read_chunk_size, SizeFlag(inv, "vfs-read-chunk-size", int64_t{128} << 20));
  if (v.read_chunk_size <= 0) v.read_chunk_size = int64_t{1} << 40;  // off: one stream
  CVC_ASSIGN_OR_RETURN(v.read_ahead, SizeFlag(inv, "vfs-read-ahead", 0));
  v.read_ahead = std::max<int64_t>(v.read_ahead, 0);
  CVC_ASSIGN_OR_RETURN(v.cache_max_size, SizeFlag(inv, "vfs-cache-max-size", -1));
  CVC_ASSIGN_OR_RETURN(seconds max_age, ParseDurationFlag(inv.flags.Get("vfs-cache-max-age", "1h"),
                                                          "vfs-cache-max-age", seconds(0)));
  v.cache_max_age = max_age;
  // Checked for its syntax only: no backend reports changes (see the help).
  CVC_RETURN_IF_ERROR(ParseDurationFlag(inv.flags.Get("poll-interval", "1m"), "poll-interval",
                                        seconds(0)));

  FuseOptions& f = s.fuse;
  f.mountpoint = inv.args[1];
  f.read_only = v.read_only;
  f.allow_other = inv.flags.Bool("allow-other");
  f.allow_non_empty = inv.flags.Bool("allow-non-empty");
  f.default_permissions = inv.flags.Bool("default-permissions");
  CVC_ASSIGN_OR_RETURN(f.uid, IdFlag(inv, "uid", getuid()));
  CVC_ASSIGN_OR_RETURN(f.gid, IdFlag(inv, "gid", getgid()));
  f.umask = ProcessUmask();
  if (inv.flags.Has("umask")) {
    CVC_ASSIGN_OR_RETURN(f.umask, ParseOctal(inv.flags.Get("umask"), "umask"));
  }
  CVC_ASSIGN_OR_RETURN(seconds attr, ParseDurationFlag(inv.flags.Get("attr-timeout", "1s"),
                                                       "attr-timeout", seconds(0)));
  f.attr_timeout = attr;
  f.fsname = inv.flags.Get("volname", RedactRemoteString(inv.args[0]));
  return s;
}

// This command line without --daemon, as argv for the process --daemon starts.
std::vector<std::string> DaemonArgs(const Invocation& inv) {
  std::vector<std::string> args = {"cvclone", "mount"};
  std::vector<FlagSpec> specs = GlobalFlags();
  specs.insert(specs.end(), inv.command->flags.begin(), inv.command->flags.end());
  auto is_boolean = [&](const std::string& name) {
    for (const FlagSpec& s : specs) {
      if (s.name == name) return s.type == FlagType::kBool || s.type == FlagType::kCount;
    }
    return false;
  };
  for (const auto& [name, value] : inv.flags.occurrences()) {
    if (name == "daemon") continue;
    args.push_back(is_boolean(name) && value == "true" ? "--" + name : "--" + name + "=" + value);
  }
  args.push_back("--");
  for (const std::string& a : inv.args) args.push_back(a);
  return args;
}

// --daemon: runs this command line again without it, in a new session, and returns once that
// process says the mount is ready (or with its failure, whose message it printed itself).
Status RunDaemon(const Invocation& inv) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return MakeError(ErrorCode::kIo, "mount: pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, ready[1], 3);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  std::vector<std::string> env_s = {std::string(kReadyFdEnv) + "=3"};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).starts_with(std::string(kReadyFdEnv) + "=")) continue;
    env_s.push_back(*e);
  }
  std::vector<char*> envp;
  for (std::string& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_s = DaemonArgs(inv);
  std::vector<char*> argv;
  for (std::string& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, "/proc/self/exe", &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(ready[1]);
  if (rc != 0) {
    ::close(ready[0]);
    return MakeError(ErrorCode::kIo, std::string("mount: cannot start the background process: ") +
                                         strerror(rc));
  }
  char byte = 0;
  ssize_t n;
  do {
    n = ::read(ready[0], &byte, 1);
  } while (n < 0 && errno == EINTR);
  ::close(ready[0]);
  if (n == 1) return Ok();
  int status = 0;
  waitpid(pid, &status, 0);
  return MakeError(ErrorCode::kIo, fmt::format("mount: the background process failed (exit {})",
                                               WIFEXITED(status) ? WEXITSTATUS(status) : -1));
}

// In the process --daemon started: detach from the caller's output (the log goes to log_fd,
// --log-file, or nowhere) and say the mount is ready.
void SignalReady(int log_fd) {
  const char* fd_text = std::getenv(kReadyFdEnv);
  if (fd_text == nullptr) return;
  const int fd = std::atoi(fd_text);
  const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null >= 0) dup2(null, 1);
  if (log_fd >= 0 || null >= 0) dup2(log_fd >= 0 ? log_fd : null, 2);
  if (null >= 0) ::close(null);
  const char byte = 1;
  (void)!::write(fd, &byte, 1);
  ::close(fd);
}

// --log-file, opened for appending (created 0600), or -1 without the flag.
Result<int> OpenLogFile(const Invocation& inv) {
  if (!inv.flags.Has("log-file")) return -1;
  const std::string path = inv.flags.Get("log-file");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return MakeError(ErrorCode::kUsage, "cannot open --log-file " + path + ": " + strerror(errno));
  }
  return fd;
}

Status RunMount(const Invocation& inv) {
  CVC_ASSIGN_OR_RETURN(Settings s, ParseSettings(inv));
  CVC_RETURN_IF_ERROR(CheckMountpoint(s.fuse));
  CVC_ASSIGN_OR_RETURN(int log_fd, OpenLogFile(inv));
  struct CloseLog {
    int& fd;
    ~CloseLog() {
      if (fd >= 0) ::close(fd);
    }
  } close_log{log_fd};
  const bool daemon_child = std::getenv(kReadyFdEnv) != nullptr;
  if (inv.flags.Bool("daemon") && !daemon_child) return RunDaemon(inv);
  if (log_fd >= 0 && !daemon_child) {
    // In the foreground the log goes there at once; a daemon's once it is mounted, so that the
    // caller sees why a mount failed.
    dup2(log_fd, 2);
  }
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> remote, inv.Open(inv.args[0]));
  if (remote->GetFeatures().read_only && !s.vfs.read_only) {
    // Every change would fail anyway: EROFS at once says why, and the cache is never used.
    log::Notice("mount: {} is read-only, so the mount is too", RedactRemoteString(inv.args[0]));
    s.vfs.read_only = s.fuse.read_only = true;
  }
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<vfs::Vfs> vfs, vfs::Vfs::New(*remote, s.vfs));
  Status served = ServeFuse(*vfs, s.fuse, inv.ctx.stop, [log_fd] { SignalReady(log_fd); });
  const size_t dirty = vfs->DirtyCount();
  if (dirty > 0) log::Notice("mount: uploading {} file(s) not yet uploaded", dirty);
  Status flushed = vfs->Shutdown();
  if (!served) return served;
  return flushed;
}

constexpr const char* kMountHelp =
    "Serves REMOTE as a filesystem at MOUNTPOINT (an empty directory) until it is\n"
    "unmounted with 'fusermount3 -u MOUNTPOINT', Ctrl-C or SIGTERM; each uploads what is\n"
    "not yet uploaded first. With --daemon it returns once the mount is ready.\n\n"
    "Cache modes (--vfs-cache-mode):\n"
    "  off     no cache: reads stream from the remote; a file can only be written whole,\n"
    "          sequentially and write-only (new, or opened with O_TRUNC); close waits\n"
    "          for the upload.\n"
    "  minimal as off, but a file opened for reading and writing, or write-only\n"
    "          without O_TRUNC, or truncated, uses a cache file as in writes.\n"
    "  writes  (default) a file opened for writing is kept in a cache file under\n"
    "          --cache-dir and uploaded in one piece --vfs-write-back after its last\n"
    "          close (fsync uploads at once). The remote never holds a half-written\n"
    "          file; a file not yet uploaded survives a crash and the next mount of\n"
    "          the remote uploads it. Reads of other files stream from the remote.\n"
    "  full    every open file uses a sparse cache file: reads fetch only the ranges\n"
    "          they touch (plus --vfs-read-ahead) and keep them; a file is fetched\n"
    "          whole before its first change, then uploaded as in writes. Clean\n"
    "          files stay cached after close until older than --vfs-cache-max-age or,\n"
    "          least recently used first, while the cache takes more than\n"
    "          --vfs-cache-max-size (never a file open or not yet uploaded); the\n"
    "          unmount drops them.\n"
    "Reads without a cache file fetch only the ranges asked for (crypt: only the\n"
    "blocks they touch); a sequential reader gets ranges of --vfs-read-chunk-size,\n"
    "doubling each time. In the other modes clean files leave the cache right after\n"
    "their upload, so --vfs-cache-max-size, --vfs-cache-max-age and --vfs-read-ahead\n"
    "apply to full only.\n"
    "--poll-interval is accepted (default 1m), but no cvclone backend reports\n"
    "changes: what others change on the remote shows once --dir-cache-time passed.\n"
    "--log-file FILE appends the log to FILE; without it a --daemon's log is lost.\n"
    "With --links (-l) symbolic links are stored as NAME.rclonelink files holding\n"
    "their target, as rclone does; without it symlink(2) fails with ENOTSUP.\n\n"
    "Examples:\n"
    "  cvclone mount 'crypt(s3:bucket/private)' ~/private\n"
    "  cvclone mount --daemon --read-only backup: /mnt/backup\n";

}  // namespace

Command MakeMountCommand() {
  Command c;
  c.name = "mount";
  c.short_help = "Mount a remote as a filesystem (FUSE)";
  c.usage = "mount REMOTE MOUNTPOINT [flags]";
  c.long_help = kMountHelp;
  using FT = FlagType;
  c.flags = {
      {"read-only", 0, FT::kBool, "", "Mount read-only"},
      {"allow-other", 0, FT::kBool, "", "Allow other users to access the mount"},
      {"allow-non-empty", 0, FT::kBool, "", "Allow mounting over a non-empty directory"},
      {"default-permissions", 0, FT::kBool, "", "Let the kernel check permissions"},
      {"uid", 0, FT::kInt, "UID", "Owner of the files (default: this user)"},
      {"gid", 0, FT::kInt, "GID", "Group of the files (default: this user's group)"},
      {"umask", 0, FT::kString, "MODE", "Permission bits to clear, octal (default: the process umask)"},
      {"dir-cache-time", 0, FT::kString, "DURATION", "How long listings are cached (default 5m)"},
      {"attr-timeout", 0, FT::kString, "DURATION", "How long the kernel caches attributes (default 1s)"},
      {"poll-interval", 0, FT::kString, "DURATION", "How often to ask for changes (default 1m; no backend reports any)"},
      {"vfs-cache-mode", 0, FT::kString, "MODE", "off, minimal, writes or full (default writes)"},
      {"vfs-cache-max-size", 0, FT::kString, "SIZE", "Most space the cache may use (default off)"},
      {"vfs-cache-max-age", 0, FT::kString, "DURATION", "Longest a clean file stays cached (default 1h)"},
      {"cache-dir", 0, FT::kString, "DIR", "Cache folder (default $XDG_CACHE_HOME/cvclone)"},
      {"vfs-write-back", 0, FT::kString, "DURATION", "Delay before a closed file is uploaded (default 5s)"},
      {"vfs-read-chunk-size", 0, FT::kString, "SIZE", "First ranged read of a stream (default 128Mi)"},
      {"vfs-read-ahead", 0, FT::kString, "SIZE", "Bytes fetched beyond a read (full mode; default 0)"},
      {"no-modtime", 0, FT::kBool, "", "Neither read nor store modification times"},
      {"volname", 0, FT::kString, "NAME", "Volume name (default: the remote string)"},
      {"daemon", 0, FT::kBool, "", "Run in the background; return once mounted"},
  };
  c.min_args = c.max_args = 2;
  c.run = RunMount;
  return c;
}

}  // namespace cvclone
