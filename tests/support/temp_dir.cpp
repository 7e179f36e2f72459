#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

namespace cvclone::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                      "/cvclone-test-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) != nullptr) path_ = buf.data();
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  // Make everything writable first: a test may have removed permissions.
  for (auto it = fs::recursive_directory_iterator(path_, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code ignored;
    if (it->is_directory(ignored)) {
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ignored);
    }
  }
  fs::remove_all(path_, ec);
}

std::string TempDir::Path(const std::string& rel) const { return path_ + "/" + rel; }

bool TempDir::WriteFile(const std::string& rel, const std::string& content) const {
  return test::WriteFile(Path(rel), content);
}

std::optional<std::string> TempDir::ReadFile(const std::string& rel) const {
  return test::ReadFile(Path(rel));
}

bool TempDir::MakeDir(const std::string& rel) const {
  std::error_code ec;
  fs::create_directories(Path(rel), ec);
  return !ec && fs::is_directory(Path(rel), ec);
}

bool TempDir::Exists(const std::string& rel) const {
  std::error_code ec;
  return fs::exists(fs::symlink_status(Path(rel), ec));
}

bool WriteFile(const std::string& path, const std::string& content) {
  std::error_code ec;
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec) return false;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return false;
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  return static_cast<bool>(out);
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return ss.str();
}

bool SetFileMtime(const std::string& path, int64_t unix_nanos) {
  struct timespec times[2];
  times[0].tv_sec = unix_nanos / 1000000000;
  times[0].tv_nsec = unix_nanos % 1000000000;
  times[1] = times[0];
  return utimensat(AT_FDCWD, path.c_str(), times, 0) == 0;
}

void SetMtime(const std::string& path, int64_t unix_seconds) {
  REQUIRE_MESSAGE(SetFileMtime(path, unix_seconds * 1000000000), "cannot set the mtime of ", path);
}

}  // namespace cvclone::test
