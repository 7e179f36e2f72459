// rmdirs: remove the empty directories under a path, as rclone's (operations.Rmdirs).
#include "commands/commands.hpp"
#include "commands/common.hpp"

namespace cvclone {
namespace {

Status RunRmdirs(const Invocation& inv) {
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> remote, inv.Open(inv.args[0]));
  return RemoveEmptyDirs(inv.ctx, *remote, inv.DryRun(), inv.flags.Bool("leave-root"));
}

}  // namespace

Command MakeRmdirsCommand() {
  Command c;
  c.name = "rmdirs";
  c.short_help = "Remove empty directories under the path";
  c.usage = "rmdirs REMOTE:PATH [flags]";
  c.long_help =
      "Removes every empty directory under the path, deepest first, and then the path\n"
      "itself if it is left empty, unless --leave-root. Directories that hold files\n"
      "(at any depth) are kept.\n\n"
      "Example:\n"
      "  cvclone rmdirs --leave-root backup:photos\n";
  c.min_args = c.max_args = 1;
  c.flags = {{"leave-root", 0, FlagType::kBool, "", "Do not remove root directory if empty"}};
  c.run = RunRmdirs;
  return c;
}

}  // namespace cvclone
