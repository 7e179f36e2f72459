// tree: the remote's files as the `tree` program draws them, with rclone's tree command's
// options and report line (rclone uses github.com/a8m/tree; the size and count rules below are
// that library's).
#include <fmt/format.h>

#include <algorithm>

#include "commands/commands.hpp"
#include "commands/common.hpp"

namespace cvclone {
namespace {

struct TreeOptions {
  bool all = false;        // -a: names starting with '.' too
  bool dirs_only = false;  // -d
  bool sizes = false;      // -s
  bool color = false;      // -C
  bool report = true;      // not --noreport
  int level = 0;           // --level: directories at this depth are not descended; 0: no limit
};

struct Node {
  std::string name;
  bool is_dir = false;
  int64_t size = 0;
  int depth = 0;
  std::vector<Node> children;
};

struct Counts {
  int dirs = 0;
  int files = 0;
};

// Lists dir (node.depth deep) into node.children, sorted by name, and below it as deep as
// options.level and the filter allow. Counts what is shown, as a8m/tree's Visit. The filter
// applies as to every listing (rclone's tree walks with it): an excluded file is not shown, an
// excluded directory neither, and the walk descends only where the filter lets it (--max-depth).
Status Visit(const Invocation& inv, Remote& remote, const std::string& dir, Node& node,
             const TreeOptions& options, const Filter& filter, Counts& counts) {
  if (options.level > 0 && node.depth >= options.level) return Ok();
  CVC_ASSIGN_OR_RETURN(std::vector<ObjectInfo> entries, remote.List(inv.ctx, dir));
  // The directories below were checked for markers before they were entered.
  if (node.depth == 0 && filter.ExcludesListing(entries)) return Ok();
  std::sort(entries.begin(), entries.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.path < b.path; });
  for (const ObjectInfo& e : entries) {
    const size_t slash = e.path.rfind('/');
    std::string name = slash == std::string::npos ? e.path : e.path.substr(slash + 1);
    if (!options.all && name.starts_with(".")) continue;
    if (!e.is_dir && options.dirs_only) continue;
    if (!e.is_dir && !filter.IncludeObject(e)) continue;
    if (e.is_dir && !filter.IncludeDir(e.path)) continue;
    if (e.is_dir && filter.HasExcludeMarkers()) {
      // As every listing: a directory holding a marker is not shown in its parent.
      auto inside = remote.List(inv.ctx, e.path);
      if (inside && filter.ExcludesListing(*inside)) continue;
    }
    Node child{.name = std::move(name),
               .is_dir = e.is_dir,
               .size = e.is_dir ? 0 : std::max<int64_t>(e.size, 0),
               .depth = node.depth + 1,
               .children = {}};
    if (e.is_dir) {
      ++counts.dirs;
      if (filter.Descend(e.path)) {
        CVC_RETURN_IF_ERROR(Visit(inv, remote, e.path, child, options, filter, counts));
      }
    } else {
      ++counts.files;
    }
    node.children.push_back(std::move(child));
  }
  return Ok();
}

// A directory's size: the sum of what is below it; unknown (false) when some directory below,
// or this one, was not listed for --level.
bool DirSize(const Node& node, const TreeOptions& options, int64_t& size) {
  bool known = options.level == 0 || node.depth < options.level;
  for (const Node& c : node.children) {
    if (!c.is_dir) {
      size += c.size;
    } else if (!DirSize(c, options, size)) {
      known = false;
    }
  }
  return known;
}

void Print(const Invocation& inv, const Node& node, const std::string& indent,
           const TreeOptions& options, std::string& out) {
  if (options.sizes) {
    if (node.is_dir) {
      int64_t size = 0;
      const bool known = DirSize(node, options, size);
      out += !known && size <= 0 ? "[???????????]  " : fmt::format("[{:>11}]  ", size);
    } else {
      out += fmt::format("[{:>11}]  ", node.size);
    }
  }
  std::string name = node.depth == 0 ? node.name : ShownName(inv, node.name);
  if (options.color && node.is_dir) name = "\x1b[1;34m" + name + "\x1b[0m";
  out += name + "\n";
  for (size_t i = 0; i < node.children.size(); ++i) {
    const bool last = i + 1 == node.children.size();
    out += indent + (last ? "└── " : "├── ");
    Print(inv, node.children[i], indent + (last ? "    " : "│   "), options, out);
  }
}

Status RunTree(const Invocation& inv) {
  TreeOptions options;
  options.all = inv.flags.Bool("all");
  options.dirs_only = inv.flags.Bool("dirs-only");
  options.sizes = inv.flags.Bool("size");
  options.color = inv.flags.Bool("color");
  options.report = !inv.flags.Bool("noreport");
  if (inv.flags.Has("level")) {
    // An integer (checked when parsed); beyond any real depth means no limit.
    const long long level = std::stoll(inv.flags.Get("level"));
    options.level = level <= 0 || level > 1000000 ? 0 : static_cast<int>(level);
  }
  CVC_ASSIGN_OR_RETURN(Filter filter, MakeFilter(inv));
  CVC_ASSIGN_OR_RETURN(Target target, OpenTarget(inv, inv.args[0]));
  Node root{.name = "/", .is_dir = true, .size = 0, .depth = 0, .children = {}};
  Counts counts;
  if (!target.file.empty()) {
    CVC_ASSIGN_OR_RETURN(ObjectInfo info, target.remote->Stat(inv.ctx, target.file));
    if (!options.dirs_only) {
      root.children.push_back({.name = target.file,
                               .is_dir = false,
                               .size = std::max<int64_t>(info.size, 0),
                               .depth = 1,
                               .children = {}});
      counts.files = 1;
    }
  } else {
    CVC_RETURN_IF_ERROR(Visit(inv, *target.remote, "", root, options, filter, counts));
  }
  std::string out;
  Print(inv, root, "", options, out);
  if (options.report) {
    // As rclone's tree: directories are counted only when some file was (so -d reports 0).
    const int dirs = counts.files == 0 ? 0 : counts.dirs;
    out += options.dirs_only ? fmt::format("\n{} directories\n", dirs)
                             : fmt::format("\n{} directories, {} files\n", dirs, counts.files);
  }
  WriteStdout(out);
  return Ok();
}

}  // namespace

Command MakeTreeCommand() {
  Command c;
  c.name = "tree";
  c.short_help = "List the contents of the remote in a tree like fashion";
  c.usage = "tree REMOTE:PATH [flags]";
  c.long_help =
      "Draws the directories and files below the path as the tree program does, sorted\n"
      "by name, with rclone's report line. Names starting with '.' are left out unless\n"
      "-a; -s shows sizes (a directory's is the sum below it; ? where --level stopped\n"
      "the listing).\n\n"
      "Example:\n"
      "  cvclone tree -s --level 2 backup:photos\n";
  c.min_args = c.max_args = 1;
  c.flags = {
      {"all", 'a', FlagType::kBool, "", "All files are listed (names starting with '.' too)"},
      {"dirs-only", 'd', FlagType::kBool, "", "List directories only"},
      {"size", 's', FlagType::kBool, "", "Print the size in bytes of each file"},
      {"level", 0, FlagType::kInt, "N", "Descend only N directories deep"},
      {"color", 'C', FlagType::kBool, "", "Turn colorization on always (directories in blue)"},
      {"noreport", 0, FlagType::kBool, "", "Turn off file/directory count at end of tree listing"},
      RawNamesFlag(),
  };
  c.run = RunTree;
  return c;
}

}  // namespace cvclone
