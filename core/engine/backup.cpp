#include "core/engine/backup.hpp"

#include <algorithm>

#include "core/log.hpp"

namespace cvclone {
namespace {

// Whether `inner` is `outer` or lies below it ('/'-separated paths; "" holds everything).
bool Within(const std::string& inner, const std::string& outer) {
  if (outer.empty() || inner == outer) return true;
  const std::string base = outer.back() == '/' ? outer : outer + "/";
  return inner.rfind(base, 0) == 0;
}

// rclone's OverlappingFilterCheck: the backup dir overlaps tree unless both are apart, or the
// backup dir lies inside tree in a directory the filter keeps the walk out of.
bool Overlaps(const StorageLocation& backup, const StorageLocation& tree, const Filter& filter) {
  if (backup.storage.empty() || backup.storage != tree.storage) return false;
  if (Within(tree.path, backup.path)) return true;
  if (!Within(backup.path, tree.path)) return false;
  std::string rel = backup.path.substr(tree.path.size());
  while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
  for (size_t slash = 0; slash != std::string::npos;) {
    slash = rel.find('/', slash + 1);
    if (!filter.IncludeDir(rel.substr(0, slash))) return false;
  }
  return true;
}

Status Refuse(const std::string& message) {
  return MakeError(ErrorCode::kInvalidArgument, message, RetryClass::kFatal);
}

// Moves path of dst to target in backup without the data passing through here.
Status MoveServerSide(const Context& ctx, Remote& backup, Remote& dst, const std::string& path,
                      const std::string& target) {
  const Features& f = backup.GetFeatures();
  if (f.server_side_move) {
    auto moved = backup.Move(ctx, dst, path, target);
    if (moved) return Ok();
    if (moved.error().code() != ErrorCode::kUnsupported || !f.server_side_copy) {
      return Propagate(moved.error());
    }
  }
  auto copied = backup.Copy(ctx, dst, path, target);
  if (!copied) return Propagate(copied.error());
  return dst.Delete(ctx, path);
}

}  // namespace

std::string SuffixName(const std::string& path, const std::string& suffix, bool keep_extension) {
  if (suffix.empty()) return path;
  if (!keep_extension) return path + suffix;
  const size_t slash = path.rfind('/');
  const size_t dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) {
    return path + suffix;
  }
  return path.substr(0, dot) + suffix + path.substr(dot);
}

Status CheckBackup(const Remote& src, const Remote& dst, const SyncOptions& opts,
                   const Filter& filter, bool single_file) {
  if (!KeepsBackups(opts)) return Ok();
  const Remote& backup = *opts.backup;
  const StorageLocation b = backup.StorageRoot();
  const StorageLocation d = dst.StorageRoot();
  if (opts.backup_dir_given) {
    if (backup.Type() != dst.Type() || b.storage.empty() || b.storage != d.storage ||
        b.view != d.view) {
      return Refuse("parameter to --backup-dir has to be on the same remote as destination");
    }
    const StorageLocation s = src.StorageRoot();
    if (!single_file) {
      if (Overlaps(b, d, filter)) {
        return Refuse("destination and parameter to --backup-dir mustn't overlap");
      }
      if (Overlaps(b, s, filter)) {
        return Refuse("source and parameter to --backup-dir mustn't overlap");
      }
    } else if (opts.suffix.empty()) {
      if (b.path == d.path) {
        return Refuse("destination and parameter to --backup-dir mustn't be the same");
      }
      if (!s.storage.empty() && s.storage == b.storage && s.path == b.path) {
        return Refuse("source and parameter to --backup-dir mustn't be the same");
      }
    }
  }
  const Features& f = backup.GetFeatures();
  if (!f.server_side_move && !f.server_side_copy) {
    return Refuse(
        "can't use --backup-dir on a remote which doesn't support server-side move "
        "or copy");
  }
  return Ok();
}

Status MoveToBackup(RunState& state, Remote& dst, const std::string& path, int64_t size,
                    const SyncOptions& opts, Accounting& acct) {
  if (opts.dry_run) {
    log::NoticeAt(path, "Skipped move as --dry-run is set (size {})",
                  FormatBytes(static_cast<double>(std::max<int64_t>(size, 0))));
    return Ok();
  }
  const std::string target = SuffixName(path, opts.suffix, opts.suffix_keep_extension);
  Status st = MoveServerSide(state.ctx(), *opts.backup, dst, path, target);
  if (!st) {
    if (st.error().code() == ErrorCode::kCancelled) return st;
    log::ErrorAt(path, "Failed to move into backup dir: {}", st.error().message());
    acct.AddError(st.error());
    state.Record(st.error());
    return st;
  }
  acct.AddRename();
  if (target == path) {
    log::InfoAt(path, "Moved (server-side)");
  } else {
    log::InfoAt(path, "Moved (server-side) to: {}", target);
  }
  return Ok();
}

}  // namespace cvclone
