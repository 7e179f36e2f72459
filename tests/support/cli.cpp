#include "tests/support/cli.hpp"

#include <doctest/doctest.h>

namespace cvclone::test {

Cli::Cli() : conf_(dir_.Path("cvclone.conf")) {}

ProcessResult Cli::Run(std::vector<std::string> args,
                       const std::map<std::string, std::string>& env) const {
  args.insert(args.begin(), {"--config", conf_});
  return RunRaw(args, env);
}

ProcessResult Cli::RunRaw(const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env) const {
  ProcessOptions opts;
  opts.set_env = env;
  opts.cwd = dir_.path();
  opts.set_env["TZ"] = "UTC";
  opts.unset_env = {"CVCLONE_CONFIG", "XDG_CONFIG_HOME", "CVCLONE_STATE_DIR", "XDG_STATE_HOME"};
  opts.set_env["HOME"] = dir_.path();
  ProcessResult r = RunProcess(CVCLONE_BINARY_DIR "/cvclone", args, opts);
  REQUIRE_MESSAGE(r.error.empty(), r.error);
  return r;
}

void Cli::MakeTree(const std::string& rel) const {
  REQUIRE(dir_.WriteFile(rel + "/a/one.txt", "one\n"));
  REQUIRE(dir_.WriteFile(rel + "/a/b/two.txt", "second file\n"));
  REQUIRE(dir_.WriteFile(rel + "/three.txt", std::string(3000, 'x')));
  REQUIRE(dir_.WriteFile(rel + "/h.txt", "hello"));
}

void Cli::WriteConfig(const std::string& text) const { REQUIRE(WriteFile(conf_, text)); }

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace cvclone::test
