#include "backends/local/local.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <utility>

#include "backends/local/local_fs.hpp"
#include "core/io.hpp"
#include "tests/conformance/conformance.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone {
namespace {

namespace fs = std::filesystem;

// A temporary directory removed on destruction; Fresh() names a new, not yet existing, subdir.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "cvclone-local-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    // Make everything removable again (a permission test may have locked a directory).
    for (auto it = fs::recursive_directory_iterator(path_, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec))
        fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string Fresh() { return (path_ / ("root" + std::to_string(n_++))).string(); }

 private:
  fs::path path_;
  int n_ = 0;
};

std::unique_ptr<Remote> MustOpen(const std::string& root) {
  auto r = NewLocalRemote(root);
  REQUIRE(r.has_value());
  return std::move(r).value();
}

Result<ObjectInfo> Put(Remote& r, const std::string& path, const std::string& data,
                       TimePoint mtime = {}) {
  MemoryReader reader(data);
  PutOptions opts;
  opts.size = static_cast<int64_t>(data.size());
  opts.mtime = mtime;
  return r.Put(Context{}, path, reader, opts);
}

std::set<std::string> Tree(const fs::path& dir) { return test::ListTree(dir.string()); }

// Named temporaries only (as on a filesystem without O_TMPFILE) while in scope.
struct NamedTemporaries {
  NamedTemporaries() { local::UseUnnamedTemporaries(false); }
  ~NamedTemporaries() { local::UseUnnamedTemporaries(true); }
};

// The conformance suite on fresh roots; then checks that no sub-test left a temporary anywhere.
void RunConformance(const char* name) {
  TempDir dir;
  RunConformanceSuite({.name = name, .make_empty_remote = [&] { return MustOpen(dir.Fresh()); }});
  for (const std::string& p : Tree(dir.path()))
    CHECK_MESSAGE(p.find("cvclone-partial") == std::string::npos, p);
}

TEST_CASE("local: conformance with named temporaries (no O_TMPFILE)") {
  NamedTemporaries named;
  RunConformance("local-named");
}

TEST_CASE("local: a temporary replaces a file, is refused by a directory, and leaves nothing") {
  // Unnamed files linked with AT_EMPTY_PATH, unnamed through /proc/self/fd, named files.
  for (const auto& [unnamed, empty_path] : {std::pair{true, true}, {true, false}, {false, true}}) {
    CAPTURE(unnamed);
    CAPTURE(empty_path);
    local::UseUnnamedTemporaries(unnamed);
    local::UseEmptyPathLinks(empty_path);
    TempDir dir;
    const std::string target = (dir.path() / "sub" / "file").string();
    auto first = local::TempFile::Create(target);  // creates the missing "sub"
    REQUIRE(first.has_value());
    CHECK(first->unnamed() == unnamed);
    REQUIRE(local::WriteAll(first->fd(), "old", 3, first->path()).has_value());
    REQUIRE(first->Commit(nullptr, false).has_value());
    auto second = local::TempFile::Create(target);
    REQUIRE(second.has_value());
    REQUIRE(local::WriteAll(second->fd(), "newer", 5, second->path()).has_value());
    REQUIRE(second->Publish().has_value());
    std::ifstream in(target);
    std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(got == "newer");
    fs::create_directory(dir.path() / "sub" / "adir");
    {
      auto blocked = local::TempFile::Create((dir.path() / "sub" / "adir").string());
      REQUIRE(blocked.has_value());
      auto st = blocked->Publish();
      REQUIRE_FALSE(st.has_value());
      CHECK(st.error().code() == ErrorCode::kIsDir);
    }  // the failed temporary is removed with its TempFile
    CHECK(Tree(dir.path()) == std::set<std::string>{"sub", "sub/file", "sub/adir"});
  }
  local::UseUnnamedTemporaries(true);
  local::UseEmptyPathLinks(true);
}

TEST_CASE("local: a process that ends before publishing leaves nothing in the folder") {
  TempDir dir;
  const std::string target = (dir.path() / "big.bin").string();
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // As a killed process: write, then end without any destructor running.
    auto tmp = local::TempFile::Create(target);
    if (!tmp) ::_exit(2);
    std::string data(1 << 20, 'x');
    if (!local::WriteAll(tmp->fd(), data.data(), data.size(), tmp->path())) ::_exit(3);
    ::_exit(tmp->unnamed() ? 0 : 4);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // it wrote an unnamed file
  CHECK(Tree(dir.path()).empty());
}

// A killed run can leave a named temporary behind (named temporaries, or an unnamed file linked
// under a temporary name just before its rename). The next write into that folder removes it,
// and only it: not a temporary of a live process, of this process, or of unknown origin.
TEST_CASE("local: a temporary left by a killed run is removed by the next write into its folder") {
  local::ForgetSweptFolders();
  local::UseUnnamedTemporaries(false);
  TempDir dir;
  const fs::path root = dir.path() / "root";
  fs::create_directories(root / "sub");
  std::string dead_name;
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // As a killed process: a named temporary, then the end without any destructor running.
    auto tmp = local::TempFile::Create((root / "sub" / "file.txt").string());
    if (!tmp || tmp->unnamed()) ::_exit(2);
    ::_exit(local::WriteAll(tmp->fd(), "half", 4, tmp->path()) ? 0 : 3);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  local::UseUnnamedTemporaries(true);
  const std::set<std::string> left = Tree(root);
  REQUIRE(left.size() == 2);  // "sub" and the temporary
  for (const std::string& p : left) {
    if (p != "sub") dead_name = fs::path(p).filename().string();
  }
  CHECK(local::StaleTemporary(dead_name));
  // Temporaries that must stay: this process's, a live process's (our parent), and one without
  // an owner (an older cvclone's, or someone else's file).
  const std::string mine = local::TemporaryName("mine");
  std::string parents = local::TemporaryName("parents");
  const std::string own_pid = "-" + std::to_string(::getpid()) + "-";
  parents.replace(parents.find(own_pid), own_pid.size(), "-" + std::to_string(::getppid()) + "-");
  const std::string ownerless = ".old.0123456789abcdef.cvclone-partial";
  for (const std::string& name : {mine, parents, ownerless}) {
    CAPTURE(name);
    CHECK_FALSE(local::StaleTemporary(name));
    std::ofstream(root / "sub" / name) << "x";
  }
  // A write elsewhere leaves the folder alone; a write into it sweeps it.
  auto r = MustOpen(root.string());
  REQUIRE(Put(*r, "other.txt", "x").has_value());
  CHECK(fs::exists(root / "sub" / dead_name));
  REQUIRE(Put(*r, "sub/new.txt", "x").has_value());
  CHECK_FALSE(fs::exists(root / "sub" / dead_name));
  for (const std::string& name : {mine, parents, ownerless}) {
    CHECK(fs::exists(root / "sub" / name));
  }
}

TEST_CASE("local: conformance") { RunConformance("local"); }

TEST_CASE("local: reads in small pieces, ranges, and a file that changed after it was opened") {
  TempDir dir;
  auto r = MustOpen(dir.path().string());
  std::string data(100 << 10, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 + (i >> 9));
  REQUIRE(Put(*r, "f", data).has_value());
  // A 32-byte read first (as crypt reads a header), then pieces of odd sizes.
  auto reader = r->Open(Context{}, "f");
  REQUIRE(reader.has_value());
  std::string got;
  for (size_t piece : {size_t{32}, size_t{1}, size_t{4093}, size_t{65536}, size_t{1} << 20}) {
    std::string buf(piece, '\0');
    auto n = (*reader)->Read(AsWritableBytes(buf));
    REQUIRE(n.has_value());
    got.append(buf.data(), *n);
  }
  std::string rest = ReadAll(**reader).value();
  CHECK(got + rest == data);
  // Ranges: inside, past the end, from the end.
  CHECK(ReadAll(*r->Open(Context{}, "f", 10, 50).value()).value() == data.substr(10, 50));
  CHECK(ReadAll(*r->Open(Context{}, "f", 1000, int64_t{1} << 62).value()).value() ==
        data.substr(1000));
  CHECK(ReadAll(*r->Open(Context{}, "f", static_cast<int64_t>(data.size())).value())
            .value()
            .empty());
  // A file that changes while it is read is never yielded whole: the read that reaches its end
  // fails, naming it, whether it shrank, grew, or was rewritten in place with the same size.
  const std::string path = (dir.path() / "f").string();
  auto expect_changed = [&](Reader& reader) {
    auto rest = ReadAll(reader);
    REQUIRE_FALSE(rest.has_value());
    CHECK(rest.error().code() == ErrorCode::kCorrupt);
    CHECK(rest.error().retryable());
    CHECK(rest.error().message().find("source file changed during copy") != std::string::npos);
    CHECK(rest.error().message().find(path) != std::string::npos);
  };
  SUBCASE("shrank") {
    auto shrunk = r->Open(Context{}, "f");
    REQUIRE(shrunk.has_value());
    REQUIRE(::truncate(path.c_str(), 300) == 0);
    expect_changed(**shrunk);
  }
  SUBCASE("grew") {
    auto grown = r->Open(Context{}, "f");
    REQUIRE(grown.has_value());
    std::ofstream(path, std::ios::app) << "more";
    expect_changed(**grown);
  }
  SUBCASE("rewritten with the same size after part of it was read") {
    // Larger than a piece read whole at the first read.
    REQUIRE(Put(*r, "f", data + data + data).has_value());
    auto reader = r->Open(Context{}, "f");
    REQUIRE(reader.has_value());
    std::string head(4096, '\0');
    REQUIRE((*reader)->Read(AsWritableBytes(head)).value() == 4096);
    {
      std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(50000);
      f << "rewritten";
    }
    // A later mtime even on a coarse clock.
    const struct timespec times[2] = {{0, UTIME_OMIT}, {2'000'000'000, 0}};
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
    expect_changed(**reader);
  }
  SUBCASE("unchanged: a small file read whole, then the end") {
    REQUIRE(Put(*r, "small", "tiny").has_value());
    CHECK(ReadAll(*r->Open(Context{}, "small").value()).value() == "tiny");
  }
}

TEST_CASE("local: hostile names write nothing outside the root") {
  TempDir dir;
  const fs::path root = dir.path() / "root";
  auto r = MustOpen(root.string());
  for (const char* name : {"../escape", "a/../../escape", "/tmp/escape-abs", "x/../../y"}) {
    CAPTURE(name);
    auto res = Put(*r, name, "data");
    REQUIRE_FALSE(res.has_value());
    CHECK(res.error().code() == ErrorCode::kInvalidArgument);
    CHECK(r->Mkdir(Context{}, name).error().code() == ErrorCode::kInvalidArgument);
  }
  CHECK(Tree(dir.path()).empty());  // not even the root was created
  CHECK_FALSE(fs::exists("/tmp/escape-abs"));
}

TEST_CASE("local: put leaves no temporary behind and the root is created") {
  TempDir dir;
  const fs::path root = dir.path() / "new" / "root";
  auto r = MustOpen(root.string());
  CHECK(r->List(Context{}, "").error().code() == ErrorCode::kDirNotFound);
  REQUIRE(Put(*r, "a/b.txt", "hello").has_value());
  CHECK_EQ(Tree(root), std::set<std::string>{"a", "a/b.txt"});
  // A failing reader: the temporary is removed too.
  class Failing : public Reader {
   public:
    Result<size_t> Read(std::span<std::byte> buf) override {
      if (calls_++ > 0) return MakeError(ErrorCode::kIo, "boom");
      std::fill(buf.begin(), buf.begin() + 10, std::byte{'x'});
      return size_t{10};
    }

   private:
    int calls_ = 0;
  } failing;
  auto res = r->Put(Context{}, "a/c.txt", failing, PutOptions{});
  REQUIRE_FALSE(res.has_value());
  CHECK(res.error().message().find("boom") != std::string::npos);
  CHECK_EQ(Tree(root), std::set<std::string>{"a", "a/b.txt"});
}

TEST_CASE("local: listing skips partial files and symlinks") {
  TempDir dir;
  const fs::path root = dir.path() / "root";
  auto r = MustOpen(root.string());
  REQUIRE(Put(*r, "real", "x").has_value());
  std::ofstream(root / ".real.0123456789abcdef.cvclone-partial") << "partial";
  fs::create_symlink(root / "real", root / "link");
  fs::create_directory_symlink(dir.path(), root / "dirlink");
  auto listed = r->List(Context{}, "");
  REQUIRE(listed.has_value());
  REQUIRE_EQ(listed->size(), 1u);
  CHECK_EQ(listed->front().path, "real");
  CHECK(r->Stat(Context{}, "link").error().code() == ErrorCode::kNotFound);
  CHECK(r->Open(Context{}, "link").error().code() == ErrorCode::kNotFound);
  CHECK(r->Delete(Context{}, "link").error().code() == ErrorCode::kNotFound);
  CHECK(fs::is_symlink(root / "link"));
}

TEST_CASE("local: nanosecond mtime round trip") {
  TempDir dir;
  auto r = MustOpen(dir.Fresh());
  const TimePoint t{std::chrono::nanoseconds(1'700'000'000'123'456'789LL)};
  REQUIRE(Put(*r, "f", "data", t).has_value());
  auto st = r->Stat(Context{}, "f");
  REQUIRE(st.has_value());
  CHECK_EQ(st->mtime.time_since_epoch().count(), t.time_since_epoch().count());
  const TimePoint t2{std::chrono::nanoseconds(1'600'000'000'000'000'001LL)};
  REQUIRE(r->SetModTime(Context{}, "f", t2).has_value());
  CHECK_EQ(r->Stat(Context{}, "f")->mtime.time_since_epoch().count(),
           t2.time_since_epoch().count());
  // Copy preserves it too.
  REQUIRE(r->Copy(Context{}, *r, "f", "g").has_value());
  CHECK_EQ(r->Stat(Context{}, "g")->mtime.time_since_epoch().count(),
           t2.time_since_epoch().count());
}

TEST_CASE("local: a large copy goes through copy_file_range intact") {
  TempDir dir;
  auto r = MustOpen(dir.Fresh());
  std::string data(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + i / 4096);
  REQUIRE(Put(*r, "big", data).has_value());
  REQUIRE(r->Copy(Context{}, *r, "big", "sub/big2").has_value());
  auto reader = r->Open(Context{}, "sub/big2");
  REQUIRE(reader.has_value());
  CHECK(ReadAll(**reader).value_or("") == data);
  CHECK_EQ(r->Hash(Context{}, "sub/big2", HashType::kMd5).value_or(""),
           HashBytes(AsBytes(data), HashSet{HashType::kMd5}).at(HashType::kMd5));
}

TEST_CASE("local: put verifies hashes the caller gives") {
  TempDir dir;
  auto r = MustOpen(dir.Fresh());
  MemoryReader reader(std::string("payload"));
  PutOptions opts;
  opts.hashes[HashType::kMd5] = "00000000000000000000000000000000";
  auto res = r->Put(Context{}, "f", reader, opts);
  REQUIRE_FALSE(res.has_value());
  CHECK(res.error().code() == ErrorCode::kCorrupt);
  CHECK(r->Stat(Context{}, "f").error().code() == ErrorCode::kNotFound);
}

TEST_CASE("local: a root that is a file") {
  TempDir dir;
  const fs::path file = dir.path() / "file.txt";
  std::ofstream(file) << "content";
  auto r = MustOpen(file.string());
  auto listed = r->List(Context{}, "");
  REQUIRE_FALSE(listed.has_value());
  CHECK(listed.error().code() == ErrorCode::kNotDir);
}

TEST_CASE("local: permission denied names the path") {
  if (::geteuid() == 0) {
    MESSAGE("skipped: root bypasses file permissions");
    return;
  }
  TempDir dir;
  const fs::path root = dir.path() / "root";
  auto r = MustOpen(root.string());
  REQUIRE(r->Mkdir(Context{}, "locked").has_value());
  fs::permissions(root / "locked", fs::perms::owner_read | fs::perms::owner_exec);
  auto res = Put(*r, "locked/f", "data");
  REQUIRE_FALSE(res.has_value());
  CHECK(res.error().code() == ErrorCode::kPermission);
  CHECK(res.error().message().find((root / "locked").string()) != std::string::npos);
  CHECK(res.error().message().find("permission denied") != std::string::npos);
  fs::permissions(root / "locked", fs::perms::owner_all);
}

TEST_CASE("local: display name") {
  TempDir dir;
  auto r = NewLocalRemote(dir.path().string(), "mylocal:");
  REQUIRE(r.has_value());
  CHECK_EQ((*r)->Type(), "local");
  CHECK_EQ((*r)->Name(), "mylocal:");
  CHECK((*r)->GetFeatures().hashes.Has(HashType::kSha1));
}

}  // namespace
}  // namespace cvclone
