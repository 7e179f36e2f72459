// Helpers shared by several commands: resolving a remote string that may name a single file,
// walking a tree, running a transfer with accounting, formatting times.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "commands/cli.hpp"
#include "core/engine/accounting.hpp"
#include "core/engine/filter.hpp"
#include "core/engine/walk.hpp"
#include "core/remote.hpp"

namespace cvclone {

// A remote string opened for a command that accepts a file or a directory.
struct Target {
  std::unique_ptr<Remote> remote;
  std::string file;  // non-empty: the string named this object of remote; else the root dir
};

// Splits a remote string into the remote string of its parent directory and the last path
// segment ("dir/a.txt" → {"dir", "a.txt"}, "r:x/y" → {"r:x", "y"}); nullopt when the path is a
// root or ends in "." or "..".
std::optional<std::pair<std::string, std::string>> SplitLeaf(const std::string& remote_string);

// Opens remote_string as a directory, unless it names an existing object: then its parent is
// opened and file is set (as rclone does for `copy dir/file.txt dst:`). With missing_is_file, a
// path that does not exist at all is kNotFound (cat of a missing file) instead of being opened as
// a directory.
Result<Target> OpenTarget(const Invocation& inv, const std::string& remote_string,
                          bool missing_is_file = false);

// For a command comparing trees (check, cryptcheck) whose source named one file: restricts the
// comparison to that file on both sides (filter rules "+ /<file>" and "- **", ahead of any
// others), as rclone does.
void RestrictToFile(FilterOptions& filter, const std::string& file);

// The filter from the global flags (kUsage on a bad rule).
Result<Filter> MakeFilter(const Invocation& inv);

// Runs fn with an Accounting: a live progress line with -P, and the summary on stderr after it
// unless -q.
Status RunWithAccounting(const Invocation& inv, const std::function<Status(Accounting&)>& fn);

// The flags of the commands that transfer files (command: copy, sync, move, copyto, moveto):
// backups (--backup-dir, --suffix, --suffix-keep-extension) for all; for trees (copy, sync,
// move) also --compare-dest, --copy-dest, --create-empty-src-dirs; for move
// --delete-empty-src-dirs.
std::vector<FlagSpec> TransferFlags(const std::string& command);
// Sets opts from those flags: the booleans, the limits, and the other remotes: opens the
// --backup-dir, --compare-dest and --copy-dest remotes into holders (kept alive by the caller
// for the run); the backup is dst itself when only --suffix is given. --inplace is refused. Errors name the flag ("failed to make fs for
// --backup-dir \"x\": ...").
Status SetUpTransferRemotes(const Invocation& inv, Remote& dst, SyncOptions& opts,
                            std::vector<std::unique_ptr<Remote>>& holders);

// Local time "2006-01-02 15:04:05" (+ ".000000000" when nanos).
std::string FormatLocalTime(TimePoint t, bool nanos);
// RFC 3339 UTC with nanoseconds: "2006-01-02T15:04:05.000000000Z".
std::string FormatRfc3339(TimePoint t);
// Writes bytes to stdout.
void WriteStdout(const std::string& text);

// --raw-names, a flag of every command that prints names on stdout (listings, hash sums).
FlagSpec RawNamesFlag();
// A name as such a command prints it: TerminalSafe(name) (core/printable.hpp), so that a name
// cannot act on the terminal; name itself with --raw-names, for scripts that need the bytes.
std::string ShownName(const Invocation& inv, const std::string& name);

}  // namespace cvclone
