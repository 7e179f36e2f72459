// Direct (O_DIRECT) writes of large files by the local backend.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>

#include "backends/local/local.hpp"
#include "backends/local/local_direct.hpp"
#include "backends/local/local_fs.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone {
namespace {

namespace fs = std::filesystem;
using local::DirectWriter;

// Pseudo-random bytes: a block written at the wrong offset shows.
std::string Pattern(size_t size) { return test::Pattern(size, 12345); }

// Yields `data` in pieces of at most `piece` bytes, then fails with kNetwork after `fail_after`
// bytes if that is not -1.
class PieceReader : public Reader {
 public:
  PieceReader(const std::string& data, size_t piece, int64_t fail_after = -1)
      : data_(data), piece_(piece), fail_after_(fail_after) {}
  Result<size_t> Read(std::span<std::byte> buf) override {
    if (fail_after_ >= 0 && static_cast<int64_t>(pos_) >= fail_after_) {
      return MakeError(ErrorCode::kNetwork, "test: connection reset");
    }
    const size_t n = std::min({buf.size(), piece_, data_.size() - pos_});
    std::memcpy(buf.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  const std::string& data_;
  size_t piece_;
  int64_t fail_after_;
  size_t pos_ = 0;
};

bool HasDirectFlag(int fd) { return (::fcntl(fd, F_GETFL) & O_DIRECT) != 0; }

int CountEntries(const fs::path& dir) {
  int n = 0;
  for ([[maybe_unused]] const auto& e : fs::recursive_directory_iterator(dir)) ++n;
  return n;
}

TEST_CASE("direct writer: pieces of any size land at their offsets, tail included") {
  test::TempDir dir;
  const std::string path = dir.Path("out");
  local::Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644));
  REQUIRE(fd.valid());
  auto writer = DirectWriter::Start(fd.get(), path);
  REQUIRE(writer != nullptr);  // the test directory is on a filesystem that takes O_DIRECT
  CHECK(HasDirectFlag(fd.get()));
  // Three whole blocks, then a tail with whole 4 KiB pages and a few bytes more.
  const std::string data = Pattern(3 * DirectWriter::kBlockSize + 3 * 4096 + 123);
  size_t pos = 0;
  size_t piece = 1;
  while (pos < data.size()) {
    auto space = writer->Buffer();
    REQUIRE(space.has_value());
    REQUIRE(!space->empty());
    const size_t n = std::min({space->size(), data.size() - pos, piece});
    std::memcpy(space->data(), data.data() + pos, n);
    writer->Commit(n);
    pos += n;
    piece = piece * 3 + 7;  // odd sizes, some larger than a block
  }
  REQUIRE(writer->Finish().has_value());
  CHECK_FALSE(HasDirectFlag(fd.get()));  // the unaligned tail went through the page cache
  CHECK(dir.ReadFile("out") == data);
}

TEST_CASE("direct writer: a write error is reported with the file's name") {
  test::TempDir dir;
  REQUIRE(dir.WriteFile("readonly", ""));
  const std::string path = dir.Path("readonly");
  local::Fd fd(::open(path.c_str(), O_RDONLY));
  REQUIRE(fd.valid());
  auto writer = DirectWriter::Start(fd.get(), path);
  REQUIRE(writer != nullptr);
  Status st = Ok();
  // The writes fail (EBADF); the error surfaces from Buffer() or at the latest from Finish().
  for (size_t i = 0; i < 2 * DirectWriter::kBlocks && st; ++i) {
    auto space = writer->Buffer();
    if (!space) {
      st = Unexpected<Error>(space.error());
      break;
    }
    writer->Commit(space->size());
  }
  if (st) st = writer->Finish();
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().message().find(path) != std::string::npos);
}

std::unique_ptr<Remote> OpenLocal(const std::string& root) {
  auto r = NewLocalRemote(root, "", LocalOptions{.fsync = true});
  REQUIRE(r.has_value());
  return std::move(r).value();
}

TEST_CASE("local put of a large file (direct path): exact bytes, mtime, nothing else left") {
  test::TempDir dir;
  auto remote = OpenLocal(dir.path());
  const std::string data = Pattern(local::kDirectWriteMin + 777);
  PieceReader reader(data, 1'000'003);
  PutOptions opts;
  opts.size = static_cast<int64_t>(data.size());
  opts.mtime = TimePoint{std::chrono::seconds(1700000000) + std::chrono::nanoseconds(5)};
  auto info = remote->Put(Context{}, "big.bin", reader, opts);
  REQUIRE(info.has_value());
  CHECK(info->size == opts.size);
  CHECK(info->mtime == opts.mtime);
  CHECK(dir.ReadFile("big.bin") == data);
  CHECK(CountEntries(dir.path()) == 1);
}

TEST_CASE("local put of a large file (direct path): a failing or short source leaves nothing") {
  test::TempDir dir;
  auto remote = OpenLocal(dir.path());
  const std::string data = Pattern(local::kDirectWriteMin + 4096);
  PutOptions opts;
  opts.size = static_cast<int64_t>(data.size());
  SUBCASE("the source fails halfway") {
    PieceReader reader(data, 1 << 20, static_cast<int64_t>(data.size() / 2));
    auto info = remote->Put(Context{}, "big.bin", reader, opts);
    REQUIRE_FALSE(info.has_value());
    CHECK(info.error().code() == ErrorCode::kNetwork);
  }
  SUBCASE("the source ends early") {
    opts.size += 1;
    PieceReader reader(data, 1 << 20);
    auto info = remote->Put(Context{}, "big.bin", reader, opts);
    REQUIRE_FALSE(info.has_value());
    CHECK(info.error().code() == ErrorCode::kCorrupt);
  }
  SUBCASE("the source is longer than announced") {
    opts.size -= 1;
    PieceReader reader(data, 1 << 20);
    auto info = remote->Put(Context{}, "big.bin", reader, opts);
    REQUIRE_FALSE(info.has_value());
    CHECK(info.error().code() == ErrorCode::kCorrupt);
  }
  CHECK(CountEntries(dir.path()) == 0);
}

}  // namespace
}  // namespace cvclone
