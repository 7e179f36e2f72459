#include "core/engine/walk.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/log.hpp"

namespace cvclone {
namespace {

// How deep path is: -1 for the root, 0 for a top-level name.
int Depth(const std::string& path) {
  return path.empty() ? -1 : static_cast<int>(std::count(path.begin(), path.end(), '/'));
}

// Deepest first (stable), so that each directory comes before its parent.
void SortDeepestFirst(std::vector<std::string>& dirs) {
  std::stable_sort(dirs.begin(), dirs.end(),
                   [](const std::string& a, const std::string& b) { return Depth(a) > Depth(b); });
}

}  // namespace

Status ResolveExactMtimes(const Context& ctx, Remote& remote, std::vector<ObjectInfo>& entries) {
  std::vector<ObjectInfo*> flagged;
  for (ObjectInfo& e : entries) {
    if (!e.is_dir && e.mtime_is_upload_time) flagged.push_back(&e);
  }
  if (flagged.empty()) return Ok();
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::optional<Error> first;
  auto work = [&] {
    for (size_t i = next++; i < flagged.size(); i = next++) {
      auto st = remote.Stat(ctx, flagged[i]->path);
      if (st) {
        *flagged[i] = std::move(st).value();
        continue;
      }
      std::lock_guard lock(mu);
      if (!first) first = st.error();
      next = flagged.size();  // stop the others early
    }
  };
  {
    std::vector<std::jthread> threads;
    const size_t n = std::min<size_t>(kExactMtimeStats, flagged.size());
    for (size_t t = 1; t < n; ++t) threads.emplace_back(work);
    work();
  }
  if (first) return Propagate(*first);
  return Ok();
}

Status Walk(const Context& ctx, Remote& remote, const std::string& dir, bool recursive,
            bool with_dirs, const Filter* filter,
            const std::function<Status(const ObjectInfo&)>& fn, ListedMtime mtimes) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_ASSIGN_OR_RETURN(std::vector<ObjectInfo> entries, remote.List(ctx, dir));
  if (filter != nullptr) {
    if (filter->ExcludesListing(entries)) return Ok();
    std::erase_if(entries,
                  [&](const ObjectInfo& e) { return !e.is_dir && !filter->IncludeObject(e); });
  }
  if (mtimes == ListedMtime::kExact) CVC_RETURN_IF_ERROR(ResolveExactMtimes(ctx, remote, entries));
  std::sort(entries.begin(), entries.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.path < b.path; });
  for (const ObjectInfo& e : entries) {
    if (e.is_dir) {
      if (filter != nullptr && !filter->IncludeDir(e.path)) continue;
      if (filter != nullptr && filter->HasExcludeMarkers()) {
        // As rclone's: a directory holding a marker is not even listed in its parent.
        auto inside = remote.List(ctx, e.path);
        if (inside && filter->ExcludesListing(*inside)) continue;
      }
      if (with_dirs) CVC_RETURN_IF_ERROR(fn(e));
      if (recursive && (filter == nullptr || filter->Descend(e.path))) {
        CVC_RETURN_IF_ERROR(Walk(ctx, remote, e.path, recursive, with_dirs, filter, fn, mtimes));
      }
    } else {
      CVC_RETURN_IF_ERROR(fn(e));  // filtered above
    }
  }
  return Ok();
}

Status DeleteOne(const Context& ctx, Remote& remote, const std::string& path, bool dry_run,
                 int64_t& deleted) {
  if (dry_run) {
    log::NoticeAt(path, "Skipped delete as --dry-run is set");
    return Ok();
  }
  auto status = remote.Delete(ctx, path);
  if (!status) return Propagate(status.error(), path);
  log::InfoAt(path, "Deleted");
  ++deleted;
  return Ok();
}

Status DeleteFiles(const Context& ctx, Remote& remote, const Filter& filter, bool dry_run,
                   int64_t& deleted) {
  return Walk(ctx, remote, "", true, false, &filter, [&](const ObjectInfo& info) {
    return DeleteOne(ctx, remote, info.path, dry_run, deleted);
  });
}

Status RemoveEmptyDirs(const Context& ctx, Remote& remote, bool dry_run, bool leave_root) {
  // Every directory, and those that hold a file somewhere below them (with their parents).
  std::vector<std::string> dirs;
  std::set<std::string> full;
  CVC_RETURN_IF_ERROR(Walk(ctx, remote, "", true, true, nullptr, [&](const ObjectInfo& e) {
    if (e.is_dir) {
      dirs.push_back(e.path);
      return Ok();
    }
    for (std::string d = ParentPath(e.path); !full.contains(d); d = ParentPath(d)) {
      full.insert(d);
      if (d.empty()) break;
    }
    return Ok();
  }));
  if (!leave_root) dirs.push_back("");
  SortDeepestFirst(dirs);
  for (const std::string& d : dirs) {
    if (full.contains(d)) continue;
    const std::string shown = d.empty() ? remote.Name() : d;
    if (dry_run) {
      log::NoticeAt(shown, "Skipped remove directory as --dry-run is set");
      continue;
    }
    log::InfoAt(shown, "Removing directory");
    auto st = remote.Rmdir(ctx, d);
    if (!st) return Propagate(st.error(), fmt::format("rmdirs: \"{}\"", shown));
  }
  return Ok();
}

Status PurgeTree(const Context& ctx, Remote& remote, bool dry_run) {
  if (!dry_run && remote.GetFeatures().purge) return remote.Purge(ctx, "");
  std::vector<std::string> dirs;
  int64_t deleted = 0;
  CVC_RETURN_IF_ERROR(Walk(ctx, remote, "", true, true, nullptr, [&](const ObjectInfo& e) {
    if (e.is_dir) {
      dirs.push_back(e.path);
      return Ok();
    }
    return DeleteOne(ctx, remote, e.path, dry_run, deleted);
  }));
  if (dry_run) return Ok();
  SortDeepestFirst(dirs);
  for (const std::string& d : dirs) CVC_RETURN_IF_ERROR(remote.Rmdir(ctx, d));
  return remote.Rmdir(ctx, "");
}

}  // namespace cvclone
