// The transfer engine: copy, sync, move, check and single-file copy between two remotes.
//
// The two trees are marched in step, directory by directory: `checkers` workers list the same
// directory on src and dst, match names, apply the filter and decide what to transfer; up to
// `transfers` workers move data. Queues are bounded, so memory does not grow with the number of
// files. Errors on one file are logged ("path: Failed to copy: message"), counted in the
// Accounting and do not stop other files. A stop requested on ctx.stop stops everything
// promptly: the call returns kCancelled and leaves no partial object (Put is atomic).
#pragma once

#include <cstdint>
#include <string>

#include "core/context.hpp"
#include "core/engine/accounting.hpp"
#include "core/engine/filter.hpp"
#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone {

enum class CompareMode {
  kSizeModTime,  // size and mtime equal within the coarser precision (default)
  kChecksum,     // size and a common hash (falls back to size when no common hash)
  kSizeOnly,     // size alone
};

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
};

enum class SyncMode { kCopy, kSync, kMove };

// Copies/syncs/moves the tree under src's root to dst's root.
// kCopy: transfers new and changed files. kSync: as kCopy, then deletes dst files not in src
// (respecting the filter) only after every transfer succeeded, and not at all if any error was
// counted ("not deleting files as there were IO errors"); more than max_delete deletions is an
// error and nothing beyond the limit is deleted; then removes dst directories left empty (deepest
// first). kMove: deletes each source file after its successful transfer (or when it was found
// equal on dst).
// Before anything else, the roots are compared (CompareRoots): the same place logs ERROR
// "Nothing to do as source and destination are the same" and returns Ok with nothing done, as
// rclone; for sync and move, overlapping roots are a fatal kInvalidArgument "can't sync or move
// files on overlapping remotes", unless dst lies inside src in a directory the filter excludes.
// dry_run: logs what it would do (NOTICE "path: Skipped copy as --dry-run is set (size N)")
// and changes nothing. Returns Ok or the most serious error (kCancelled when stopped; a fatal
// error; else the first error), the Accounting holds the counts. A missing src root is
// kDirNotFound; a missing dst root is created when needed.
// error_on_no_transfer: when the run was otherwise Ok but nothing was transferred, returns the
// error "no files transferred" for which IsNoTransferError() is true; the CLI maps it to exit
// code 9 (exit_code::kNoFilesTransferred).
Status RunSync(const Context& ctx, Remote& src, Remote& dst, SyncMode mode,
               const SyncOptions& opts, Accounting& acct);

// Compares the trees: sizes, then a common hash (when src and dst share one; if none, size only
// with a NOTICE). one_way: files only in dst are not differences. download: compares the bytes
// by reading both sides. Logs each difference as ERROR naming the path ("path: sizes differ",
// "path: md5 differ", "path: file not in <dst name>", "path: file not in <src name>"), then
// NOTICE "N differences found" and returns kCorrupt "N differences found" if N > 0; else logs
// "0 differences found" and returns Ok. Other errors (listing, reading) are counted and returned.
// (rclone exits 1 for differences; ExitCodeFor maps kCorrupt to 6, so the CLI check command
// should use IsDifferencesError() to exit 1.)
Status RunCheck(const Context& ctx, Remote& src, Remote& dst, const SyncOptions& opts,
                Accounting& acct);

// copyto/moveto: src_path of src to dst_path of dst, with the same equality test, retries and
// dry-run as RunSync. move: the source is deleted after a successful transfer (or when equal).
// Missing source → kNotFound. A source that is the destination itself (same storage, view and
// path) is left alone: ERROR "Nothing to do as source and destination are the same", Ok.
Status CopyOneFile(const Context& ctx, Remote& src, const std::string& src_path, Remote& dst,
                   const std::string& dst_path, bool move, const SyncOptions& opts,
                   Accounting& acct);

// How the roots of two remotes relate in storage (Remote::StorageRoot): the same place seen the
// same way, one inside the other (or the same place seen through different wrappers), or apart.
// Remotes whose storage is unknown are apart.
enum class Overlap { kNone, kSame, kDstInSrc, kSrcInDst };
Overlap CompareRoots(const Remote& src, const Remote& dst);

// The error RunSync returns for error_on_no_transfer (exit code 9 in the CLI).
bool IsNoTransferError(const Error& error);
// The error RunCheck returns when differences were found (exit code 1 in the CLI).
bool IsDifferencesError(const Error& error);

}  // namespace cvclone
