// cat: writes objects to stdout, with rclone's --head, --tail, --offset, --count, --discard.
#include <algorithm>
#include <vector>

#include "commands/commands.hpp"
#include "commands/common.hpp"

namespace cvclone {
namespace {

// The byte range of each file: rclone's --head, --tail, --offset (negative: from the end) and
// --count. kUsage for a combination rclone refuses.
struct CatRange {
  int64_t offset = 0;  // < 0: that many bytes before the end
  int64_t count = -1;  // -1: to the end
};

Result<CatRange> ParseCatRange(const Invocation& inv) {
  CatRange r;
  r.offset = std::stoll(inv.flags.Get("offset", "0"));
  r.count = std::stoll(inv.flags.Get("count", "-1"));
  const int64_t head = std::stoll(inv.flags.Get("head", "0"));
  const int64_t tail = std::stoll(inv.flags.Get("tail", "0"));
  const bool used_offset = r.offset != 0 || r.count >= 0;
  if ((head > 0 && tail > 0) || (head > 0 && used_offset) || (tail > 0 && used_offset)) {
    return MakeError(ErrorCode::kUsage,
                     "can only use one of --head, --tail or --offset with --count; see 'cvclone "
                     "cat --help'");
  }
  if (head > 0) r = {0, head};
  if (tail > 0) r = {-tail, -1};
  return r;
}

Status CatOne(const Invocation& inv, Remote& remote, const ObjectInfo& info,
              const CatRange& range) {
  int64_t offset = range.offset;
  int64_t count = range.count;
  if (offset < 0) {
    int64_t size = info.size;
    if (size < 0) {
      CVC_ASSIGN_OR_RETURN(ObjectInfo stat, remote.Stat(inv.ctx, info.path));
      size = stat.size;
    }
    offset = std::max<int64_t>(0, size + offset);
  }
  if (count == 0) return Ok();
  const bool discard = inv.flags.Bool("discard");
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader,
                       remote.Open(inv.ctx, info.path, offset, count));
  std::vector<std::byte> buf(1 << 16);
  while (true) {
    CVC_RETURN_IF_ERROR(inv.ctx.Check());
    CVC_ASSIGN_OR_RETURN(size_t n, reader->Read(buf));
    if (n == 0) break;
    if (!discard && std::fwrite(buf.data(), 1, n, stdout) != n) {
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
      "by path). Of each file: --head N prints the first N bytes, --tail N the last N;\n"
      "--offset skips bytes at the start (negative: starts that many bytes before the end) and\n"
      "--count limits the bytes printed (one of --head, --tail or --offset with --count).\n"
      "--discard reads the files and prints nothing (to test reading them).\n\n"
      "Examples:\n"
      "  cvclone cat backup:notes/todo.txt\n"
      "  cvclone cat backup:big.log --offset 1000 --count 200\n"
      "  cvclone cat backup:big.log --tail 100\n";
  c.flags = {
      {"head", 0, FlagType::kInt, "N", "Only print the first N bytes of each file"},
      {"tail", 0, FlagType::kInt, "N", "Only print the last N bytes of each file"},
      {"offset", 0, FlagType::kInt, "N", "Start at byte N of each file (or from the end if -ve)"},
      {"count", 0, FlagType::kInt, "N", "Write at most N bytes of each file (-1: all)"},
      {"discard", 0, FlagType::kBool, "", "Discard the output instead of printing"},
  };
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(CatRange range, ParseCatRange(inv));
    CVC_ASSIGN_OR_RETURN(Target target, OpenTarget(inv, inv.args[0], true));
    if (!target.file.empty()) {
      ObjectInfo info;
      info.path = target.file;
      return CatOne(inv, *target.remote, info, range);
    }
    CVC_ASSIGN_OR_RETURN(Filter filter, MakeFilter(inv));
    return Walk(inv.ctx, *target.remote, "", true, false, &filter, [&](const ObjectInfo& info) {
      return CatOne(inv, *target.remote, info, range);
    });
  };
  return c;
}

}  // namespace cvclone
