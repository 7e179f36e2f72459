// --compare-dest and --copy-dest (rclone's): before a source file is transferred, other places
// are looked at for a file of the same relative path that equals it (by the run's compare
// mode). --compare-dest: such a file means the transfer is not needed (the destination gets
// nothing). --copy-dest: the file is copied server-side from there into the destination instead
// of uploading the source's bytes.
#pragma once

#include "core/engine/accounting.hpp"
#include "core/engine/march.hpp"
#include "core/engine/sync.hpp"
#include "core/remote.hpp"

namespace cvclone {

// rclone's refusals, before anything is done: both kinds at once (kIo: exit 1, as rclone), a
// --copy-dest not on the destination's storage or unable to copy server-side (fatal
// kInvalidArgument). Ok when neither is set.
Status CheckCompareCopyDest(const Remote& dst, const SyncOptions& opts);

enum class FoundElsewhere {
  kNo,      // transfer the source as usual
  kSkip,    // equal in a --compare-dest: nothing to do (DEBUG "Destination found in
            // --compare-dest, skipping")
  kCopied,  // equal in a --copy-dest and copied from there (or, dry-run, would be): counted as
            // a transfer; INFO "path: Copied (server-side copy)"
  kFailed,  // the replaced file's backup failed: counted as a failed file, d left alone
  kTransferAsNew,  // the --copy-dest copy failed after d went to the backup: transfer as usual,
                   // as a new file
};

// Looks for s (the source file, which would replace d on dst, or be new when d is null) in the
// --compare-dest or --copy-dest remotes, in order, taking the first that holds the path. Lookup
// errors other than "not found" are counted and recorded, and the file is then transferred as
// usual. A --copy-dest copy that fails is logged (ERROR "path: Destination found in --copy-dest,
// error copying: msg") and the file transferred as usual. A replaced d goes to the backup before
// the copy (opts.backup), as for any transfer.
FoundElsewhere FindElsewhere(RunState& state, Remote& src, Remote& dst, const ObjectInfo& s,
                             const ObjectInfo* d, const SyncOptions& opts, Accounting& acct);

}  // namespace cvclone
