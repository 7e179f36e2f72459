#include "core/engine/compare_dest.hpp"

#include <algorithm>

#include "core/engine/backup.hpp"
#include "core/engine/transfer.hpp"
#include "core/log.hpp"

namespace cvclone {
namespace {

Status Refuse(const std::string& message) {
  return MakeError(ErrorCode::kInvalidArgument, message, RetryClass::kFatal);
}

// Whether other (at s.path in remote) equals s by the run's compare mode. Options that would
// keep or transfer a file whatever its content do not apply here, and nothing is changed there
// (no modification time is fixed up).
bool EqualThere(RunState& state, Remote& src, Remote& remote, const ObjectInfo& s,
                const ObjectInfo& other, const SyncOptions& opts) {
  SyncOptions compare = opts;
  compare.dry_run = true;
  compare.ignore_existing = false;
  compare.ignore_times = false;
  compare.update = false;
  compare.immutable = false;
  // move: equality from a Stat() of the other side or a hash, never from the run's records of
  // the destination's stored versions.
  return Decide(state, src, remote, s, other, compare, /*move=*/true) == Decision::kEqual;
}

// Copies s.path from `from` to dst server-side, counted as a transfer once done. backed_up:
// whether d went to the backup (then set even when the copy fails).
Status CopyFrom(RunState& state, Remote& from, Remote& dst, const ObjectInfo& s,
                const ObjectInfo* d, const SyncOptions& opts, Accounting& acct, bool& backed_up) {
  if (d != nullptr && KeepsBackups(opts)) {
    CVC_RETURN_IF_ERROR(MoveToBackup(state, dst, d->path, d->size, opts, acct));
    backed_up = !opts.dry_run;
  }
  if (opts.dry_run) {
    log::NoticeAt(s.path, "Skipped copy as --dry-run is set (size {})",
                  FormatBytes(static_cast<double>(std::max<int64_t>(s.size, 0))));
    acct.AddExpected(s.size);
    acct.FileTransferred();
    return Ok();
  }
  const int64_t flight = acct.StartTransfer(s.path, s.size);
  auto copied = dst.Copy(state.ctx(), from, s.path, s.path);
  acct.EndTransfer(flight);
  if (!copied) return Propagate(copied.error());
  acct.AddExpected(s.size);
  acct.AddBytes(std::max<int64_t>(s.size, 0));
  acct.FileTransferred();
  log::InfoAt(s.path, "Copied (server-side copy)");
  return Ok();
}

}  // namespace

Status CheckCompareCopyDest(const Remote& dst, const SyncOptions& opts) {
  if (!opts.compare_dest.empty() && !opts.copy_dest.empty()) {
    return MakeError(ErrorCode::kIo, "Can't use --compare-dest with --copy-dest.");
  }
  const StorageLocation d = dst.StorageRoot();
  for (const Remote* remote : opts.copy_dest) {
    const StorageLocation c = remote->StorageRoot();
    if (remote->Type() != dst.Type() || c.storage.empty() || c.storage != d.storage ||
        c.view != d.view) {
      return Refuse("parameter to --copy-dest has to be on the same remote as destination");
    }
    if (!remote->GetFeatures().server_side_copy) {
      return Refuse("can't use --copy-dest on a remote which doesn't support server side copy");
    }
  }
  return Ok();
}

FoundElsewhere FindElsewhere(RunState& state, Remote& src, Remote& dst, const ObjectInfo& s,
                             const ObjectInfo* d, const SyncOptions& opts, Accounting& acct) {
  const bool copy = opts.compare_dest.empty();
  for (Remote* remote : copy ? opts.copy_dest : opts.compare_dest) {
    auto other = remote->Stat(state.ctx(), s.path);
    if (!other) {
      const ErrorCode code = other.error().code();
      if (code == ErrorCode::kNotFound || code == ErrorCode::kIsDir) continue;
      if (code == ErrorCode::kCancelled) return FoundElsewhere::kNo;
      log::ErrorAt(s.path, "{}", other.error().message());
      acct.AddError(other.error());
      state.Record(other.error());
      return FoundElsewhere::kNo;
    }
    if (!EqualThere(state, src, *remote, s, *other, opts)) continue;
    if (!copy) {
      log::DebugAt(s.path, "Destination found in --compare-dest, skipping");
      return FoundElsewhere::kSkip;
    }
    bool backed_up = false;
    if (Status st = CopyFrom(state, *remote, dst, s, d, opts, acct, backed_up); !st) {
      if (st.error().code() == ErrorCode::kCancelled) return FoundElsewhere::kNo;
      if (d != nullptr && KeepsBackups(opts) && !backed_up) {
        // Logged, counted and recorded by MoveToBackup; the file stays as it is.
        acct.AddExpected(s.size);
        acct.FileFailed();
        return FoundElsewhere::kFailed;
      }
      log::ErrorAt(s.path, "Destination found in --copy-dest, error copying: {}",
                   st.error().message());
      return backed_up ? FoundElsewhere::kTransferAsNew : FoundElsewhere::kNo;
    }
    log::DebugAt(s.path, "Destination found in --copy-dest, using server-side copy");
    return FoundElsewhere::kCopied;
  }
  return FoundElsewhere::kNo;
}

}  // namespace cvclone
