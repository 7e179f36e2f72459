// copyto, moveto: one file to an exact destination path.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "core/remote_spec.hpp"

namespace cvclone {
namespace {

Status RunCopyTo(const Invocation& inv, bool move) {
  CVC_ASSIGN_OR_RETURN(SyncOptions opts, inv.MakeSyncOptions());
  auto src_split = SplitLeaf(inv.args[0]);
  auto dst_split = SplitLeaf(inv.args[1]);
  if (!src_split) {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("\"{}\" does not name a file",
                                                              AbbreviateRemoteString(inv.args[0])));
  }
  if (!dst_split) {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("\"{}\" does not name a file path",
                                                              AbbreviateRemoteString(inv.args[1])));
  }
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> src, inv.Open(src_split->first));
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> dst, inv.Open(dst_split->first));
  std::vector<std::unique_ptr<Remote>> others;
  CVC_RETURN_IF_ERROR(SetUpTransferRemotes(inv, *dst, opts, others));
  return RunWithAccounting(inv, [&](Accounting& acct) {
    return CopyOneFile(inv.ctx, *src, src_split->second, *dst, dst_split->second, move, opts, acct);
  });
}

}  // namespace

Command MakeCopytoCommand() {
  Command c;
  c.name = "copyto";
  c.short_help = "Copy one file to an exact destination path";
  c.usage = "copyto SOURCE_FILE DEST_PATH [flags]";
  c.long_help =
      "Copies SOURCE_FILE to DEST_PATH, which names the file itself (not a directory to\n"
      "copy into). Skipped if DEST_PATH is already identical.\n\n"
      "Example:\n"
      "  cvclone copyto ~/notes.txt backup:notes/2026-01-01.txt\n";
  c.min_args = c.max_args = 2;
  c.flags = TransferFlags(c.name);
  c.run = [](const Invocation& inv) { return RunCopyTo(inv, false); };
  return c;
}

Command MakeMovetoCommand() {
  Command c;
  c.name = "moveto";
  c.short_help = "Move one file to an exact destination path";
  c.usage = "moveto SOURCE_FILE DEST_PATH [flags]";
  c.long_help =
      "Moves SOURCE_FILE to DEST_PATH (the file itself): the source is deleted after a\n"
      "successful transfer.\n\n"
      "Example:\n"
      "  cvclone moveto ~/incoming/a.jpg backup:photos/a.jpg\n";
  c.min_args = c.max_args = 2;
  c.flags = TransferFlags(c.name);
  c.run = [](const Invocation& inv) { return RunCopyTo(inv, true); };
  return c;
}

}  // namespace cvclone
