// The encfs volume configuration `.encfs6.xml` (V6, as encfs 1.9.5 writes it; format:
// ENCFS-FORMAT.md §1), parsed and checked against what this reader implements.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cvclone::encfs {

// How names are coded (nameAlg).
enum class NameAlg { kBlock, kBlock32, kStream, kNull };

struct VolumeConfig {
  int64_t sub_version = 0;  // the <version> element, boost-era spellings mapped to 2008xxxx
  std::string creator;
  int key_bits = 0;    // AES key size: 128, 192 or 256
  int block_size = 0;  // file block size in bytes, MAC header included
  NameAlg name_alg = NameAlg::kBlock;
  bool plain_data = false;  // contents stored unencrypted (names still are)
  bool unique_iv = false;   // 8-byte per-file IV header
  bool chained_name_iv = false;
  bool external_iv_chaining = false;
  int mac_bytes = 0;       // 0..8 bytes of MAC at the start of each block
  int mac_rand_bytes = 0;  // 0..8 random bytes after the MAC
  bool allow_holes = false;
  std::vector<uint8_t> encoded_key;  // checksum(4) ‖ encrypted volume key ‖ key IV
  std::vector<uint8_t> salt;
  int64_t kdf_iterations = 0;

  int key_bytes() const { return key_bits / 8; }
  int mac_header() const { return mac_bytes + mac_rand_bytes; }
};

// AES's key IV and cipher block length.
inline constexpr int kIvBytes = 16;

// Parses the text of a `.encfs6.xml`; `where` names it in errors. Errors:
// - kConfig "encfs: WHERE: ..." naming the element at fault: not XML, no <cfg>/<config>, a missing
//   or malformed required element (version, cipherAlg, nameAlg, keySize, blockSize,
//   encodedKeyData, saltData, kdfIterations), an impossible value (block size not a multiple of
//   16 or not above the MAC header, MAC bytes above 8, key data of the wrong length);
// - kUnsupported "encfs: WHERE: cipher not supported: NAME" for any cipher but ssl/aes 3 (so
//   ssl/blowfish and ssl/camellia are named), and likewise for name codings other than
//   nameio/block and nameio/block32 3-4, nameio/stream 2 and nameio/null 1, and for configs older
//   than sub-version 20080816 (no PBKDF2 salt).
// Unknown elements and attributes are ignored; a missing flag or MAC field means 0.
Result<VolumeConfig> ParseVolumeConfig(std::string_view xml, const std::string& where);

// Standard base64 (A-Z a-z 0-9 + /) as encfs stores key data: whitespace anywhere and '='
// padding at the end are ignored. Any other character: kConfig "WHAT: not base64".
Result<std::vector<uint8_t>> DecodeConfigBase64(std::string_view text, const std::string& what);

}  // namespace cvclone::encfs
