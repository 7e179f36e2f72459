// version: the version and how this binary was built.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "commands/common.hpp"

namespace cvclone {

inline constexpr const char* kVersion = "v0.1.0";

Command MakeVersionCommand() {
  Command c;
  c.name = "version";
  c.short_help = "Show the version number";
  c.usage = "version [flags]";
  c.long_help =
      "Prints the version and build information.\n\n"
      "Example:\n"
      "  cvclone version\n";
  c.run = [](const Invocation&) {
    WriteStdout(fmt::format("cvclone {}\n- os/arch: linux/{}\n- compiler: g++ {}.{}.{}\n"
                            "- c++ standard: {}\n- built: {} {}\n",
                            kVersion,
#if defined(__x86_64__)
                            "amd64",
#elif defined(__aarch64__)
                            "arm64",
#else
                            "unknown",
#endif
                            __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__, __cplusplus, __DATE__,
                            __TIME__));
    return Ok();
  };
  return c;
}

}  // namespace cvclone
