// BatchPipeline keeps order, reads one batch at a time, bounds the batches in flight and stops
// reading at the end; the pipelined paths of EncryptingReader and DecryptingReader produce the
// same bytes and the same errors as the single-threaded ones.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include "core/io.hpp"
#include "crypt/data.hpp"

namespace cvclone::crypt {
namespace {

const DataKey& Key() {
  static const DataKey key = [] {
    DataKey k;
    for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(i * 3 + 1);
    return k;
  }();
  return key;
}

Nonce TestNonce() {
  Nonce n;
  for (size_t i = 0; i < n.size(); ++i) n[i] = static_cast<uint8_t>(0xf0 + i);
  return n;
}

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 12345;
  for (char& c : s) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

// Reads r to the end in pieces of `piece` bytes.
Result<std::string> Drain(Reader& r, size_t piece) {
  std::string out, buf(piece, '\0');
  for (;;) {
    CVC_ASSIGN_OR_RETURN(size_t n, r.Read(AsWritableBytes(buf)));
    if (n == 0) return out;
    out.append(buf, 0, n);
  }
}

std::string Encrypt(const std::string& plain, bool pipelined, size_t piece) {
  MemoryReader src(plain);
  EncryptingReader enc(Key(), src, TestNonce(), pipelined);
  return Drain(enc, piece).value();
}

// A reader that fails after `good` bytes.
class FailingReader : public Reader {
 public:
  FailingReader(std::string data, size_t good) : data_(std::move(data)), good_(good) {}
  Result<size_t> Read(std::span<std::byte> buf) override {
    if (pos_ >= good_) return MakeError(ErrorCode::kIo, "disk on fire");
    const size_t n = std::min(buf.size(), good_ - pos_);
    std::memcpy(buf.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t good_;
  size_t pos_ = 0;
};

// Uneven work, so that batches finish out of order on several workers.
uint32_t Spin(uint64_t index) {
  uint32_t x = static_cast<uint32_t>(index);
  for (uint64_t i = 0; i < (index % 5) * 20000; ++i) x = x * 1664525u + 1013904223u;
  return x;
}

// Runs a pipeline of `workers` over 300 batches and checks order, one read at a time, the bound
// on batches ahead of the consumer and the number of reads.
void CheckOrderedPipeline(size_t workers) {
  CAPTURE(workers);
  constexpr uint64_t kBatches = 300;
  std::atomic<uint64_t> reads{0};
  std::atomic<uint64_t> released{0};  // batches the consumer has handed back
  std::atomic<int> in_read{0};
  std::atomic<bool> overlap{false};
  std::atomic<uint64_t> most_ahead{0};
  BatchPipeline pipeline(
      [&](Batch& b) {
        if (in_read.fetch_add(1) != 0) overlap = true;
        const uint64_t i = reads.fetch_add(1);
        const uint64_t ahead = i + 1 - released.load();
        if (ahead > most_ahead.load()) most_ahead = ahead;
        b.data.assign(16, 0);
        std::memcpy(b.data.data(), &i, sizeof i);
        b.len = 16;
        b.last = i + 1 == kBatches;
        in_read.fetch_sub(1);
      },
      [](Batch& b, uint64_t index) {
        uint64_t read_index;
        std::memcpy(&read_index, b.data.data(), sizeof read_index);
        if (read_index != index) b.error = Error(ErrorCode::kInternal, "index mismatch");
        const uint32_t spun = Spin(index);
        std::memcpy(b.data.data() + 8, &spun, sizeof spun);
      },
      workers);
  CHECK(pipeline.depth() == workers + 2);
  bool in_order = true;
  for (uint64_t i = 0; i < kBatches; ++i) {
    released = i;  // Next() hands batch i - 1 back
    Batch& b = pipeline.Next();
    uint64_t got;
    std::memcpy(&got, b.data.data(), sizeof got);
    in_order = in_order && got == i && !b.error && b.last == (i + 1 == kBatches);
  }
  CHECK(in_order);
  CHECK_FALSE(overlap.load());
  CHECK(most_ahead.load() <= pipeline.depth());
  CHECK(reads.load() == kBatches);
}

TEST_CASE("batch pipeline: in order, one read at a time, bounded, no reads after the last") {
  CheckOrderedPipeline(1);
  CheckOrderedPipeline(3);
}

TEST_CASE("batch pipeline: a read error or a process error ends reading") {
  for (const bool in_process : {false, true}) {
    CAPTURE(in_process);
    std::atomic<uint64_t> reads{0};
    BatchPipeline pipeline(
        [&](Batch& b) {
          const uint64_t i = reads.fetch_add(1);
          b.len = i;
          if (!in_process && i == 7) b.error = Error(ErrorCode::kIo, "read failed");
        },
        [&](Batch& b, uint64_t index) {
          if (in_process && index == 7) b.error = Error(ErrorCode::kCorrupt, "bad batch");
        },
        2);
    for (uint64_t i = 0; i < 7; ++i) {
      Batch& b = pipeline.Next();
      REQUIRE(b.len == i);
      REQUIRE_FALSE(b.error);
    }
    Batch& bad = pipeline.Next();
    CHECK(bad.len == 7);
    REQUIRE(bad.error);
    CHECK(bad.error->code() == (in_process ? ErrorCode::kCorrupt : ErrorCode::kIo));
    if (!in_process) CHECK(reads.load() == 8);  // nothing read after the failed batch
  }
}

TEST_CASE("pipelined encryption is byte-identical at every size and read size") {
  const size_t chunk = kChunkSize;
  const std::vector<size_t> sizes = {0,          1,          chunk,          16 * chunk,
                                     16 * chunk + 1, 17 * chunk, 32 * chunk,  32 * chunk + 5,
                                     48 * chunk, 5 * 1024 * 1024 + 123};
  for (size_t size : sizes) {
    const std::string plain = Pattern(size);
    const std::string expected = Encrypt(plain, false, 1 << 20);
    CHECK(static_cast<int64_t>(expected.size()) ==
          EncryptedSize(static_cast<int64_t>(size)).value());
    for (size_t piece : {size_t{1000}, size_t{70000}, size_t{1} << 20}) {
      CAPTURE(size);
      CAPTURE(piece);
      CHECK(Encrypt(plain, true, piece) == expected);
    }
    // And it decrypts (pipelined past the first chunks) back to the plaintext.
    auto dec = DecryptingReader::Open(Key(), std::make_unique<MemoryReader>(expected));
    REQUIRE(dec.has_value());
    CHECK(Drain(**dec, 100000).value() == plain);
  }
}

TEST_CASE("pipelined decryption: limits, tampered chunks and truncation") {
  const std::string plain = Pattern(40 * kChunkSize + 77);
  const std::string enc = Encrypt(plain, true, 1 << 20);

  auto limited = DecryptingReader::Open(Key(), std::make_unique<MemoryReader>(enc),
                                        30 * kChunkSize + 5);
  REQUIRE(limited.has_value());
  CHECK(Drain(**limited, 1 << 20).value() == plain.substr(0, 30 * kChunkSize + 5));

  std::string tampered = enc;
  tampered[kHeaderSize + 25 * kEncryptedChunkSize + 100] ^= 0x20;
  auto bad = DecryptingReader::Open(Key(), std::make_unique<MemoryReader>(tampered));
  REQUIRE(bad.has_value());
  std::string got, buf(1 << 20, '\0');
  Result<size_t> n = size_t{0};
  while ((n = (*bad)->Read(AsWritableBytes(buf))) && *n > 0) got.append(buf, 0, *n);
  REQUIRE_FALSE(n.has_value());
  CHECK(n.error().code() == ErrorCode::kCorrupt);
  CHECK(n.error().message().find("failed to authenticate") != std::string::npos);
  CHECK(got == plain.substr(0, 25 * kChunkSize));  // every chunk before the bad one
  CHECK_FALSE((*bad)->Read(AsWritableBytes(buf)).has_value());  // sticky

  auto truncated = DecryptingReader::Open(
      Key(), std::make_unique<MemoryReader>(enc.substr(0, kHeaderSize + 33 * kEncryptedChunkSize + 9)));
  REQUIRE(truncated.has_value());
  auto t = Drain(**truncated, 1 << 20);
  REQUIRE_FALSE(t.has_value());
  CHECK(t.error().message().find("truncated block header") != std::string::npos);
}

TEST_CASE("pipelined encryption: a source error is returned and sticky, early destruction") {
  const std::string plain = Pattern(30 * kChunkSize);
  FailingReader src(plain, 20 * kChunkSize + 3);
  EncryptingReader enc(Key(), src, TestNonce(), true);
  auto r = Drain(enc, 1 << 20);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message() == "disk on fire");
  std::string buf(10, '\0');
  CHECK_FALSE(enc.Read(AsWritableBytes(buf)).has_value());

  // Readers dropped while their pipelines run ahead: no hang, no crash.
  for (int i = 0; i < 20; ++i) {
    MemoryReader s(plain);
    EncryptingReader e(Key(), s, TestNonce(), true);
    std::string part(20 * kChunkSize, '\0');
    REQUIRE(e.Read(AsWritableBytes(part)).has_value());
    REQUIRE(e.Read(AsWritableBytes(part)).has_value());
    auto d = DecryptingReader::Open(Key(), std::make_unique<MemoryReader>(Encrypt(plain, false, 1 << 20)));
    REQUIRE(d.has_value());
    REQUIRE((*d)->Read(AsWritableBytes(part)).has_value());
    REQUIRE((*d)->Read(AsWritableBytes(part)).has_value());
  }
}

}  // namespace
}  // namespace cvclone::crypt
