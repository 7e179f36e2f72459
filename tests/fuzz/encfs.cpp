// Fuzzes the encfs parsers (backends/encfs): the volume configuration and stored names. The first
// input byte picks what the rest is:
// - 0: the text of a `.encfs6.xml`: it parses or fails with an error naming something; a parsed
//   config holds only what the reader implements (AES key of 128/192/256 bits, a block size that
//   is a multiple of 16 above the MAC header, key data of the right length);
// - 1-8: a stored name, decoded with one name coding (byte & 3) with or without chaining
//   (byte & 4): a name that decodes is a name a path may hold, and encodes back to the stored
//   text with the same chain value (decoding is canonical);
// - 9-16: a plaintext name, encoded then decoded back, in the same eight ways;
// - otherwise: text decoded with encfs's base64 and base32 codings: what decodes encodes back.
// The volume key is fixed (no PBKDF2 runs per input).
#include <memory>
#include <string>
#include <vector>

#include "backends/encfs/encfs_cipher.hpp"
#include "backends/encfs/encfs_config.hpp"
#include "backends/encfs/encfs_names.hpp"
#include "core/remote.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace cvclone::encfs {
namespace {

CipherSession& Session() {
  static const std::unique_ptr<CipherSession> session = [] {
    std::vector<uint8_t> key(24);
    std::array<uint8_t, kIvBytes> iv{};
    for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(7 * i + 1);
    for (size_t i = 0; i < iv.size(); ++i) iv[i] = static_cast<uint8_t>(3 * i + 2);
    auto s = CipherSession::Create(KeyMaterial(std::move(key), iv));
    FUZZ_CHECK(s.has_value(), "CipherSession::Create");
    return std::move(s).value();
  }();
  return *session;
}

NameCoder Coder(uint8_t pick) {
  static constexpr NameAlg kAlgs[] = {NameAlg::kBlock, NameAlg::kBlock32, NameAlg::kStream,
                                      NameAlg::kNull};
  return NameCoder(kAlgs[pick & 3], (pick & 4) != 0);
}

// A name a path may hold: not empty, ".", "..", and without '/' or NUL.
bool PathName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of(std::string("/\0", 2)) == std::string::npos;
}

void FuzzConfig(const std::string& xml) {
  auto config = ParseVolumeConfig(xml, "fuzz.xml");
  if (!config) {
    FUZZ_CHECK(!config.error().message().empty(), "an error without a message");
    return;
  }
  const VolumeConfig& c = *config;
  FUZZ_CHECK(c.key_bits == 128 || c.key_bits == 192 || c.key_bits == 256,
             std::to_string(c.key_bits));
  FUZZ_CHECK(c.block_size > 0 && c.block_size % 16 == 0 && c.block_size > c.mac_header(),
             std::to_string(c.block_size));
  FUZZ_CHECK(c.mac_bytes >= 0 && c.mac_bytes <= 8 && c.mac_rand_bytes >= 0 &&
                 c.mac_rand_bytes <= 8,
             std::to_string(c.mac_bytes) + " " + std::to_string(c.mac_rand_bytes));
  FUZZ_CHECK(c.encoded_key.size() == static_cast<size_t>(4 + c.key_bytes() + kIvBytes),
             std::to_string(c.encoded_key.size()));
}

void FuzzStoredName(uint8_t pick, const std::string& stored) {
  const NameCoder coder = Coder(pick);
  uint64_t iv = 0x0123456789abcdefULL;
  const uint64_t start = iv;
  auto plain = coder.Decode(Session(), stored, &iv);
  if (!plain) return;
  FUZZ_CHECK(PathName(*plain), fuzz::Printable(stored) + " -> " + fuzz::Printable(*plain));
  uint64_t again = start;
  auto encoded = coder.Encode(Session(), *plain, &again);
  FUZZ_CHECK(encoded.has_value(), fuzz::Printable(*plain));
  FUZZ_CHECK(*encoded == stored, fuzz::Printable(stored) + " re-encoded as " +
                                     fuzz::Printable(*encoded));
  FUZZ_CHECK(again == iv, "the chain value differs after re-encoding");
}

void FuzzPlainName(uint8_t pick, const std::string& plain) {
  if (!PathName(plain)) return;
  const NameCoder coder = Coder(pick);
  uint64_t iv = 42;
  auto stored = coder.Encode(Session(), plain, &iv);
  if (!stored) return;
  uint64_t back_iv = 42;
  auto back = coder.Decode(Session(), *stored, &back_iv);
  // Decoding refuses only what no path may hold; here that can only be text that is not UTF-8.
  FUZZ_CHECK(back.has_value() || !IsValidUtf8(plain),
             fuzz::Printable(plain) + " encoded, then did not decode: " +
                 (back ? std::string() : back.error().message()));
  if (!back) return;
  FUZZ_CHECK(*back == plain, fuzz::Printable(plain) + " came back as " + fuzz::Printable(*back));
  FUZZ_CHECK(back_iv == iv, "the chain value differs after decoding");
}

void FuzzText(const std::string& text) {
  for (bool base32 : {false, true}) {
    auto bytes = DecodeText(text, base32);
    if (!bytes) continue;
    FUZZ_CHECK(EncodeText(*bytes, base32) == text, fuzz::Printable(text));
  }
}

}  // namespace
}  // namespace cvclone::encfs

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cvclone;
  using namespace cvclone::encfs;
  fuzz::ByteReader in(data, size);
  const uint8_t mode = in.U8();
  const std::string rest = in.Rest();
  if (mode == 0) {
    FuzzConfig(rest);
  } else if (mode <= 8) {
    FuzzStoredName(static_cast<uint8_t>(mode - 1), rest);
  } else if (mode <= 16) {
    FuzzPlainName(static_cast<uint8_t>(mode - 9), rest);
  } else {
    FuzzText(rest);
  }
  return 0;
}
