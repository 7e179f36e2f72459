// Vfs without FUSE: ranged reads through crypt fetch only what they need, the write cache
// uploads atomically after close, survives a crash, and retries failed uploads; the minimal and
// full cache modes (ranges fetched into sparse files, eviction), a directory rename undone when
// it fails midway, and symbolic links as .rclonelink objects.
#include "core/vfs/vfs.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <filesystem>
#include <thread>

#include "core/io.hpp"
#include "core/vfs/vfs_impl.hpp"
#include "core/vfs/vfs_stream.hpp"  // Handle is deleted here
#include "crypt/crypt_remote.hpp"
#include "tests/support/fault_remote.hpp"
#include "tests/support/memory_remote.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone::vfs {
namespace {

using std::chrono::seconds;

// Forwards to an inner remote, counting the bytes its readers deliver and the Opens.
class CountingRemote : public Remote {
 public:
  explicit CountingRemote(Remote& inner) : inner_(inner) {}
  std::atomic<int64_t> bytes{0};
  std::atomic<int> opens{0};
  std::atomic<int> random_opens{0};

  std::string Type() const override { return inner_.Type(); }
  std::string Name() const override { return inner_.Name(); }
  const Features& GetFeatures() const override { return inner_.GetFeatures(); }
  Result<std::vector<ObjectInfo>> List(const Context& ctx, const std::string& dir) override {
    return inner_.List(ctx, dir);
  }
  Result<ObjectInfo> Stat(const Context& ctx, const std::string& path) override {
    return inner_.Stat(ctx, path);
  }
  Result<std::unique_ptr<Reader>> Open(const Context& ctx, const std::string& path,
                                       int64_t offset, int64_t count) override {
    opens++;
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> r, inner_.Open(ctx, path, offset, count));
    return std::unique_ptr<Reader>(
        std::make_unique<CountingReader>(std::move(r), [this](size_t n) { bytes += n; }));
  }
  // The inner remote's (forward_random), or the default: ranged Opens of this remote, so their
  // bytes are counted.
  Result<std::unique_ptr<RandomReader>> OpenRandom(const Context& ctx,
                                                   const std::string& path) override {
    random_opens++;
    return forward_random ? inner_.OpenRandom(ctx, path) : Remote::OpenRandom(ctx, path);
  }
  bool forward_random = false;
  Result<ObjectInfo> Put(const Context& ctx, const std::string& path, Reader& src,
                         const PutOptions& opts) override {
    return inner_.Put(ctx, path, src, opts);
  }
  Status Delete(const Context& ctx, const std::string& path) override {
    return inner_.Delete(ctx, path);
  }
  Status Mkdir(const Context& ctx, const std::string& dir) override { return inner_.Mkdir(ctx, dir); }
  Status Rmdir(const Context& ctx, const std::string& dir) override { return inner_.Rmdir(ctx, dir); }

 private:
  Remote& inner_;
};

VfsOptions Options(const test::TempDir& dir) {
  VfsOptions o;
  o.cache_dir = dir.Path("cache");
  o.write_back = seconds(0);
  return o;
}

std::string ReadRemote(Remote& r, const std::string& path) {
  auto reader = r.Open(Context{}, path);
  REQUIRE_MESSAGE(reader.has_value(), (reader ? "" : reader.error().message()));
  auto all = ReadAll(**reader);
  REQUIRE(all.has_value());
  return *all;
}

// Polls cond until it holds or 20 s pass.
bool Eventually(const std::function<bool()>& cond) {
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

void WriteFile(Vfs& v, const std::string& path, const std::string& data) {
  auto h = v.Create(path, O_WRONLY | O_CREAT | O_TRUNC);
  REQUIRE_MESSAGE(h.has_value(), (h ? "" : h.error().message()));
  auto n = v.Write(**h, AsBytes(data), 0);
  REQUIRE(n.has_value());
  REQUIRE(v.Flush(**h).has_value());
  v.Release(*h);
}

std::string ReadFile(Vfs& v, const std::string& path, int64_t offset = 0, size_t len = 1 << 30) {
  auto h = v.Open(path, O_RDONLY);
  REQUIRE_MESSAGE(h.has_value(), (h ? "" : h.error().message()));
  std::string out;
  std::vector<std::byte> buf(128 << 10);
  while (out.size() < len) {
    auto n = v.Read(**h, std::span(buf).first(std::min(buf.size(), len - out.size())),
                    offset + static_cast<int64_t>(out.size()));
    REQUIRE(n.has_value());
    if (*n == 0) break;
    out.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
  v.Release(*h);
  return out;
}

TEST_CASE("vfs: a 4 KiB read anywhere in a large crypt object fetches only the blocks it needs") {
  test::TempDir dir;
  MemoryRemote memory;
  crypt::CryptConfig cc;
  cc.password = "vfs test";
  auto inner = std::make_unique<CountingRemote>(memory);
  CountingRemote* inner_count = inner.get();
  auto crypt = crypt::NewCryptRemote(std::move(inner), "crypt(memory):", cc);
  REQUIRE(crypt.has_value());
  const std::string data = test::Pattern(size_t{24} << 20, 7);
  MemoryReader src(MemoryReader::kView, data);
  PutOptions po;
  po.size = static_cast<int64_t>(data.size());
  REQUIRE((*crypt)->Put(Context{}, "big", src, po).has_value());

  auto v = Vfs::New(**crypt, Options(dir));
  REQUIRE(v.has_value());
  constexpr int64_t kBlock = 65536 + 16;  // a crypt block with its tag
  for (int64_t offset : {int64_t{0}, int64_t{123456789} % int64_t(data.size()),
                         int64_t(data.size()) - 4096, int64_t{5} << 20}) {
    inner_count->bytes = 0;
    const std::string got = ReadFile(**v, "big", offset, 4096);
    CHECK(got == data.substr(static_cast<size_t>(offset), 4096));
    CAPTURE(offset);
    CHECK(inner_count->bytes <= 2 * kBlock + 32);  // the header, and at most two blocks
  }
  // A sequential reader streams: a few ranged opens for the whole object.
  VfsOptions small = Options(dir);
  small.read_chunk_size = 1 << 20;
  v->reset();
  CountingRemote outer(**crypt);
  auto v2 = Vfs::New(outer, small);
  REQUIRE(v2.has_value());
  CHECK(ReadFile(**v2, "big") == data);
  CHECK(outer.opens.load() == 5);  // 1, 2, 4, 8 and 16 MiB
}

TEST_CASE("vfs: reads after seeks on one handle open the object once, then fetch their blocks") {
  test::TempDir dir;
  MemoryRemote memory;
  crypt::CryptConfig cc;
  cc.password = "vfs test";
  auto inner = std::make_unique<CountingRemote>(memory);
  CountingRemote* inner_count = inner.get();
  auto crypt = crypt::NewCryptRemote(std::move(inner), "crypt(memory):", cc);
  REQUIRE(crypt.has_value());
  const std::string data = test::Pattern(size_t{8} << 20, 11);
  MemoryReader src(MemoryReader::kView, data);
  REQUIRE((*crypt)->Put(Context{}, "big", src, PutOptions{}).has_value());
  CountingRemote outer(**crypt);
  outer.forward_random = true;
  auto v = Vfs::New(outer, Options(dir));
  REQUIRE(v.has_value());
  auto h = (*v)->Open("big", O_RDONLY);
  REQUIRE(h.has_value());
  inner_count->bytes = 0;
  inner_count->opens = 0;
  constexpr int kReads = 40;
  std::vector<std::byte> buf(4096);
  for (int i = 0; i < kReads; ++i) {
    // Backwards through the object, 200 KiB apart: never where the last read ended.
    const int64_t offset = int64_t(data.size()) - 5000 - int64_t{i} * (200 << 10) - i;
    CAPTURE(offset);
    auto n = (*v)->Read(**h, buf, offset);
    REQUIRE(n.has_value());
    REQUIRE(*n == buf.size());
    CHECK(std::string(reinterpret_cast<const char*>(buf.data()), *n) ==
          data.substr(static_cast<size_t>(offset), *n));
  }
  (*v)->Release(*h);
  CHECK(outer.random_opens.load() == 1);
  CHECK(outer.opens.load() == 0);  // no ranged stream of the crypt object per read
  // Inside: the header once, then the one or two blocks each read touches.
  constexpr int64_t kBlock = 65536 + 16;
  CHECK(inner_count->opens.load() <= 1 + 2 * kReads);
  CHECK(inner_count->bytes.load() <= 32 + 2 * kReads * kBlock);
}

TEST_CASE("vfs: a written file is uploaded whole after close and never partially") {
  test::TempDir dir;
  MemoryRemote memory;
  FaultRemote faults(memory);
  auto v = Vfs::New(faults, Options(dir));
  REQUIRE(v.has_value());
  auto h = (*v)->Create("a/b.txt", O_WRONLY | O_CREAT);
  CHECK(!h.has_value());  // no parent
  REQUIRE((*v)->Mkdir("a").has_value());
  CHECK((*v)->Mkdir("a").error().code() == ErrorCode::kExists);
  h = (*v)->Create("a/b.txt", O_RDWR | O_CREAT);
  REQUIRE(h.has_value());
  REQUIRE((*v)->Write(**h, AsBytes("hello "), 0).has_value());
  REQUIRE((*v)->Write(**h, AsBytes("world"), 6).has_value());
  CHECK((*v)->GetAttr("a/b.txt")->size == 11);
  CHECK(!memory.Stat(Context{}, "a/b.txt").has_value());  // open: not uploaded
  CHECK((*v)->Rmdir("a").error().code() == ErrorCode::kDirNotEmpty);
  (*v)->Release(*h);
  REQUIRE(Eventually([&] { return (*v)->DirtyCount() == 0; }));
  CHECK(ReadRemote(memory, "a/b.txt") == "hello world");
  CHECK(ReadFile(**v, "a/b.txt") == "hello world");

  // A failing upload keeps the file dirty and visible, and is retried.
  faults.FailOn(FaultOp::kPut, AnyPath(), Error(ErrorCode::kNetwork, "injected"), 1);
  WriteFile(**v, "a/c.txt", "second");
  REQUIRE(Eventually([&] { return faults.Calls(FaultOp::kPut) >= 2; }));
  REQUIRE(Eventually([&] { return (*v)->DirtyCount() == 0; }));
  CHECK(ReadRemote(memory, "a/c.txt") == "second");

  // fsync uploads at once and returns the upload's error; the file stays dirty and is retried.
  faults.FailOn(FaultOp::kPut, AnyPath(), Error(ErrorCode::kNetwork, "injected"), 1);
  h = (*v)->Create("a/synced.txt", O_WRONLY | O_CREAT);
  REQUIRE(h.has_value());
  REQUIRE((*v)->Write(**h, AsBytes("synced"), 0).has_value());
  auto failed = (*v)->Fsync(**h);
  REQUIRE(!failed.has_value());
  CHECK(ErrnoFor(failed.error()) == EIO);
  CHECK((*v)->DirtyCount() == 1);
  CHECK((*v)->Fsync(**h).has_value());
  CHECK(ReadRemote(memory, "a/synced.txt") == "synced");
  CHECK((*v)->DirtyCount() == 0);
  (*v)->Release(*h);

  // Rename of a file and of a directory; unlink.
  REQUIRE((*v)->Rename("a/c.txt", "a/d.txt", false).has_value());
  CHECK(ReadRemote(memory, "a/d.txt") == "second");
  CHECK((*v)->Rename("a/d.txt", "a/b.txt", true).error().code() == ErrorCode::kExists);
  REQUIRE((*v)->Rename("a", "z", false).has_value());
  CHECK(ReadFile(**v, "z/b.txt") == "hello world");
  CHECK(ReadFile(**v, "z/synced.txt") == "synced");
  CHECK(!memory.Stat(Context{}, "a/b.txt").has_value());
  REQUIRE((*v)->Unlink("z/b.txt").has_value());
  CHECK((*v)->Unlink("z/b.txt").error().code() == ErrorCode::kNotFound);
  CHECK(ErrnoFor(Error(ErrorCode::kDirNotEmpty, "")) == ENOTEMPTY);
  CHECK(ErrnoFor(Error(ErrorCode::kNetwork, "")) == EIO);
}

TEST_CASE("vfs: dirty files survive the process and the next Vfs uploads them") {
  test::TempDir dir;
  Handle* unreleased = nullptr;
  MemoryRemote memory;
  VfsOptions o = Options(dir);
  o.write_back = std::chrono::hours(1);
  {
    auto v = Vfs::New(memory, o);
    REQUIRE(v.has_value());
    WriteFile(**v, "one.txt", "first file");
    REQUIRE((*v)->Mkdir("sub").has_value());
    WriteFile(**v, "sub/two.txt", std::string(100000, 'x'));
    REQUIRE((*v)->Rename("one.txt", "sub/uno.txt", false).has_value());
    // close(2) returned for this one (FLUSH), the process dies before the RELEASE.
    auto h = (*v)->Create("three.txt", O_WRONLY | O_CREAT | O_TRUNC);
    REQUIRE(h.has_value());
    REQUIRE((*v)->Write(**h, AsBytes(std::string("flushed")), 0).has_value());
    REQUIRE((*v)->Flush(**h).has_value());
    unreleased = *h;
    CHECK((*v)->DirtyCount() == 3);
    auto second = Vfs::New(memory, o);  // the cache folder is locked
    CHECK(!second.has_value());
    // Destroyed without Shutdown, as a killed process would leave it.
  }
  delete unreleased;
  CHECK(!memory.Stat(Context{}, "sub/uno.txt").has_value());
  o.write_back = seconds(0);
  auto v = Vfs::New(memory, o);
  REQUIRE(v.has_value());
  CHECK((*v)->GetAttr("sub/uno.txt")->size == 10);
  REQUIRE(Eventually([&] { return (*v)->DirtyCount() == 0; }));
  CHECK(ReadRemote(memory, "sub/uno.txt") == "first file");
  CHECK(ReadRemote(memory, "sub/two.txt") == std::string(100000, 'x'));
  CHECK(ReadRemote(memory, "three.txt") == "flushed");
  CHECK(!memory.Stat(Context{}, "one.txt").has_value());
}

TEST_CASE("vfs: a cache metadata file with a damaged mtime is left and named, the rest uploads") {
  test::TempDir dir;
  MemoryRemote memory;
  VfsOptions o = Options(dir);
  o.write_back = std::chrono::hours(1);
  {
    auto v = Vfs::New(memory, o);
    REQUIRE(v.has_value());
    WriteFile(**v, "good.txt", "kept");
    WriteFile(**v, "bad.txt", "damaged");
  }
  // The mtime line (the second) of bad.txt's metadata, damaged as a torn disk write may leave it.
  std::string damage = "12x";
  SUBCASE("trailing garbage") {}
  SUBCASE("no number") { damage = "x12"; }
  int damaged = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(o.cache_dir)) {
    if (e.path().extension() != ".meta") continue;
    std::string text = test::ReadFile(e.path().string()).value_or("");
    if (!text.ends_with("\nbad.txt")) continue;
    const size_t nl1 = text.find('\n'), nl2 = text.find('\n', nl1 + 1);
    text.replace(nl1 + 1, nl2 - nl1 - 1, damage);
    REQUIRE(test::WriteFile(e.path().string(), text));
    damaged++;
  }
  REQUIRE(damaged == 1);
  o.write_back = seconds(0);
  auto v = Vfs::New(memory, o);
  REQUIRE(v.has_value());
  REQUIRE(Eventually([&] { return memory.Stat(Context{}, "good.txt").has_value(); }));
  CHECK(ReadRemote(memory, "good.txt") == "kept");
  CHECK(!memory.Stat(Context{}, "bad.txt").has_value());
}

TEST_CASE("vfs: read-only refuses changes and off mode writes whole files only") {
  test::TempDir dir;
  MemoryRemote memory;
  VfsOptions o = Options(dir);
  o.read_only = true;
  auto ro = Vfs::New(memory, o);
  REQUIRE(ro.has_value());
  CHECK((*ro)->Create("x", O_WRONLY | O_CREAT).error().code() == ErrorCode::kPermission);
  CHECK((*ro)->Mkdir("x").error().code() == ErrorCode::kPermission);
  ro->reset();

  o.read_only = false;
  o.cache_mode = CacheMode::kOff;
  auto off = Vfs::New(memory, o);
  REQUIRE(off.has_value());
  auto h = (*off)->Create("s.txt", O_WRONLY | O_CREAT | O_TRUNC);
  REQUIRE(h.has_value());
  REQUIRE((*off)->Write(**h, AsBytes("abc"), 0).has_value());
  CHECK(!(*off)->Write(**h, AsBytes("x"), 10).has_value());  // not sequential
  REQUIRE((*off)->Write(**h, AsBytes("def"), 3).has_value());
  REQUIRE((*off)->Flush(**h).has_value());
  (*off)->Release(*h);
  CHECK(ReadRemote(memory, "s.txt") == "abcdef");
  CHECK((*off)->Open("s.txt", O_RDWR).error().code() == ErrorCode::kPermission);
  CHECK(ParseCacheMode("most").error().code() == ErrorCode::kUsage);
}

// The cache files in the Vfs's cache folder.
int CacheFiles(const Vfs& v) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(v.cache_folder())) {
    n += e.path().extension() == ".data" ? 1 : 0;
  }
  return n;
}

void PutObject(Remote& r, const std::string& path, const std::string& data) {
  MemoryReader src(MemoryReader::kView, data);
  PutOptions po;
  po.size = static_cast<int64_t>(data.size());
  REQUIRE(r.Put(Context{}, path, src, po).has_value());
}

TEST_CASE("vfs: minimal mode caches only what cannot be streamed") {
  test::TempDir dir;
  MemoryRemote memory;
  VfsOptions o = Options(dir);
  o.cache_mode = CacheMode::kMinimal;
  auto v = Vfs::New(memory, o);
  REQUIRE(v.has_value());
  // Write-only with O_TRUNC streams: sequential only, stored when closed, no cache file.
  auto h = (*v)->Create("s.txt", O_WRONLY | O_CREAT | O_TRUNC);
  REQUIRE(h.has_value());
  REQUIRE((*v)->Write(**h, AsBytes("abc"), 0).has_value());
  CHECK(!(*v)->Write(**h, AsBytes("x"), 10).has_value());
  CHECK(CacheFiles(**v) == 0);
  REQUIRE((*v)->Flush(**h).has_value());
  (*v)->Release(*h);
  CHECK(ReadRemote(memory, "s.txt") == "abc");
  // Read-write, and write-only without O_TRUNC: a cache file, written anywhere.
  h = (*v)->Open("s.txt", O_RDWR);
  REQUIRE(h.has_value());
  CHECK(CacheFiles(**v) == 1);
  REQUIRE((*v)->Write(**h, AsBytes("B"), 1).has_value());
  (*v)->Release(*h);
  h = (*v)->Open("s.txt", O_WRONLY);
  REQUIRE(h.has_value());
  REQUIRE((*v)->Write(**h, AsBytes("def"), 3).has_value());
  (*v)->Release(*h);
  REQUIRE((*v)->Truncate("s.txt", 5, nullptr).has_value());
  REQUIRE(Eventually([&] { return (*v)->DirtyCount() == 0; }));
  CHECK(ReadRemote(memory, "s.txt") == "aBcde");
  // Read-only opens stream from the remote.
  REQUIRE(Eventually([&] { return CacheFiles(**v) == 0; }));
  h = (*v)->Open("s.txt", O_RDONLY);
  REQUIRE(h.has_value());
  CHECK(CacheFiles(**v) == 0);
  (*v)->Release(*h);
  CHECK(ReadFile(**v, "s.txt") == "aBcde");
}

TEST_CASE("vfs: full mode fetches only the ranges read, keeps them and uploads whole files") {
  test::TempDir dir;
  MemoryRemote memory;
  std::string data = test::Pattern(size_t{8} << 20, 5);
  PutObject(memory, "big", data);
  CountingRemote counting(memory);
  VfsOptions o = Options(dir);
  o.cache_mode = CacheMode::kFull;
  o.read_ahead = 65536;
  o.dir_cache_time = seconds(0);  // sees the change of the object below
  auto v = Vfs::New(counting, o);
  REQUIRE(v.has_value());
  auto h = (*v)->Open("big", O_RDONLY);
  REQUIRE(h.has_value());
  std::vector<std::byte> buf(4096);
  REQUIRE((*v)->Read(**h, buf, 3 << 20).has_value());
  CHECK(std::string(reinterpret_cast<const char*>(buf.data()), buf.size()) ==
        data.substr(3 << 20, 4096));
  CHECK(counting.bytes == 4096 + 65536);  // the read and its read-ahead
  REQUIRE((*v)->Read(**h, buf, (3 << 20) + 8192).has_value());
  REQUIRE((*v)->Read(**h, buf, 3 << 20).has_value());
  CHECK(counting.bytes == 4096 + 65536);  // served by the cache file
  // The end of the file: the read-ahead stops there.
  REQUIRE((*v)->Read(**h, buf, (8 << 20) - 100).value() == 100);
  CHECK(counting.bytes == 4096 + 65536 + 100);
  (*v)->Release(*h);
  struct stat st;
  REQUIRE(CacheFiles(**v) == 1);  // kept after close
  for (const auto& e : std::filesystem::directory_iterator((*v)->cache_folder())) {
    if (e.path().extension() == ".data") REQUIRE(::stat(e.path().c_str(), &st) == 0);
  }
  CHECK(st.st_size == int64_t{8} << 20);
  CHECK(int64_t{st.st_blocks} * 512 < int64_t{1} << 20);  // sparse

  // A change fetches the rest first; the upload holds every byte.
  h = (*v)->Open("big", O_RDWR);
  REQUIRE(h.has_value());
  REQUIRE((*v)->Write(**h, AsBytes("patch"), 5 << 20).has_value());
  data.replace(5 << 20, 5, "patch");
  REQUIRE((*v)->Truncate("big", (6 << 20) + 1, *h).has_value());
  data.resize((6 << 20) + 1);
  (*v)->Release(*h);
  REQUIRE(Eventually([&] { return (*v)->DirtyCount() == 0; }));
  CHECK((ReadRemote(memory, "big") == data));
  const int64_t before = counting.bytes;
  CHECK((ReadFile(**v, "big") == data));
  CHECK(counting.bytes == before);  // whole in the cache

  // An object changed on the remote is not served from the old cache file.
  PutObject(memory, "big", "replaced");
  CHECK(ReadFile(**v, "big") == "replaced");
}

TEST_CASE("vfs: full mode evicts clean files least recently used first, never open or dirty ones") {
  test::TempDir dir;
  MemoryRemote memory;
  const std::string a = test::Pattern(1 << 20, 1), b = test::Pattern(1 << 20, 2),
                    c = test::Pattern(1 << 20, 3);
  PutObject(memory, "a", a);
  PutObject(memory, "b", b);
  PutObject(memory, "c", c);
  CountingRemote counting(memory);
  VfsOptions o = Options(dir);
  o.cache_mode = CacheMode::kFull;
  o.cache_max_size = (int64_t{5} << 20) / 2;  // room for two of them
  o.write_back = std::chrono::hours(1);
  auto v = Vfs::New(counting, o);
  REQUIRE(v.has_value());
  auto open_c = (*v)->Open("c", O_RDONLY);  // open all along: never evicted
  REQUIRE(open_c.has_value());
  std::vector<std::byte> buf(1 << 20);
  REQUIRE((*v)->Read(**open_c, buf, 0).value() == buf.size());
  CHECK(ReadFile(**v, "a") == a);
  CHECK(ReadFile(**v, "b") == b);  // three files: a, the least recently used, goes
  WriteFile(**v, "d", std::string(1 << 20, 'd'));  // dirty (write-back 1h): stays
  REQUIRE(Eventually([&] { return CacheFiles(**v) == 2; }));  // c (open) and d (dirty)
  int64_t before = counting.bytes;
  REQUIRE((*v)->Read(**open_c, buf, 0).value() == buf.size());
  CHECK(counting.bytes == before);
  CHECK((*v)->DirtyCount() == 1);
  CHECK(ReadFile(**v, "d") == std::string(1 << 20, 'd'));
  CHECK(counting.bytes == before);
  (*v)->Release(*open_c);
  CHECK((*v)->Shutdown().has_value());
  CHECK(ReadRemote(memory, "d") == std::string(1 << 20, 'd'));
  v->reset();

  // --vfs-cache-max-age 0: a clean file leaves the cache once closed.
  o.cache_max_size = -1;
  o.cache_max_age = seconds(0);
  v = Vfs::New(counting, o);
  REQUIRE(v.has_value());
  CHECK(ReadFile(**v, "a") == a);
  CHECK(Eventually([&] { return CacheFiles(**v) == 0; }));
}

// A MemoryRemote whose server-side Move takes the object away, then holds it until Release():
// for that moment the object is under neither name. Counts the Opens made meanwhile.
class HeldMoveRemote : public MemoryRemote {
 public:
  Result<ObjectInfo> Move(const Context& ctx, Remote& src, const std::string& src_path,
                          const std::string& dst_path) override {
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, MemoryRemote::Open(ctx, src_path, 0, -1));
    CVC_ASSIGN_OR_RETURN(std::string data, ReadAll(*reader));
    CVC_RETURN_IF_ERROR(Delete(ctx, src_path));
    std::unique_lock lock(mu_);
    held_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return released_; });
    held_ = false;
    lock.unlock();
    (void)src;
    MemoryReader body(MemoryReader::kView, data);
    PutOptions po;
    po.size = static_cast<int64_t>(data.size());
    return Put(ctx, dst_path, body, po);
  }
  Result<std::unique_ptr<Reader>> Open(const Context& ctx, const std::string& path,
                                       int64_t offset, int64_t count) override {
    {
      std::lock_guard lock(mu_);
      if (held_) opens_while_held_++;
      cv_.notify_all();
    }
    return MemoryRemote::Open(ctx, path, offset, count);
  }
  void WaitHeld() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return held_; });
  }
  // Whether an Open came while the object was held, waiting at most `limit` for one.
  bool OpenWhileHeld(std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return opens_while_held_ > 0; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  bool released_ = false;
  int opens_while_held_ = 0;
};

TEST_CASE("vfs: full mode: a read of missing ranges during a rename waits for it, never EIO") {
  for (const bool whole_dir : {false, true}) {
    CAPTURE(whole_dir);
    test::TempDir dir;
    HeldMoveRemote remote;
    remote.features().server_side_move = true;
    const std::string data = test::Pattern(1 << 20, 7);
    PutObject(remote, "d/f", data);
    VfsOptions o = Options(dir);
    o.cache_mode = CacheMode::kFull;
    auto v = Vfs::New(remote, o);
    REQUIRE(v.has_value());
    auto h = (*v)->Open("d/f", O_RDONLY);
    REQUIRE(h.has_value());
    std::vector<std::byte> buf(4096);
    REQUIRE((*v)->Read(**h, buf, 0).value() == buf.size());  // the rest is still missing
    Status renamed = Ok();
    std::thread rename([&] {
      renamed = whole_dir ? (*v)->Rename("d", "e", false) : (*v)->Rename("d/f", "d/g", false);
    });
    remote.WaitHeld();
    Result<size_t> read = 0;
    std::thread reader([&] { read = (*v)->Read(**h, buf, 512 << 10); });
    // A read that does not wait fetches now and finds no object; one that waits makes no
    // request until the move is done. The bound only limits how long the test looks for the
    // first kind.
    CHECK(!remote.OpenWhileHeld(std::chrono::milliseconds(500)));
    remote.Release();
    rename.join();
    reader.join();
    CHECK(renamed.has_value());
    REQUIRE_MESSAGE(read.has_value(), (read ? "" : read.error().message()));
    CHECK(*read == buf.size());
    CHECK(std::string(reinterpret_cast<const char*>(buf.data()), buf.size()) ==
          data.substr(512 << 10, 4096));
    (*v)->Release(*h);
  }
}

TEST_CASE("vfs: a directory rename that fails midway is undone") {
  test::TempDir dir;
  MemoryRemote memory;
  FaultRemote faults(memory);
  for (const char* name : {"d/1", "d/2", "d/3", "d/4", "d/sub/5"}) PutObject(memory, name, name);
  VfsOptions o = Options(dir);
  o.write_back = std::chrono::hours(1);
  auto v = Vfs::New(faults, o);
  REQUIRE(v.has_value());
  WriteFile(**v, "d/2", "dirty 2");  // a dirty file: its old object goes, its cache file moves
  // The move of d/3 fails (server-side move, copy, and download + upload alike).
  faults.FailOn(FaultOp::kCopy, PathIs("e/3"), Error(ErrorCode::kNetwork, "injected"));
  faults.FailOn(FaultOp::kPut, PathIs("e/3"), Error(ErrorCode::kNetwork, "injected"));
  auto renamed = (*v)->Rename("d", "e", false);
  REQUIRE(!renamed.has_value());
  CHECK(ErrnoFor(renamed.error()) == EIO);
  // Everything is under the old name again, on the remote and in the view.
  CHECK((*v)->GetAttr("e").error().code() == ErrorCode::kNotFound);
  auto listed = (*v)->ReadDir("d");
  REQUIRE(listed.has_value());
  std::string names;
  for (const DirEntry& e : *listed) names += e.name + " ";
  CHECK(names == "1 2 3 4 sub ");
  CHECK(ReadFile(**v, "d/1") == "d/1");
  CHECK(ReadFile(**v, "d/2") == "dirty 2");
  CHECK(ReadFile(**v, "d/sub/5") == "d/sub/5");
  CHECK(!memory.Stat(Context{}, "e/1").has_value());
  CHECK(!memory.Stat(Context{}, "e/sub/5").has_value());
  CHECK(ReadRemote(memory, "d/1") == "d/1");
  CHECK(ReadRemote(memory, "d/sub/5") == "d/sub/5");
  // Once the fault is gone the same rename succeeds, and the dirty file lands under e.
  faults.ClearFaults();
  REQUIRE((*v)->Rename("d", "e", false).has_value());
  CHECK((*v)->Shutdown().has_value());
  CHECK(ReadRemote(memory, "e/2") == "dirty 2");
  CHECK(ReadRemote(memory, "e/3") == "d/3");
  CHECK(ReadRemote(memory, "e/sub/5") == "d/sub/5");
  CHECK(!memory.Stat(Context{}, "d/1").has_value());
  CHECK(!memory.Stat(Context{}, "d/2").has_value());
}

TEST_CASE("vfs: with links, symbolic links are NAME.rclonelink objects holding the target") {
  test::TempDir dir;
  MemoryRemote memory;
  VfsOptions o = Options(dir);
  auto plain = Vfs::New(memory, o);
  REQUIRE(plain.has_value());
  CHECK((*plain)->Symlink("t", "l").error().code() == ErrorCode::kUnsupported);
  plain->reset();
  o.links = true;
  auto v = Vfs::New(memory, o);
  REQUIRE(v.has_value());
  REQUIRE((*v)->Mkdir("d").has_value());
  REQUIRE((*v)->Symlink("../target file", "d/l").has_value());
  CHECK(ReadRemote(memory, "d/l.rclonelink") == "../target file");
  CHECK((*v)->Symlink("x", "d/l").error().code() == ErrorCode::kExists);
  auto attr = (*v)->GetAttr("d/l");
  REQUIRE(attr.has_value());
  CHECK(attr->is_link);
  CHECK(attr->size == 14);
  CHECK((*v)->Readlink("d/l").value() == "../target file");
  WriteFile(**v, "d/f", "file");
  CHECK((*v)->Readlink("d/f").error().code() == ErrorCode::kInvalidArgument);
  auto listed = (*v)->ReadDir("d");
  REQUIRE(listed.has_value());
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].name == "f");
  CHECK(!(*listed)[0].is_link);
  CHECK((*listed)[1].name == "l");
  CHECK((*listed)[1].is_link);
  // rename moves the object; a link replacing a file removes the file.
  REQUIRE((*v)->Rename("d/l", "d/f", false).has_value());
  REQUIRE(Eventually([&] { return (*v)->DirtyCount() == 0; }));
  CHECK(ReadRemote(memory, "d/f.rclonelink") == "../target file");
  CHECK(!memory.Stat(Context{}, "d/f").has_value());
  CHECK(!memory.Stat(Context{}, "d/l.rclonelink").has_value());
  CHECK((*v)->GetAttr("d/f")->is_link);
  REQUIRE((*v)->Unlink("d/f").has_value());
  CHECK(!memory.Stat(Context{}, "d/f.rclonelink").has_value());
  CHECK((*v)->GetAttr("d/f").error().code() == ErrorCode::kNotFound);
}

}  // namespace
}  // namespace cvclone::vfs
