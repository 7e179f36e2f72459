// check: compares source and destination (sizes, then a common hash or the bytes).
#include "commands/commands.hpp"
#include "commands/common.hpp"

namespace cvclone {

Command MakeCheckCommand() {
  Command c;
  c.name = "check";
  c.short_help = "Check that the files in source and dest match";
  c.usage = "check SOURCE DEST [flags]";
  c.long_help =
      "Compares SOURCE and DEST: every file must exist on both sides with the same size and\n"
      "the same hash (when both sides share a hash type; --download compares the bytes).\n"
      "Each difference is reported by path, and the exit code is non-zero if any is found.\n"
      "If SOURCE names a file, only that file is compared (with the one of that name in DEST).\n\n"
      "Examples:\n"
      "  cvclone check ~/docs backup:docs\n"
      "  cvclone check ~/docs backup:docs --one-way --download\n";
  c.flags = {
      {"one-way", 0, FlagType::kBool, "", "Only check that source files are in dest"},
      {"download", 0, FlagType::kBool, "", "Compare the bytes by reading both sides"},
  };
  c.min_args = c.max_args = 2;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(SyncOptions opts, inv.MakeSyncOptions());
    opts.one_way = inv.flags.Bool("one-way");
    opts.download = inv.flags.Bool("download");
    CVC_ASSIGN_OR_RETURN(Target src, OpenTarget(inv, inv.args[0]));
    if (!src.file.empty()) RestrictToFile(opts.filter, src.file);
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> dst, inv.Open(inv.args[1]));
    return RunWithAccounting(inv, [&](Accounting& acct) {
      return RunCheck(inv.ctx, *src.remote, *dst, opts, acct);
    });
  };
  return c;
}

}  // namespace cvclone
