// A RAII temporary directory and small file helpers for tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cvclone::test {

// Creates a fresh, empty directory under $TMPDIR (or /tmp) on construction; removes it with all
// its contents on destruction. Not copyable.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Absolute path of the directory (empty if creation failed).
  const std::string& path() const { return path_; }
  // path() + "/" + rel.
  std::string Path(const std::string& rel) const;

  // Helpers taking paths relative to the directory; parents are created as needed.
  bool WriteFile(const std::string& rel, const std::string& content) const;
  std::optional<std::string> ReadFile(const std::string& rel) const;
  bool MakeDir(const std::string& rel) const;
  bool Exists(const std::string& rel) const;

 private:
  std::string path_;
};

// Absolute-path helpers. WriteFile creates parent directories and replaces the file.
bool WriteFile(const std::string& path, const std::string& content);
// The whole file, or nullopt if it cannot be read.
std::optional<std::string> ReadFile(const std::string& path);
// Sets a file's modification time (nanoseconds since the epoch).
bool SetFileMtime(const std::string& path, int64_t unix_nanos);
// Sets a file's access and modification times to unix_seconds; the test fails (REQUIRE) when
// it cannot.
void SetMtime(const std::string& path, int64_t unix_seconds);
// Fixed times the CLI tests give files: 2020-01-01 and 2022-01-01, 00:00:00 UTC.
constexpr int64_t k2020 = 1577836800;
constexpr int64_t k2022 = 1640995200;

}  // namespace cvclone::test
