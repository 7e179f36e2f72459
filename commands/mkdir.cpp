// mkdir, rmdir.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "core/log.hpp"

namespace cvclone {

Command MakeMkdirCommand() {
  Command c;
  c.name = "mkdir";
  c.short_help = "Make the path if it doesn't already exist";
  c.usage = "mkdir REMOTE:PATH [flags]";
  c.long_help =
      "Creates the directory and its parents; succeeds if it exists.\n\n"
      "Example:\n"
      "  cvclone mkdir backup:photos/2026\n";
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> remote, inv.Open(inv.args[0]));
    if (inv.DryRun()) {
      log::NoticeAt(inv.args[0], "Skipped make directory as --dry-run is set");
      return Ok();
    }
    return remote->Mkdir(inv.ctx, "");
  };
  return c;
}

Command MakeRmdirCommand() {
  Command c;
  c.name = "rmdir";
  c.short_help = "Remove the empty directory at path";
  c.usage = "rmdir REMOTE:PATH [flags]";
  c.long_help =
      "Removes the directory, which must be empty (see purge for a whole tree).\n\n"
      "Example:\n"
      "  cvclone rmdir backup:old\n";
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> remote, inv.Open(inv.args[0]));
    if (inv.DryRun()) {
      log::NoticeAt(inv.args[0], "Skipped remove directory as --dry-run is set");
      return Ok();
    }
    return remote->Rmdir(inv.ctx, "");
  };
  return c;
}

}  // namespace cvclone
