#include "core/io.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <string>

namespace cvclone {
namespace {

// Yields its data one byte per Read, then fails if fail is set.
class TrickleReader : public Reader {
 public:
  TrickleReader(std::string data, bool fail) : data_(std::move(data)), fail_(fail) {}
  Result<size_t> Read(std::span<std::byte> buf) override {
    if (pos_ == data_.size()) {
      if (fail_) return MakeError(ErrorCode::kIo, "trickle failed");
      return size_t{0};
    }
    if (buf.empty()) return size_t{0};
    buf[0] = static_cast<std::byte>(data_[pos_++]);
    return size_t{1};
  }

 private:
  std::string data_;
  size_t pos_ = 0;
  bool fail_;
};

TEST_CASE("io: HexEncode") {
  const std::string bytes("\x00\x01\xab\xff", 4);
  CHECK_EQ(HexEncode(AsBytes(bytes)), "0001abff");
  CHECK_EQ(HexEncode({}), "");
}

TEST_CASE("io: known MD5 and SHA-1 digests") {
  const HashSet both{HashType::kMd5, HashType::kSha1};
  auto empty = HashBytes({}, both);
  CHECK_EQ(empty[HashType::kMd5], "d41d8cd98f00b204e9800998ecf8427e");
  CHECK_EQ(empty[HashType::kSha1], "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  auto abc = HashBytes(AsBytes("abc"), both);
  CHECK_EQ(abc[HashType::kMd5], "900150983cd24fb0d6963f7d28e17f72");
  CHECK_EQ(abc[HashType::kSha1], "a9993e364706816aba3e25717850c26c9cd0d89d");
  auto md5_only = HashBytes(AsBytes("abc"), HashSet{HashType::kMd5});
  CHECK_EQ(md5_only.size(), 1u);
  CHECK_EQ(md5_only.count(HashType::kSha1), 0u);
}

TEST_CASE("io: Hasher Finish does not end hashing") {
  Hasher h(HashSet{HashType::kMd5});
  h.Update(std::string_view("a"));
  auto first = h.Finish();
  CHECK_EQ(first[HashType::kMd5], "0cc175b9c0f1b6a831c399e269772661");
  h.Update(std::string_view("bc"));
  CHECK_EQ(h.Finish()[HashType::kMd5], "900150983cd24fb0d6963f7d28e17f72");
}

TEST_CASE("io: MemoryReader owning and view, short buffers") {
  MemoryReader owned(std::string("hello world"));
  CHECK_EQ(owned.size(), 11u);
  std::string buf(4, '\0');
  CHECK_EQ(owned.Read(AsWritableBytes(buf)).value(), 4u);
  CHECK_EQ(buf, "hell");
  CHECK_EQ(owned.remaining(), 7u);
  CHECK_EQ(ReadAll(owned).value(), "o world");
  CHECK_EQ(owned.Read(AsWritableBytes(buf)).value(), 0u);

  const std::string text = "viewed";
  MemoryReader view(MemoryReader::kView, text);
  CHECK_EQ(ReadAll(view).value(), "viewed");
}

TEST_CASE("io: ReadAll limit and errors") {
  MemoryReader r(std::string(100, 'x'));
  auto limited = ReadAll(r, 50);
  REQUIRE_FALSE(limited.has_value());
  CHECK(limited.error().code() == ErrorCode::kInvalidArgument);
  MemoryReader exact(std::string(50, 'y'));
  CHECK_EQ(ReadAll(exact, 50).value().size(), 50u);
  TrickleReader failing("abc", true);
  auto res = ReadAll(failing);
  REQUIRE_FALSE(res.has_value());
  CHECK_EQ(res.error().message(), "trickle failed");
}

TEST_CASE("io: HashingReader hashes what passes through, across short reads") {
  TrickleReader inner("abc", false);
  HashingReader hr(inner, HashSet{HashType::kMd5, HashType::kSha1});
  CHECK_EQ(ReadAll(hr).value(), "abc");
  CHECK(hr.eof());
  CHECK_EQ(hr.bytes(), 3);
  CHECK_EQ(hr.Sums()[HashType::kSha1], "a9993e364706816aba3e25717850c26c9cd0d89d");
  // Errors pass through.
  HashingReader bad(std::make_unique<TrickleReader>("ab", true), HashSet{HashType::kMd5});
  CHECK_FALSE(ReadAll(bad).has_value());
  CHECK_FALSE(bad.eof());
}

TEST_CASE("io: HashReader") {
  MemoryReader r(std::string("abc"));
  auto sums = HashReader(r, HashSet{HashType::kMd5});
  REQUIRE(sums.has_value());
  CHECK_EQ(sums->at(HashType::kMd5), "900150983cd24fb0d6963f7d28e17f72");
  std::stop_source stop;
  stop.request_stop();
  Context ctx;
  ctx.stop = stop.get_token();
  MemoryReader r2(std::string("abc"));
  auto cancelled = HashReader(ctx, r2, HashSet{HashType::kMd5});
  REQUIRE_FALSE(cancelled.has_value());
  CHECK(cancelled.error().code() == ErrorCode::kCancelled);
}

TEST_CASE("io: CountingReader and LimitReader") {
  size_t calls = 0, seen = 0;
  CountingReader counter(std::make_unique<MemoryReader>(std::string(1000, 'z')), [&](size_t n) {
    ++calls;
    seen += n;
  });
  LimitReader limit(counter, 300);
  CHECK_EQ(ReadAll(limit).value().size(), 300u);
  CHECK_EQ(counter.count(), 300);
  CHECK_EQ(seen, 300u);
  CHECK(calls >= 1);
  LimitReader zero(std::make_unique<MemoryReader>(std::string("abc")), 0);
  CHECK_EQ(ReadAll(zero).value(), "");
}

TEST_CASE("io: ContextReader stops once cancelled") {
  std::stop_source stop;
  Context ctx;
  ctx.stop = stop.get_token();
  ContextReader r(ctx, std::make_unique<MemoryReader>(std::string("abcdef")));
  std::string buf(2, '\0');
  CHECK_EQ(r.Read(AsWritableBytes(buf)).value(), 2u);
  stop.request_stop();
  auto res = r.Read(AsWritableBytes(buf));
  REQUIRE_FALSE(res.has_value());
  CHECK(res.error().code() == ErrorCode::kCancelled);
}


TEST_CASE("io: FdReader reads the first size bytes by pread, kIo on a short file, closes only what it owns") {
  FILE* f = tmpfile();
  REQUIRE(f != nullptr);
  const int fd = fileno(f);
  REQUIRE(::write(fd, "hello world", 11) == 11);
  {
    FdReader r(fd, 5, FdReader::kBorrow, "the test file");
    auto all = ReadAll(r);
    REQUIRE(all.has_value());
    CHECK(*all == "hello");
  }
  CHECK(::fcntl(fd, F_GETFD) != -1);  // borrowed: still open
  {
    FdReader r(fd, 20, FdReader::kBorrow, "the test file");
    auto all = ReadAll(r);
    REQUIRE(!all.has_value());
    CHECK(all.error().code() == ErrorCode::kIo);
    CHECK(all.error().message().find("the test file") != std::string::npos);
  }
  const int owned = ::dup(fd);
  { FdReader r(owned, 0, FdReader::kOwn, "the test file"); }
  CHECK(::fcntl(owned, F_GETFD) == -1);  // owned: closed
  fclose(f);
}

}  // namespace
}  // namespace cvclone
