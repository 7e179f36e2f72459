// about: the space of the storage a remote is on (local: statvfs), as rclone prints it.
#include <fmt/format.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "commands/commands.hpp"
#include "commands/common.hpp"

namespace cvclone {
namespace {

struct Usage {
  int64_t total = 0;
  int64_t used = 0;
  int64_t free = 0;
};

// rclone's SizeSuffix.ByteUnit: "0 B", "512 B", "1 KiB", "251.972 GiB".
std::string ByteUnit(int64_t n) {
  static const char* const kUnits[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  double scaled = static_cast<double>(n);
  size_t unit = 0;
  while (unit + 1 < std::size(kUnits) && n >= (int64_t{1} << (10 * (unit + 1)))) ++unit;
  scaled /= static_cast<double>(int64_t{1} << (10 * unit));
  const std::string value =
      std::floor(scaled) == scaled ? fmt::format("{:.0f}", scaled) : fmt::format("{:.3f}", scaled);
  return fmt::format("{} {}B", value, kUnits[unit]);
}

// The name rclone's messages give a backend type.
std::string TypeName(const std::string& type) { return type == "s3" ? "S3" : type; }

Result<Usage> LocalUsage(const std::string& path) {
  struct statvfs s {};
  if (::statvfs(path.c_str(), &s) != 0) {
    const int err = errno;
    return MakeError(err == ENOENT ? ErrorCode::kDirNotFound : ErrorCode::kIo,
                     fmt::format("about: statfs {}: {}", path, std::strerror(err)));
  }
  const auto bs = static_cast<int64_t>(s.f_frsize);
  return Usage{.total = static_cast<int64_t>(s.f_blocks) * bs,
               .used = static_cast<int64_t>(s.f_blocks - s.f_bfree) * bs,
               .free = static_cast<int64_t>(s.f_bavail) * bs};
}

Status RunAbout(const Invocation& inv) {
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> remote, inv.Open(inv.args[0]));
  const StorageLocation where = remote->StorageRoot();
  if (where.storage != "local") {
    return MakeError(ErrorCode::kUnsupported,
                     fmt::format("about is not supported by {} remotes (\"{}\")",
                                 TypeName(remote->Type()), remote->Name()));
  }
  CVC_ASSIGN_OR_RETURN(Usage u, LocalUsage(where.path.empty() ? "/" : where.path));
  if (inv.flags.Bool("json")) {
    WriteStdout(fmt::format("{{\n\t\"total\": {},\n\t\"used\": {},\n\t\"free\": {}\n}}\n", u.total,
                            u.used, u.free));
    return Ok();
  }
  const bool full = inv.flags.Bool("full");
  auto line = [&](const char* name, int64_t v) {
    return fmt::format("{:<9}{}\n", std::string(name) + ":",
                       full ? std::to_string(v) : ByteUnit(v));
  };
  WriteStdout(line("Total", u.total) + line("Used", u.used) + line("Free", u.free));
  return Ok();
}

}  // namespace

Command MakeAboutCommand() {
  Command c;
  c.name = "about";
  c.short_help = "Get quota information from the remote";
  c.usage = "about REMOTE: [flags]";
  c.long_help =
      "Prints the size of the storage the remote is on, the space used and the space\n"
      "free (available to this user), as rclone's about. Local paths (and crypt or encfs\n"
      "over them) ask the filesystem; S3 has no such figures, so about fails there.\n\n"
      "Examples:\n"
      "  cvclone about /srv/backup\n"
      "  cvclone about --json backup:\n";
  c.min_args = c.max_args = 1;
  c.flags = {{"full", 0, FlagType::kBool, "", "Full numbers instead of human-readable"},
             {"json", 0, FlagType::kBool, "", "Format output as JSON"}};
  c.run = RunAbout;
  return c;
}

}  // namespace cvclone
