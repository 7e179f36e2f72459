#include "tests/support/rclone_run.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <utility>

namespace cvclone::test {

RcloneRun::RcloneRun(std::string rclone)
    : rclone_(std::move(rclone)), conf_(dir_.Path("rclone.conf")) {}

ProcessResult RcloneRun::Cvclone(std::vector<std::string> args) const {
  args.insert(args.begin(), {"--config", conf_});
  return Run(CVCLONE_BINARY_DIR "/cvclone", args);
}

ProcessResult RcloneRun::Rclone(std::vector<std::string> args) const {
  args.insert(args.begin(), {"--config", conf_});
  return Run(rclone_, args);
}

std::string RcloneRun::RcloneObscure(const std::string& plain) const {
  auto r = Run(rclone_, {"obscure", plain});
  REQUIRE(r.exit_code == 0);
  return r.out.substr(0, r.out.find('\n'));
}

void RcloneRun::WriteConfig(const std::string& text) const {
  REQUIRE(WriteFile(conf_, text));
}

ProcessResult RcloneRun::Run(const std::string& program,
                             const std::vector<std::string>& args) const {
  ProcessOptions opts = IsolatedOptions(dir_.path());
  opts.timeout = std::chrono::seconds(60);
  ProcessResult r = RunProcess(program, args, opts);
  REQUIRE_MESSAGE(r.error.empty(), r.error);
  return r;
}

}  // namespace cvclone::test
