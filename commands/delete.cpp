// delete (files only, filtered), purge (the whole tree).
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "core/log.hpp"

namespace cvclone {

Command MakeDeleteCommand() {
  Command c;
  c.name = "delete";
  c.short_help = "Remove the files in path (directories are kept)";
  c.usage = "delete REMOTE:PATH [flags]";
  c.long_help =
      "Deletes the files under the path, recursively, honouring the filters; directories\n"
      "are left in place unless --rmdirs is given (it removes the directories left empty,\n"
      "but not the path itself). Use --dry-run to see what would be deleted.\n\n"
      "Examples:\n"
      "  cvclone delete backup:tmp --include '*.log' --dry-run\n"
      "  cvclone delete backup:tmp --min-size 100M --rmdirs\n";
  c.flags = {
      {"rmdirs", 0, FlagType::kBool, "", "Remove empty directories (but not the path itself)"},
  };
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(Filter filter, MakeFilter(inv));
    CVC_ASSIGN_OR_RETURN(Target target, OpenTarget(inv, inv.args[0]));
    int64_t deleted = 0;
    if (!target.file.empty()) {
      return DeleteOne(inv.ctx, *target.remote, target.file, inv.DryRun(), deleted);
    }
    CVC_RETURN_IF_ERROR(DeleteFiles(inv.ctx, *target.remote, filter, inv.DryRun(), deleted));
    if (!inv.DryRun()) log::Info("Deleted {} files", deleted);
    if (!inv.flags.Bool("rmdirs")) return Ok();
    // As rclone's delete --rmdirs: its rmdirs, the path itself kept.
    return RemoveEmptyDirs(inv.ctx, *target.remote, inv.DryRun(), /*leave_root=*/true);
  };
  return c;
}

Command MakePurgeCommand() {
  Command c;
  c.name = "purge";
  c.short_help = "Remove the path and all of its contents";
  c.usage = "purge REMOTE:PATH [flags]";
  c.long_help =
      "Removes the directory and everything in it. Filters do not apply (see delete).\n\n"
      "Example:\n"
      "  cvclone purge backup:old --dry-run\n";
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> remote, inv.Open(inv.args[0]));
    return PurgeTree(inv.ctx, *remote, inv.DryRun());
  };
  return c;
}

}  // namespace cvclone
