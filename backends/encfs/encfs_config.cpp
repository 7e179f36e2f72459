#include "backends/encfs/encfs_config.hpp"

#include <charconv>
#include <optional>
#include <pugixml.hpp>

namespace cvclone::encfs {
namespace {

// The first sub-version with a PBKDF2 salt and iteration count (V6 proper).
constexpr int64_t kFirstPbkdf2Version = 20080816;
// Largest block size accepted: encfs offers up to 4096; hand-edited configs get some slack, and
// a reader holds one block per open file.
constexpr int kMaxBlockSize = 1 << 20;
constexpr int kMaxMacBytes = 8;

struct Iface {
  std::string name;
  int64_t major = -1;
};

Unexpected<Error> ConfigError(const std::string& where, const std::string& what) {
  return MakeError(ErrorCode::kConfig, "encfs: " + where + ": " + what);
}

std::string Trimmed(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return "";
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

std::optional<int64_t> ParseInt(std::string_view text) {
  const std::string t = Trimmed(text);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return v;
}

// An integer element: `fallback` when absent (nullopt fallback: required).
Result<int64_t> IntField(const pugi::xml_node& cfg, const char* name,
                         std::optional<int64_t> fallback, const std::string& where) {
  pugi::xml_node node = cfg.child(name);
  if (!node) {
    if (fallback) return *fallback;
    return ConfigError(where, std::string("missing <") + name + ">");
  }
  auto v = ParseInt(node.child_value());
  if (!v) return ConfigError(where, std::string("<") + name + "> is not an integer");
  return *v;
}

Result<bool> FlagField(const pugi::xml_node& cfg, const char* name, const std::string& where) {
  CVC_ASSIGN_OR_RETURN(int64_t v, IntField(cfg, name, 0, where));
  if (v != 0 && v != 1) return ConfigError(where, std::string("<") + name + "> is not 0 or 1");
  return v == 1;
}

Result<Iface> IfaceField(const pugi::xml_node& cfg, const char* name, const std::string& where) {
  pugi::xml_node node = cfg.child(name);
  if (!node) return ConfigError(where, std::string("missing <") + name + ">");
  Iface iface;
  iface.name = Trimmed(node.child("name").child_value());
  auto major = ParseInt(node.child("major").child_value());
  if (iface.name.empty() || !major) {
    return ConfigError(where, std::string("<") + name + "> has no <name> and <major>");
  }
  iface.major = *major;
  return iface;
}

Status CheckCipher(const Iface& cipher, int64_t key_bits, const std::string& where) {
  if (cipher.name != "ssl/aes") {
    return MakeError(ErrorCode::kUnsupported, "encfs: " + where +
                                                  ": cipher not supported: " + cipher.name +
                                                  " (only ssl/aes volumes can be read)");
  }
  if (cipher.major != 3) {
    return MakeError(ErrorCode::kUnsupported,
                     "encfs: " + where + ": cipher not supported: ssl/aes version " +
                         std::to_string(cipher.major) + " (only version 3, as encfs 1.x writes)");
  }
  if (key_bits != 128 && key_bits != 192 && key_bits != 256) {
    return ConfigError(where, "<keySize> " + std::to_string(key_bits) +
                                  " is not an AES key size (128, 192 or 256)");
  }
  return Ok();
}

Result<NameAlg> CheckNameAlg(const Iface& iface, const std::string& where) {
  if ((iface.name == "nameio/block" || iface.name == "nameio/block32") && iface.major >= 3 &&
      iface.major <= 4) {
    return iface.name == "nameio/block" ? NameAlg::kBlock : NameAlg::kBlock32;
  }
  if (iface.name == "nameio/stream" && iface.major == 2) return NameAlg::kStream;
  if (iface.name == "nameio/null" && iface.major == 1) return NameAlg::kNull;
  return MakeError(ErrorCode::kUnsupported, "encfs: " + where +
                                                ": name coding not supported: " + iface.name +
                                                " version " + std::to_string(iface.major));
}

Result<std::vector<uint8_t>> Base64Field(const pugi::xml_node& cfg, const char* name,
                                         const std::string& where) {
  pugi::xml_node node = cfg.child(name);
  if (!node) return ConfigError(where, std::string("missing <") + name + ">");
  return DecodeConfigBase64(node.child_value(), "encfs: " + where + ": <" + name + ">");
}

int SextetOf(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

Status CheckSizes(const VolumeConfig& c, const std::string& where) {
  if (c.block_size < 16 || c.block_size > kMaxBlockSize || c.block_size % 16 != 0) {
    return ConfigError(where, "<blockSize> " + std::to_string(c.block_size) +
                                  " is not a multiple of 16 between 16 and 1 MiB");
  }
  if (c.mac_bytes < 0 || c.mac_bytes > kMaxMacBytes || c.mac_rand_bytes < 0 ||
      c.mac_rand_bytes > kMaxMacBytes) {
    return ConfigError(where, "<blockMACBytes>/<blockMACRandBytes> must be 0 to 8");
  }
  if (c.mac_header() >= c.block_size) {
    return ConfigError(where, "the MAC header fills the whole block");
  }
  const size_t want = 4 + static_cast<size_t>(c.key_bytes()) + kIvBytes;
  if (c.encoded_key.size() != want) {
    return ConfigError(where, "<encodedKeyData> holds " + std::to_string(c.encoded_key.size()) +
                                  " bytes, not " + std::to_string(want));
  }
  if (c.salt.empty()) return ConfigError(where, "<saltData> is empty");
  if (c.kdf_iterations <= 0) return ConfigError(where, "<kdfIterations> must be positive");
  return Ok();
}

}  // namespace

Result<std::vector<uint8_t>> DecodeConfigBase64(std::string_view text, const std::string& what) {
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    const int v = SextetOf(c);
    if (v < 0 || padding) {
      return MakeError(ErrorCode::kConfig, what + ": not base64");
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  return out;
}

Result<VolumeConfig> ParseVolumeConfig(std::string_view xml, const std::string& where) {
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed) return ConfigError(where, std::string("not XML: ") + parsed.description());
  pugi::xml_node root = doc.child("boost_serialization");
  pugi::xml_node cfg = root.child("cfg");
  if (!cfg) cfg = root.child("config");
  if (!cfg) {
    return ConfigError(where, "no <boost_serialization><cfg> element: not an encfs V6 config");
  }

  VolumeConfig c;
  std::optional<int64_t> version_attr;
  if (auto attr = cfg.attribute("version")) version_attr = ParseInt(attr.value());
  CVC_ASSIGN_OR_RETURN(c.sub_version, IntField(cfg, "version", version_attr, where));
  if (c.sub_version == 26800) c.sub_version = 20080816;  // boost-era spellings
  if (c.sub_version == 26797) c.sub_version = 20080813;
  if (c.sub_version < kFirstPbkdf2Version) {
    return MakeError(ErrorCode::kUnsupported,
                     "encfs: " + where + ": config version " + std::to_string(c.sub_version) +
                         " predates PBKDF2 keys (encfs before 1.5): not supported");
  }
  c.creator = Trimmed(cfg.child("creator").child_value());
  CVC_ASSIGN_OR_RETURN(Iface cipher, IfaceField(cfg, "cipherAlg", where));
  CVC_ASSIGN_OR_RETURN(int64_t key_bits, IntField(cfg, "keySize", std::nullopt, where));
  CVC_RETURN_IF_ERROR(CheckCipher(cipher, key_bits, where));
  c.key_bits = static_cast<int>(key_bits);
  CVC_ASSIGN_OR_RETURN(Iface names, IfaceField(cfg, "nameAlg", where));
  CVC_ASSIGN_OR_RETURN(c.name_alg, CheckNameAlg(names, where));
  CVC_ASSIGN_OR_RETURN(int64_t block, IntField(cfg, "blockSize", std::nullopt, where));
  if (block < 0 || block > kMaxBlockSize) block = -1;  // reported by CheckSizes
  c.block_size = static_cast<int>(block);
  CVC_ASSIGN_OR_RETURN(c.plain_data, FlagField(cfg, "plainData", where));
  CVC_ASSIGN_OR_RETURN(c.unique_iv, FlagField(cfg, "uniqueIV", where));
  CVC_ASSIGN_OR_RETURN(c.chained_name_iv, FlagField(cfg, "chainedNameIV", where));
  CVC_ASSIGN_OR_RETURN(c.external_iv_chaining, FlagField(cfg, "externalIVChaining", where));
  CVC_ASSIGN_OR_RETURN(int64_t mac, IntField(cfg, "blockMACBytes", 0, where));
  CVC_ASSIGN_OR_RETURN(int64_t rand, IntField(cfg, "blockMACRandBytes", 0, where));
  c.mac_bytes = (mac < 0 || mac > kMaxMacBytes) ? -1 : static_cast<int>(mac);
  c.mac_rand_bytes = (rand < 0 || rand > kMaxMacBytes) ? -1 : static_cast<int>(rand);
  CVC_ASSIGN_OR_RETURN(c.allow_holes, FlagField(cfg, "allowHoles", where));
  CVC_ASSIGN_OR_RETURN(c.encoded_key, Base64Field(cfg, "encodedKeyData", where));
  CVC_ASSIGN_OR_RETURN(c.salt, Base64Field(cfg, "saltData", where));
  CVC_ASSIGN_OR_RETURN(c.kdf_iterations, IntField(cfg, "kdfIterations", std::nullopt, where));
  CVC_RETURN_IF_ERROR(CheckSizes(c, where));
  return c;
}

}  // namespace cvclone::encfs
