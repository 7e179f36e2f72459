// The encfs reader against the volumes Debian's encfs 1.9.5 wrote (tests/data/encfs/, see its
// README): the intermediate values of ENCFS-FORMAT.md, every volume decrypting to its clear tree
// byte for byte, ranged reads, and the failures (wrong password, a flipped MAC byte, truncated
// files, undecodable and hostile names, writes, unsupported ciphers).
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "backends/encfs/encfs_cipher.hpp"
#include "backends/encfs/encfs_config.hpp"
#include "backends/encfs/encfs_data.hpp"
#include "backends/encfs/encfs_names.hpp"
#include "backends/encfs/encfs_remote.hpp"
#include "backends/local/local.hpp"
#include "core/io.hpp"
#include "tests/support/fault_remote.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone::encfs {
namespace {

namespace fs = std::filesystem;

const char* const kVolumes[] = {"standard", "paranoia", "expert-stream", "expert-block32"};
constexpr const char* kPassword = "PASSWORD";

std::string DataDir(const std::string& rel = "") {
  const std::string base = std::string(CVCLONE_SOURCE_DIR) + "/tests/data/encfs";
  return rel.empty() ? base : base + "/" + rel;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string Hex(std::span<const uint8_t> b) {
  return HexEncode(
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(b.data()), b.size()));
}

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// PBKDF2 with encfs's iteration counts takes seconds: each volume is opened once per process.
const OpenedVolume& Volume(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, OpenedVolume> opened;
  std::lock_guard lock(mu);
  auto it = opened.find(name);
  if (it == opened.end()) {
    const std::string path = DataDir(name + "/cipher/.encfs6.xml");
    auto v = OpenVolume(ReadText(path), path, kPassword);
    REQUIRE_MESSAGE(v.has_value(), v.error().message());
    it = opened.emplace(name, std::move(v).value()).first;
  }
  return it->second;
}

std::unique_ptr<Remote> OpenRemote(const std::string& cipher_dir, const std::string& volume,
                                   bool strict_names = false, const std::string& root = "") {
  auto inner = NewLocalRemote(cipher_dir, cipher_dir, LocalOptions{.links = true});
  REQUIRE(inner.has_value());
  auto r = NewEncfsRemote(std::move(inner).value(), "encfs(" + cipher_dir + ")", root,
                          Volume(volume), strict_names);
  REQUIRE(r.has_value());
  return std::move(r).value();
}

std::unique_ptr<CipherSession> Session(const std::string& volume) {
  auto s = CipherSession::Create(Volume(volume).volume_key);
  REQUIRE(s.has_value());
  return std::move(s).value();
}

Result<std::string> ReadWhole(Remote& r, const std::string& path, int64_t offset = 0,
                              int64_t count = -1) {
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, r.Open(Context(), path, offset, count));
  return ReadAll(*reader);
}

// Every object under dir of the remote: path → content; directories listed as "path/".
std::map<std::string, std::string> ReadRemoteTree(Remote& r, const std::string& dir = "") {
  std::map<std::string, std::string> out;
  auto entries = r.List(Context(), dir);
  REQUIRE_MESSAGE(entries.has_value(), entries.error().message());
  for (const ObjectInfo& e : *entries) {
    if (e.is_dir) {
      out[e.path + "/"] = "";
      for (auto& [k, v] : ReadRemoteTree(r, e.path)) out[k] = v;
      continue;
    }
    auto content = ReadWhole(r, e.path);
    REQUIRE_MESSAGE(content.has_value(), std::string(e.path + ": " + content.error().message()));
    CHECK_MESSAGE(e.size == static_cast<int64_t>(content->size()), e.path);
    out[e.path] = *content;
  }
  return out;
}

// The clear tree on disk (symlinks left out: encfs remotes skip them), same shape.
std::map<std::string, std::string> ReadDiskTree(const std::string& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const std::string rel = fs::relative(e.path(), root).string();
    const auto st = e.symlink_status();
    if (fs::is_symlink(st)) continue;
    if (fs::is_directory(st)) {
      out[rel + "/"] = "";
    } else {
      out[rel] = ReadText(e.path().string());
    }
  }
  return out;
}

// Copies a vector volume's cipher tree (links kept) into a scratch folder.
std::string CopyVolume(const test::TempDir& dir, const std::string& volume) {
  const std::string to = dir.Path("cipher");
  fs::copy(DataDir(volume + "/cipher"), to,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  for (const auto& e : fs::recursive_directory_iterator(to)) {
    if (!fs::is_symlink(e.symlink_status())) {
      fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
    }
  }
  fs::permissions(to, fs::perms::owner_write, fs::perm_options::add);
  return to;
}

std::string StoredPath(const std::string& volume, const std::string& plain) {
  auto s = Session(volume);
  const OpenedVolume& v = Volume(volume);
  NameCoder names(v.config.name_alg, v.config.chained_name_iv);
  uint64_t iv = 0;
  auto enc = names.EncodePath(*s, plain, &iv);
  REQUIRE(enc.has_value());
  return *enc;
}

TEST_CASE("encfs: the standard vector's config and intermediate values") {
  const std::string path = DataDir("standard/cipher/.encfs6.xml");
  auto config = ParseVolumeConfig(ReadText(path), path);
  REQUIRE(config.has_value());
  CHECK(config->sub_version == 20100713);
  CHECK(config->key_bits == 192);
  CHECK(config->block_size == 1024);
  CHECK(config->name_alg == NameAlg::kBlock);
  CHECK(config->unique_iv);
  CHECK(config->chained_name_iv);
  CHECK_FALSE(config->external_iv_chaining);
  CHECK(config->allow_holes);
  CHECK(config->kdf_iterations == 766779);
  CHECK(config->salt.size() == 20);
  CHECK(config->encoded_key.size() == 44);

  auto user = DeriveUserKey(kPassword, *config);
  REQUIRE(user.has_value());
  CHECK(Hex(user->key()) == "05c759790ef599b7fe85a6a264f9e2d9cad54b05a10053d2");
  CHECK(Hex(user->iv()) == "fe288838797f8e3242d9a55e9c1aba20");
  auto volume = DecodeVolumeKey(*user, *config);
  REQUIRE(volume.has_value());
  CHECK(Hex(volume->key()) == "5253a997307cd46ea8463aa96f5a8e572c3714894ea47e41");
  CHECK(Hex(volume->iv()) == "a796e43b853e0924f2e7ae41187b3429");
}

TEST_CASE("encfs: standard vector names, chain values, file IV and CFB IVs") {
  auto s = Session("standard");
  NameCoder names(NameAlg::kBlock, true);
  uint64_t iv = 0;
  auto five = names.Decode(*s, "LvX3g0anamq9Ehb5aoLKr3NA", &iv);
  REQUIRE(five.has_value());
  CHECK(*five == "five.txt");
  CHECK(Hex64(iv) == "435e3d9655effc19");
  iv = 0;
  auto dir = names.Decode(*s, "Toata8ZeZc9IyH7HDHRxkXq5", &iv);
  REQUIRE(dir.has_value());
  CHECK(*dir == "Ünïcødé dir");
  CHECK(Hex64(iv) == "47ebb3406e1a85dc");
  // Encoding goes back to the stored names, whole paths included.
  iv = 0;
  CHECK(names.Encode(*s, "five.txt", &iv).value() == "LvX3g0anamq9Ehb5aoLKr3NA");
  CHECK(names.EncodePath(*s, "Ünïcødé dir/sub/deep.txt", &iv).value() ==
        "Toata8ZeZc9IyH7HDHRxkXq5/2TmyNfODYygw6KC5I9oVehZK/yR9q-Lly3J7CcYbzynNIyKNm");
  // Symlink targets: relative ones chained from the root, absolute ones one unchained name.
  CHECK(names.DecodeLinkTarget(*s, "../LvX3g0anamq9Ehb5aoLKr3NA").value() == "../five.txt");
  CHECK(names.DecodeLinkTarget(*s, "+QBPJwyiIBVwX-98DQ8hUeUGUCVSSiqzWCBjbTeBO0tVMv,").value() ==
        "/nonexistent/abs target");

  const DataLayout layout = DataLayout::From(Volume("standard").config);
  const std::string raw = ReadText(DataDir("standard/cipher/LvX3g0anamq9Ehb5aoLKr3NA"));
  REQUIRE(raw.size() == 13);
  uint8_t header[kHeaderBytes];
  std::memcpy(header, raw.data(), kHeaderBytes);
  auto file_iv = DecodeFileIv(*s, layout, header, 0);
  REQUIRE(file_iv.has_value());
  CHECK(Hex64(*file_iv) == "f4da3aa24ba25767");
  CHECK(Hex(s->Ivec(*file_iv + 1).value()) == "14601b77a908d9544ad94cd9f5ef6d3c");
  CHECK(Hex(s->Ivec(*file_iv).value()) == "0bd371b76957e8719cbf490c1e8468c8");
}

TEST_CASE("encfs: the paranoia vector's keys and external IV") {
  const OpenedVolume& v = Volume("paranoia");
  CHECK(Hex(v.volume_key.key()) ==
        "5c070f8699a270188d15c89191dfee7d6738e9aeb4b71e1921ed6678f629d995");
  CHECK(Hex(v.volume_key.iv()) == "9cd4017991d6945af276b3dfa935d901");
  auto s = Session("paranoia");
  NameCoder names(NameAlg::kBlock, true);
  uint64_t iv = 0;
  CHECK(names.Decode(*s, "rS190LOH4ypbGwQbUP51DIad", &iv).value() == "five.txt");
  CHECK(Hex64(iv) == "9e4abdc9bb2f2f9b");
  const std::string raw = ReadText(DataDir("paranoia/cipher/rS190LOH4ypbGwQbUP51DIad"));
  uint8_t header[kHeaderBytes];
  std::memcpy(header, raw.data(), kHeaderBytes);
  CHECK(Hex64(DecodeFileIv(*s, DataLayout::From(v.config), header, iv).value()) ==
        "772dac8d0797aab0");
}

TEST_CASE("encfs: text codings are strict") {
  for (bool base32 : {false, true}) {
    for (size_t n = 0; n < 40; ++n) {
      std::string bytes;
      for (size_t i = 0; i < n; ++i) bytes.push_back(static_cast<char>(i * 37 + n));
      const std::string text = EncodeText(bytes, base32);
      CHECK(DecodeText(text, base32).value() == bytes);
      // Whatever decodes is the canonical text of its bytes (so it encodes back).
      const std::string longer = text + (base32 ? "A" : ",");
      if (auto d = DecodeText(longer, base32); d.has_value()) {
        CHECK(EncodeText(*d, base32) == longer);
      }
    }
  }
  CHECK(EncodeText("\xff", false) == "z1");
  CHECK_FALSE(DecodeText("z2", false).has_value());
  CHECK_FALSE(DecodeText("a.b", false).has_value());
  CHECK_FALSE(DecodeText("abc", true).has_value());  // block32 stores upper case
}

TEST_CASE("encfs: every vector volume decrypts to its clear tree byte for byte") {
  for (const char* volume : kVolumes) {
    CAPTURE(volume);
    auto r = OpenRemote(DataDir(std::string(volume) + "/cipher"), volume);
    const auto got = ReadRemoteTree(*r);
    const auto want = ReadDiskTree(DataDir(std::string(volume) + "/plain"));
    CHECK(got.size() == want.size());
    for (const auto& [path, content] : want) {
      CAPTURE(path);
      auto it = got.find(path);
      REQUIRE(it != got.end());
      CHECK(it->second == content);
    }
    // Stat by path (names encoded forward) agrees with the listing.
    auto info = r->Stat(Context(), "Ünïcødé dir/sub/deep.txt");
    REQUIRE(info.has_value());
    CHECK(info->size == 32);
    CHECK(r->Stat(Context(), "Ünïcødé dir").error().code() == ErrorCode::kIsDir);
    CHECK(r->Stat(Context(), "missing.txt").error().code() == ErrorCode::kNotFound);
  }
}

TEST_CASE("encfs: symlink targets of every vector decode") {
  for (const char* volume : kVolumes) {
    CAPTURE(volume);
    const std::string cipher = DataDir(std::string(volume) + "/cipher");
    auto s = Session(volume);
    const OpenedVolume& v = Volume(volume);
    NameCoder names(v.config.name_alg, v.config.chained_name_iv);
    std::map<std::string, std::string> targets;
    for (const auto& e : fs::recursive_directory_iterator(cipher)) {
      if (!fs::is_symlink(e.symlink_status())) continue;
      auto target = names.DecodeLinkTarget(*s, fs::read_symlink(e.path()).string());
      REQUIRE(target.has_value());
      targets[*target] = e.path().filename().string();
    }
    CHECK(targets.size() == 3);
    CHECK(targets.count("five.txt") == 1);
    CHECK(targets.count("../five.txt") == 1);
    CHECK(targets.count("/nonexistent/abs target") == 1);
  }
}

TEST_CASE("encfs: ranged reads give the right bytes") {
  for (const char* volume : kVolumes) {
    CAPTURE(volume);
    auto r = OpenRemote(DataDir(std::string(volume) + "/cipher"), volume);
    for (const char* file : {"size3000.bin", "sparse.bin", "exact1024.bin", "five.txt"}) {
      CAPTURE(file);
      const std::string all = ReadText(DataDir(std::string(volume) + "/plain/" + file));
      const int64_t n = static_cast<int64_t>(all.size());
      for (int64_t offset :
           {int64_t{0}, int64_t{1}, int64_t{507}, int64_t{508}, int64_t{1007}, int64_t{1016},
            int64_t{1023}, int64_t{1024}, int64_t{2040}, int64_t{4999}, n - 1, n, n + 10}) {
        for (int64_t count : {int64_t{-1}, int64_t{0}, int64_t{1}, int64_t{9}, int64_t{1500}}) {
          CAPTURE(offset);
          CAPTURE(count);
          auto got = ReadWhole(*r, file, offset, count);
          REQUIRE_MESSAGE(got.has_value(), got.error().message());
          const std::string want =
              offset >= n ? ""
                          : all.substr(static_cast<size_t>(offset),
                                       count < 0 ? std::string::npos : static_cast<size_t>(count));
          CHECK(*got == want);
        }
      }
    }
  }
  // The stored range of a plaintext range: whole blocks, from the one holding the offset.
  DataLayout paranoia = DataLayout::From(Volume("paranoia").config);
  BlockRange range = MapRange(paranoia, 2040, 10);
  CHECK(range.first_block == 2);
  CHECK(range.discard == 8);
  CHECK(range.stored_offset == 8 + 2 * 1024);
  CHECK(range.stored_count == 1024);
  range = MapRange(paranoia, 1015, 2);  // straddles blocks 0 and 1
  CHECK(range.first_block == 0);
  CHECK(range.stored_count == 2048);
}

// Records the range of every Open on the inner remote.
class RangeRecorder : public FaultRemote {
 public:
  using FaultRemote::FaultRemote;
  Result<std::unique_ptr<Reader>> Open(const Context& ctx, const std::string& path, int64_t offset,
                                       int64_t count) override {
    std::lock_guard lock(mu_);
    opens.emplace_back(offset, count);
    return FaultRemote::Open(ctx, path, offset, count);
  }
  std::vector<std::pair<int64_t, int64_t>> opens;

 private:
  std::mutex mu_;
};

TEST_CASE("encfs: a ranged read asks the inner remote for the IV header and its blocks only") {
  const std::string cipher = DataDir("paranoia/cipher");
  auto local = NewLocalRemote(cipher, cipher);
  REQUIRE(local.has_value());
  auto recorder = std::make_unique<RangeRecorder>(**local);
  RangeRecorder* rec = recorder.get();
  auto r = NewEncfsRemote(std::move(recorder), "encfs:", "", Volume("paranoia"), false);
  REQUIRE(r.has_value());
  const std::string all = ReadText(DataDir("paranoia/plain/size3000.bin"));
  // Block 2 holds plaintext 2032..3000: the header, then that block alone.
  CHECK(ReadWhole(**r, "size3000.bin", 2040, 10).value() == all.substr(2040, 10));
  REQUIRE(rec->opens.size() == 2);
  CHECK(rec->opens[0] == std::pair<int64_t, int64_t>(0, 8));
  CHECK(rec->opens[1] == std::pair<int64_t, int64_t>(8 + 2 * 1024, 1024));
  // From block 0: one request covering the header and the blocks needed.
  rec->opens.clear();
  CHECK(ReadWhole(**r, "size3000.bin", 5, 1020).value() == all.substr(5, 1020));
  REQUIRE(rec->opens.size() == 1);
  CHECK(rec->opens[0] == std::pair<int64_t, int64_t>(0, 8 + 2 * 1024));
  rec->opens.clear();
  CHECK(ReadWhole(**r, "size3000.bin").value() == all);
  REQUIRE(rec->opens.size() == 1);
  CHECK(rec->opens[0] == std::pair<int64_t, int64_t>(0, -1));
}

// Encodes plain as encfs stores a file's blocks (the header left out), for layouts no vector has.
std::string EncodeBlocks(CipherSession& s, const DataLayout& layout, uint64_t file_iv,
                         const std::string& plain) {
  std::string out;
  const size_t d = static_cast<size_t>(layout.data_per_block());
  for (size_t at = 0, block = 0; at < plain.size(); at += d, ++block) {
    std::string b(static_cast<size_t>(layout.mac_header), '\0');
    for (size_t i = static_cast<size_t>(layout.mac_bytes); i < b.size(); ++i) {
      b[i] = static_cast<char>(i * 7 + block);  // the "random" bytes
    }
    b += plain.substr(at, d);
    std::span<uint8_t> bytes(reinterpret_cast<uint8_t*>(b.data()), b.size());
    if (layout.mac_bytes > 0) {
      uint64_t mac = s.Mac64(bytes.subspan(static_cast<size_t>(layout.mac_bytes))).value();
      for (int i = 0; i < layout.mac_bytes; ++i, mac >>= 8) b[i] = static_cast<char>(mac & 0xff);
    }
    if (static_cast<int64_t>(b.size()) == layout.block) {
      REQUIRE(s.BlockEncode(bytes, block ^ file_iv).has_value());
    } else {
      REQUIRE(s.StreamEncode(bytes, block ^ file_iv).has_value());
    }
    out += b;
  }
  return out;
}

TEST_CASE("encfs: long files decode across read-ahead buffers, with any read size and range") {
  auto s = Session("paranoia");
  const uint64_t file_iv = 0x0123456789abcdefULL;
  for (int64_t block : {int64_t{64}, int64_t{1024}, int64_t{4096}}) {
    for (int64_t mac : {int64_t{0}, int64_t{8}}) {
      CAPTURE(block);
      CAPTURE(mac);
      DataLayout layout;
      layout.block = block;
      layout.mac_header = mac + 4;
      layout.mac_bytes = static_cast<int>(mac);
      layout.allow_holes = true;
      const std::string plain = test::Pattern(3 * kReadAhead + 12345, static_cast<unsigned>(block));
      const std::string stored = EncodeBlocks(*s, layout, file_iv, plain);
      CHECK(layout.PlainSize(static_cast<int64_t>(stored.size())).value() ==
            static_cast<int64_t>(plain.size()));
      for (size_t read_size : {size_t{1}, size_t{1000}, size_t{65536}, size_t{1} << 20}) {
        const int64_t offset = static_cast<int64_t>(kReadAhead) + 77;
        for (int64_t count : {int64_t{-1}, int64_t{300000}}) {
          CAPTURE(read_size);
          CAPTURE(count);
          for (int64_t from : {int64_t{0}, offset}) {
            const BlockRange range = MapRange(layout, from, count);
            std::string tail = stored.substr(static_cast<size_t>(range.stored_offset));
            if (range.stored_count >= 0)
              tail.resize(std::min<size_t>(tail.size(), range.stored_count));
            auto session = CipherSession::Create(Volume("paranoia").volume_key).value();
            DecryptingReader reader(std::move(session), layout, file_iv,
                                    std::make_unique<MemoryReader>(tail), range, count, "t");
            std::string got;
            std::string buf(read_size, '\0');
            while (true) {
              auto n = reader.Read(AsWritableBytes(buf));
              if (!n) FAIL(n.error().message());
              if (*n == 0) break;
              got.append(buf.data(), *n);
            }
            CHECK(got == plain.substr(static_cast<size_t>(from),
                                      count < 0 ? std::string::npos : static_cast<size_t>(count)));
          }
        }
      }
    }
  }
}

TEST_CASE("encfs: the stored size a reader is told only sizes its buffer, right or wrong") {
  auto s = Session("paranoia");
  const uint64_t file_iv = 42;
  DataLayout layout;
  layout.block = 1024;
  layout.mac_header = 8;
  layout.mac_bytes = 8;
  const std::string plain = test::Pattern(2 * kReadAhead + 777, 5);
  const std::string stored = EncodeBlocks(*s, layout, file_iv, plain);
  const auto real = static_cast<int64_t>(stored.size());
  // Unknown, short of one block, a few blocks (the file grew), exact, far too large.
  for (int64_t hint : {int64_t{-1}, int64_t{0}, int64_t{1}, int64_t{5000}, real, 10 * real}) {
    CAPTURE(hint);
    auto session = CipherSession::Create(Volume("paranoia").volume_key).value();
    DecryptingReader reader(std::move(session), layout, file_iv,
                            std::make_unique<MemoryReader>(stored), MapRange(layout, 0, -1), -1,
                            "t", hint);
    std::string got;
    std::string buf(100000, '\0');
    while (true) {
      auto n = reader.Read(AsWritableBytes(buf));
      if (!n) FAIL(n.error().message());
      if (*n == 0) break;
      got.append(buf.data(), *n);
    }
    CHECK(got == plain);
  }
}

TEST_CASE("encfs: sizes come from stored sizes") {
  DataLayout standard = DataLayout::From(Volume("standard").config);
  DataLayout paranoia = DataLayout::From(Volume("paranoia").config);
  DataLayout stream = DataLayout::From(Volume("expert-stream").config);
  DataLayout block32 = DataLayout::From(Volume("expert-block32").config);
  CHECK(standard.PlainSize(0).value() == 0);
  CHECK(standard.PlainSize(13).value() == 5);
  CHECK(standard.PlainSize(8).value() == 0);  // encfs truncated to 0: the header stays
  CHECK(paranoia.PlainSize(21).value() == 5);
  CHECK(paranoia.PlainSize(1048).value() == 1024);
  CHECK(paranoia.PlainSize(3032).value() == 3000);
  CHECK(stream.PlainSize(1044).value() == 1024);
  CHECK(block32.PlainSize(5081).value() == 5001);
  for (int64_t size : {0, 1, 5, 1008, 1016, 1024, 3000, 5001}) {
    CHECK(paranoia.PlainSize(paranoia.StoredSize(size)).value() == size);
    CHECK(block32.PlainSize(block32.StoredSize(size)).value() == size);
  }
  CHECK(standard.PlainSize(5).error().code() == ErrorCode::kCorrupt);
  CHECK(paranoia.PlainSize(8 + 1024 + 8).error().code() == ErrorCode::kCorrupt);
}

TEST_CASE("encfs: a wrong password is the error \"wrong password\"") {
  const std::string path = DataDir("standard/cipher/.encfs6.xml");
  auto v = OpenVolume(ReadText(path), path, "PASSWORD2");
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error().code() == ErrorCode::kAuth);
  CHECK(v.error().fatal());
  CHECK(v.error().message().find("wrong password") != std::string::npos);
  CHECK(v.error().message().find(path) != std::string::npos);
  CHECK(v.error().message().find("PASSWORD2") == std::string::npos);
}

TEST_CASE("encfs: one flipped byte in a MAC'd volume fails the read naming the file") {
  for (const char* volume : {"paranoia", "expert-block32"}) {
    CAPTURE(volume);
    test::TempDir dir;
    const std::string cipher = CopyVolume(dir, volume);
    const std::string stored = StoredPath(volume, "size3000.bin");
    // Flip one byte of the second block (inside its MAC header once decrypted: CBC spreads it).
    const std::string file = cipher + "/" + stored;
    std::string bytes = ReadText(file);
    const size_t at = (Volume(volume).config.unique_iv ? 8 : 0) + 1024 + 3;
    bytes[at] = static_cast<char>(bytes[at] ^ 0x01);
    REQUIRE(test::WriteFile(file, bytes));
    auto r = OpenRemote(cipher, volume);
    auto got = ReadWhole(*r, "size3000.bin");
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().code() == ErrorCode::kCorrupt);
    CHECK(got.error().message().find("size3000.bin") != std::string::npos);
    CHECK(got.error().message().find("block 1") != std::string::npos);
    CHECK(got.error().message().find("MAC") != std::string::npos);
    // A range that needs only the first block still reads.
    CHECK(ReadWhole(*r, "size3000.bin", 0, 100).has_value());
  }
}

TEST_CASE("encfs: truncated files are errors naming the path") {
  test::TempDir dir;
  const std::string cipher = CopyVolume(dir, "paranoia");
  const std::string size3000 = cipher + "/" + StoredPath("paranoia", "size3000.bin");
  const std::string five = cipher + "/" + StoredPath("paranoia", "five.txt");
  fs::resize_file(size3000, 8 + 2 * 1024 + 5);  // last block: 5 bytes, under the 8-byte MAC
  fs::resize_file(five, 5);                     // not even the IV header
  auto r = OpenRemote(cipher, "paranoia");
  for (const char* path : {"size3000.bin", "five.txt"}) {
    CAPTURE(path);
    auto got = ReadWhole(*r, path);
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().code() == ErrorCode::kCorrupt);
    CHECK(got.error().message().find(path) != std::string::npos);
    CHECK(got.error().message().find("truncated") != std::string::npos);
  }
}

TEST_CASE("encfs: undecodable names are skipped, or an error with strict_names") {
  test::TempDir dir;
  const std::string cipher = CopyVolume(dir, "standard");
  REQUIRE(test::WriteFile(cipher + "/not-an-encfs-name", "x"));
  // A valid name of another directory: its checksum fails at the top.
  const std::string deep = StoredPath("standard", "Ünïcødé dir/sub/deep.txt");
  fs::copy_file(cipher + "/" + deep, cipher + "/" + deep.substr(deep.rfind('/') + 1));
  auto lenient = OpenRemote(cipher, "standard");
  auto listed = lenient->List(Context(), "");
  REQUIRE(listed.has_value());
  CHECK(listed->size() == 8);  // the 8 files and folders of the clear top, links skipped
  auto strict = OpenRemote(cipher, "standard", /*strict_names=*/true);
  auto failed = strict->List(Context(), "");
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().code() == ErrorCode::kCorrupt);
  const std::string& m = failed.error().message();
  CHECK((m.find("not-an-encfs-name") != std::string::npos ||
         m.find(deep.substr(deep.rfind('/') + 1)) != std::string::npos));
}

// Encodes any bytes as a block name (what a hostile volume could hold).
std::string HostileName(CipherSession& s, std::string plain) {
  const size_t pad = 16 - plain.size() % 16;
  plain.append(pad, static_cast<char>(pad));
  std::span<uint8_t> body(reinterpret_cast<uint8_t*>(plain.data()), plain.size());
  uint64_t iv = 0;
  const uint16_t mac = s.Mac16(body, &iv).value();
  REQUIRE(s.BlockEncode(body, mac).has_value());
  std::string raw;
  raw.push_back(static_cast<char>(mac >> 8));
  raw.push_back(static_cast<char>(mac & 0xff));
  return EncodeText(raw + plain, false);
}

TEST_CASE("encfs: names that decode to '..', '/', NUL or non-UTF-8 are refused") {
  auto s = Session("standard");
  NameCoder names(NameAlg::kBlock, true);
  for (const std::string& bad :
       {std::string(".."), std::string("."), std::string("a/b"), std::string("../x"),
        std::string("a\0b", 3), std::string("\xff\xfe")}) {
    CAPTURE(bad);
    const std::string stored = HostileName(*s, bad);
    uint64_t iv = 0;
    auto got = names.Decode(*s, stored, &iv);
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().code() == ErrorCode::kCorrupt);
  }
  // The same construction with a clean name decodes: the refusal is the name's.
  uint64_t iv = 0;
  CHECK(names.Decode(*s, HostileName(*s, "fine"), &iv).value() == "fine");
  test::TempDir dir;
  const std::string cipher = CopyVolume(dir, "standard");
  REQUIRE(test::WriteFile(cipher + "/" + HostileName(*s, ".."), "x"));
  auto strict = OpenRemote(cipher, "standard", true);
  CHECK(strict->List(Context(), "").error().code() == ErrorCode::kCorrupt);
  auto lenient = OpenRemote(cipher, "standard");
  CHECK(lenient->List(Context(), "").value().size() == 8);
}

TEST_CASE("encfs: every write is one read-only error") {
  auto r = OpenRemote(DataDir("standard/cipher"), "standard");
  MemoryReader src("x");
  std::vector<Error> errors;
  errors.push_back(r->Put(Context(), "new.txt", src, PutOptions{}).error());
  errors.push_back(r->Delete(Context(), "five.txt").error());
  errors.push_back(r->Mkdir(Context(), "d").error());
  errors.push_back(r->Rmdir(Context(), "Ünïcødé dir").error());
  errors.push_back(r->Purge(Context(), "Ünïcødé dir").error());
  errors.push_back(r->SetModTime(Context(), "five.txt", TimePoint{}).error());
  errors.push_back(r->Copy(Context(), *r, "five.txt", "six.txt").error());
  errors.push_back(r->Move(Context(), *r, "five.txt", "six.txt").error());
  for (const Error& e : errors) {
    CAPTURE(e.message());
    CHECK(e.code() == ErrorCode::kPermission);
    CHECK(e.fatal());
    CHECK(e.message().find("read-only") != std::string::npos);
  }
  CHECK(ReadWhole(*r, "five.txt").value() == "hello");
}

TEST_CASE("encfs: a root inside the volume") {
  auto r = OpenRemote(DataDir("paranoia/cipher"), "paranoia", false, "Ünïcødé dir");
  auto listed = r->List(Context(), "");
  REQUIRE(listed.has_value());
  CHECK(listed->size() == 2);  // naïve 文件.txt and sub (link-up skipped)
  CHECK(ReadWhole(*r, "sub/deep.txt").value() == "deep file in a nested directory\n");
}

std::string ConfigWith(const std::string& from, const std::string& to) {
  std::string text = ReadText(DataDir("standard/cipher/.encfs6.xml"));
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

TEST_CASE("encfs: unsupported ciphers and codings are named") {
  for (const char* cipher : {"ssl/blowfish", "ssl/camellia"}) {
    auto c = ParseVolumeConfig(ConfigWith("ssl/aes", cipher), "x.xml");
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().code() == ErrorCode::kUnsupported);
    CHECK(c.error().message().find(std::string("cipher not supported: ") + cipher) !=
          std::string::npos);
  }
  auto old = ParseVolumeConfig(ConfigWith("<major>3</major>", "<major>2</major>"), "x.xml");
  CHECK(old.error().code() == ErrorCode::kUnsupported);
  auto names = ParseVolumeConfig(ConfigWith("nameio/block", "nameio/rot13"), "x.xml");
  CHECK(names.error().message().find("nameio/rot13") != std::string::npos);
  auto version = ParseVolumeConfig(ConfigWith("20100713", "20080813"), "x.xml");
  CHECK(version.error().code() == ErrorCode::kUnsupported);
  auto block = ParseVolumeConfig(ConfigWith("<blockSize>1024", "<blockSize>1000"), "x.xml");
  CHECK(block.error().code() == ErrorCode::kConfig);
  CHECK(block.error().message().find("blockSize") != std::string::npos);
  auto garbage = ParseVolumeConfig("<html>", "x.xml");
  CHECK(garbage.error().code() == ErrorCode::kConfig);
  CHECK(garbage.error().message().find("x.xml") != std::string::npos);
}

}  // namespace
}  // namespace cvclone::encfs
