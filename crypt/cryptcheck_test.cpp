#include "crypt/cryptcheck.hpp"

#include <doctest/doctest.h>

#include "core/io.hpp"
#include "crypt/data.hpp"
#include "tests/support/memory_remote.hpp"

namespace cvclone::crypt {
namespace {

struct Fixture {
  Fixture() {
    auto mem = std::make_unique<MemoryRemote>("inner");
    inner = mem.get();
    CryptConfig config;
    config.password = "potato";
    static const CryptKeys keys = DeriveKeys("potato", "").value();
    crypt = NewCryptRemote(std::move(mem), "crypt:", config, keys).value();
  }
  void Both(const std::string& path, const std::string& data) {
    plain.SetFile(path, data, TimePoint{});
    MemoryReader r(data);
    PutOptions opts;
    opts.size = static_cast<int64_t>(data.size());
    REQUIRE(crypt->Put(Context{}, path, r, opts).has_value());
  }
  MemoryRemote plain{"plain"};
  MemoryRemote* inner = nullptr;
  std::unique_ptr<Remote> crypt;
};

TEST_CASE("cryptcheck views: matching files hash alike, changed plaintext or ciphertext do not") {
  Fixture f;
  const std::string multi(200000, 'm');
  f.Both("a.txt", "hello");
  f.Both("dir/multi.bin", multi);
  f.Both("empty", "");
  auto pair = MakeCryptCheckPair(f.plain, *f.crypt);
  REQUIRE(pair.has_value());
  CHECK(pair->hash == HashType::kMd5);
  CHECK(pair->src->GetFeatures().hashes.Intersect(pair->dst->GetFeatures().hashes).First() ==
        HashType::kMd5);
  for (const char* path : {"a.txt", "dir/multi.bin", "empty"}) {
    auto s = pair->src->Hash(Context{}, path, HashType::kMd5);
    auto d = pair->dst->Hash(Context{}, path, HashType::kMd5);
    REQUIRE(s.has_value());
    REQUIRE(d.has_value());
    CHECK(s->size() == 32);
    CHECK_MESSAGE(*s == *d, path);
  }
  // The listings are the plaintext ones, without hashes.
  auto list = pair->dst->List(Context{}, "");
  REQUIRE(list.has_value());
  CHECK(list->size() == 3);

  // Same size, different plaintext.
  f.plain.SetFile("a.txt", "jello", TimePoint{});
  CHECK(pair->src->Hash(Context{}, "a.txt", HashType::kMd5).value() !=
        pair->dst->Hash(Context{}, "a.txt", HashType::kMd5).value());
  // A flipped ciphertext byte in the last chunk.
  const auto enc = AsCrypt(*f.crypt)->Names().EncryptPath("dir/multi.bin").value();
  std::string stored = f.inner->Contents(enc).value();
  REQUIRE(stored.size() > 100);
  stored[stored.size() - 5] ^= 1;
  f.inner->SetFile(enc, stored, TimePoint{});
  CHECK(pair->src->Hash(Context{}, "dir/multi.bin", HashType::kMd5).value() !=
        pair->dst->Hash(Context{}, "dir/multi.bin", HashType::kMd5).value());
}

TEST_CASE("cryptcheck views: errors name the file, no inner hash, not a crypt remote") {
  Fixture f;
  f.Both("a.txt", "hello");
  auto pair = MakeCryptCheckPair(f.plain, *f.crypt);
  REQUIRE(pair.has_value());
  const std::string enc = AsCrypt(*f.crypt)->Names().EncryptPath("a.txt").value();
  f.inner->SetFile(enc, "not encrypted at all, longer than the header", TimePoint{});
  auto bad = pair->src->Hash(Context{}, "a.txt", HashType::kMd5);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message().find("a.txt") != std::string::npos);
  CHECK(bad.error().message().find("bad magic") != std::string::npos);
  f.plain.SetFile("only-src", "x", TimePoint{});
  CHECK(pair->src->Hash(Context{}, "only-src", HashType::kMd5).error().code() ==
        ErrorCode::kNotFound);

  CHECK(MakeCryptCheckPair(f.plain, f.plain).error().code() == ErrorCode::kInvalidArgument);
  f.inner->features().hashes = HashSet();
  CHECK(MakeCryptCheckPair(f.plain, *f.crypt).error().code() == ErrorCode::kUnsupported);
}

TEST_CASE("ReencryptedHash equals the hash of the stored ciphertext") {
  Fixture f;
  const std::string data(65536 * 2, 'z');
  f.Both("x", data);
  const std::string enc = f.inner->Files()[0];
  MemoryReader plain(data);
  auto h = ReencryptedHash(Context{}, *AsCrypt(*f.crypt), "x", plain, HashType::kSha1);
  REQUIRE(h.has_value());
  CHECK(*h == HashBytes(AsBytes(f.inner->Contents(enc).value()), HashSet{HashType::kSha1})
                  .at(HashType::kSha1));
}

}  // namespace
}  // namespace cvclone::crypt
