// copy, sync, move: one engine call (RunSync) in three modes. A source naming a single file
// transfers just that file into the destination directory, as rclone does.
#include "commands/commands.hpp"
#include "commands/common.hpp"

namespace cvclone {
namespace {

Status RunTransfer(const Invocation& inv, SyncMode mode) {
  CVC_ASSIGN_OR_RETURN(SyncOptions opts, inv.MakeSyncOptions());
  CVC_ASSIGN_OR_RETURN(Target src, OpenTarget(inv, inv.args[0]));
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> dst, inv.Open(inv.args[1]));
  std::vector<std::unique_ptr<Remote>> others;
  CVC_RETURN_IF_ERROR(SetUpTransferRemotes(inv, *dst, opts, others));
  return RunWithAccounting(inv, [&](Accounting& acct) {
    if (!src.file.empty()) {
      return CopyOneFile(inv.ctx, *src.remote, src.file, *dst, src.file,
                         mode == SyncMode::kMove, opts, acct);
    }
    return RunSync(inv.ctx, *src.remote, *dst, mode, opts, acct);
  });
}

}  // namespace

Command MakeCopyCommand() {
  Command c;
  c.name = "copy";
  c.short_help = "Copy files from source to dest, skipping identical files";
  c.usage = "copy SOURCE DEST [flags]";
  c.long_help =
      "Copies the files of SOURCE to DEST, skipping files that are already there and\n"
      "unchanged (same size and modification time, or hash with --checksum). Nothing is\n"
      "deleted from DEST. If SOURCE names a file, that one file is copied into DEST.\n\n"
      "Examples:\n"
      "  cvclone copy ~/docs backup:docs -P\n"
      "  cvclone copy ~/docs/report.pdf backup:docs\n";
  c.min_args = c.max_args = 2;
  c.flags = TransferFlags(c.name);
  c.run = [](const Invocation& inv) { return RunTransfer(inv, SyncMode::kCopy); };
  return c;
}

Command MakeSyncCommand() {
  Command c;
  c.name = "sync";
  c.short_help = "Make dest identical to source, deleting extra files in dest";
  c.usage = "sync SOURCE DEST [flags]";
  c.long_help =
      "Makes DEST identical to SOURCE: copies new and changed files, then deletes files in\n"
      "DEST that are not in SOURCE. Nothing is deleted if any error occurred. Try --dry-run\n"
      "first: it shows what would change and changes nothing.\n\n"
      "Examples:\n"
      "  cvclone sync ~/docs backup:docs --dry-run\n"
      "  cvclone sync ~/docs backup:docs --max-delete 10\n";
  c.min_args = c.max_args = 2;
  c.flags = TransferFlags(c.name);
  c.run = [](const Invocation& inv) { return RunTransfer(inv, SyncMode::kSync); };
  return c;
}

Command MakeMoveCommand() {
  Command c;
  c.name = "move";
  c.short_help = "Move files from source to dest";
  c.usage = "move SOURCE DEST [flags]";
  c.long_help =
      "Moves the files of SOURCE to DEST: each source file is deleted once it has been\n"
      "transferred (or was found identical in DEST).\n\n"
      "Example:\n"
      "  cvclone move ~/incoming backup:archive\n";
  c.min_args = c.max_args = 2;
  c.flags = TransferFlags(c.name);
  c.run = [](const Invocation& inv) { return RunTransfer(inv, SyncMode::kMove); };
  return c;
}

}  // namespace cvclone
