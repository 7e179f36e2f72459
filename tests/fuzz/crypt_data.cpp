// Fuzzes crypt file contents (crypt/data, through the crypt remote's Open and OpenListed):
// arbitrary ciphertext, read whole and by a range, with a fixed key. The seeds are valid
// ciphertexts of the known plaintext (byte i is i % 13, of several lengths) that the fuzzer
// mutates. A read either fails with an error or yields exactly the known plaintext's bytes of
// the range asked for, as many as the ciphertext's size says the file holds: a mutated file never
// yields a byte that was not encrypted with the key, nor more or fewer bytes than asked.
//
// Input: offset (4 bytes, little-endian), count (4 bytes; taken modulo the size, minus one, so
// -1 means "to the end"), read buffer size (1 byte), then the ciphertext.
#include <algorithm>
#include <memory>
#include <string>

#include "core/io.hpp"
#include "core/remote.hpp"
#include "crypt/crypt_remote.hpp"
#include "crypt/data.hpp"
#include "crypt/keys.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace cvclone::crypt {
namespace {

constexpr const char* kPath = "file";

template <size_t N>
std::array<uint8_t, N> Hex(const char* hex) {
  std::array<uint8_t, N> out{};
  for (size_t i = 0; i < N; ++i) {
    out[i] = static_cast<uint8_t>(std::stoi(std::string(hex + 2 * i, 2), nullptr, 16));
  }
  return out;
}

// rclone's keys for password "potato" and the default salt (tests/data/crypt-vectors).
CryptKeys Keys() {
  return CryptKeys{
      Hex<kDataKeySize>("7455c71ab17c865b8471f47b79acb07eb31d5678b80c7e2eaf4fc8066a9ee468"),
      Hex<kNameKeySize>("765da27ab15d77f95796711f7b93ad63bbb484072e7180a8d17a9bbec14270d0"),
      Hex<kNameTweakSize>("c18d5932f55b2828c5e1e87215520310")};
}

// A remote holding one object (any name: the crypt remote asks for the encrypted one), whose
// bytes are set per input. Open honours offset and count as the contract says.
class OneObject : public Remote {
 public:
  std::string Type() const override { return "fuzz"; }
  std::string Name() const override { return "fuzz"; }
  const Features& GetFeatures() const override { return features_; }
  Result<std::vector<ObjectInfo>> List(const Context&, const std::string&) override {
    return MakeError(ErrorCode::kUnsupported, "fuzz: list");
  }
  Result<ObjectInfo> Stat(const Context&, const std::string& path) override {
    return ObjectInfo{.path = path, .size = static_cast<int64_t>(data_.size())};
  }
  Result<std::unique_ptr<Reader>> Open(const Context&, const std::string&, int64_t offset,
                                       int64_t count) override {
    const size_t from = std::min(static_cast<size_t>(std::max<int64_t>(offset, 0)), data_.size());
    size_t n = data_.size() - from;
    if (count >= 0) n = std::min(n, static_cast<size_t>(count));
    return std::unique_ptr<Reader>(std::make_unique<MemoryReader>(
        MemoryReader::kView, std::string_view(data_).substr(from, n)));
  }
  Result<ObjectInfo> Put(const Context&, const std::string&, Reader&, const PutOptions&) override {
    return MakeError(ErrorCode::kUnsupported, "fuzz: put");
  }
  Status Delete(const Context&, const std::string&) override {
    return MakeError(ErrorCode::kUnsupported, "fuzz: delete");
  }
  Status Mkdir(const Context&, const std::string&) override { return Ok(); }
  Status Rmdir(const Context&, const std::string&) override { return Ok(); }

  std::string data_;

 private:
  Features features_;
};

struct Fixture {
  OneObject* inner = nullptr;  // owned by remote
  std::unique_ptr<Remote> remote;
};

Fixture& Get() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    auto inner = std::make_unique<OneObject>();
    f->inner = inner.get();
    CryptConfig config;
    config.password = "potato";
    auto remote = NewCryptRemote(std::move(inner), "fuzz-crypt", config, Keys());
    if (!remote) std::abort();
    f->remote = std::move(remote).value();
    return f;
  }();
  return *fixture;
}

// Reads r to the end with buffers of `chunk` bytes.
Result<std::string> ReadToEnd(Reader& r, size_t chunk) {
  std::string out;
  std::string buf(chunk, '\0');
  while (true) {
    auto n = r.Read(std::as_writable_bytes(std::span(buf.data(), buf.size())));
    if (!n) return Unexpected<Error>(n.error());
    if (*n == 0) return out;
    FUZZ_CHECK(*n <= chunk, "a read beyond its buffer");
    out.append(buf, 0, *n);
    FUZZ_CHECK(out.size() <= 64 * 1024 * 1024, "unbounded output");
  }
}

// Checks one read of [offset, offset+count) of a ciphertext of cipher_size bytes.
void CheckRead(const Result<std::string>& got, int64_t offset, int64_t count, int64_t cipher_size,
               const std::string& what) {
  if (!got) {
    FUZZ_CHECK(!got.error().message().empty(), what);
    return;
  }
  const std::string& out = *got;
  for (size_t i = 0; i < out.size(); ++i) {
    FUZZ_CHECK(static_cast<uint8_t>(out[i]) == (offset + static_cast<int64_t>(i)) % 13,
               what + ": wrong byte at " + std::to_string(offset + static_cast<int64_t>(i)));
  }
  FUZZ_CHECK(count < 0 || static_cast<int64_t>(out.size()) <= count,
             what + ": " + std::to_string(out.size()) + " bytes");
  if (auto plain_size = DecryptedSize(cipher_size)) {
    int64_t want = std::max<int64_t>(0, *plain_size - offset);
    if (count >= 0) want = std::min(want, count);
    FUZZ_CHECK(static_cast<int64_t>(out.size()) == want,
               what + ": " + std::to_string(out.size()) + " bytes, the file holds " +
                   std::to_string(*plain_size) + ", expected " + std::to_string(want));
  }
}

}  // namespace
}  // namespace cvclone::crypt

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cvclone;
  using namespace cvclone::crypt;
  fuzz::ByteReader bytes(data, size);
  const uint32_t raw_offset = bytes.U32();
  const uint32_t raw_count = bytes.U32();
  const size_t chunk = 256 + static_cast<size_t>(bytes.U8()) * 257;
  Fixture& f = Get();
  f.inner->data_ = bytes.Rest();
  const auto cipher_size = static_cast<int64_t>(f.inner->data_.size());
  const int64_t offset = raw_offset % (cipher_size + 2);
  const int64_t count = static_cast<int64_t>(raw_count % (cipher_size + 3)) - 1;

  if (auto plain_size = DecryptedSize(cipher_size)) {
    auto back = EncryptedSize(*plain_size);
    FUZZ_CHECK(back && *back == cipher_size, std::to_string(cipher_size));
  }
  const Context ctx;
  {
    auto r = f.remote->Open(ctx, kPath, offset, count);
    Result<std::string> got = r ? ReadToEnd(**r, chunk) : Result<std::string>(Propagate(r.error()));
    CheckRead(got, offset, count, cipher_size,
              "Open(" + std::to_string(offset) + ", " + std::to_string(count) + ")");
  }
  {
    ObjectInfo listed{.path = kPath, .size = -1};
    if (auto plain_size = DecryptedSize(cipher_size)) listed.size = *plain_size;
    auto r = f.remote->OpenListed(ctx, listed);
    Result<std::string> got = r ? ReadToEnd(**r, chunk) : Result<std::string>(Propagate(r.error()));
    CheckRead(got, 0, -1, cipher_size, "OpenListed");
  }
  return 0;
}
