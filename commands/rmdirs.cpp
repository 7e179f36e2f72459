// rmdirs: remove the empty directories under a path, as rclone's (operations.Rmdirs).
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "core/log.hpp"

namespace cvclone {
namespace {

Status RunRmdirs(const Invocation& inv) {
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> remote, inv.Open(inv.args[0]));
  const bool leave_root = inv.flags.Bool("leave-root");
  // Every directory, and those that hold a file somewhere below them (with their parents).
  std::vector<std::string> dirs;
  std::set<std::string> full;
  CVC_RETURN_IF_ERROR(Walk(inv.ctx, *remote, "", true, true, nullptr, [&](const ObjectInfo& e) {
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
  // Deepest first, so that each directory is empty by the time it is removed.
  std::stable_sort(dirs.begin(), dirs.end(), [](const std::string& a, const std::string& b) {
    const auto depth = [](const std::string& p) {
      return p.empty() ? -1 : static_cast<int>(std::count(p.begin(), p.end(), '/'));
    };
    return depth(a) > depth(b);
  });
  for (const std::string& d : dirs) {
    if (full.contains(d)) continue;
    const std::string shown = d.empty() ? remote->Name() : d;
    if (inv.DryRun()) {
      log::NoticeAt(shown, "Skipped remove directory as --dry-run is set");
      continue;
    }
    log::InfoAt(shown, "Removing directory");
    auto st = remote->Rmdir(inv.ctx, d);
    if (!st) return Propagate(st.error(), fmt::format("rmdirs: \"{}\"", shown));
  }
  return Ok();
}

}  // namespace

Command MakeRmdirsCommand() {
  Command c;
  c.name = "rmdirs";
  c.short_help = "Remove empty directories under the path";
  c.usage = "rmdirs REMOTE:PATH [flags]";
  c.long_help =
      "Removes every empty directory under the path, deepest first, and then the path\n"
      "itself if it is left empty, unless --leave-root. Directories that hold files\n"
      "(at any depth) are kept.\n\n"
      "Example:\n"
      "  cvclone rmdirs --leave-root backup:photos\n";
  c.min_args = c.max_args = 1;
  c.flags = {{"leave-root", 0, FlagType::kBool, "", "Do not remove root directory if empty"}};
  c.run = RunRmdirs;
  return c;
}

}  // namespace cvclone
