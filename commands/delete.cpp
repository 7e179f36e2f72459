// delete (files only, filtered), purge (the whole tree).
#include <fmt/format.h>

#include <algorithm>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "core/log.hpp"

namespace cvclone {
namespace {

Status DeleteFile(const Invocation& inv, Remote& remote, const std::string& path,
                  int64_t& deleted) {
  if (inv.DryRun()) {
    log::NoticeAt(path, "Skipped delete as --dry-run is set");
    return Ok();
  }
  auto status = remote.Delete(inv.ctx, path);
  if (!status) return Propagate(status.error(), path);
  log::InfoAt(path, "Deleted");
  ++deleted;
  return Ok();
}

// Paths deepest first, so each directory comes before its parent.
void SortDeepestFirst(std::vector<std::string>& dirs) {
  std::sort(dirs.begin(), dirs.end(), [](const std::string& a, const std::string& b) {
    return std::count(a.begin(), a.end(), '/') > std::count(b.begin(), b.end(), '/');
  });
}

// delete --rmdirs: removes the directories left empty under the root (not the root itself).
Status RemoveEmptyDirs(const Invocation& inv, Remote& remote) {
  std::vector<std::string> dirs;
  CVC_RETURN_IF_ERROR(Walk(inv.ctx, remote, "", true, true, nullptr, [&](const ObjectInfo& e) {
    if (e.is_dir) dirs.push_back(e.path);
    return Ok();
  }));
  SortDeepestFirst(dirs);
  for (const std::string& d : dirs) {
    if (inv.DryRun()) {
      log::NoticeAt(d, "Skipped remove directory as --dry-run is set");
      continue;
    }
    auto st = remote.Rmdir(inv.ctx, d);
    if (st) {
      log::InfoAt(d, "Removed directory");
    } else if (st.error().code() != ErrorCode::kDirNotEmpty) {
      return Propagate(st.error(), d);
    }
  }
  return Ok();
}

// Deletes every file and then every directory, deepest first, and the root itself.
Status PurgeByListing(const Invocation& inv, Remote& remote) {
  std::vector<std::string> dirs;
  int64_t deleted = 0;
  CVC_RETURN_IF_ERROR(Walk(inv.ctx, remote, "", true, true, nullptr, [&](const ObjectInfo& e) {
    if (e.is_dir) {
      dirs.push_back(e.path);
      return Ok();
    }
    return DeleteFile(inv, remote, e.path, deleted);
  }));
  if (inv.DryRun()) return Ok();
  SortDeepestFirst(dirs);
  for (const std::string& d : dirs) CVC_RETURN_IF_ERROR(remote.Rmdir(inv.ctx, d));
  return remote.Rmdir(inv.ctx, "");
}

}  // namespace

Command MakeDeleteCommand() {
  Command c;
  c.name = "delete";
  c.short_help = "Remove the files in path (directories are kept)";
  c.usage = "delete REMOTE:PATH [flags]";
  c.long_help =
      "Deletes the files under the path, recursively, honouring the filters; directories\n"
      "are left in place unless --rmdirs is given (it removes the directories left empty,\n"
      "but not the path itself). Use --dry-run to see what would be deleted.\n\n"
      "Examples:\n"
      "  cvclone delete backup:tmp --include '*.log' --dry-run\n"
      "  cvclone delete backup:tmp --min-size 100M --rmdirs\n";
  c.flags = {
      {"rmdirs", 0, FlagType::kBool, "", "Remove empty directories (but not the path itself)"},
  };
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(Filter filter, MakeFilter(inv));
    CVC_ASSIGN_OR_RETURN(Target target, OpenTarget(inv, inv.args[0]));
    int64_t deleted = 0;
    if (!target.file.empty()) return DeleteFile(inv, *target.remote, target.file, deleted);
    CVC_RETURN_IF_ERROR(Walk(inv.ctx, *target.remote, "", true, false, &filter,
                             [&](const ObjectInfo& info) {
                               return DeleteFile(inv, *target.remote, info.path, deleted);
                             }));
    if (!inv.DryRun()) log::Info("Deleted {} files", deleted);
    if (inv.flags.Bool("rmdirs")) return RemoveEmptyDirs(inv, *target.remote);
    return Ok();
  };
  return c;
}

Command MakePurgeCommand() {
  Command c;
  c.name = "purge";
  c.short_help = "Remove the path and all of its contents";
  c.usage = "purge REMOTE:PATH [flags]";
  c.long_help =
      "Removes the directory and everything in it. Filters do not apply (see delete).\n\n"
      "Example:\n"
      "  cvclone purge backup:old --dry-run\n";
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> remote, inv.Open(inv.args[0]));
    if (!inv.DryRun() && remote->GetFeatures().purge) return remote->Purge(inv.ctx, "");
    return PurgeByListing(inv, *remote);
  };
  return c;
}

}  // namespace cvclone
