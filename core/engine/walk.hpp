// Walks of one remote's tree, and the commands' operations made of them: deleting the files a
// filter selects, removing empty directories, purging a tree. The commands (ls*, size, hashsum,
// cat, touch, delete, rmdirs, purge) are thin layers over these.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/engine/filter.hpp"
#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone {

// What Walk gives for listed mtimes that are upload times (ObjectInfo::mtime_is_upload_time).
enum class ListedMtime {
  kAsListed,  // the listing's entries as they are (commands that show no mtime)
  kExact,     // each such entry replaced by its Stat(): the exact modtime (lsl, lsjson)
};

// Calls fn for every entry under dir (files, and directories too when with_dirs), sorted by
// path, depth first, descending into directories when recursive. Files are filtered by filter
// (may be null); directories the filter excludes are not descended into, nor is one holding an
// --exclude-if-present marker listed.
Status Walk(const Context& ctx, Remote& remote, const std::string& dir, bool recursive,
            bool with_dirs, const Filter* filter,
            const std::function<Status(const ObjectInfo&)>& fn,
            ListedMtime mtimes = ListedMtime::kAsListed);

// Most Stat() calls ResolveExactMtimes makes at once.
constexpr int kExactMtimeStats = 8;
// Replaces every object entry whose mtime is an upload time by its Stat(), up to
// kExactMtimeStats at a time on as many threads. Returns the first Stat() error.
Status ResolveExactMtimes(const Context& ctx, Remote& remote, std::vector<ObjectInfo>& entries);

// Deletes path (INFO "path: Deleted"; with dry_run NOTICE "path: Skipped delete as --dry-run is
// set" and nothing deleted), counting it in deleted.
Status DeleteOne(const Context& ctx, Remote& remote, const std::string& path, bool dry_run,
                 int64_t& deleted);

// rclone's delete: every file under the root that filter includes, directories kept. Stops at
// the first failure.
Status DeleteFiles(const Context& ctx, Remote& remote, const Filter& filter, bool dry_run,
                   int64_t& deleted);

// rclone's Rmdirs: removes every directory under the root that holds no file at any depth,
// deepest first (INFO "dir: Removing directory"; with dry_run NOTICE "dir: Skipped remove
// directory as --dry-run is set"), then the root itself unless leave_root. The root is named
// by the remote's Name() in messages.
Status RemoveEmptyDirs(const Context& ctx, Remote& remote, bool dry_run, bool leave_root);

// rclone's purge: the root and everything in it, in one Purge() where the remote offers it,
// else every file (as DeleteOne) and then every directory, deepest first, and the root. With
// dry_run nothing is removed, and each file that would be is logged.
Status PurgeTree(const Context& ctx, Remote& remote, bool dry_run);

}  // namespace cvclone
