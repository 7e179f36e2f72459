#include "crypt/crypt_remote.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

#include "backends/local/local.hpp"
#include "core/config.hpp"
#include "core/io.hpp"
#include "crypt/data.hpp"
#include "crypt/test_util.hpp"
#include "tests/conformance/conformance.hpp"
#include "tests/support/fault_remote.hpp"
#include "tests/support/memory_remote.hpp"
#include "tests/support/temp_dir.hpp"


namespace cvclone::crypt {
namespace {

const CryptKeys& Potato() {
  static const CryptKeys keys = DeriveKeys("potato", "").value();
  return keys;
}

CryptConfig Config(NameMode mode = NameMode::kStandard, bool dirs = true,
                   NameEncoding enc = NameEncoding::kBase32) {
  CryptConfig c;
  c.password = "potato";
  c.names.mode = mode;
  c.names.encrypt_dirs = dirs;
  c.names.encoding = enc;
  return c;
}

std::unique_ptr<Remote> Wrap(std::unique_ptr<Remote> inner, const CryptConfig& config = Config()) {
  return NewCryptRemote(std::move(inner), "crypt:", config, Potato()).value();
}

std::string ReadAllOf(Remote& r, const std::string& path, int64_t offset = 0, int64_t count = -1) {
  auto reader = r.Open(Context{}, path, offset, count);
  REQUIRE(reader.has_value());
  auto data = ReadAll(**reader);
  REQUIRE(data.has_value());
  return *data;
}

TEST_CASE("crypt remote: conformance over local") {
  test::TempDir dir;
  int n = 0;
  RunConformanceSuite({.name = "crypt(local)",
                       .make_empty_remote =
                           [&] {
                             return Wrap(NewLocalRemote(dir.Path("r" + std::to_string(n++)))
                                             .value());
                           },
                       .supports_empty_dirs = true,
                       .supports_long_names = false});
}

// crypt states what it can do and ANDs it with the inner remote's (WrapFeatures): it used to
// copy the inner remote's features, and so advertised S3's public links, then failed them.
TEST_CASE("crypt remote: advertises only what both it and the inner remote can do") {
  auto inner = std::make_unique<MemoryRemote>();
  inner->features().public_link = true;
  inner->features().local_disk = true;
  inner->features().network = true;
  inner->features().mtime_precision = std::chrono::seconds(1);
  auto crypt = Wrap(std::move(inner));
  const Features& f = crypt->GetFeatures();
  CHECK_FALSE(f.public_link);
  CHECK(crypt->PublicLink(Context{}, "x", std::chrono::hours(1)).error().code() ==
        ErrorCode::kUnsupported);
  CHECK_FALSE(f.local_disk);
  CHECK(f.hashes.Empty());
  CHECK(f.network);
  CHECK(f.server_side_copy);
  CHECK(f.server_side_move);
  CHECK(f.mtime_precision == std::chrono::seconds(1));
}

TEST_CASE("crypt remote: conformance over memory, every name mode") {
  const CryptConfig configs[] = {Config(NameMode::kObfuscate), Config(NameMode::kOff),
                                 Config(NameMode::kStandard, false, NameEncoding::kBase64)};
  for (const CryptConfig& config : configs) {
    RunConformanceSuite({.name = "crypt(memory)",
                         .make_empty_remote =
                             [&] { return Wrap(std::make_unique<MemoryRemote>(), config); }});
  }
}

TEST_CASE("crypt remote: reads the rclone-written tree") {
  const std::string root = testing::VectorsDir() + "/rclone-written/encA";
  auto crypt = Wrap(NewLocalRemote(root).value());
  auto list = crypt->List(Context{}, "");
  REQUIRE(list.has_value());
  std::map<std::string, int64_t> seen;
  for (const auto& e : *list) seen[e.path] = e.is_dir ? -2 : e.size;
  CHECK(seen == std::map<std::string, int64_t>{
                    {"big65537.bin", 65537}, {"dir1", -2}, {"empty.txt", 0}, {"hello.txt", 5}});
  auto sub = crypt->List(Context{}, "dir1");
  REQUIRE(sub.has_value());
  REQUIRE(sub->size() == 1);
  CHECK((*sub)[0].path == "dir1/sub.txt");
  CHECK(ReadAllOf(*crypt, "dir1/sub.txt") == "sub");
  CHECK(ReadAllOf(*crypt, "hello.txt") == "hello");
  CHECK(ReadAllOf(*crypt, "hello.txt", 1, 3) == "ell");
  const auto big = testing::ReadBytes(testing::VectorsDir() + "/plaintext/big65537.bin");
  const std::string big_s(big.begin(), big.end());
  CHECK(ReadAllOf(*crypt, "big65537.bin") == big_s);
  CHECK(ReadAllOf(*crypt, "big65537.bin", 65530, 7) == big_s.substr(65530, 7));
  CHECK(ReadAllOf(*crypt, "big65537.bin", 65536) == big_s.substr(65536));
  CHECK(ReadAllOf(*crypt, "big65537.bin", 70000).empty());
  CHECK(crypt->Stat(Context{}, "hello.txt").value().size == 5);
  CHECK(crypt->Stat(Context{}, "dir1").error().code() == ErrorCode::kIsDir);
  CHECK(crypt->Stat(Context{}, "nope").error().code() == ErrorCode::kNotFound);
  CHECK(crypt->GetFeatures().hashes.Empty());
  CHECK(crypt->Hash(Context{}, "hello.txt", HashType::kMd5).error().code() ==
        ErrorCode::kUnsupported);
}

TEST_CASE("crypt remote: stored bytes are encrypted, names hidden, rclone-compatible") {
  auto mem = std::make_unique<MemoryRemote>();
  MemoryRemote* inner = mem.get();
  auto crypt = Wrap(std::move(mem));
  MemoryReader src(std::string("hello"));
  PutOptions opts;
  opts.size = 5;
  auto info = crypt->Put(Context{}, "dir1/hello.txt", src, opts);
  REQUIRE(info.has_value());
  CHECK(info->size == 5);
  CHECK(info->path == "dir1/hello.txt");
  CHECK(inner->Files() ==
        std::vector<std::string>{"90oamaalos4vlckfk9sdjulqgc/oqt3pleorvo0jmt050a7sstgpo"});
  const std::string stored = inner->Contents(inner->Files()[0]).value();
  CHECK(stored.size() == 53);
  CHECK(stored.substr(0, 8) == std::string("RCLONE\0\0", 8));
  CHECK(stored.find("hello") == std::string::npos);
}

TEST_CASE("crypt remote: an upload is verified against the inner remote's hash") {
  MemoryRemote memory;
  auto inner = std::make_unique<WrongHashRemote>(memory);
  WrongHashRemote* wrong = inner.get();
  const std::string plain(200000, 'x');  // several chunks
  PutOptions opts;
  opts.size = static_cast<int64_t>(plain.size());
  SUBCASE("a differing hash fails the put and removes what was stored") {
    auto crypt = Wrap(std::move(inner));
    MemoryReader src(plain);
    auto info = crypt->Put(Context{}, "f.bin", src, opts);
    REQUIRE_FALSE(info.has_value());
    CHECK(info.error().code() == ErrorCode::kCorrupt);
    CHECK(info.error().message().find("encrypted hashes differ") != std::string::npos);
    CHECK(memory.Files().empty());
  }
  SUBCASE("an inner remote that verifies its own puts is not hashed a second time") {
    wrong->features().verifies_puts = true;
    auto crypt = Wrap(std::move(inner));
    MemoryReader src(plain);
    REQUIRE(crypt->Put(Context{}, "f.bin", src, opts).has_value());
    CHECK(ReadAllOf(*crypt, "f.bin") == plain);
  }
}

TEST_CASE("crypt remote: undecryptable names are skipped, or fail with strict_names") {
  auto mem = std::make_unique<MemoryRemote>();
  MemoryRemote* inner = mem.get();
  inner->SetFile("not-encrypted.txt", "plain", TimePoint{});
  auto crypt = Wrap(std::move(mem));
  MemoryReader src(std::string("data"));
  REQUIRE(crypt->Put(Context{}, "ok.txt", src, PutOptions{}).has_value());
  auto list = crypt->List(Context{}, "");
  REQUIRE(list.has_value());
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].path == "ok.txt");

  CryptConfig strict = Config();
  strict.strict_names = true;
  auto mem2 = std::make_unique<MemoryRemote>();
  mem2->SetFile("not-encrypted.txt", "plain", TimePoint{});
  auto strict_crypt = Wrap(std::move(mem2), strict);
  auto bad = strict_crypt->List(Context{}, "");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code() == ErrorCode::kCorrupt);
  CHECK(bad.error().message().find("not-encrypted.txt") != std::string::npos);
}

TEST_CASE("crypt remote: tampered, truncated and foreign files give errors naming the file") {
  auto mem = std::make_unique<MemoryRemote>();
  MemoryRemote* inner = mem.get();
  auto crypt = Wrap(std::move(mem));
  const std::string data(200000, 'q');
  MemoryReader src(data);
  REQUIRE(crypt->Put(Context{}, "f.bin", src, PutOptions{}).has_value());
  const std::string enc = inner->Files()[0];
  std::string stored = inner->Contents(enc).value();

  std::string flipped = stored;
  flipped[32 + 65552 + 100] ^= 4;
  inner->SetFile(enc, flipped, TimePoint{});
  auto reader = crypt->Open(Context{}, "f.bin", 0, -1);
  REQUIRE(reader.has_value());
  auto all = ReadAll(**reader);
  REQUIRE_FALSE(all.has_value());
  CHECK(all.error().code() == ErrorCode::kCorrupt);
  CHECK(all.error().message() ==
        "crypt: f.bin: failed to authenticate decrypted block: wrong password or corrupted data");
  // A range inside the intact first chunk still reads.
  CHECK(ReadAllOf(*crypt, "f.bin", 10, 100) == data.substr(10, 100));

  inner->SetFile(enc, stored.substr(0, 32 + 65552 + 5), TimePoint{});
  auto list = crypt->List(Context{}, "");
  REQUIRE(list.has_value());
  CHECK((*list)[0].size == 0);  // impossible size, as rclone
  reader = crypt->Open(Context{}, "f.bin", 0, -1);
  REQUIRE(reader.has_value());
  CHECK(ReadAll(**reader).error().message().find("truncated block header") != std::string::npos);

  inner->SetFile(enc, "just some text, not encrypted at all", TimePoint{});
  auto foreign = crypt->Open(Context{}, "f.bin", 0, -1);
  REQUIRE_FALSE(foreign.has_value());
  CHECK(foreign.error().message() == "crypt: f.bin: not an encrypted file - bad magic string");
  auto foreign_range = crypt->Open(Context{}, "f.bin", 70000, 10);
  REQUIRE_FALSE(foreign_range.has_value());
  CHECK(foreign_range.error().code() == ErrorCode::kCorrupt);
}

TEST_CASE("crypt remote: server-side copy only between same-key crypt remotes") {
  auto mem = std::make_unique<MemoryRemote>();
  auto a = Wrap(std::move(mem));
  MemoryReader src(std::string("payload"));
  REQUIRE(a->Put(Context{}, "x", src, PutOptions{}).has_value());
  REQUIRE(a->GetFeatures().server_side_copy);
  auto copied = a->Copy(Context{}, *a, "x", "y/z");
  REQUIRE(copied.has_value());
  CHECK(copied->path == "y/z");
  CHECK(ReadAllOf(*a, "y/z") == "payload");
  CryptConfig other = Config();
  other.password = "other";
  auto b = NewCryptRemote(std::make_unique<MemoryRemote>(), "b:", other).value();
  CHECK(b->Copy(Context{}, *a, "x", "x").error().code() == ErrorCode::kUnsupported);
  MemoryRemote plain;
  CHECK(a->Copy(Context{}, plain, "x", "x").error().code() == ErrorCode::kUnsupported);
}

Result<std::unique_ptr<Remote>> CreateViaRegistry(std::map<std::string, std::string> values,
                                                  const std::string& root = "") {
  Registry registry;
  RegisterCryptBackend(registry);
  const BackendInfo* info = registry.Find("crypt");
  REQUIRE(info != nullptr);
  CHECK(info->wrapper);
  CHECK(info->FindOption("password")->secret);
  values.emplace("remote", "mem:");
  auto opener = [](const Context&, const std::string& inner) -> Result<std::unique_ptr<Remote>> {
    return std::unique_ptr<Remote>(std::make_unique<MemoryRemote>(inner));
  };
  return info->create(Context{}, "crypt(mem:)", root, Options(std::move(values)), opener);
}

TEST_CASE("crypt remote: registry options, passwords and the inner root") {
  auto r = CreateViaRegistry({{"password", "kWIPIr2bfvT3VlL54epdFIPxVdz8Kw"}}, "dir1");
  REQUIRE(r.has_value());
  CHECK((*r)->Type() == "crypt");

  auto empty = CreateViaRegistry({});
  if (std::getenv("CVCLONE_CRYPT_PASSWORD") == nullptr) {
    REQUIRE_FALSE(empty.has_value());
    CHECK(empty.error().code() == ErrorCode::kConfig);
    CHECK(empty.error().message() ==
          "crypt: no password: set password_command, CVCLONE_CRYPT_PASSWORD or password in the "
          "config");
  }
  auto obscured_empty = CreateViaRegistry({{"password", "YWFhYWFhYWFhYWFhYWFhYQ"},
                                           {"password_command", "printf ''"}});
  CHECK_FALSE(obscured_empty.has_value());

  auto garbage = CreateViaRegistry({{"password", "not obscured!"}});
  REQUIRE_FALSE(garbage.has_value());
  CHECK(garbage.error().message().find("reveal") != std::string::npos);

  auto cmd = CreateViaRegistry({{"password_command", "printf 'potato\\n'"}});
  REQUIRE(cmd.has_value());
  auto failing = CreateViaRegistry({{"password_command", "exit 3"}});
  REQUIRE_FALSE(failing.has_value());
  CHECK(failing.error().code() == ErrorCode::kConfig);

  auto bad_mode = CreateViaRegistry(
      {{"password", "kWIPIr2bfvT3VlL54epdFIPxVdz8Kw"}, {"filename_encryption", "rot13"}});
  CHECK(bad_mode.error().code() == ErrorCode::kConfig);

  auto cfg = CryptConfigFromOptions(Options({{"password", "kWIPIr2bfvT3VlL54epdFIPxVdz8Kw"},
                                             {"password2", "C-ozYkebChGqkuUtnK-N15u-T1lDOe0"},
                                             {"filename_encryption", "off"},
                                             {"suffix", "none"},
                                             {"directory_name_encryption", "false"}}));
  REQUIRE(cfg.has_value());
  CHECK(cfg->password == "potato");
  CHECK(cfg->password2 == "sausage");
  CHECK(cfg->names.mode == NameMode::kOff);
  CHECK(cfg->names.suffix.empty());
  CHECK_FALSE(cfg->names.encrypt_dirs);
}

}  // namespace
}  // namespace cvclone::crypt
