// Interop with Debian's rclone (1.60.1): data written through cvclone's crypt remote is read
// back byte-identically by `rclone copy`/`rclone cat` and passes `rclone cryptcheck`; data
// written by rclone is read back by cvclone and passes `cvclone check` and `cvclone cryptcheck`.
// Both tools use the same config file (rclone.conf syntax), in every name mode. Skipped when
// rclone is not installed.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/rclone_run.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone {
namespace {

namespace fs = std::filesystem;
using test::ProcessResult;

class Interop : public test::RcloneRun {
 public:
  using RcloneRun::RcloneRun;

  std::string CvcloneObscure(const std::string& plain) const {
    auto r = Cvclone({"obscure", plain});
    REQUIRE(r.exit_code == 0);
    return r.out.substr(0, r.out.find('\n'));
  }
  // The plaintext tree: empty files, exactly 64 KiB, multi-chunk, unicode, a 140-byte name,
  // nested directories.
  std::map<std::string, std::string> MakeTree() const {
    const std::map<std::string, std::string> files = {
        {"empty.txt", ""},
        {"a/empty2", ""},
        {"exact64k.bin", test::Pattern(65536, 1)},
        {"multi.bin", test::Pattern(200000, 2)},
        {"a/b/c/deep.txt", "deep\n"},
        {"ünïcödé/日本語のファイル.txt", "unicode ✓\n"},
        {"a/" + std::string(136, 'L') + ".txt", "long name\n"},
        {"sp ace+plus%.txt", test::Pattern(70000, 3)},
    };
    for (const auto& [path, data] : files) REQUIRE(test::WriteFile(P("src/" + path), data));
    return files;
  }
};

// One name mode: `extra` holds the mode's option lines. rclone_obscures: whether rclone (or
// cvclone) obscures the passwords in the shared config.
void RunInterop(const std::string& extra, bool rclone_obscures) {
  const std::string rclone = test::FindOnPath("rclone");
  if (rclone.empty()) {
    MESSAGE("rclone is not installed: interop test skipped");
    return;
  }
  Interop t(rclone);
  const auto files = t.MakeTree();
  auto obscure = [&](const std::string& p) {
    return rclone_obscures ? t.RcloneObscure(p) : t.CvcloneObscure(p);
  };
  const std::string password = obscure("interop-pässword");
  std::string section_body = "type = crypt\npassword = " + password + "\n";
  std::string mode = extra;
  if (mode.find("password2") != std::string::npos) {
    mode = "password2 = " + obscure("salt for both") + "\n";
  }
  t.WriteConfig("# written for both tools\n[c]\n" + section_body + "remote = " + t.P("enc_cv") +
                "\n" + mode + "\n[r]\n" + section_body + "remote = " + t.P("enc_rc") + "\n" + mode);

  // cvclone writes; rclone reads, cats and cryptchecks.
  CHECK_RUN_OK(t.Cvclone({"copy", "src", "c:"}));
  CHECK_RUN_OK(t.Rclone({"copy", "c:", t.P("back_rc")}));
  CHECK(test::ReadTree(t.P("back_rc")) == files);
  auto cat = t.Rclone({"cat", "c:multi.bin"});
  CHECK_RUN_OK(cat);
  CHECK(cat.out == files.at("multi.bin"));
  CHECK_RUN_OK(t.Rclone({"cryptcheck", "src", "c:"}));
  CHECK_RUN_OK(t.Cvclone({"cryptcheck", "src", "c:"}));

  // rclone writes; cvclone reads back and checks.
  CHECK_RUN_OK(t.Rclone({"copy", "src", "r:"}));
  CHECK_RUN_OK(t.Cvclone({"copy", "r:", "back_cv"}));
  CHECK(test::ReadTree(t.P("back_cv")) == files);
  CHECK_RUN_OK(t.Cvclone({"check", "src", "r:"}));
  CHECK_RUN_OK(t.Cvclone({"check", "--download", "src", "r:"}));
  CHECK_RUN_OK(t.Cvclone({"cryptcheck", "src", "r:"}));
  auto cv_cat = t.Cvclone({"cat", "r:" + std::string("ünïcödé/日本語のファイル.txt")});
  CHECK_RUN_OK(cv_cat);
  CHECK(cv_cat.out == "unicode ✓\n");

  // Same names on both sides: the encrypted trees hold the same paths (names are
  // deterministic; contents differ by nonce).
  std::vector<std::string> cv_names, rc_names;
  for (const auto& [path, data] : test::ReadTree(t.P("enc_cv"))) cv_names.push_back(path);
  for (const auto& [path, data] : test::ReadTree(t.P("enc_rc"))) rc_names.push_back(path);
  CHECK(cv_names == rc_names);
  CHECK(cv_names.size() == files.size());
  for (const auto& [path, data] : test::ReadTree(t.P("enc_cv"))) {
    CHECK(data.size() >= 32);
    CHECK(data.substr(0, 8) == std::string("RCLONE\0\0", 8));
  }
}

TEST_CASE("crypt interop with rclone: standard names, base32") { RunInterop("", true); }
TEST_CASE("crypt interop with rclone: standard names, base64") {
  RunInterop("filename_encoding = base64\n", false);
}
TEST_CASE("crypt interop with rclone: obfuscate") {
  RunInterop("filename_encryption = obfuscate\n", true);
}
TEST_CASE("crypt interop with rclone: off") { RunInterop("filename_encryption = off\n", false); }
TEST_CASE("crypt interop with rclone: directory_name_encryption = false") {
  RunInterop("directory_name_encryption = false\n", true);
}
TEST_CASE("crypt interop with rclone: password2") { RunInterop("password2\n", false); }

}  // namespace
}  // namespace cvclone
