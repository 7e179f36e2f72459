// Runs build/cvclone as a user would, in a fresh temporary directory with --config pointing at a
// file there, in UTC, with HOME set to that directory and the caller's config variables removed.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace cvclone::test {

class Cli {
 public:
  Cli();

  const TempDir& dir() const { return dir_; }
  std::string P(const std::string& rel) const { return dir_.Path(rel); }
  const std::string& conf() const { return conf_; }

  // cvclone --config <conf> args... (fails the test when the program cannot be started).
  ProcessResult Run(std::vector<std::string> args,
                    const std::map<std::string, std::string>& env = {}) const;
  // cvclone args..., without --config.
  ProcessResult RunRaw(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env = {}) const;
  // A small tree under rel: a/one.txt, a/b/two.txt, three.txt, h.txt ("hello").
  void MakeTree(const std::string& rel) const;
  void WriteConfig(const std::string& text) const;

 private:
  TempDir dir_;
  std::string conf_;
};

bool Contains(const std::string& haystack, const std::string& needle);

}  // namespace cvclone::test
