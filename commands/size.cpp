// size: number of objects and total bytes under the path.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "commands/common.hpp"

namespace cvclone {

Command MakeSizeCommand() {
  Command c;
  c.name = "size";
  c.short_help = "Print the total size and number of objects in the path";
  c.usage = "size REMOTE:PATH [flags]";
  c.long_help =
      "Counts the objects under the path, recursively, and adds up their sizes.\n\n"
      "Example:\n"
      "  cvclone size backup:docs\n"
      "  Total objects: 12 (12)\n"
      "  Total size: 1.205 MiB (1263616 Byte)\n\n"
      "With --json, one line as rclone's: {\"count\":12,\"bytes\":1263616,\"sizeless\":0}\n"
      "(sizeless: objects whose size is unknown, not counted in bytes; without --json a third\n"
      "line counts them when there are any).\n";
  c.flags = {{"json", 0, FlagType::kBool, "", "Format output as JSON"}};
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(Filter filter, MakeFilter(inv));
    CVC_ASSIGN_OR_RETURN(Target target, OpenTarget(inv, inv.args[0]));
    int64_t count = 0;
    int64_t bytes = 0;
    int64_t sizeless = 0;
    auto add = [&](const ObjectInfo& info) {
      ++count;
      if (info.size > 0) bytes += info.size;
      if (info.size < 0) ++sizeless;
      return Ok();
    };
    if (!target.file.empty()) {
      CVC_ASSIGN_OR_RETURN(ObjectInfo info, target.remote->Stat(inv.ctx, target.file));
      CVC_RETURN_IF_ERROR(add(info));
    } else {
      CVC_RETURN_IF_ERROR(Walk(inv.ctx, *target.remote, "", true, false, &filter, add));
    }
    if (inv.flags.Bool("json")) {
      WriteStdout(fmt::format("{{\"count\":{},\"bytes\":{},\"sizeless\":{}}}\n", count, bytes,
                              sizeless));
      return Ok();
    }
    std::string out = fmt::format("Total objects: {} ({})\nTotal size: {} ({} Byte)\n",
                                  FormatCount(count), count,
                                  FormatBytes(static_cast<double>(bytes)), bytes);
    if (sizeless > 0) {
      out += fmt::format("Total objects with unknown size: {} ({})\n", FormatCount(sizeless),
                         sizeless);
    }
    WriteStdout(out);
    return Ok();
  };
  return c;
}

}  // namespace cvclone
