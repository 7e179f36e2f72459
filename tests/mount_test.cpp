// `cvclone mount` through real FUSE (issue 15): every file and directory operation on mounted
// local, crypt(local), s3 and crypt(s3) remotes (s3rver behind the signature-checking front, or
// RGW for "[any server]"), a random-operation checker against a reference file, kill -9 with
// dirty files and the next mount uploading them, SIGTERM, --daemon (its --log-file), --read-only,
// the cache modes off, minimal and full (sparse cache files), --links (symlinks as .rclonelink
// objects), tar, rsync, git and vim working in a mount, find/du/ls -lR over 10,000 files, and
// rclone reading what a crypt mount wrote. The mount runs as build/cvclone in the foreground (a
// Child); tests wait for conditions with deadlines, never for fixed times. Every
// test is skipped, saying so, where /dev/fuse or fusermount3 is missing.
#include <doctest/doctest.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/child.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/process.hpp"
#include "tests/support/s3_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone {
namespace {

namespace fs = std::filesystem;
using test::Cli;
using test::ProcessResult;
using Clock = std::chrono::steady_clock;

constexpr const char* kPassword = "mount test pässword";
constexpr auto kDeadline = std::chrono::seconds(60);

bool HaveFuse() {
  return access("/dev/fuse", R_OK | W_OK) == 0 && !test::FindOnPath("fusermount3").empty();
}

#define SKIP_WITHOUT_FUSE()                                                         \
  if (!HaveFuse()) {                                                                \
    MESSAGE("skipped: /dev/fuse or fusermount3 is missing, so nothing can mount"); \
    return;                                                                         \
  }

// Whether path is a mount point now (/proc/self/mountinfo's fifth field).
bool IsMounted(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string f[5];
    for (std::string& s : f) fields >> s;
    if (f[4] == path) return true;
  }
  return false;
}

// Polls cond until it holds or the deadline passes.
bool Eventually(const std::function<bool()>& cond, std::chrono::seconds limit = kDeadline) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

enum class Kind { kLocal, kCryptLocal, kS3, kCryptS3, kEncfsLocal };

std::string KindName(Kind k) {
  switch (k) {
    case Kind::kLocal: return "local";
    case Kind::kCryptLocal: return "crypt(local)";
    case Kind::kS3: return "s3";
    case Kind::kCryptS3: return "crypt(s3)";
    case Kind::kEncfsLocal: return "encfs(local)";
  }
  return "";
}

// The encfs --standard volume of tests/data/encfs (password "PASSWORD").
constexpr const char* kEncfsPassword = "PASSWORD";
std::string EncfsVector(const std::string& rel) {
  return std::string(CVCLONE_SOURCE_DIR) + "/tests/data/encfs/standard/" + rel;
}

std::string Tail(const std::string& s) { return s.size() > 3000 ? s.substr(s.size() - 3000) : s; }

// A remote of one kind, and a mount of it run as a child process.
class Mount {
 public:
  explicit Mount(Kind kind) : kind_(kind) {
    mnt_ = cli_.P("mnt");
    fs::create_directories(mnt_);
    fs::create_directories(cli_.P("store"));
    if (kind_ == Kind::kS3 || kind_ == Kind::kCryptS3) {
      std::string why;
      const test::S3TestServer* s = test::SharedS3Server(&why);
      REQUIRE_MESSAGE(s != nullptr, why);
      cli_.WriteConfig(test::S3ConfigSection("s3", *s));
      bucket_ = test::UniqueName("mnt");
      const ProcessResult r = Cvclone({"mkdir", "s3:" + bucket_});
      REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    } else {
      cli_.WriteConfig("");
    }
  }

  ~Mount() {
    if (child_ && !child_->exited()) {
      child_->Kill();
      Unmount(true);
    }
  }

  Kind kind() const { return kind_; }
  const Cli& cli() const { return cli_; }
  std::string M(const std::string& rel) const { return mnt_ + "/" + rel; }
  const std::string& mountpoint() const { return mnt_; }
  // The local folder a local or crypt(local) remote keeps its files in.
  std::string Store() const { return cli_.P("store"); }

  // The remote string, and of a path inside it.
  std::string Remote() const {
    switch (kind_) {
      case Kind::kLocal: return Store();
      case Kind::kCryptLocal: return "crypt(" + Store() + ")";
      case Kind::kS3: return "s3:" + bucket_;
      case Kind::kCryptS3: return "crypt(s3:" + bucket_ + ")";
      case Kind::kEncfsLocal: return "encfs(" + Store() + ")";
    }
    return "";
  }
  std::string RemotePath(const std::string& rel) const {
    if (kind_ == Kind::kLocal) return Store() + "/" + rel;
    if (kind_ == Kind::kS3) return "s3:" + bucket_ + "/" + rel;
    return Remote() + ":" + rel;
  }

  ProcessResult Cvclone(std::vector<std::string> args) const {
    return cli_.Run(std::move(args), {{"CVCLONE_CRYPT_PASSWORD", kPassword}});
  }
  // The object's bytes as the remote holds them (cvclone cat), or nullopt.
  std::optional<std::string> RemoteRead(const std::string& rel) const {
    const ProcessResult r = Cvclone({"cat", RemotePath(rel)});
    if (r.exit_code != 0) return std::nullopt;
    return r.out;
  }
  // Every object path of the remote, sorted, one per line.
  std::string RemoteFiles() const {
    const ProcessResult r = Cvclone({"lsf", "-R", Remote()});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    std::vector<std::string> lines;
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);) {
      if (!l.empty() && l.back() != '/') lines.push_back(l);
    }
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (const std::string& l : lines) out += l + "\n";
    return out;
  }

  // Starts `cvclone mount` in the foreground and waits until the mount is in place.
  void Start(std::vector<std::string> flags = {}) {
    std::vector<std::string> args = {"--config", cli_.conf(), "mount", Remote(), mnt_,
                                     "--cache-dir", cli_.P("cache"), "--vfs-write-back", "0s",
                                     "--dir-cache-time", "5m"};
    args.insert(args.end(), flags.begin(), flags.end());
    test::ProcessOptions opts = test::IsolatedOptions(cli_.dir().path());
    opts.unset_env.erase(
        std::remove(opts.unset_env.begin(), opts.unset_env.end(), "CVCLONE_CRYPT_PASSWORD"),
        opts.unset_env.end());
    opts.set_env["CVCLONE_CRYPT_PASSWORD"] = kPassword;
    opts.set_env["CVCLONE_ENCFS_PASSWORD"] = kEncfsPassword;
    std::string why;
    err_path_ = cli_.P("mount-" + std::to_string(++starts_) + ".err");
    child_ = test::Child::Start(CVCLONE_BINARY_DIR "/cvclone", args, opts, "", err_path_, &why);
    REQUIRE_MESSAGE(child_ != nullptr, why);
    const bool up = Eventually([&] { return IsMounted(mnt_) || child_->WaitFor(std::chrono::milliseconds(0)); });
    REQUIRE_MESSAGE((up && !child_->exited()), "mount did not come up: " << Log());
  }

  // fusermount3 -u and the exit status of the mount process.
  int Stop() {
    const ProcessResult r = Unmount(false);
    REQUIRE_MESSAGE(r.exit_code == 0, "fusermount3 -u: " << r.err);
    REQUIRE_MESSAGE(child_->WaitFor(std::chrono::seconds(120)), "mount did not exit: " << Log());
    return child_->Wait();
  }

  // kill -9 of the mount process, and the detach of its dead mount.
  void Kill9() {
    child_->Kill();
    Unmount(true);
    REQUIRE(Eventually([&] { return !IsMounted(mnt_); }));
  }

  test::Child& child() { return *child_; }
  std::string Log() const { return Tail(test::ReadFile(err_path_).value_or("")); }

 private:
  ProcessResult Unmount(bool lazy) const {
    std::vector<std::string> args = {"-u"};
    if (lazy) args.push_back("-z");
    args.push_back(mnt_);
    return test::RunProcess(test::FindOnPath("fusermount3"), args);
  }

  Kind kind_;
  Cli cli_;
  std::string mnt_;
  std::string bucket_;
  std::string err_path_;
  int starts_ = 0;
  std::unique_ptr<test::Child> child_;
};

// ---- small POSIX helpers: each returns 0 or errno ----

int Write(const std::string& path, const std::string& data, int flags = O_WRONLY | O_CREAT | O_TRUNC) {
  const int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return errno;
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return err;
    }
    done += static_cast<size_t>(n);
  }
  return ::close(fd) == 0 ? 0 : errno;
}

std::optional<std::string> Read(const std::string& path) { return test::ReadFile(path); }

int Err(int rc) { return rc == 0 ? 0 : errno; }

// 0 if path opens with flags (and is closed again), else errno.
int OpenErrno(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

int64_t SizeOf(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

std::string Listing(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  std::string out;
  for (const std::string& n : names) out += n + " ";
  return out;
}

// ---- every operation ----

void EveryOperation(Kind kind) {
  SKIP_WITHOUT_FUSE();
  INFO("remote kind: " << KindName(kind));
  Mount m(kind);
  m.Start({"-v"});
  INFO("the mount's log: " << m.Log());

  // mkdir, and errors on names that exist or do not.
  CHECK(Err(::mkdir(m.M("dir").c_str(), 0755)) == 0);
  CHECK(Err(::mkdir(m.M("dir").c_str(), 0755)) == EEXIST);
  CHECK(Err(::mkdir(m.M("no/such").c_str(), 0755)) == ENOENT);
  struct stat missing;
  CHECK(Err(::stat(m.M("missing").c_str(), &missing)) == ENOENT);
  CHECK(OpenErrno(m.M("missing"), O_RDONLY) == ENOENT);

  // create, read, append, overwrite
  CHECK(Write(m.M("dir/a.txt"), "hello") == 0);
  CHECK(Read(m.M("dir/a.txt")) == "hello");
  CHECK(Write(m.M("dir/a.txt"), " world", O_WRONLY | O_APPEND) == 0);
  CHECK(Read(m.M("dir/a.txt")) == "hello world");
  CHECK(SizeOf(m.M("dir/a.txt")) == 11);
  CHECK(Write(m.M("dir/over.txt"), "a long first version") == 0);
  CHECK(Write(m.M("dir/over.txt"), "short") == 0);
  CHECK(Read(m.M("dir/over.txt")) == "short");

  // writes in the middle of an existing file, truncation down and up
  std::string big = test::Pattern(300000, 1);
  CHECK(Write(m.M("dir/b.bin"), big) == 0);
  {
    const int fd = ::open(m.M("dir/b.bin").c_str(), O_RDWR);
    REQUIRE(fd >= 0);
    CHECK(::pwrite(fd, "0123456789", 10, 100000) == 10);
    big.replace(100000, 10, "0123456789");
    CHECK(::close(fd) == 0);
  }
  CHECK(Read(m.M("dir/b.bin")) == big);
  CHECK(Err(::truncate(m.M("dir/b.bin").c_str(), 1000)) == 0);
  CHECK(Err(::truncate(m.M("dir/b.bin").c_str(), 5000)) == 0);
  big = big.substr(0, 1000) + std::string(4000, '\0');
  CHECK(Read(m.M("dir/b.bin")) == big);

  // fsync uploads before close returns
  {
    const int fd = ::open(m.M("dir/f.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    CHECK(::write(fd, "synced", 6) == 6);
    CHECK(::fsync(fd) == 0);
    CHECK(m.RemoteRead("dir/f.txt") == "synced");
    CHECK(::close(fd) == 0);
  }

  // a large file read back at random offsets by several readers at once, from the remote
  const std::string large = test::Pattern(3 << 20, 2);
  {
    const int fd = ::open(m.M("large.bin").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    CHECK(::write(fd, large.data(), large.size()) == static_cast<ssize_t>(large.size()));
    CHECK(::fsync(fd) == 0);
    CHECK(::close(fd) == 0);
  }
  std::vector<std::thread> readers;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      const int fd = ::open(m.M("large.bin").c_str(), O_RDONLY);
      if (fd < 0) {
        bad++;
        return;
      }
      std::mt19937 rng(t);
      std::string buf(4096, '\0');
      for (int i = 0; i < 50; ++i) {
        const size_t off = rng() % (large.size() - 4096);
        if (::pread(fd, buf.data(), 4096, static_cast<off_t>(off)) != 4096 ||
            buf != large.substr(off, 4096)) {
          bad++;
        }
      }
      ::close(fd);
    });
  }
  for (auto& t : readers) t.join();
  CHECK(bad == 0);
  CHECK((Read(m.M("large.bin")) == large));

  // utimes: the mtime is shown and stored on the remote
  const timeval times[2] = {{981173106, 0}, {981173106, 500000}};  // 2001-02-03T04:05:06.5Z
  CHECK(Err(::utimes(m.M("dir/a.txt").c_str(), times)) == 0);
  {
    struct stat st;
    REQUIRE(::stat(m.M("dir/a.txt").c_str(), &st) == 0);
    CHECK(st.st_mtim.tv_sec == 981173106);
  }

  // renames: a file, over an existing file, and a directory with its contents
  CHECK(Err(::rename(m.M("dir/a.txt").c_str(), m.M("dir/c.txt").c_str())) == 0);
  CHECK(Err(::rename(m.M("dir/over.txt").c_str(), m.M("dir/f.txt").c_str())) == 0);
  CHECK(Read(m.M("dir/f.txt")) == "short");
  CHECK(Err(::mkdir(m.M("dir/sub").c_str(), 0755)) == 0);
  CHECK(Write(m.M("dir/sub/deep.txt"), "deep") == 0);
  CHECK(Err(::rename(m.M("dir").c_str(), m.M("dir2").c_str())) == 0);
  CHECK(Listing(m.M("dir2")) == "b.bin c.txt f.txt sub ");
  CHECK(Read(m.M("dir2/sub/deep.txt")) == "deep");
  CHECK(Read(m.M("dir2/c.txt")) == "hello world");
  CHECK(SizeOf(m.M("dir")) == -1);

  // rmdir, unlink, statfs
  CHECK(Err(::rmdir(m.M("dir2").c_str())) == ENOTEMPTY);
  CHECK(Err(::mkdir(m.M("empty").c_str(), 0755)) == 0);
  CHECK(Err(::rmdir(m.M("empty").c_str())) == 0);
  CHECK(Err(::unlink(m.M("dir2/b.bin").c_str())) == 0);
  CHECK(Err(::unlink(m.M("dir2/b.bin").c_str())) == ENOENT);
  CHECK(Err(::rmdir(m.M("dir2/c.txt").c_str())) == ENOTDIR);
  CHECK(Err(::unlink(m.M("dir2/sub").c_str())) == EISDIR);
  struct statvfs sv;
  CHECK(Err(::statvfs(m.mountpoint().c_str(), &sv)) == 0);
  CHECK(sv.f_bavail > 0);

  CHECK(m.Stop() == 0);
  CHECK(!IsMounted(m.mountpoint()));
  // What the remote holds after the unmount.
  CHECK(m.RemoteFiles() == "dir2/c.txt\ndir2/f.txt\ndir2/sub/deep.txt\nlarge.bin\n");
  CHECK(m.RemoteRead("dir2/c.txt") == "hello world");
  CHECK(m.RemoteRead("dir2/f.txt") == "short");
  CHECK(m.RemoteRead("dir2/sub/deep.txt") == "deep");
  CHECK((m.RemoteRead("large.bin") == large));
  const ProcessResult ls = m.Cvclone({"lsjson", m.RemotePath("dir2/c.txt")});
  CHECK_MESSAGE(test::Contains(ls.out, "\"ModTime\":\"2001-02-03T04:05:06"), ls.out);
}

TEST_CASE("mount: every file and directory operation on local") { EveryOperation(Kind::kLocal); }
TEST_CASE("mount: every file and directory operation on crypt(local)") {
  EveryOperation(Kind::kCryptLocal);
}
TEST_CASE("mount: every file and directory operation on s3 [any server]") {
  EveryOperation(Kind::kS3);
}
TEST_CASE("mount: every file and directory operation on crypt(s3) [any server]") {
  EveryOperation(Kind::kCryptS3);
}

// ---- the random-operation checker ----

unsigned Seed() {
  if (const char* s = std::getenv("CVCLONE_MOUNT_SEED"); s != nullptr && *s != '\0') {
    return static_cast<unsigned>(std::strtoul(s, nullptr, 10));
  }
  return std::random_device{}();
}

// Applies the same random writes, truncates, reads, reopens and renames to a file in the mount
// and to a reference file on local disk, comparing after each step.
void RandomOperations(Kind kind, int steps, std::vector<std::string> flags = {}) {
  SKIP_WITHOUT_FUSE();
  const unsigned seed = Seed();
  INFO("remote kind " << KindName(kind) << ", seed " << seed
                      << " (rerun with CVCLONE_MOUNT_SEED=" << seed << ")");
  Mount m(kind);
  flags.push_back("-v");
  m.Start(flags);
  INFO("the mount's log: " << m.Log());
  std::mt19937 rng(seed);
  const std::string ref_path = m.cli().P("reference");
  const std::string names[2] = {m.M("r1.bin"), m.M("r2.bin")};
  int name = 0;
  int ref = ::open(ref_path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  int fd = ::open(names[name].c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  REQUIRE(ref >= 0);
  REQUIRE(fd >= 0);
  int64_t size = 0;
  constexpr int64_t kMaxSize = 1 << 20;
  auto range = [&](int64_t lo, int64_t hi) {  // [lo, hi]
    return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
  };
  auto compare = [&](int64_t off, int64_t len, const std::string& what) {
    std::string a(static_cast<size_t>(len), '\0'), b(static_cast<size_t>(len), '\0');
    const ssize_t na = ::pread(fd, a.data(), a.size(), off);
    const ssize_t nb = ::pread(ref, b.data(), b.size(), off);
    REQUIRE_MESSAGE(na == nb, what << ": read of " << len << " at " << off << " gave " << na
                                   << " bytes, the reference " << nb);
    REQUIRE_MESSAGE(a == b, what << ": bytes differ in the read of " << len << " at " << off);
  };
  for (int step = 0; step < steps; ++step) {
    INFO("step " << step);
    const int op = static_cast<int>(rng() % 100);
    std::string what;
    if (op < 40) {  // write
      const int64_t off = range(0, std::min(size + 65536, kMaxSize));
      const int64_t len = range(1, 65536);
      const std::string data = test::Pattern(static_cast<size_t>(len), rng());
      what = "write " + std::to_string(len) + " at " + std::to_string(off);
      const ssize_t n = ::pwrite(fd, data.data(), data.size(), off);
      const int err = errno;
      REQUIRE_MESSAGE(n == len, what << ": " << std::string(strerror(err)) << "\n" << m.Log());
      REQUIRE(::pwrite(ref, data.data(), data.size(), off) == len);
      size = std::max(size, off + len);
      compare(off, len, what);
    } else if (op < 50) {  // truncate
      const int64_t to = range(0, size + size / 2 + 1);
      what = "truncate to " + std::to_string(to);
      const int err = Err(::ftruncate(fd, to));
      REQUIRE_MESSAGE(err == 0, what << ": " << std::string(strerror(err)) << "\n" << m.Log());
      REQUIRE(::ftruncate(ref, to) == 0);
      size = to;
    } else if (op < 75) {  // read
      const int64_t off = range(0, size);
      what = "read";
      compare(off, range(1, 200000), what);
    } else if (op < 85) {  // close and open again
      what = "reopen";
      REQUIRE(::close(fd) == 0);
      fd = ::open(names[name].c_str(), O_RDWR);
      const int err = errno;
      REQUIRE_MESSAGE(fd >= 0, what << ": " << std::string(strerror(err)) << "\n" << m.Log());
    } else if (op < 90) {  // close, read the whole file read-only, open again
      what = "read-only reopen";
      REQUIRE(::close(fd) == 0);
      fd = ::open(names[name].c_str(), O_RDONLY);
      const int err = errno;
      REQUIRE_MESSAGE(fd >= 0, what << ": " << std::string(strerror(err)) << "\n" << m.Log());
      compare(0, size + 1, what);
      REQUIRE(::close(fd) == 0);
      fd = ::open(names[name].c_str(), O_RDWR);
      REQUIRE(fd >= 0);
    } else if (op < 95) {  // rename (open or closed)
      what = "rename";
      if (rng() % 2 == 0) {
        REQUIRE(::close(fd) == 0);
        fd = -1;
      }
      const int err = Err(::rename(names[name].c_str(), names[1 - name].c_str()));
      REQUIRE_MESSAGE(err == 0, what << ": " << std::string(strerror(err)) << "\n" << m.Log());
      name = 1 - name;
      if (fd < 0) fd = ::open(names[name].c_str(), O_RDWR);
      REQUIRE(fd >= 0);
    } else {
      what = "fsync";
      const int err = Err(::fsync(fd));
      REQUIRE_MESSAGE(err == 0, what << ": " << std::string(strerror(err)) << "\n" << m.Log());
    }
    struct stat st;
    REQUIRE(::fstat(fd, &st) == 0);
    REQUIRE_MESSAGE(st.st_size == size, "after " << what << ": size " << st.st_size
                                                 << ", the reference " << size);
    if (step % 50 == 49) compare(0, size + 1, "full comparison after " + what);
  }
  compare(0, size + 1, "final comparison");
  REQUIRE(::close(fd) == 0);
  ::close(ref);
  CHECK(m.Stop() == 0);
  CHECK(m.RemoteRead(fs::path(names[name]).filename().string()) == test::ReadFile(ref_path));
  CHECK(!m.RemoteRead(fs::path(names[1 - name]).filename().string()).has_value());
}

TEST_CASE("mount: random operations match a reference file on local") {
  RandomOperations(Kind::kLocal, 3000);
}
TEST_CASE("mount: random operations match a reference file on crypt(local)") {
  RandomOperations(Kind::kCryptLocal, 3000);
}
TEST_CASE("mount: random operations match a reference file on crypt(s3) [any server]") {
  RandomOperations(Kind::kCryptS3, 2000);
}
TEST_CASE("mount: random operations match a reference file on crypt(local), cache mode full") {
  RandomOperations(Kind::kCryptLocal, 500, {"--vfs-cache-mode", "full"});
}

// ---- crashes, signals, daemon ----

void KillNine(Kind kind) {
  SKIP_WITHOUT_FUSE();
  INFO("remote kind: " << KindName(kind));
  Mount m(kind);
  m.Start({"--vfs-write-back", "1h"});
  std::map<std::string, std::string> files;
  CHECK(Err(::mkdir(m.M("new").c_str(), 0755)) == 0);
  for (int i = 0; i < 12; ++i) {
    const std::string rel = (i % 3 == 0 ? "new/" : "") + std::to_string(i) + ".bin";
    files[rel] = test::Pattern(static_cast<size_t>(i) * 70001, static_cast<unsigned>(i));
    REQUIRE(Write(m.M(rel), files[rel]) == 0);
  }
  REQUIRE(Err(::rename(m.M("1.bin").c_str(), m.M("new/renamed.bin").c_str())) == 0);
  files["new/renamed.bin"] = files["1.bin"];
  files.erase("1.bin");
  // Closed, but not uploaded yet (write-back 1h): the remote has none of them, not even a part.
  CHECK(m.RemoteFiles() == "");
  m.Kill9();
  CHECK(m.RemoteFiles() == "");

  m.Start();  // write-back 0s: the files left dirty are uploaded now
  for (const auto& [rel, data] : files) {
    const std::optional<std::string> got = Read(m.M(rel));
    CHECK_MESSAGE(got == data, rel << " (" << data.size() << " bytes) reads as "
                                   << (got ? std::to_string(got->size()) + " other bytes"
                                           : "an error: " + std::string(strerror(errno)))
                                   << "; the mount's log:\n" << m.Log());
  }
  std::string expected;
  for (const auto& [rel, data] : files) expected += rel + "\n";
  CHECK(Eventually([&] { return m.RemoteFiles() == expected; }));
  CHECK(m.Stop() == 0);
  for (const auto& [rel, data] : files) CHECK(m.RemoteRead(rel) == data);
}

TEST_CASE("mount: after kill -9 with dirty files the next mount uploads them (crypt(local))") {
  KillNine(Kind::kCryptLocal);
}
TEST_CASE("mount: after kill -9 with dirty files the next mount uploads them (crypt(s3))") {
  KillNine(Kind::kCryptS3);
}

TEST_CASE("mount: SIGTERM uploads dirty files and unmounts") {
  SKIP_WITHOUT_FUSE();
  Mount m(Kind::kCryptLocal);
  m.Start({"--vfs-write-back", "1h"});
  REQUIRE(Write(m.M("t.txt"), "written before SIGTERM") == 0);
  CHECK(m.RemoteFiles() == "");
  REQUIRE(::kill(m.child().pid(), SIGTERM) == 0);
  REQUIRE(m.child().WaitFor(std::chrono::seconds(60)));
  CHECK_MESSAGE(m.child().Wait() == 0, m.Log());
  CHECK(!IsMounted(m.mountpoint()));
  CHECK(m.RemoteRead("t.txt") == "written before SIGTERM");
}

TEST_CASE("mount: --daemon returns once the mount is ready") {
  SKIP_WITHOUT_FUSE();
  Mount m(Kind::kLocal);
  REQUIRE(test::WriteFile(m.Store() + "/there.txt", "already there"));
  const std::string log = m.cli().P("daemon.log");
  const ProcessResult r = m.Cvclone({"mount", "--daemon", m.Remote(), m.mountpoint(),
                                     "--cache-dir", m.cli().P("cache"), "--log-file", log, "-v"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(IsMounted(m.mountpoint()));
  CHECK(Read(m.M("there.txt")) == "already there");
  CHECK(Write(m.M("daemon.txt"), "via the daemon") == 0);
  REQUIRE(test::RunProcess(test::FindOnPath("fusermount3"), {"-u", m.mountpoint()}).exit_code == 0);
  CHECK(Eventually([&] { return test::ReadFile(m.Store() + "/daemon.txt") == "via the daemon"; }));
  // --log-file: the daemon's log (-v: each upload) is there.
  CHECK(Eventually([&] {
    return test::Contains(test::ReadFile(log).value_or(""), "uploaded \"daemon.txt\"");
  }));
}

// ---- modes and refusals ----

TEST_CASE("mount: --read-only refuses every change with EROFS") {
  SKIP_WITHOUT_FUSE();
  Mount m(Kind::kLocal);
  REQUIRE(test::WriteFile(m.Store() + "/keep.txt", "kept"));
  m.Start({"--read-only"});
  CHECK(Read(m.M("keep.txt")) == "kept");
  CHECK(Write(m.M("x.txt"), "no") == EROFS);
  CHECK(Write(m.M("keep.txt"), "no") == EROFS);
  CHECK(Err(::unlink(m.M("keep.txt").c_str())) == EROFS);
  CHECK(Err(::mkdir(m.M("d").c_str(), 0755)) == EROFS);
  CHECK(m.Stop() == 0);
}

TEST_CASE("mount: a read-only remote (encfs) mounts read-only: reads work, changes get EROFS") {
  SKIP_WITHOUT_FUSE();
  Mount m(Kind::kEncfsLocal);
  fs::copy(EncfsVector("cipher"), m.Store(),
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  m.Start();
  std::optional<std::string> plain = test::ReadFile(EncfsVector("plain/five.txt"));
  REQUIRE(plain.has_value());
  CHECK(Read(m.M("five.txt")) == plain);
  CHECK(Write(m.M("new.txt"), "no") == EROFS);
  CHECK(Write(m.M("five.txt"), "no") == EROFS);
  CHECK(Err(::unlink(m.M("five.txt").c_str())) == EROFS);
  CHECK(Err(::mkdir(m.M("d").c_str(), 0755)) == EROFS);
  CHECK(m.Stop() == 0);
  CHECK(test::Contains(m.Log(), "read-only"));
}

TEST_CASE("mount: --vfs-cache-mode off streams whole files and refuses the rest") {
  SKIP_WITHOUT_FUSE();
  Mount m(Kind::kCryptLocal);
  m.Start({"--vfs-cache-mode", "off"});
  const std::string data = test::Pattern(5 << 20, 9);
  CHECK(Write(m.M("stream.bin"), data) == 0);
  CHECK((m.RemoteRead("stream.bin") == data));  // close returned after the upload
  CHECK((Read(m.M("stream.bin")) == data));
  CHECK(OpenErrno(m.M("stream.bin"), O_RDWR) == EACCES);
  CHECK(m.Stop() == 0);
}

TEST_CASE("mount: --vfs-cache-mode minimal caches only files that cannot be streamed") {
  SKIP_WITHOUT_FUSE();
  Mount m(Kind::kCryptLocal);
  m.Start({"--vfs-cache-mode", "minimal"});
  CHECK(Write(m.M("m.txt"), "streamed") == 0);
  CHECK(m.RemoteRead("m.txt") == "streamed");  // write-only O_TRUNC: close returned after upload
  {
    const int fd = ::open(m.M("m.txt").c_str(), O_RDWR);  // refused by off
    REQUIRE(fd >= 0);
    CHECK(::pwrite(fd, "S", 1, 0) == 1);
    char buf[8];
    CHECK(::pread(fd, buf, 8, 0) == 8);
    CHECK(std::string(buf, 8) == "Streamed");
    CHECK(::close(fd) == 0);
  }
  CHECK(Write(m.M("m.txt"), "!", O_WRONLY | O_APPEND) == 0);  // cannot be streamed: cached
  CHECK(Err(::truncate(m.M("m.txt").c_str(), 4)) == 0);
  CHECK(Read(m.M("m.txt")) == "Stre");
  CHECK(m.Stop() == 0);
  CHECK(m.RemoteRead("m.txt") == "Stre");
}

TEST_CASE("mount: --vfs-cache-mode full reads ranges into a sparse cache file") {
  SKIP_WITHOUT_FUSE();
  Mount m(Kind::kCryptLocal);
  std::string data = test::Pattern(8 << 20, 3);
  REQUIRE(test::WriteFile(m.cli().P("big.src"), data));
  ProcessResult r = m.Cvclone({"copyto", m.cli().P("big.src"), m.RemotePath("big.bin")});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  m.Start({"--vfs-cache-mode", "full", "--vfs-read-ahead", "64Ki"});
  INFO("the mount's log: " << m.Log());
  const int fd = ::open(m.M("big.bin").c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  std::string buf(4096, '\0');
  for (const off_t off : {off_t{5} << 20, off_t{123457}, off_t{(8 << 20) - 4096}}) {
    CHECK(::pread(fd, buf.data(), buf.size(), off) == 4096);
    CHECK(buf == data.substr(static_cast<size_t>(off), 4096));
  }
  // One sparse cache file of the object's size holding a few ranges only.
  int64_t cached = -1, allocated = -1;
  for (const auto& e : fs::recursive_directory_iterator(m.cli().P("cache"))) {
    if (e.path().extension() != ".data") continue;
    struct stat st;
    REQUIRE(::stat(e.path().c_str(), &st) == 0);
    cached = st.st_size;
    allocated = int64_t{st.st_blocks} * 512;
  }
  CHECK(cached == int64_t{8} << 20);
  CHECK(allocated < int64_t{2} << 20);
  CHECK(::close(fd) == 0);
  // A change in the middle: the rest is fetched, and the whole file uploaded.
  {
    const int wfd = ::open(m.M("big.bin").c_str(), O_RDWR);
    REQUIRE(wfd >= 0);
    CHECK(::pwrite(wfd, "patched", 7, 3 << 20) == 7);
    CHECK(::close(wfd) == 0);
  }
  data.replace(3 << 20, 7, "patched");
  CHECK((Read(m.M("big.bin")) == data));
  CHECK(m.Stop() == 0);
  CHECK((m.RemoteRead("big.bin") == data));
}

TEST_CASE("mount: --links stores symbolic links as .rclonelink files (crypt(local))") {
  SKIP_WITHOUT_FUSE();
  Mount m(Kind::kCryptLocal);
  m.Start({"--links"});
  REQUIRE(Write(m.M("target.txt"), "pointed at") == 0);
  CHECK(Err(::symlink("target.txt", m.M("link").c_str())) == 0);
  CHECK(Err(::symlink("x", m.M("link").c_str())) == EEXIST);
  struct stat st;
  REQUIRE(::lstat(m.M("link").c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));
  char buf[64] = {};
  CHECK(::readlink(m.M("link").c_str(), buf, sizeof buf) == 10);
  CHECK(std::string(buf) == "target.txt");
  CHECK(Read(m.M("link")) == "pointed at");  // the kernel follows it
  CHECK(Listing(m.mountpoint()) == "link target.txt ");
  CHECK(m.Stop() == 0);
  CHECK(m.RemoteRead("link.rclonelink") == "target.txt");
}

TEST_CASE("mount: a bad mount point or cache mode is one clear error") {
  Mount m(Kind::kLocal);
  ProcessResult r = m.Cvclone({"mount", m.Remote(), m.cli().P("nowhere")});
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(test::Contains(r.err, "does not exist"), r.err);
  REQUIRE(test::WriteFile(m.M("occupied"), "x"));
  r = m.Cvclone({"mount", m.Remote(), m.mountpoint()});
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(test::Contains(r.err, "is not empty"), r.err);
  fs::remove(m.M("occupied"));
  r = m.Cvclone({"mount", m.Remote(), m.mountpoint(), "--vfs-cache-mode", "most"});
  CHECK(r.exit_code == 1);
  CHECK_MESSAGE(test::Contains(r.err, "must be off, minimal, writes or full"), r.err);
  for (const char* flag : {"--uid", "--gid"}) {
    for (const char* value : {"me", "12x", "-1", "99999999999"}) {
      r = m.Cvclone({"mount", m.Remote(), m.mountpoint(), flag, value});
      CHECK(r.exit_code == 1);
      CHECK_MESSAGE(test::Contains(r.err, std::string("for ") + flag), r.err);
    }
  }
  r = m.Cvclone({"help", "mount"});
  CHECK(r.exit_code == 0);
  CHECK(test::Contains(r.out, "writes  (default)"));
  CHECK(test::Contains(r.out, "full    every open file"));
  CHECK(test::Contains(r.out, "no cvclone backend reports"));
}

// ---- programs people run in a mount ----

// Runs a program found on PATH; an empty result when it is not installed.
std::optional<ProcessResult> RunTool(const std::string& name, const std::vector<std::string>& args,
                                     const std::string& cwd) {
  const std::string program = test::FindOnPath(name);
  if (program.empty()) return std::nullopt;
  test::ProcessOptions opts;
  opts.cwd = cwd;
  opts.set_env = {{"HOME", cwd}, {"GIT_CONFIG_NOSYSTEM", "1"}};
  return test::RunProcess(program, args, opts);
}

#define CHECK_TOOL_OK(result)                                                                    \
  do {                                                                                           \
    const auto& tool_result_ = (result);                                                         \
    if (tool_result_) CHECK_MESSAGE(tool_result_->exit_code == 0, tool_result_->err);           \
  } while (0)

TEST_CASE("mount: tar x, rsync -a, git clone and an editor's save into a crypt(local) mount") {
  SKIP_WITHOUT_FUSE();
  Mount m(Kind::kCryptLocal);
  // A tree of 1,000 small files, a tar of it, and a small git repository, outside the mount.
  const std::string src = m.cli().P("tree");
  std::map<std::string, std::string> files;
  for (int i = 0; i < 1000; ++i) {
    const std::string rel = "d" + std::to_string(i % 10) + "/f" + std::to_string(i) + ".txt";
    files[rel] = test::Pattern(static_cast<size_t>(i * 37 % 5000), static_cast<unsigned>(i));
    REQUIRE(test::WriteFile(src + "/" + rel, files[rel]));
  }
  const std::string tarball = m.cli().P("tree.tar");
  CHECK_TOOL_OK(RunTool("tar", {"cf", tarball, "-C", src, "."}, m.cli().dir().path()));
  const std::string repo = m.cli().P("repo");
  REQUIRE(test::WriteFile(repo + "/README", "a repository\n"));
  const std::vector<std::vector<std::string>> git_init = {
      {"init", "-q", repo},
      {"-C", repo, "add", "README"},
      {"-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "one"}};
  for (const auto& args : git_init) CHECK_TOOL_OK(RunTool("git", args, m.cli().dir().path()));

  m.Start();
  INFO("the mount's log: " << m.Log());
  REQUIRE(Err(::mkdir(m.M("untar").c_str(), 0755)) == 0);
  CHECK_TOOL_OK(RunTool("tar", {"xf", tarball, "-C", m.M("untar")}, m.cli().dir().path()));
  CHECK_TOOL_OK(RunTool("rsync", {"-a", src + "/", m.M("rsync/")}, m.cli().dir().path()));
  for (const auto& [rel, data] : files) {
    CHECK_MESSAGE(Read(m.M("untar/" + rel)) == data, rel);
    CHECK_MESSAGE(Read(m.M("rsync/" + rel)) == data, rel);
  }
  auto cloned = RunTool("git", {"clone", "-q", repo, m.M("clone")}, m.cli().dir().path());
  CHECK_TOOL_OK(cloned);
  if (cloned) {
    CHECK(Read(m.M("clone/README")) == "a repository\n");
    auto status = RunTool("git", {"-C", m.M("clone"), "status", "--porcelain"}, m.cli().dir().path());
    CHECK_TOOL_OK(status);
    if (status) CHECK(status->out == "");
  }
  // vim saves through a backup file and a rename (or rewrites in place), then fsyncs.
  REQUIRE(Write(m.M("edit.txt"), "line one\n") == 0);
  CHECK_TOOL_OK(RunTool("vim", {"-u", "NONE", "-N", "-es", "-c", "normal Goline two", "-c", "wq",
                                m.M("edit.txt")},
                        m.cli().dir().path()));
  if (!test::FindOnPath("vim").empty()) CHECK(Read(m.M("edit.txt")) == "line one\nline two\n");

  CHECK(m.Stop() == 0);
  // What the remote holds: one copy of it back to a local folder.
  const ProcessResult back = m.Cvclone({"copy", m.RemotePath("rsync"), m.cli().P("back")});
  CHECK_MESSAGE(back.exit_code == 0, back.err);
  CHECK((test::ReadTree(m.cli().P("back")) == files));
  CHECK(m.RemoteRead("clone/README") == "a repository\n");
}

TEST_CASE("mount: find, du and ls -lR over 10,000 files of crypt(local)") {
  SKIP_WITHOUT_FUSE();
  Mount m(Kind::kCryptLocal);
  const std::string src = m.cli().P("many");
  for (int d = 0; d < 100; ++d) {
    for (int i = 0; i < 100; ++i) {
      REQUIRE(test::WriteFile(src + "/d" + std::to_string(d) + "/f" + std::to_string(i),
                              std::string(static_cast<size_t>(i), 'x')));
    }
  }
  const ProcessResult copied = m.Cvclone({"copy", "--local-no-fsync", src, m.Remote()});
  REQUIRE_MESSAGE(copied.exit_code == 0, copied.err);
  m.Start();
  INFO("the mount's log: " << m.Log());
  const std::string cwd = m.cli().dir().path();
  auto found = RunTool("find", {m.mountpoint(), "-type", "f"}, cwd);
  REQUIRE(found.has_value());
  CHECK(std::count(found->out.begin(), found->out.end(), '\n') == 10000);
  auto listed = RunTool("ls", {"-lR", m.mountpoint()}, cwd);
  REQUIRE(listed.has_value());
  CHECK_MESSAGE(listed->exit_code == 0, listed->err);
  CHECK(test::Contains(listed->out, " 99 "));  // sizes are the plaintext sizes
  auto du = RunTool("du", {"-s", "-b", m.mountpoint()}, cwd);
  REQUIRE(du.has_value());
  CHECK(std::atoll(du->out.c_str()) >= 100 * 4950);  // 100 x (0 + 1 + ... + 99) bytes of files
  CHECK(m.Stop() == 0);
}

// ---- interop ----

TEST_CASE("mount: rclone reads what was written through a crypt mount") {
  SKIP_WITHOUT_FUSE();
  const std::string rclone = test::FindOnPath("rclone");
  if (rclone.empty()) {
    MESSAGE("skipped: rclone is not installed");
    return;
  }
  Mount m(Kind::kCryptLocal);
  m.Start();
  std::map<std::string, std::string> files = {{"notes.txt", "written through the mount\n"},
                                              {"dir/sub/data.bin", test::Pattern(200000, 4)},
                                              {"dir/empty.txt", ""}};
  REQUIRE(Err(::mkdir(m.M("dir").c_str(), 0755)) == 0);
  REQUIRE(Err(::mkdir(m.M("dir/sub").c_str(), 0755)) == 0);
  for (const auto& [rel, data] : files) REQUIRE(Write(m.M(rel), data) == 0);
  CHECK(m.Stop() == 0);
  const ProcessResult obscured = test::RunProcess(rclone, {"obscure", kPassword});
  REQUIRE(obscured.exit_code == 0);
  std::string pw = obscured.out;
  while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
  REQUIRE(test::WriteFile(m.cli().P("rclone.conf"), "[c]\ntype = crypt\nremote = " + m.Store() +
                                                        "\npassword = " + pw + "\n"));
  const test::ProcessOptions opts = test::IsolatedOptions(m.cli().dir().path());
  for (const auto& [rel, data] : files) {
    const ProcessResult r =
        test::RunProcess(rclone, {"--config", m.cli().P("rclone.conf"), "cat", "c:" + rel}, opts);
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK_MESSAGE(r.out == data, rel);
  }
}

}  // namespace
}  // namespace cvclone
