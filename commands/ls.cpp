// ls, lsl, lsd: rclone's fixed-width listings. Names are shown escaped unless --raw-names.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "commands/common.hpp"

namespace cvclone {
namespace {

std::string SizeText(const Invocation& inv, int64_t size) {
  if (inv.flags.Bool("human-readable") && size >= 0) {
    return FormatBytes(static_cast<double>(size));
  }
  return std::to_string(size);
}

// Lists the files under the target (recursively), one line each from format_line.
Status ListFiles(const Invocation& inv,
                 const std::function<std::string(const ObjectInfo&)>& format_line,
                 ListedMtime mtimes = ListedMtime::kAsListed) {
  CVC_ASSIGN_OR_RETURN(Filter filter, MakeFilter(inv));
  CVC_ASSIGN_OR_RETURN(Target target, OpenTarget(inv, inv.args[0]));
  if (!target.file.empty()) {
    CVC_ASSIGN_OR_RETURN(ObjectInfo info, target.remote->Stat(inv.ctx, target.file));
    WriteStdout(format_line(info));
    return Ok();
  }
  return Walk(
      inv.ctx, *target.remote, "", true, false, &filter,
      [&](const ObjectInfo& info) {
        WriteStdout(format_line(info));
        return Ok();
      },
      mtimes);
}

}  // namespace

Command MakeLsCommand() {
  Command c;
  c.name = "ls";
  c.short_help = "List the objects in the path with size and path";
  c.usage = "ls REMOTE:PATH [flags]";
  c.long_help =
      "Lists every object under the path, recursively: the size right-aligned, then the\n"
      "path. Filters (--include, --exclude, ...) apply.\n\n"
      "Example:\n"
      "  cvclone ls backup:docs\n"
      "       1234 letters/letter-1.txt\n";
  c.flags = {RawNamesFlag()};
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) {
    return ListFiles(inv, [&](const ObjectInfo& info) {
      return fmt::format("{:>9} {}\n", SizeText(inv, info.size), ShownName(inv, info.path));
    });
  };
  return c;
}

Command MakeLslCommand() {
  Command c;
  c.name = "lsl";
  c.short_help = "List the objects in the path with size, modification time and path";
  c.usage = "lsl REMOTE:PATH [flags]";
  c.long_help =
      "As ls, with the modification time (local time, nanoseconds) between size and path.\n\n"
      "Example:\n"
      "  cvclone lsl backup:docs\n"
      "       1234 2026-01-02 15:04:05.000000000 letters/letter-1.txt\n";
  c.flags = {RawNamesFlag()};
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) {
    return ListFiles(
        inv,
        [&](const ObjectInfo& info) {
          return fmt::format("{:>9} {} {}\n", SizeText(inv, info.size),
                             FormatLocalTime(info.mtime, true), ShownName(inv, info.path));
        },
        ListedMtime::kExact);
  };
  return c;
}

Command MakeLsdCommand() {
  Command c;
  c.name = "lsd";
  c.short_help = "List the directories in the path";
  c.usage = "lsd REMOTE:PATH [flags]";
  c.long_help =
      "Lists the directories directly inside the path (all levels with -R).\n\n"
      "Example:\n"
      "  cvclone lsd backup:\n"
      "            -1 2026-01-02 15:04:05        -1 docs\n";
  c.flags = {{"recursive", 'R', FlagType::kBool, "", "Recurse into subdirectories"},
             RawNamesFlag()};
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(Filter filter, MakeFilter(inv));
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> remote, inv.Open(inv.args[0]));
    bool recursive = inv.flags.Bool("recursive");
    return Walk(inv.ctx, *remote, "", recursive, true, &filter, [&](const ObjectInfo& info) {
      if (info.is_dir) {
        WriteStdout(fmt::format("{:>12} {} {:>9} {}\n", -1, FormatLocalTime(info.mtime, false), -1,
                                ShownName(inv, info.path)));
      }
      return Ok();
    });
  };
  return c;
}

}  // namespace cvclone
