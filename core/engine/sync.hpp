// The transfer engine: copy, sync, move, check and single-file copy between two remotes.
//
// The two trees are marched in step, directory by directory: `checkers` workers list the same
// directory on src and dst, match names, apply the filter and decide what to transfer; up to
// `transfers` workers move data. Queues are bounded, so memory does not grow with the number of
// files. Errors on one file are logged ("path: Failed to copy: message"), counted in the
// Accounting and do not stop other files. A stop requested on ctx.stop stops everything
// promptly: the call returns kCancelled and leaves no partial object (Put is atomic).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/engine/accounting.hpp"
#include "core/engine/cutoff.hpp"
#include "core/engine/filter.hpp"
#include "core/engine/order.hpp"
#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone {

class BwLimiter;
class Interactive;

enum class CompareMode {
  kSizeModTime,  // size and mtime equal within the coarser precision (default)
  kChecksum,     // size and a common hash (falls back to size when no common hash)
  kSizeOnly,     // size alone
};

// When sync deletes the destination's extraneous files (rclone's --delete-before/-during/-after).
enum class DeleteMode {
  kAfter,   // once every transfer succeeded (default)
  kDuring,  // as they are found, while no error has been counted
  kBefore,  // in a first pass over both trees, before any transfer, if it counted no error
};

// --track-renames-strategy: what makes a new source file the same as a destination file that
// is gone from the source (size always; any of these too).
struct RenameStrategy {
  bool hash = true;  // a common hash (the default)
  bool modtime = false;
  bool leaf = false;  // the same file name, in another directory
};

// "hash", "modtime", "leaf" or several, comma-separated (rclone's); kUsage otherwise.
Result<RenameStrategy> ParseRenameStrategy(const std::string& text);

struct SyncOptions {
  int checkers = 8;
  int transfers = 4;
  bool dry_run = false;
  CompareMode compare = CompareMode::kSizeModTime;
  bool ignore_existing = false;  // skip every file that exists on dst
  bool update = false;           // skip files whose dst mtime is newer than src's
  bool ignore_times = false;     // transfer every file, equal or not
  int retries = 3;               // attempts per file (from scratch), >= 1
  int64_t max_delete = -1;       // sync: most deletes allowed, -1 no limit
  DeleteMode delete_mode = DeleteMode::kAfter;  // sync
  // Mtimes closer than this are equal (at least the remotes' precision; rclone's default 1ns).
  std::chrono::nanoseconds modify_window{1};
  bool no_update_modtime = false;  // an equal file's differing dst mtime is left as it is
  // A dst file that differs from its source is an error ("immutable file modified"), never
  // replaced.
  bool immutable = false;
  // --max-transfer (bytes, -1 none), --max-duration (0 none), --cutoff-mode: see cutoff.hpp.
  int64_t max_transfer = -1;
  std::chrono::milliseconds max_duration{0};
  CutoffMode cutoff_mode = CutoffMode::kHard;
  FilterOptions filter;
  bool delete_excluded = false;       // sync: delete dst files the filter excludes too
  bool one_way = false;               // check: only src files must be in dst
  bool download = false;              // check: compare bytes by reading both sides
  bool error_on_no_transfer = false;  // RunSync: error when nothing was transferred (exit 9)
  // Multi-thread downloads (rclone's flags): a file of at least multi_thread_cutoff bytes going
  // from a non-local source to the local backend is read with this many ranged streams at once
  // (core/engine/parallel_reader.hpp). 0 or 1: one stream.
  int multi_thread_streams = 4;
  int64_t multi_thread_cutoff = int64_t{256} << 20;
  // --backup-dir / --suffix (core/engine/backup.hpp): destination files the run would replace
  // or delete are moved into `backup` (server-side) instead, renamed by suffix. nullptr: no
  // backups. Not owned: the caller keeps it alive for the run; it is the destination itself
  // when only --suffix is given (backup_dir_given false).
  Remote* backup = nullptr;
  bool backup_dir_given = false;
  std::string suffix;
  bool suffix_keep_extension = false;
  // --compare-dest / --copy-dest (RunSync only; core/engine/compare_dest.hpp): where else an
  // equal copy of a source file spares its transfer. Not owned, as backup.
  std::vector<Remote*> compare_dest;
  std::vector<Remote*> copy_dest;
  bool create_empty_src_dirs = false;  // RunSync: make every source directory on dst too
  bool delete_empty_src_dirs = false;  // RunSync, move: remove source dirs left empty
  // --retries-sleep: the pause before a file's next attempt (0: none); a stop ends it.
  std::chrono::milliseconds retries_sleep{0};
  // --order-by (RunSync): which of the queued transfers starts next (core/engine/order.hpp).
  TransferOrder order;
  // --check-first (RunSync): every check is done before the first transfer starts; the queue
  // of transfers is then unbounded (one small entry per file).
  bool check_first = false;
  // -i/--interactive: each change is asked first (core/engine/interactive.hpp); not owned.
  // nullptr: no questions.
  Interactive* interactive = nullptr;
  // --bwlimit: the limits the transfers' source reads wait for (core/engine/bwlimit.hpp); not
  // owned. nullptr: none.
  BwLimiter* bwlimit = nullptr;
  // --track-renames (sync): see RunSync.
  bool track_renames = false;
  RenameStrategy rename_strategy;
};

enum class SyncMode { kCopy, kSync, kMove };

// Copies/syncs/moves the tree under src's root to dst's root.
// kCopy: transfers new and changed files. kSync: as kCopy, then deletes dst files not in src
// (respecting the filter) only after every transfer succeeded, and not at all if any error was
// counted ("not deleting files as there were IO errors"); more than max_delete deletions is a
// fatal error (exit code 7, as rclone) and nothing beyond the limit is deleted; then removes dst
// directories left empty (deepest first). delete_mode kDuring deletes each such file when the
// march finds it, unless an error was counted by then (files found after an error are not
// deleted); kBefore marches both trees once to delete (nothing if that pass counted an error),
// then again to transfer. kMove: deletes each source file after its successful transfer (or
// when it was found equal on dst).
// Before anything else, the roots are compared (CompareRoots): the same place logs ERROR
// "Nothing to do as source and destination are the same" and returns Ok with nothing done, as
// rclone; for sync and move, overlapping roots are a fatal kInvalidArgument "can't sync or move
// files on overlapping remotes", unless dst lies inside src in a directory the filter excludes.
// dry_run: logs what it would do (NOTICE "path: Skipped copy as --dry-run is set (size N)")
// and changes nothing. Returns Ok or the most serious error (kCancelled when stopped; a fatal
// error; else the first error), the Accounting holds the counts. A missing src root is
// kDirNotFound; a missing dst root is created when needed.
// A dst whose Features::read_only is set (or, for a move, such a src) fails the run before it
// starts: one kPermission error naming that remote (fatal), nothing listed or transferred.
// backup (--backup-dir, --suffix): refused as CheckBackup says before anything is done; each
// file to be replaced is first moved into the backup (a file whose backup failed is left as it
// is and counted as failed), and sync moves the files it would delete there instead ("path:
// Moved into backup dir").
// compare_dest / copy_dest: refused as CheckCompareCopyDest says; a source file that would be
// transferred is looked for there first (FindElsewhere); move deletes the source of a file
// found there as of one transferred.
// create_empty_src_dirs: once the files are transferred, every source directory the filter
// includes is made on dst (parents first), empty or not. delete_empty_src_dirs (move): then the
// source directories that are empty are removed (deepest first; never the root).
// track_renames (sync): a new source file whose size (and hash, modtime or leaf name, as
// rename_strategy says) matches a destination file that is gone from the source is moved there
// on the destination (Move, or Copy then Delete: server-side) instead of uploaded, INFO
// "path: Renamed from \"old\"", counted as a rename; a file that then still differs (leaf
// strategy) is transferred over it. Deletes are then after the transfers. Where the
// destination can neither move nor copy, or the hash strategy finds no common hash, ERROR
// "Ignoring --track-renames as ..." and the sync runs without, as rclone's.
// order (--order-by) and check_first: see SyncOptions. interactive: each copy, move, delete,
// modification time update, directory made or removed is asked first.
// max_transfer / max_duration: transfers are cut off as Cutoff says; the run then returns
// MaxTransferError (kMaxTransfer: exit code 8) or the fatal MaxDurationError (kMaxDuration).
// error_on_no_transfer: when the run was otherwise Ok but nothing was transferred, returns
// kNoTransfer "no files transferred" (exit code 9).
Status RunSync(const Context& ctx, Remote& src, Remote& dst, SyncMode mode,
               const SyncOptions& opts, Accounting& acct);

// Compares the trees: sizes, then a common hash (when src and dst share one; if none, size only
// with a NOTICE). one_way: files only in dst are not differences. download: compares the bytes
// by reading both sides. Logs each difference as ERROR naming the path ("path: sizes differ",
// "path: md5 differ", "path: file not in <dst name>", "path: file not in <src name>"), then
// NOTICE "N differences found" and returns kDifferences "N differences found" (exit code 1, as
// rclone) if N > 0; else logs "0 differences found" and returns Ok. Other errors (listing,
// reading) are counted and returned.
Status RunCheck(const Context& ctx, Remote& src, Remote& dst, const SyncOptions& opts,
                Accounting& acct);

// copyto/moveto: src_path of src to dst_path of dst, with the same equality test, retries and
// dry-run as RunSync. move: the source is deleted after a successful transfer (or when equal).
// Read-only remotes as for RunSync. Missing source → kNotFound. A source that is the
// destination itself (same storage, view and path) is left alone: ERROR "Nothing to do as
// source and destination are the same", Ok. compare_dest / copy_dest (copy FILE DEST, where
// dst_path is src_path): as for RunSync. interactive: the copy or move is asked first.
Status CopyOneFile(const Context& ctx, Remote& src, const std::string& src_path, Remote& dst,
                   const std::string& dst_path, bool move, const SyncOptions& opts,
                   Accounting& acct);

// How the roots of two remotes relate in storage (Remote::StorageRoot): the same place seen the
// same way, one inside the other (or the same place seen through different wrappers), or apart.
// Remotes whose storage is unknown are apart.
enum class Overlap { kNone, kSame, kDstInSrc, kSrcInDst };
Overlap CompareRoots(const Remote& src, const Remote& dst);

}  // namespace cvclone
