// The fixture of the rclone interop tests: a scratch folder with one config file that cvclone
// and rclone both read (rclone.conf syntax), and both tools run in an isolated environment
// (IsolatedOptions: HOME is the scratch folder, no caller's config or credentials).
#pragma once

#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace cvclone::test {

class RcloneRun {
 public:
  // rclone: the path of the rclone program (FindOnPath("rclone")).
  explicit RcloneRun(std::string rclone);

  // A path in the scratch folder.
  std::string P(const std::string& rel) const { return dir_.Path(rel); }
  // build/cvclone and rclone with `--config <the shared file>` before args (60 s at most each).
  ProcessResult Cvclone(std::vector<std::string> args) const;
  ProcessResult Rclone(std::vector<std::string> args) const;
  // `rclone obscure plain` (REQUIREs success).
  std::string RcloneObscure(const std::string& plain) const;
  // Replaces the shared config file.
  void WriteConfig(const std::string& text) const;

 protected:
  ProcessResult Run(const std::string& program, const std::vector<std::string>& args) const;

 private:
  std::string rclone_;
  TempDir dir_;
  std::string conf_;
};

}  // namespace cvclone::test
