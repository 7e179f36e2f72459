#include "crypt/data.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "core/io.hpp"
#include "crypt/names.hpp"
#include "crypt/test_util.hpp"

namespace cvclone::crypt {
namespace {

using testing::FromHex;
using testing::ReadBytes;
using testing::VectorsDir;
namespace fs = std::filesystem;

const CryptKeys& Potato() {
  static const CryptKeys keys = DeriveKeys("potato", "").value();
  return keys;
}

std::unique_ptr<Reader> Mem(const std::vector<uint8_t>& data) {
  return std::make_unique<MemoryReader>(
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(data.data()), data.size()));
}

// Drains r with reads of `chunk` bytes.
Result<std::vector<uint8_t>> Drain(Reader& r, size_t chunk) {
  std::vector<uint8_t> out;
  std::vector<std::byte> buf(chunk);
  while (true) {
    CVC_ASSIGN_OR_RETURN(size_t n, r.Read(buf));
    if (n == 0) return out;
    const auto* p = reinterpret_cast<const uint8_t*>(buf.data());
    out.insert(out.end(), p, p + n);
  }
}

Result<std::vector<uint8_t>> Decrypt(const std::vector<uint8_t>& ct, size_t chunk = 8192,
                                     const DataKey& key = Potato().data_key) {
  CVC_ASSIGN_OR_RETURN(auto reader, DecryptingReader::Open(key, Mem(ct)));
  return Drain(*reader, chunk);
}

std::vector<uint8_t> Encrypt(const std::vector<uint8_t>& plain, const Nonce& nonce,
                             size_t chunk = 8192) {
  MemoryReader src(std::span<const std::byte>(reinterpret_cast<const std::byte*>(plain.data()),
                                              plain.size()));
  EncryptingReader enc(Potato().data_key, src, nonce);
  return Drain(enc, chunk).value();
}

Nonce NonceOf(const std::vector<uint8_t>& ct) {
  Nonce n{};
  std::copy(ct.begin() + kMagicSize, ct.begin() + kHeaderSize, n.begin());
  return n;
}

std::vector<uint8_t> Pattern(size_t n, unsigned mod) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i % mod);
  return v;
}

TEST_CASE("data: the vectors are in the repository, and a missing one fails naming the file") {
  CHECK(fs::is_directory(VectorsDir() + "/rclone-written/encA"));
  CHECK(ReadBytes(VectorsDir() + "/plaintext/hello.txt").size() == 5);
  const std::string missing = VectorsDir() + "/plaintext/no-such-vector.bin";
  CHECK_THROWS_WITH(ReadBytes(missing), doctest::Contains("no-such-vector.bin"));
}

TEST_CASE("data: size table") {
  const std::pair<int64_t, int64_t> kSizes[] = {{0, 32},          {1, 49},         {3, 51},
                                                {5, 53},          {65536, 65584},  {65537, 65601},
                                                {200000, 200096}, {1 << 20, 1048864}};
  for (const auto& [plain, enc] : kSizes) {
    CAPTURE(plain);
    CHECK(EncryptedSize(plain).value() == enc);
    CHECK(DecryptedSize(enc).value() == plain);
  }
  CHECK(EncryptedSize(-1).error().code() == ErrorCode::kInvalidArgument);
  for (int64_t m : {0, 1, 31}) {
    auto r = DecryptedSize(m);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message() == "file is too short to be encrypted");
  }
  for (int64_t m : {33, 48, 32 + 65552 + 1, 32 + 65552 + 16}) {
    auto r = DecryptedSize(m);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == ErrorCode::kCorrupt);
    CHECK(r.error().message() == "file has truncated block header");
  }
  CHECK(DecryptedSize(32 + 65552 + 17).value() == 65537);
}

TEST_CASE("data: nonce increment carries little-endian over all 24 bytes") {
  Nonce n = {0xff, 0xff, 0x03};
  NonceIncrement(n);
  CHECK(n[0] == 0x00);
  CHECK(n[1] == 0x00);
  CHECK(n[2] == 0x04);
  Nonce all{};
  all.fill(0xff);
  NonceIncrement(all);
  CHECK(all == Nonce{});
  Nonce top{};
  for (size_t i = 0; i < 23; ++i) top[i] = 0xff;
  NonceAdd(top, 1);
  CHECK(top[23] == 1);
  CHECK(top[0] == 0);
  // NonceAdd(n) equals n increments.
  Nonce a = {0xf0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 7};
  Nonce b = a;
  NonceAdd(a, 300);
  for (int i = 0; i < 300; ++i) NonceIncrement(b);
  CHECK(a == b);
}

TEST_CASE("data: range mapping") {
  ChunkRange r = MapRange(0, -1);
  CHECK(r.offset == 32);
  CHECK(r.count == -1);
  CHECK(r.first_chunk == 0);
  CHECK(r.discard == 0);
  r = MapRange(65536 + 100, 10);
  CHECK(r.offset == 32 + 65552);
  CHECK(r.count == 65552);
  CHECK(r.first_chunk == 1);
  CHECK(r.discard == 100);
  r = MapRange(65530, 10);  // spans two chunks
  CHECK(r.first_chunk == 0);
  CHECK(r.count == 2 * 65552);
  CHECK(MapRange(5, 0).count == 0);
  CHECK(MapRange(-5, 3).discard == 0);
}

TEST_CASE("data: fixed-nonce vectors encrypt to exactly the stored bytes") {
  const std::string dir = VectorsDir() + "/fixed-nonce";
  const std::pair<const char*, const char*> kFiles[] = {
      {"empty", "0vsusho0d185j4ktscr61cd6t4"},
      {"hello.txt", "oqt3pleorvo0jmt050a7sstgpo"},
      {"64k.bin", "umosl4pqgd4d7so105r4gpj87o"},
      {"carry.bin", "289ia74qi4lgocco1qa9ie2ldk"},
  };
  for (const auto& [plain_name, enc_name] : kFiles) {
    CAPTURE(plain_name);
    const auto plain = ReadBytes(dir + "/plaintext/" + plain_name);
    const auto ct = ReadBytes(dir + "/encrypted/" + enc_name);
    REQUIRE(ct.size() >= kHeaderSize);
    CHECK(static_cast<int64_t>(ct.size()) ==
          EncryptedSize(static_cast<int64_t>(plain.size())).value());
    for (size_t chunk : {size_t{1}, size_t{1000}, size_t{65552}, size_t{3 * 65552 + 7}}) {
      CAPTURE(chunk);
      CHECK(Encrypt(plain, NonceOf(ct), chunk) == ct);
      CHECK(Decrypt(ct, chunk).value() == plain);
    }
  }
  // Spot-check the documented nonces of the small vectors.
  const auto hello = ReadBytes(dir + "/encrypted/oqt3pleorvo0jmt050a7sstgpo");
  CHECK(hello == FromHex("52434c4f4e4500000102030405060708090a0b0c0d0e0f10111213141516171827393ad4"
                         "e6a7c260bea56290f4cbe8f6faf214e7f4"));
  CHECK(NonceOf(ReadBytes(dir + "/encrypted/289ia74qi4lgocco1qa9ie2ldk"))[0] == 0xff);
  CHECK(ReadBytes(dir + "/plaintext/carry.bin") == Pattern(200000, 13));
}

struct Tree {
  const char* dir;
  const char* password2;
  NameMode mode;
  NameEncoding encoding;
  bool encrypt_dirs;
  bool has_big;
};

TEST_CASE("data: rclone-written trees decrypt to the plaintext, names and contents") {
  const Tree kTrees[] = {
      {"encA", "", NameMode::kStandard, NameEncoding::kBase32, true, true},
      {"encB", "sausage", NameMode::kStandard, NameEncoding::kBase32, true, true},
      {"encC", "", NameMode::kObfuscate, NameEncoding::kBase32, true, false},
      {"encD", "", NameMode::kOff, NameEncoding::kBase32, true, false},
      {"encE", "", NameMode::kStandard, NameEncoding::kBase64, true, false},
      {"encF", "", NameMode::kStandard, NameEncoding::kBase32, false, false},
  };
  const std::string plain_root = VectorsDir() + "/plaintext";
  for (const Tree& t : kTrees) {
    CAPTURE(t.dir);
    const CryptKeys keys = DeriveKeys("potato", t.password2).value();
    NameOptions o;
    o.mode = t.mode;
    o.encoding = t.encoding;
    o.encrypt_dirs = t.encrypt_dirs;
    const NameCipher names(keys, o);
    const fs::path root = fs::path(VectorsDir()) / "rclone-written" / t.dir;
    int files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      const std::string rel = fs::relative(entry.path(), root).generic_string();
      CAPTURE(rel);
      if (entry.is_directory()) {
        auto d = names.DecryptDirPath(rel);
        REQUIRE(d.has_value());
        CHECK(fs::is_directory(plain_root + "/" + *d));
        continue;
      }
      auto p = names.DecryptPath(rel);
      REQUIRE(p.has_value());
      const auto ct = ReadBytes(entry.path().string());
      const auto plain = ReadBytes(plain_root + "/" + *p);
      CHECK(DecryptedSize(static_cast<int64_t>(ct.size())).value() ==
            static_cast<int64_t>(plain.size()));
      auto reader = DecryptingReader::Open(keys.data_key, Mem(ct));
      REQUIRE(reader.has_value());
      CHECK(Drain(**reader, 4096).value() == plain);
      ++files;
    }
    CHECK(files == (t.has_big ? 4 : 3));
  }
}

TEST_CASE("data: empty file is the header only, 64 KiB and 64 KiB + 1 round trip") {
  const Nonce nonce = RandomNonce().value();
  const auto empty = Encrypt({}, nonce);
  CHECK(empty.size() == 32);
  CHECK(Decrypt(empty).value().empty());
  for (size_t n : {size_t{65536}, size_t{65537}, size_t{65535}, size_t{131072}, size_t{1}}) {
    CAPTURE(n);
    const auto plain = Pattern(n, 251);
    for (size_t chunk : {size_t{100}, size_t{65536}, size_t{1 << 20}}) {
      const auto ct = Encrypt(plain, nonce, chunk);
      CHECK(static_cast<int64_t>(ct.size()) == EncryptedSize(static_cast<int64_t>(n)).value());
      CHECK(Decrypt(ct, chunk).value() == plain);
    }
  }
}

TEST_CASE("data: random nonces differ and are recorded in the header") {
  const auto plain = Pattern(10, 3);
  MemoryReader src1(std::string(10, 'a'));
  MemoryReader src2(std::string(10, 'a'));
  auto e1 = EncryptingReader::Create(Potato().data_key, src1).value();
  auto e2 = EncryptingReader::Create(Potato().data_key, src2).value();
  CHECK(e1->nonce() != e2->nonce());
  const auto c1 = Drain(*e1, 100).value();
  CHECK(NonceOf(c1) == e1->nonce());
}

TEST_CASE("data: a flipped byte anywhere after the header is kCorrupt") {
  const auto ct = ReadBytes(VectorsDir() + "/fixed-nonce/encrypted/289ia74qi4lgocco1qa9ie2ldk");
  REQUIRE(ct.size() == 200096);
  for (size_t pos : {size_t{32}, size_t{47}, size_t{48}, size_t{32 + 65552 + 5000},
                     size_t{32 + 2 * 65552 + 65551}, ct.size() - 1}) {
    CAPTURE(pos);
    auto bad = ct;
    bad[pos] ^= 0x01;
    auto r = Decrypt(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == ErrorCode::kCorrupt);
    CHECK(r.error().message() ==
          "failed to authenticate decrypted block: wrong password or corrupted data");
  }
  // A flipped nonce byte breaks every chunk.
  auto bad_nonce = ct;
  bad_nonce[20] ^= 0x80;
  CHECK(Decrypt(bad_nonce).error().code() == ErrorCode::kCorrupt);
}

TEST_CASE("data: wrong key, bad magic, too short, truncated") {
  const auto ct = ReadBytes(VectorsDir() + "/fixed-nonce/encrypted/289ia74qi4lgocco1qa9ie2ldk");
  const DataKey wrong = DeriveKeys("potatoes", "").value().data_key;
  auto r = Decrypt(ct, 8192, wrong);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == ErrorCode::kCorrupt);

  auto magic = ct;
  magic[0] = 'X';
  r = Decrypt(magic);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message() == "not an encrypted file - bad magic string");

  r = Decrypt(std::vector<uint8_t>(ct.begin(), ct.begin() + 20));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message() == "file is too short to be encrypted");

  r = Decrypt(std::vector<uint8_t>(ct.begin(), ct.begin() + 32 + 65552 + 10));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message() == "file has truncated block header");

  r = Decrypt(std::vector<uint8_t>(ct.begin(), ct.begin() + 32 + 65552 + 1000));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == ErrorCode::kCorrupt);

  // Errors are sticky.
  auto reader = DecryptingReader::Open(wrong, Mem(ct)).value();
  std::vector<std::byte> buf(100);
  CHECK_FALSE(reader->Read(buf).has_value());
  CHECK_FALSE(reader->Read(buf).has_value());

  // A plain text file is not an encrypted file.
  r = Decrypt(std::vector<uint8_t>(40, 'a'));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message() == "not an encrypted file - bad magic string");
}

TEST_CASE("data: ranged reads through MapRange match the plaintext") {
  const std::string dir = VectorsDir() + "/fixed-nonce";
  const auto ct = ReadBytes(dir + "/encrypted/289ia74qi4lgocco1qa9ie2ldk");
  const auto plain = ReadBytes(dir + "/plaintext/carry.bin");
  const Nonce n0 = NonceOf(ct);
  const std::pair<int64_t, int64_t> kRanges[] = {
      {0, -1},     {0, 10},         {1, 1},      {65535, 2},       {65536, 65536},
      {65536, -1}, {100000, 50000}, {131071, 1}, {199999, 10},     {200000, 5},
      {250000, 5}, {196608, -1},    {70000, 0},  {3, 199997},      {131072, 68928},
  };
  for (const auto& [offset, count] : kRanges) {
    CAPTURE(offset);
    CAPTURE(count);
    const ChunkRange m = MapRange(offset, count);
    const size_t begin = std::min<size_t>(static_cast<size_t>(m.offset), ct.size());
    const size_t end = m.count < 0 ? ct.size()
                                   : std::min<size_t>(ct.size(), begin + static_cast<size_t>(m.count));
    std::vector<uint8_t> slice(ct.begin() + begin, ct.begin() + end);
    DecryptingReader reader(Potato().data_key, Mem(slice), n0, m.first_chunk, m.discard, count);
    const size_t from = std::min<size_t>(static_cast<size_t>(offset), plain.size());
    const size_t to = count < 0 ? plain.size()
                                : std::min<size_t>(plain.size(), from + static_cast<size_t>(count));
    const std::vector<uint8_t> expected(plain.begin() + from, plain.begin() + to);
    CHECK(Drain(reader, 70000).value() == expected);
  }
}

// A source that fails after some bytes, to check errors pass through the encryptor.
class FailingReader : public Reader {
 public:
  explicit FailingReader(size_t ok_bytes) : left_(ok_bytes) {}
  Result<size_t> Read(std::span<std::byte> buf) override {
    if (left_ == 0) return MakeError(ErrorCode::kIo, "disk on fire");
    const size_t n = std::min(left_, buf.size());
    std::fill(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n), std::byte{7});
    left_ -= n;
    return n;
  }

 private:
  size_t left_;
};

TEST_CASE("data: source errors pass through the encrypting reader and stick") {
  FailingReader src(100000);
  EncryptingReader enc(Potato().data_key, src, Nonce{});
  auto r = Drain(enc, 65552);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == ErrorCode::kIo);
  std::vector<std::byte> buf(10);
  CHECK_FALSE(enc.Read(buf).has_value());
}

// Positioned reads of a byte vector, counting the calls and the bytes they return.
class MemoryRandomReader : public RandomReader {
 public:
  explicit MemoryRandomReader(std::vector<uint8_t> data) : data_(std::move(data)) {}
  Result<size_t> ReadAt(std::span<std::byte> buf, int64_t offset) override {
    ++calls;
    const size_t from = std::min(data_.size(), static_cast<size_t>(offset));
    const size_t n = std::min(buf.size(), data_.size() - from);
    std::memcpy(buf.data(), data_.data() + from, n);
    bytes += n;
    return n;
  }
  int calls = 0;
  size_t bytes = 0;

 private:
  std::vector<uint8_t> data_;
};

// r.ReadAt(offset) of up to len bytes, as bytes.
Result<std::vector<uint8_t>> ReadAtOnce(DecryptingRandomReader& r, int64_t offset, size_t len) {
  std::vector<uint8_t> out(len);
  CVC_ASSIGN_OR_RETURN(size_t n, r.ReadAt(std::as_writable_bytes(std::span(out)), offset));
  out.resize(n);
  return out;
}

std::vector<uint8_t> Slice(const std::vector<uint8_t>& v, size_t from, size_t len) {
  from = std::min(from, v.size());
  return {v.begin() + static_cast<std::ptrdiff_t>(from),
          v.begin() + static_cast<std::ptrdiff_t>(std::min(v.size(), from + len))};
}

std::unique_ptr<DecryptingRandomReader> OpenRandomOver(const std::vector<uint8_t>& ct,
                                                       MemoryRandomReader** src = nullptr) {
  auto mem = std::make_unique<MemoryRandomReader>(ct);
  if (src != nullptr) *src = mem.get();
  return DecryptingRandomReader::Open(Potato().data_key, std::move(mem)).value();
}

TEST_CASE("data: positioned reads of rclone's ciphertext give the plaintext at any offset") {
  const std::string dir = VectorsDir() + "/fixed-nonce";
  const auto ct = ReadBytes(dir + "/encrypted/289ia74qi4lgocco1qa9ie2ldk");
  const auto plain = ReadBytes(dir + "/plaintext/carry.bin");
  REQUIRE(plain.size() == 200000);
  auto r = OpenRandomOver(ct);
  // Chunk edges, keystream-block edges (32 bytes of the first block belong to the MAC key),
  // reads spanning chunks, the last partial chunk, offset == size and past it; in an order no
  // stream could follow, so held chunks are both reused and replaced.
  const std::pair<int64_t, size_t> kReads[] = {
      {0, 1},          {1, 31},        {31, 2},       {32, 64},      {33, 100},
      {95, 4096},      {65535, 1},     {65535, 2},    {65536, 4096}, {65500, 200},
      {131000, 70000}, {196607, 3393}, {199999, 1},   {199999, 10},  {196608, 4096},
      {200000, 4096},  {250000, 10},   {0, 200000},   {3, 199997},   {70000, 0},
      {100000, 4096},  {4096, 4096},   {196607, 2},   {12345, 65536 * 2 + 7},
  };
  for (const auto& [offset, len] : kReads) {
    CAPTURE(offset);
    CAPTURE(len);
    auto got = ReadAtOnce(*r, offset, len);
    REQUIRE(got.has_value());
    CHECK(*got == Slice(plain, static_cast<size_t>(offset), len));
  }
  // Every offset of a keystream block's worth, one byte and 100 bytes at a time.
  for (int64_t offset = 65536 - 70; offset < 65536 + 70; ++offset) {
    CAPTURE(offset);
    CHECK(ReadAtOnce(*r, offset, 1).value() == Slice(plain, static_cast<size_t>(offset), 1));
    CHECK(ReadAtOnce(*r, offset, 100).value() == Slice(plain, static_cast<size_t>(offset), 100));
  }
}

TEST_CASE("data: positioned reads fetch only the chunks they touch, each chunk once") {
  const auto plain = Pattern(40 * kChunkSize + 1000, 251);
  const auto ct = Encrypt(plain, Nonce{});
  MemoryRandomReader* src = nullptr;
  auto r = OpenRandomOver(ct, &src);
  CHECK(src->bytes == kHeaderSize);
  const size_t after_header = src->bytes;
  // 4 KiB in chunk 10: that chunk only; again within it: no I/O.
  CHECK(ReadAtOnce(*r, 10 * kChunkSize + 5000, 4096).value() ==
        Slice(plain, 10 * kChunkSize + 5000, 4096));
  CHECK(src->bytes - after_header == kEncryptedChunkSize);
  const int calls = src->calls;
  CHECK(ReadAtOnce(*r, 10 * kChunkSize + 60000, 4096).value() ==
        Slice(plain, 10 * kChunkSize + 60000, 4096));
  CHECK(src->calls == calls);
  // Spanning chunks 20 and 21: both, in one read of the source.
  const size_t before = src->bytes;
  CHECK(ReadAtOnce(*r, 21 * kChunkSize - 100, 4096).value() ==
        Slice(plain, 21 * kChunkSize - 100, 4096));
  CHECK(src->bytes - before == 2 * kEncryptedChunkSize);
  CHECK(src->calls == calls + 1);
  // The last, partial chunk.
  CHECK(ReadAtOnce(*r, 40 * kChunkSize + 900, 4096).value() ==
        Slice(plain, 40 * kChunkSize + 900, 100));
  // An empty object is its header: every read is empty.
  auto empty = OpenRandomOver(Encrypt({}, Nonce{}));
  CHECK(ReadAtOnce(*empty, 0, 10).value().empty());
}

TEST_CASE("data: positioned reads authenticate each touched chunk whole, errors do not stick") {
  const auto plain = Pattern(3 * kChunkSize + 500, 253);
  const auto ct = Encrypt(plain, Nonce{});
  const size_t chunk1 = kHeaderSize + kEncryptedChunkSize;
  // A flipped byte at the end of chunk 1 fails a read of chunk 1's first bytes: the whole
  // chunk is authenticated, not only the bytes returned. Likewise a flipped tag byte.
  for (size_t pos : {chunk1 + kEncryptedChunkSize - 1, chunk1 + 3, chunk1 + kChunkOverhead}) {
    CAPTURE(pos);
    auto bad = ct;
    bad[pos] ^= 0x01;
    auto r = OpenRandomOver(bad);
    auto got = ReadAtOnce(*r, kChunkSize, 16);
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().code() == ErrorCode::kCorrupt);
    CHECK(got.error().message() ==
          "failed to authenticate decrypted block: wrong password or corrupted data");
    // A read spanning chunks 0 and 1 returns nothing; reads of the good chunks still work.
    CHECK_FALSE(ReadAtOnce(*r, kChunkSize - 10, 20).has_value());
    CHECK(ReadAtOnce(*r, 0, 100).value() == Slice(plain, 0, 100));
    CHECK(ReadAtOnce(*r, 2 * kChunkSize, 100).value() == Slice(plain, 2 * kChunkSize, 100));
    CHECK_FALSE(ReadAtOnce(*r, kChunkSize + 100, 1).has_value());
  }
  // A last chunk of 1..16 bytes is a truncated object when a read touches it.
  const std::vector<uint8_t> cut(ct.begin(), ct.begin() + static_cast<std::ptrdiff_t>(chunk1 + 10));
  auto r = OpenRandomOver(cut);
  CHECK(ReadAtOnce(*r, 100, 10).value() == Slice(plain, 100, 10));
  auto got = ReadAtOnce(*r, kChunkSize, 10);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().message() == "file has truncated block header");
  // A last chunk cut short (more than a tag left) fails authentication.
  const std::vector<uint8_t> short_last(ct.begin(),
                                        ct.begin() + static_cast<std::ptrdiff_t>(chunk1 + 1000));
  CHECK(ReadAtOnce(*OpenRandomOver(short_last), kChunkSize, 10).error().code() ==
        ErrorCode::kCorrupt);
  // The wrong key, a bad magic, too short.
  auto wrong = DecryptingRandomReader::Open(DeriveKeys("potatoes", "").value().data_key,
                                            std::make_unique<MemoryRandomReader>(ct));
  REQUIRE(wrong.has_value());
  CHECK(ReadAtOnce(**wrong, 0, 10).error().code() == ErrorCode::kCorrupt);
  auto magic = ct;
  magic[0] = 'X';
  auto bad_magic =
      DecryptingRandomReader::Open(Potato().data_key, std::make_unique<MemoryRandomReader>(magic));
  CHECK(bad_magic.error().message() == "not an encrypted file - bad magic string");
  auto too_short = DecryptingRandomReader::Open(
      Potato().data_key, std::make_unique<MemoryRandomReader>(Slice(ct, 0, 20)));
  CHECK(too_short.error().message() == "file is too short to be encrypted");
}

}  // namespace
}  // namespace cvclone::crypt
