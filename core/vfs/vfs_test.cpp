// Vfs without FUSE: ranged reads through crypt fetch only what they need, the write cache
// uploads atomically after close, survives a crash, and retries failed uploads.
#include "core/vfs/vfs.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "core/io.hpp"
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
    CHECK((*v)->DirtyCount() == 2);
    auto second = Vfs::New(memory, o);  // the cache folder is locked
    CHECK(!second.has_value());
    // Destroyed without Shutdown, as a killed process would leave it.
  }
  CHECK(!memory.Stat(Context{}, "sub/uno.txt").has_value());
  o.write_back = seconds(0);
  auto v = Vfs::New(memory, o);
  REQUIRE(v.has_value());
  CHECK((*v)->GetAttr("sub/uno.txt")->size == 10);
  REQUIRE(Eventually([&] { return (*v)->DirtyCount() == 0; }));
  CHECK(ReadRemote(memory, "sub/uno.txt") == "first file");
  CHECK(ReadRemote(memory, "sub/two.txt") == std::string(100000, 'x'));
  CHECK(!memory.Stat(Context{}, "one.txt").has_value());
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
  o.cache_mode = CacheMode::kFull;
  CHECK(Vfs::New(memory, o).error().code() == ErrorCode::kUsage);
}

}  // namespace
}  // namespace cvclone::vfs
