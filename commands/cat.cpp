// cat: writes objects to stdout, with --offset and --count.
#include <vector>

#include "commands/commands.hpp"
#include "commands/common.hpp"

namespace cvclone {
namespace {

Status CatOne(const Invocation& inv, Remote& remote, const std::string& path) {
  int64_t offset = std::stoll(inv.flags.Get("offset", "0"));
  int64_t count = std::stoll(inv.flags.Get("count", "-1"));
  if (offset < 0) {
    return MakeError(ErrorCode::kUsage, "--offset must not be negative; see 'cvclone cat --help'");
  }
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, remote.Open(inv.ctx, path, offset, count));
  std::vector<std::byte> buf(1 << 16);
  while (true) {
    CVC_RETURN_IF_ERROR(inv.ctx.Check());
    CVC_ASSIGN_OR_RETURN(size_t n, reader->Read(buf));
    if (n == 0) break;
    if (std::fwrite(buf.data(), 1, n, stdout) != n) {
      return MakeError(ErrorCode::kIo, "writing to standard output failed");
    }
  }
  return Ok();
}

}  // namespace

Command MakeCatCommand() {
  Command c;
  c.name = "cat";
  c.short_help = "Write files to standard output";
  c.usage = "cat REMOTE:PATH [flags]";
  c.long_help =
      "Writes the file to standard output; for a directory, every file under it (sorted\n"
      "by path). --offset skips bytes at the start, --count limits the bytes of each file.\n\n"
      "Examples:\n"
      "  cvclone cat backup:notes/todo.txt\n"
      "  cvclone cat backup:big.log --offset 1000 --count 200\n";
  c.flags = {
      {"offset", 0, FlagType::kInt, "N", "Start at byte N of each file"},
      {"count", 0, FlagType::kInt, "N", "Write at most N bytes of each file (-1: all)"},
  };
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(Target target, OpenTarget(inv, inv.args[0], true));
    if (!target.file.empty()) return CatOne(inv, *target.remote, target.file);
    CVC_ASSIGN_OR_RETURN(Filter filter, MakeFilter(inv));
    return Walk(inv.ctx, *target.remote, "", true, false, &filter,
                [&](const ObjectInfo& info) { return CatOne(inv, *target.remote, info.path); });
  };
  return c;
}

}  // namespace cvclone
