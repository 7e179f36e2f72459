// One file's part of the engine: deciding whether src and dst copies are equal, and moving one
// object with retries and verification. Used by RunSync and CopyOneFile.
#pragma once

#include <optional>
#include <string>

#include "core/engine/accounting.hpp"
#include "core/engine/march.hpp"
#include "core/engine/sync.hpp"
#include "core/remote.hpp"

namespace cvclone {

enum class Decision {
  kTransfer,  // copy src over dst
  kEqual,     // same content (dst mtime may have been fixed up)
  kSkip,      // different or unknown, but an option says leave dst alone
};

// The coarser of the two remotes' mtime precisions.
std::chrono::nanoseconds CoarserPrecision(const Remote& a, const Remote& b);
// The largest mtime difference taken as equal: the coarser precision, or --modify-window.
std::chrono::nanoseconds ModifyWindow(const Remote& a, const Remote& b, const SyncOptions& opts);

// Whether src (info s) must be transferred over an existing dst (info d), by the options'
// compare mode. May read hashes (Hash()) and, in the default mode when only the mtimes differ
// and hashes are equal, set dst's mtime (when dst supports it; not in dry-run, nor with
// no_update_modtime). Mtimes within ModifyWindow are equal.
// Listed mtimes that are upload times (ObjectInfo::mtime_is_upload_time), default mode: a dst
// whose listed version is one the run's StoredVersions recorded takes the recorded source mtime
// as its exact mtime (no Stat()); otherwise the flagged side is Stat()ed for its exact mtime
// (and the dst's recorded for the next run) and the normal rules apply. An upload time never
// makes files equal: a server clock ahead, or a file edited during its upload or restored with
// an older mtime, would pass such a rule. --update compares against a flagged dst's upload time,
// as rclone's --use-server-modtime. A Stat() that fails means kTransfer. exact_src (optional)
// receives the source's exact info when Decide had to Stat() it, so the transfer need not do it
// again. move: kEqual leads to the source's deletion, so equal means the same size and the same
// exact mtime from a Stat() of dst, or the same hash; records are not used.
Decision Decide(RunState& state, Remote& src, Remote& dst, const ObjectInfo& s,
                const ObjectInfo& d, const SyncOptions& opts, bool move,
                ObjectInfo* exact_src = nullptr);

struct TransferJob {
  ObjectInfo src;                 // src.path is the path on the source
  std::string dst_path;           // where it goes on the destination
  bool replacing = false;         // an object exists at dst_path
};

// Transfers one file with up to opts.retries attempts (retryable errors, kCorrupt and kIo),
// recording the stored version in the run's StoredVersions, if any,
// verifying size and, when cheap, a common hash. move: confirms the stored object with a Stat()
// of dst (size, and the put's hash or the exact mtime; else the attempt failed), then deletes
// the source (DeleteSource). Logs INFO
// "path: Copied (new)" / "(replaced existing)" on success and ERROR "path: Failed to copy: msg"
// on failure; failures are counted in acct and recorded in state. Returns the final status.
Status TransferFile(RunState& state, Remote& src, Remote& dst, const TransferJob& job, bool move,
                    const SyncOptions& opts, Accounting& acct);

// Deletes the source at expected.path after it was found equal on dst or transferred (move),
// counting and logging; first a Stat() of the source must still show expected's size and mtime,
// else nothing is deleted and the error "source file changed during copy" is counted.
void DeleteSource(RunState& state, Remote& src, const ObjectInfo& expected,
                  const SyncOptions& opts, Accounting& acct);

}  // namespace cvclone
