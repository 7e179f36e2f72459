// cleanup: removes what interrupted uploads left behind (Remote::Cleanup; S3: unfinished
// multipart uploads), as rclone's cleanup of an S3 remote.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "core/remote_spec.hpp"

namespace cvclone {

Command MakeCleanupCommand() {
  Command c;
  c.name = "cleanup";
  c.short_help = "Remove unfinished uploads older than --max-age";
  c.usage = "cleanup REMOTE:PATH [flags]";
  c.long_help =
      "Aborts the unfinished multipart uploads under the path (a bucket, a folder in it, or\n"
      "every bucket) that were started at least --max-age ago (default 24h), whoever started\n"
      "them: an upload that was killed, or whose abort failed, keeps its parts (and their cost)\n"
      "on the server until then. Uploads a running cvclone on this machine is still sending\n"
      "are kept. -v names each upload aborted; with --dry-run nothing is aborted and each one\n"
      "that would be is named. Remotes without such uploads (local) fail with an error.\n\n"
      "Examples:\n"
      "  cvclone cleanup s3:bucket\n"
      "  cvclone cleanup --max-age 2h -v s3:bucket/backups\n"
      "  cvclone cleanup --max-age 0s --dry-run s3:bucket\n";
  c.flags = {{"max-age", 0, FlagType::kString, "DURATION",
              "Abort only uploads started at least this long ago: 24h, 90m, 7d, 0s (default "
              "24h)"}};
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(
        std::chrono::seconds max_age,
        ParseDurationFlag(inv.flags.Get("max-age", "24h"), "max-age", std::chrono::seconds(0)));
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> remote, inv.Open(inv.args[0]));
    if (!remote->GetFeatures().cleanup) {
      return MakeError(ErrorCode::kUnsupported,
                       fmt::format("cleanup is not supported by {} remote \"{}\"", remote->Type(),
                                   AbbreviateRemoteString(inv.args[0])));
    }
    return remote->Cleanup(inv.ctx, "", max_age, inv.DryRun());
  };
  return c;
}

}  // namespace cvclone
