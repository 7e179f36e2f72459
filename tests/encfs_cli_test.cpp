// The encfs remote against volumes Debian's encfs 1.9.5 makes while the test runs: each volume
// is created (--standard, --paranoia, --insecure, expert answers on stdin), mounted through
// FUSE, filled with a random tree (unicode and long names, empty files, sizes on and one past
// block boundaries, sparse files, a symlink), unmounted, and read back by cvclone byte for byte,
// from a local folder and from S3; then migrated into crypt over S3 and checked by rclone.
// Skipped (with a MESSAGE) where encfs, fusermount3 or /dev/fuse is missing.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "tests/support/cli.hpp"
#include "tests/support/process.hpp"
#include "tests/support/rclone_run.hpp"
#include "tests/support/s3_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone {
namespace {

namespace fs = std::filesystem;
using test::ProcessResult;

const char kPassword[] = "encfs test pässword";

// Why volumes cannot be made here, or "" when they can.
std::string WhyNoEncfs() {
  if (test::FindOnPath("encfs").empty()) return "encfs is not installed";
  if (test::FindOnPath("fusermount3").empty()) return "fusermount3 is not installed";
  if (::access("/dev/fuse", R_OK | W_OK) != 0) return "/dev/fuse is not usable";
  return "";
}

// How to make one kind of volume, and how many data bytes its blocks hold.
struct Kind {
  std::string name;
  std::vector<std::string> args;  // before the folders
  std::string answers;            // encfs's prompts, answered on stdin (expert mode)
  int64_t data_per_block;
  // Whether encfs can grow a file by truncate: not with MAC or random bytes in the blocks
  // (encfs 1.9.5 answers EIO there), so those volumes get no such file.
  bool grows_by_truncate = false;
};

const Kind kStandard{"standard", {"--standard"}, "", 1024, true};
const Kind kParanoia{"paranoia", {"--paranoia"}, "", 1016};
// Expert answers, in prompt order: x, cipher (1 = AES), key bits, block size, name coding
// (1 block, 2 block32, 3 null, 4 stream), chained IV, unique IV, [external IV,] block MAC,
// random bytes, file holes. With --insecure, "disable data encryption" follows the block size
// and a yes ends the questions after the name coding.
const Kind kStream128{"aes128 stream names, 512-byte blocks, 4 random bytes, no holes",
                      {},
                      "x\n1\n128\n512\n4\ny\ny\ny\nn\n4\nn\n",
                      508};
const Kind kBlock32{"aes256 block32 names, no unique or chained IV, MAC 8 + 8",
                    {},
                    "x\n1\n256\n1024\n2\nn\nn\ny\n8\ny\n",
                    1008};
const Kind kNullNames{"aes192 null names, 4096-byte blocks, external IV, MAC 8",
                      {},
                      "x\n1\n192\n4096\n3\ny\ny\ny\ny\n0\ny\n",
                      4088};
const Kind kSmallBlocks{"aes128 block names, 64-byte blocks, MAC 8, no holes",
                        {},
                        "x\n1\n128\n64\n1\ny\ny\nn\ny\n0\nn\n",
                        56};
const Kind kPlainData{
    "plain data (--insecure)", {"--insecure"}, "x\n1\n128\n1024\ny\n1\n", 1024, true};

// An encfs volume in dir/cipher, mounted at dir/mnt until Unmount() (or destruction), whose
// password is what `printf '%s' 'PASSWORD'` prints (no ' in it).
class Volume {
 public:
  Volume(const test::TempDir& dir, const Kind& kind, const std::string& password = kPassword)
      : cipher_(dir.Path("cipher")), mnt_(dir.Path("mnt")), log_(dir.Path("encfs.log")) {
    fs::create_directories(cipher_);
    fs::create_directories(mnt_);
    // Through sh so that the daemon encfs leaves behind holds a log file, not our pipes.
    std::string cmd = "exec encfs --extpass=\"printf '%s' '" + password + "'\"";
    for (const std::string& a : kind.args) cmd += " " + a;
    cmd += " '" + cipher_ + "' '" + mnt_ + "' > '" + log_ + "' 2>&1";
    test::ProcessOptions opts;
    opts.stdin_data = kind.answers;
    opts.timeout = std::chrono::seconds(90);
    ProcessResult r = test::RunProcess("/bin/sh", {"-c", cmd}, opts);
    mounted_ = r.exit_code == 0;
    REQUIRE_MESSAGE(mounted_, "encfs failed: " << test::ReadFile(log_).value_or(""));
  }
  ~Volume() { Unmount(); }

  const std::string& cipher() const { return cipher_; }
  const std::string& mnt() const { return mnt_; }

  void Unmount() {
    if (!mounted_) return;
    ProcessResult r = test::RunProcess(test::FindOnPath("fusermount3"), {"-u", mnt_});
    mounted_ = false;
    CHECK_MESSAGE(r.exit_code == 0, r.err);
  }

 private:
  std::string cipher_;
  std::string mnt_;
  std::string log_;
  bool mounted_ = false;
};

void WriteAt(const std::string& path, const std::map<int64_t, std::string>& pieces) {
  fs::create_directories(fs::path(path).parent_path());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd >= 0);
  for (const auto& [offset, data] : pieces) {
    REQUIRE(::pwrite(fd, data.data(), data.size(), offset) == static_cast<ssize_t>(data.size()));
  }
  REQUIRE(::close(fd) == 0);
}

// Writes a random tree (seeded) into root, through the mount: returns path → content of every
// file cvclone must produce (the symlink is left out: encfs remotes skip links).
std::map<std::string, std::string> FillTree(const std::string& root, const Kind& kind,
                                            unsigned seed) {
  const int64_t block = kind.data_per_block;
  std::mt19937 rng(seed);
  std::map<std::string, std::string> files = {
      {"empty.txt", ""},
      {"one-byte.bin", "x"},
      {"block-minus-one.bin", test::Pattern(block - 1, seed + 1)},
      {"exact-block.bin", test::Pattern(block, seed + 2)},
      {"block-plus-one.bin", test::Pattern(block + 1, seed + 3)},
      {"two-blocks.bin", test::Pattern(2 * block, seed + 4)},
      {"two-blocks-plus-one.bin", test::Pattern(2 * block + 1, seed + 5)},
      {"Ünïcødé dir ✓/naïve 文件 ñ.txt", "Grüße ✓\n"},
      {"a/b/c/deep.bin", test::Pattern(3 * block + 7, seed + 6)},
      // Long names: 124 bytes is near the longest every name coding keeps under 255 characters
      // (block32 makes 208 of it).
      {std::string(120, 'L') + ".txt", "long ascii name\n"},
      {"日本語の長いファイル名" + std::string(60, 'n') + ".txt", "long unicode name\n"},
      {"sp ace+plus%,comma.txt", test::Pattern(100, seed + 7)},
      // Longer than the reader's read-ahead (256 KiB), several times.
      {"big.bin", test::Pattern(900 * 1024 + 3, seed + 8)},
  };
  const std::string letters = "abcdefghijklmnopqrstuvwxyz0123456789 _-.é文";
  for (int i = 0; i < 24; ++i) {
    std::string path;
    const int depth = static_cast<int>(rng() % 3);
    for (int d = 0; d < depth; ++d) path += "dir" + std::to_string(rng() % 3) + "/";
    const int len = 1 + static_cast<int>(rng() % 30);
    std::string name = "r" + std::to_string(i) + "-";
    for (int c = 0; c < len; ++c) name += letters[rng() % 36];
    const int64_t size = static_cast<int64_t>(rng() % (5 * block + 3));
    files[path + name] = test::Pattern(static_cast<size_t>(size), seed * 100 + i);
  }
  for (const auto& [path, data] : files) REQUIRE(test::WriteFile(root + "/" + path, data));
  // Sparse: holes between pieces written at offsets, and a tail grown by truncate.
  const int64_t far = 5 * block + 17;
  WriteAt(root + "/sparse.bin", {{0, "A"}, {far, "B"}});
  std::string sparse(static_cast<size_t>(far + 1), '\0');
  sparse.front() = 'A';
  sparse.back() = 'B';
  files["sparse.bin"] = sparse;
  if (kind.grows_by_truncate) {
    WriteAt(root + "/a/sparse-tail.bin", {{3, "xyz"}});
    fs::resize_file(root + "/a/sparse-tail.bin", 3 * block + 5);
    std::string tail(static_cast<size_t>(3 * block + 5), '\0');
    tail.replace(3, 3, "xyz");
    files["a/sparse-tail.bin"] = tail;
  }
  fs::create_symlink("empty.txt", root + "/link-to-empty");
  return files;
}

// Every regular file under root (links not followed): path → content.
std::map<std::string, std::string> ReadFiles(const std::string& root) {
  std::map<std::string, std::string> out;
  if (!fs::exists(root)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (fs::is_regular_file(e.symlink_status())) {
      out[fs::relative(e.path(), root).string()] = test::ReadFile(e.path().string()).value();
    }
  }
  return out;
}

void CheckSameFiles(const std::map<std::string, std::string>& got,
                    const std::map<std::string, std::string>& want) {
  CHECK(got.size() == want.size());
  for (const auto& [path, data] : want) {
    CAPTURE(path);
    auto it = got.find(path);
    REQUIRE(it != got.end());
    CHECK(it->second.size() == data.size());
    CHECK(it->second == data);
  }
}

const std::map<std::string, std::string> kEnv = {{"CVCLONE_ENCFS_PASSWORD", kPassword}};

int CountErrorLines(const std::string& err) {
  int n = 0;
  for (size_t at = err.find("ERROR : "); at != std::string::npos;
       at = err.find("ERROR : ", at + 1)) {
    ++n;
  }
  return n;
}

// Makes a volume of `kind`, fills it, reads it back with cvclone from the local folder.
void ReadBackLocal(const Kind& kind, unsigned seed) {
  if (std::string why = WhyNoEncfs(); !why.empty()) {
    MESSAGE(why << ": encfs CLI test skipped");
    return;
  }
  CAPTURE(kind.name);
  test::Cli cli;
  Volume volume(cli.dir(), kind);
  const auto files = FillTree(volume.mnt(), kind, seed);
  volume.Unmount();

  const std::string remote = "encfs(" + volume.cipher() + ")";
  ProcessResult copy = cli.Run({"copy", remote, cli.P("out")}, kEnv);
  CHECK_RUN_OK(copy);
  CHECK(test::Contains(copy.err, "skipping symlink link-to-empty"));
  CheckSameFiles(ReadFiles(cli.P("out")), files);

  // Byte comparison through the engine's check, and ranged reads across a block boundary.
  for (const auto& [path, data] : files) REQUIRE(test::WriteFile(cli.P("clear/" + path), data));
  CHECK_RUN_OK(cli.Run({"check", "--download", cli.P("clear"), remote}, kEnv));
  const int64_t b = kind.data_per_block;
  for (int64_t offset : {int64_t{0}, b - 1, b, b + 1, 2 * b - 3}) {
    CAPTURE(offset);
    ProcessResult cat = cli.Run({"cat", "--offset", std::to_string(offset), "--count", "5",
                                 remote + ":two-blocks-plus-one.bin"},
                                kEnv);
    CHECK_RUN_OK(cat);
    CHECK(cat.out == files.at("two-blocks-plus-one.bin").substr(static_cast<size_t>(offset), 5));
  }
  ProcessResult mid =
      cli.Run({"cat", "--offset", "262100", "--count", "300000", remote + ":big.bin"}, kEnv);
  CHECK_RUN_OK(mid);
  CHECK(mid.out == files.at("big.bin").substr(262100, 300000));
}

TEST_CASE("encfs cli: a volume made by encfs --standard reads back byte for byte") {
  ReadBackLocal(kStandard, 1);
}
TEST_CASE("encfs cli: a volume made by encfs --paranoia reads back byte for byte") {
  ReadBackLocal(kParanoia, 2);
}
TEST_CASE("encfs cli: an expert volume (stream names, random bytes) reads back byte for byte") {
  ReadBackLocal(kStream128, 3);
}
TEST_CASE("encfs cli: an expert volume (block32, no IV header, MAC) reads back byte for byte") {
  ReadBackLocal(kBlock32, 4);
}
TEST_CASE("encfs cli: an expert volume (null names, external IV) reads back byte for byte") {
  ReadBackLocal(kNullNames, 5);
}
TEST_CASE("encfs cli: an expert volume with 64-byte blocks reads back byte for byte") {
  ReadBackLocal(kSmallBlocks, 6);
}
TEST_CASE("encfs cli: a plain-data volume (--insecure) reads back byte for byte") {
  ReadBackLocal(kPlainData, 7);
}

TEST_CASE("encfs cli: wrong password, flipped MAC byte, writes, config elsewhere, INI section") {
  if (std::string why = WhyNoEncfs(); !why.empty()) {
    MESSAGE(why << ": encfs CLI test skipped");
    return;
  }
  test::Cli cli;
  Volume volume(cli.dir(), kBlock32);
  REQUIRE(test::WriteFile(volume.mnt() + "/data.bin", test::Pattern(5000, 9)));
  REQUIRE(test::WriteFile(volume.mnt() + "/ok.txt", "fine\n"));
  volume.Unmount();
  const std::string remote = "encfs(" + volume.cipher() + ")";

  ProcessResult wrong = cli.Run({"ls", remote}, {{"CVCLONE_ENCFS_PASSWORD", "not it"}});
  CHECK(wrong.exit_code == 7);
  CHECK(test::Contains(wrong.err, "wrong password"));
  CHECK_FALSE(test::Contains(wrong.err, "not it"));

  // Writes: one clear read-only error naming the remote, however many transfers would run;
  // nothing is changed on either side.
  for (int i = 0; i < 16; ++i) {
    REQUIRE(test::WriteFile(cli.P("src/new" + std::to_string(i) + ".txt"), "new\n"));
  }
  const std::vector<std::vector<std::string>> writes = {
      {"copy", "--transfers", "4", cli.P("src"), remote},
      {"sync", cli.P("src"), remote},
      {"move", cli.P("src"), remote},
      {"copy", cli.P("src/new0.txt"), remote},
      {"copyto", cli.P("src/new0.txt"), remote + ":other.txt"},
      {"move", remote, cli.P("moved")},
      {"mkdir", remote + ":dir"},
      {"delete", remote},
  };
  for (const std::vector<std::string>& args : writes) {
    std::string shown;
    for (const std::string& a : args) shown += a + " ";
    CAPTURE(shown);
    ProcessResult write = cli.Run(args, kEnv);
    CHECK(write.exit_code == 7);
    CHECK(CountErrorLines(write.err) == 1);
    CHECK(test::Contains(write.err, "read-only"));
    CHECK(test::Contains(write.err, remote));
  }
  CHECK(fs::exists(cli.P("src/new15.txt")));
  CHECK_FALSE(fs::exists(cli.P("moved")));
  CHECK_RUN_OK(cli.Run({"cat", remote + ":ok.txt"}, kEnv));

  // The config kept elsewhere: the option, then $ENCFS6_CONFIG.
  fs::rename(volume.cipher() + "/.encfs6.xml", cli.P("elsewhere.xml"));
  ProcessResult missing = cli.Run({"ls", remote}, kEnv);
  CHECK(missing.exit_code != 0);
  CHECK(test::Contains(missing.err, ".encfs6.xml"));
  ProcessResult by_env =
      cli.Run({"cat", remote + ":ok.txt"},
              {{"CVCLONE_ENCFS_PASSWORD", kPassword}, {"ENCFS6_CONFIG", cli.P("elsewhere.xml")}});
  CHECK_RUN_OK(by_env);
  CHECK(by_env.out == "fine\n");

  // An INI section with an obscured password and the config option.
  ProcessResult obscured = cli.Run({"obscure", kPassword});
  REQUIRE(obscured.exit_code == 0);
  cli.WriteConfig("[old]\ntype = encfs\nremote = " + volume.cipher() +
                  "\nconfig = " + cli.P("elsewhere.xml") +
                  "\npassword = " + obscured.out.substr(0, obscured.out.find('\n')) + "\n");
  ProcessResult section = cli.Run({"cat", "old:data.bin"});
  CHECK_RUN_OK(section);
  CHECK(section.out == test::Pattern(5000, 9));

  // One flipped byte in the second block: the read fails naming the file, others still copy.
  const std::string stored = [&] {
    for (const auto& e : fs::directory_iterator(volume.cipher())) {
      if (fs::file_size(e.path()) == 5000 + 5 * 16) return e.path().string();
    }
    return std::string();
  }();
  REQUIRE_FALSE(stored.empty());
  std::string bytes = test::ReadFile(stored).value();
  bytes[1024 + 2] = static_cast<char>(bytes[1024 + 2] ^ 0x20);
  REQUIRE(test::WriteFile(stored, bytes));
  ProcessResult flipped = cli.Run({"copy", "old:", cli.P("out")});
  CHECK(flipped.exit_code != 0);
  CHECK(test::Contains(flipped.err, "data.bin"));
  CHECK(test::Contains(flipped.err, "MAC"));
  CHECK(test::ReadFile(cli.P("out/ok.txt")).value_or("") == "fine\n");
  CHECK_FALSE(fs::exists(cli.P("out/data.bin")));
}

TEST_CASE("encfs cli: password_command loses only a trailing \"\\n\", as encfs --extpass") {
  if (std::string why = WhyNoEncfs(); !why.empty()) {
    MESSAGE(why << ": encfs CLI test skipped");
    return;
  }
  // encfs 1.9.5 takes --extpass output minus a final "\n" (readPassword): "pw\r\n" is "pw\r".
  const std::string password = std::string(kPassword) + "\r";
  test::Cli cli;
  Volume volume(cli.dir(), kStandard, password);
  REQUIRE(test::WriteFile(volume.mnt() + "/ok.txt", "fine\n"));
  volume.Unmount();
  auto with_command = [&](const std::string& command) {
    cli.WriteConfig("[v]\ntype = encfs\nremote = " + volume.cipher() +
                    "\npassword_command = " + command + "\n");
    return cli.Run({"cat", "v:ok.txt"});
  };
  ProcessResult crlf = with_command("printf '%s\\r\\n' '" + std::string(kPassword) + "'");
  CHECK_RUN_OK(crlf);
  CHECK(crlf.out == "fine\n");
  ProcessResult cr = with_command("printf '%s\\r' '" + std::string(kPassword) + "'");
  CHECK_RUN_OK(cr);
  CHECK(cr.out == "fine\n");
  ProcessResult lf = with_command("printf '%s\\n' '" + std::string(kPassword) + "'");
  CHECK(lf.exit_code == 7);
  CHECK(test::Contains(lf.err, "wrong password"));
}

// One scratch folder and config for cvclone and rclone, one fresh bucket on the S3 test server.
class S3Migration : public test::RcloneRun {
 public:
  explicit S3Migration(std::string rclone) : RcloneRun(std::move(rclone)) {}

  void WriteConfig(const test::S3TestServer& s, const std::string& bucket,
                   const std::string& obscured) const {
    RcloneRun::WriteConfig(
        test::S3ConfigSection("s3", s) + "\n[old]\ntype = encfs\nremote = s3:" + bucket +
        "/enc\npassword = " + obscured + "\n\n[vault]\ntype = crypt\nremote = s3:" + bucket +
        "/vault\npassword = " + obscured + "\n");
  }
};

TEST_CASE("encfs cli over s3 [any server]: read a volume from S3 and migrate it into crypt") {
  if (std::string why = WhyNoEncfs(); !why.empty()) {
    MESSAGE(why << ": encfs S3 test skipped");
    return;
  }
  std::string why;
  const test::S3TestServer* server = test::SharedS3Server(&why);
  REQUIRE_MESSAGE(server != nullptr, why);
  const std::string rclone = test::FindOnPath("rclone");
  S3Migration t(rclone.empty() ? "/bin/false" : rclone);
  test::TempDir work;
  Volume volume(work, kParanoia);
  const auto files = FillTree(volume.mnt(), kParanoia, 11);
  volume.Unmount();
  for (const auto& [path, data] : files) REQUIRE(test::WriteFile(t.P("clear/" + path), data));

  const std::string bucket = test::UniqueName("encfs");
  ProcessResult obscured = t.Cvclone({"obscure", kPassword});
  REQUIRE(obscured.exit_code == 0);
  t.WriteConfig(*server, bucket, obscured.out.substr(0, obscured.out.find('\n')));
  CHECK_RUN_OK(t.Cvclone({"mkdir", "s3:" + bucket}));
  // The ciphertext as a user's sync would have it, links as NAME.rclonelink objects.
  CHECK_RUN_OK(t.Cvclone({"copy", "-l", volume.cipher(), "s3:" + bucket + "/enc"}));

  // Read it: the INI section and the inline form.
  ProcessResult copy = t.Cvclone({"copy", "old:", t.P("out")});
  CHECK_RUN_OK(copy);
  CHECK(test::Contains(copy.err, "skipping symlink link-to-empty"));
  CheckSameFiles(ReadFiles(t.P("out")), files);
  ProcessResult cat =
      t.Cvclone({"cat", "--offset", "1015", "--count", "3",
                 "encfs,password='" + obscured.out.substr(0, obscured.out.find('\n')) +
                     "'(s3:" + bucket + "/enc):two-blocks.bin"});
  CHECK_RUN_OK(cat);
  CHECK(cat.out == files.at("two-blocks.bin").substr(1015, 3));

  // Migrate into crypt over S3 and check the result, by cvclone and by rclone.
  CHECK_RUN_OK(t.Cvclone({"copy", "old:", "vault:"}));
  CHECK_RUN_OK(t.Cvclone({"check", "--download", "old:", "vault:"}));
  CHECK_RUN_OK(t.Cvclone({"cryptcheck", t.P("clear"), "vault:"}));
  if (rclone.empty()) {
    MESSAGE("rclone is not installed: rclone's half of the migration test skipped");
    return;
  }
  CHECK_RUN_OK(t.Rclone({"cryptcheck", t.P("clear"), "vault:"}));
  CHECK_RUN_OK(t.Rclone({"copy", "vault:", t.P("back_rc")}));
  CheckSameFiles(ReadFiles(t.P("back_rc")), files);
}

}  // namespace
}  // namespace cvclone
