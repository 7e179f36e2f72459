#include "core/engine/parallel_reader.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <stop_token>
#include <string>

#include "core/io.hpp"
#include "tests/support/fault_remote.hpp"
#include "tests/support/memory_remote.hpp"

namespace cvclone {
namespace {

std::string Pattern(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

void Store(MemoryRemote& r, const std::string& path, const std::string& data) {
  r.SetFile(path, data, TimePoint(std::chrono::seconds(1'700'000'000)));
}

// Reads r to EOF with reads of `chunk` bytes.
Result<std::string> ReadInChunks(Reader& r, size_t chunk) {
  std::string out, buf(chunk, '\0');
  for (;;) {
    CVC_ASSIGN_OR_RETURN(size_t n, r.Read(AsWritableBytes(buf)));
    if (n == 0) return out;
    out.append(buf.data(), n);
  }
}

TEST_CASE("parallel reader: yields the bytes in order, sizes not a multiple of the block") {
  MemoryRemote mem;
  FaultRemote remote(mem);
  for (size_t size : {0UL, 1UL, 999UL, 1000UL, 1001UL, 7777UL, 20000UL}) {
    CAPTURE(size);
    const std::string path = "obj" + std::to_string(size);
    const std::string data = Pattern(size);
    Store(mem, path, data);
    for (int streams : {1, 3, 4}) {
      CAPTURE(streams);
      ParallelReadOptions opts;
      opts.streams = streams;
      opts.block_size = 1000;
      const int before = remote.Calls(FaultOp::kOpen, path);
      {
        ParallelReader reader(Context{}, remote, path, static_cast<int64_t>(size), opts);
        auto got = ReadInChunks(reader, 333);
        REQUIRE(got.has_value());
        CHECK(*got == data);
        std::string buf(10, ' ');
        auto again = reader.Read(AsWritableBytes(buf));
        REQUIRE(again.has_value());
        CHECK(*again == 0);
      }
      CHECK(remote.Calls(FaultOp::kOpen, path) - before == static_cast<int>((size + 999) / 1000));
    }
  }
}

TEST_CASE("parallel reader: block size grows with the object, bounded") {
  ParallelReadOptions opts;
  opts.streams = 4;
  CHECK(ParallelBlockSize(100, opts) == ParallelReadOptions::kMinBlock);
  CHECK(ParallelBlockSize(int64_t{20} << 20, opts) == int64_t{5} << 20);
  CHECK(ParallelBlockSize(int64_t{1} << 30, opts) == ParallelReadOptions::kMaxBlock);
  opts.block_size = 4096;
  CHECK(ParallelBlockSize(int64_t{1} << 30, opts) == 4096);
}

TEST_CASE("parallel reader: an error in one stream fails the read, and stays") {
  MemoryRemote mem;
  FaultRemote remote(mem);
  const std::string data = Pattern(50'000);
  Store(mem, "obj", data);
  ParallelReadOptions opts;
  opts.streams = 4;
  opts.block_size = 4096;
  SUBCASE("a failing read") {
    remote.FailReadAfter(PathIs("obj"), 100, Error(ErrorCode::kNetwork, "injected reset"), 1);
  }
  SUBCASE("a failing open") {
    remote.FailOn(FaultOp::kOpen, PathIs("obj"), Error(ErrorCode::kNetwork, "injected reset"), 1);
  }
  ParallelReader reader(Context{}, remote, "obj", 50'000, opts);
  auto got = ReadInChunks(reader, 1000);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().code() == ErrorCode::kNetwork);
  std::string buf(100, ' ');
  auto again = reader.Read(AsWritableBytes(buf));
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code() == ErrorCode::kNetwork);
}

TEST_CASE("parallel reader: an object shorter than announced is an error") {
  MemoryRemote mem;
  Store(mem, "obj", Pattern(5000));
  ParallelReadOptions opts;
  opts.block_size = 1000;
  ParallelReader reader(Context{}, mem, "obj", 6000, opts);
  auto got = ReadInChunks(reader, 4096);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().code() == ErrorCode::kIo);
}

TEST_CASE("parallel reader: cancel stops the read, early destruction stops the workers") {
  MemoryRemote mem;
  FaultRemote remote(mem);
  Store(mem, "obj", Pattern(100'000));
  ParallelReadOptions opts;
  opts.streams = 3;
  opts.block_size = 1000;
  std::stop_source stop;
  Context ctx;
  ctx.stop = stop.get_token();
  {
    ParallelReader reader(ctx, remote, "obj", 100'000, opts);
    std::string buf(1500, ' ');
    REQUIRE(reader.Read(AsWritableBytes(buf)).has_value());
    stop.request_stop();
    Result<size_t> r = size_t{1};
    while (r && *r > 0) r = reader.Read(AsWritableBytes(buf));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == ErrorCode::kCancelled);
  }
  // At most the blocks in flight were fetched: the window is bounded by the stream count.
  CHECK(remote.Calls(FaultOp::kOpen, "obj") <= 6);
  { ParallelReader unread(Context{}, remote, "obj", 100'000, opts); }  // joins without hanging
}

}  // namespace
}  // namespace cvclone

namespace cvclone {
namespace {

// Streams that say which version of the object they read: ranges from offset 3000 on come from
// a replaced object (as S3 ETags show when an object is overwritten mid-download).
class VersionedRemote : public MemoryRemote {
 public:
  Result<std::unique_ptr<Reader>> Open(const Context& ctx, const std::string& path,
                                       int64_t offset, int64_t count) override {
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> in, MemoryRemote::Open(ctx, path, offset, count));
    return std::unique_ptr<Reader>(
        std::make_unique<Versioned>(std::move(in), offset >= 3000 ? "\"v2\"" : "\"v1\""));
  }

 private:
  class Versioned : public Reader {
   public:
    Versioned(std::unique_ptr<Reader> in, std::string version)
        : in_(std::move(in)), version_(std::move(version)) {}
    Result<size_t> Read(std::span<std::byte> buf) override { return in_->Read(buf); }
    std::string Version() const override { return version_; }

   private:
    std::unique_ptr<Reader> in_;
    std::string version_;
  };
};

TEST_CASE("parallel reader: blocks from two versions of the object are an error, not data") {
  VersionedRemote remote;
  const std::string data = Pattern(6000);
  Store(remote, "obj", data);
  ParallelReadOptions opts;
  opts.streams = 2;
  opts.block_size = 1000;
  ParallelReader reader(Context{}, remote, "obj", 6000, opts);
  auto got = ReadInChunks(reader, 500);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().code() == ErrorCode::kCorrupt);
  CHECK(got.error().retryable());
  CHECK(got.error().message().find("changed during the download") != std::string::npos);
}

}  // namespace
}  // namespace cvclone
