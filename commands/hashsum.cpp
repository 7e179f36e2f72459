// md5sum, sha1sum: "hash  path" lines as md5sum(1), hashes from Remote::Hash.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "commands/common.hpp"

namespace cvclone {
namespace {

Status PrintHashes(const Invocation& inv, HashType type) {
  CVC_ASSIGN_OR_RETURN(Filter filter, MakeFilter(inv));
  CVC_ASSIGN_OR_RETURN(Target target, OpenTarget(inv, inv.args[0]));
  if (!target.remote->GetFeatures().hashes.Has(type)) {
    return MakeError(ErrorCode::kUnsupported, fmt::format("{} does not support {} hashes",
                                                          target.remote->Name(), HashName(type)));
  }
  size_t width = type == HashType::kMd5 ? 32 : 40;
  auto print = [&](const ObjectInfo& info) -> Status {
    auto hash = target.remote->Hash(inv.ctx, info.path, type);
    if (!hash) return Propagate(hash.error(), info.path);
    WriteStdout(fmt::format("{:<{}}  {}\n", *hash, width, ShownName(inv, info.path)));
    return Ok();
  };
  if (!target.file.empty()) {
    ObjectInfo info;
    info.path = target.file;
    return print(info);
  }
  return Walk(inv.ctx, *target.remote, "", true, false, &filter, print);
}

Command MakeHashCommand(const std::string& name, HashType type) {
  Command c;
  c.name = name;
  c.short_help = fmt::format("Print the {} hash of every file in the path", HashName(type));
  c.usage = name + " REMOTE:PATH [flags]";
  c.long_help = fmt::format(
      "Prints \"hash  path\" for every file under the path, recursively, in the format of\n"
      "{}(1). The hash comes from the remote (read from the data where the remote does not\n"
      "store it).\n\n"
      "Example:\n"
      "  cvclone {} backup:docs\n",
      name, name);
  c.flags = {RawNamesFlag()};
  c.min_args = c.max_args = 1;
  c.run = [type](const Invocation& inv) { return PrintHashes(inv, type); };
  return c;
}

}  // namespace

Command MakeMd5sumCommand() { return MakeHashCommand("md5sum", HashType::kMd5); }
Command MakeSha1sumCommand() { return MakeHashCommand("sha1sum", HashType::kSha1); }

}  // namespace cvclone
