// --backup-dir and --suffix (rclone's): a destination file that a run would replace or delete
// is moved aside instead, server-side, into the backup remote (the --backup-dir, or the
// destination itself when only --suffix is given), at the same relative path with the suffix
// added.
#pragma once

#include <string>

#include "core/engine/accounting.hpp"
#include "core/engine/filter.hpp"
#include "core/engine/march.hpp"
#include "core/engine/sync.hpp"
#include "core/remote.hpp"

namespace cvclone {

// The name a backup of path gets: path + suffix, or with keep_extension the suffix before the
// last extension of the last segment ("dir/a.tar.gz" → "dir/a.tar-2019.gz"), as rclone 1.60.
std::string SuffixName(const std::string& path, const std::string& suffix, bool keep_extension);

// Whether the run keeps backups (opts.backup is set: --backup-dir or --suffix).
inline bool KeepsBackups(const SyncOptions& opts) { return opts.backup != nullptr; }

// rclone's refusals, fatal kInvalidArgument errors, made before anything is transferred:
// a backup remote that is not on the destination's storage ("parameter to --backup-dir has to
// be on the same remote as destination"), or cannot move or copy server-side; for a tree
// (single_file false) a --backup-dir overlapping the destination or the source ("destination
// and parameter to --backup-dir mustn't overlap"), unless it lies inside that tree in a
// directory the filter excludes; for one file, a --backup-dir that is the destination's or the
// source's directory, unless a suffix is given. Ok when the run keeps no backups.
Status CheckBackup(const Remote& src, const Remote& dst, const SyncOptions& opts,
                   const Filter& filter, bool single_file);

// Moves dst's object at path into the backup remote under SuffixName (server-side: Move, else
// Copy then Delete of the original). Logs INFO "path: Moved (server-side)" (" to: NEW" when the
// name changes); counts a rename. dry_run: logs NOTICE "path: Skipped move as --dry-run is set
// (size N)" (size: the object's, for the message) and changes nothing. Failures are logged ("path:
// Failed to move into backup dir: msg"), counted and recorded in state, and returned: the caller
// then leaves the object alone.
Status MoveToBackup(RunState& state, Remote& dst, const std::string& path, int64_t size,
                    const SyncOptions& opts, Accounting& acct);

}  // namespace cvclone
