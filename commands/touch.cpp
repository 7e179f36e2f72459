// touch: create a file or set its modification time; deletefile: remove one file.
#include <fmt/format.h>

#include <cstdlib>
#include <ctime>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "core/io.hpp"
#include "core/log.hpp"
#include "core/remote_spec.hpp"

namespace cvclone {
namespace {

// -t/--timestamp as rclone's touch reads it, in local time, chosen by length: 6 characters are
// YYMMDD, 19 are YYYY-MM-DDTHH:MM:SS, anything else YYYY-MM-DDTHH:MM:SS.FRACTION (up to
// nanoseconds). kUsage otherwise.
Result<TimePoint> ParseTouchTime(const std::string& text) {
  const char* format = text.size() == 6 ? "%y%m%d" : "%Y-%m-%dT%H:%M:%S";
  std::tm tm{};
  const char* end = ::strptime(text.c_str(), format, &tm);
  int64_t nanos = 0;
  bool ok = end != nullptr;
  if (ok && text.size() != 6 && text.size() != 19) {
    // A fraction of 1 to 9 digits, and nothing after it.
    ok = *end == '.' && end[1] != '\0';
    int digits = 0;
    for (const char* p = end + 1; ok && *p != '\0'; ++p, ++digits) {
      ok = *p >= '0' && *p <= '9' && digits < 9;
      nanos = nanos * 10 + (*p - '0');
    }
    for (; ok && digits < 9; ++digits) nanos *= 10;
  } else if (ok) {
    ok = *end == '\0';
  }
  if (!ok) {
    return MakeError(ErrorCode::kUsage,
                     fmt::format("failed to parse timestamp argument \"{}\" for --timestamp: want "
                                 "YYMMDD, YYYY-MM-DDTHH:MM:SS or YYYY-MM-DDTHH:MM:SS.SSS",
                                 text));
  }
  tm.tm_isdst = -1;
  const std::time_t t = std::mktime(&tm);
  return TimePoint(std::chrono::seconds(t)) + std::chrono::nanoseconds(nanos);
}

Status SetTime(const Invocation& inv, Remote& remote, const std::string& path, TimePoint t) {
  if (inv.DryRun()) {
    log::NoticeAt(path, "Skipped touch as --dry-run is set");
    return Ok();
  }
  if (!remote.GetFeatures().set_modtime) {
    return MakeError(ErrorCode::kUnsupported,
                     fmt::format("touch: couldn't set mod time of \"{}\": {} remote \"{}\" cannot "
                                 "set modification times",
                                 path, remote.Type(), remote.Name()));
  }
  auto st = remote.SetModTime(inv.ctx, path, t);
  if (!st) return Propagate(st.error(), "touch: couldn't set mod time of \"" + path + "\"");
  return Ok();
}

// The files directly in the directory remote names (every file below it with -R).
Status TouchDir(const Invocation& inv, Remote& remote, TimePoint t, bool recursive) {
  CVC_ASSIGN_OR_RETURN(Filter filter, MakeFilter(inv));
  return Walk(inv.ctx, remote, "", recursive, false, &filter,
              [&](const ObjectInfo& e) { return SetTime(inv, remote, e.path, t); });
}

Status RunTouch(const Invocation& inv) {
  TimePoint t =
      std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  if (inv.flags.Has("timestamp")) {
    CVC_ASSIGN_OR_RETURN(t, ParseTouchTime(inv.flags.Get("timestamp")));
  }
  const std::string& arg = inv.args[0];
  const bool recursive = inv.flags.Bool("recursive");
  auto split = SplitLeaf(arg);
  if (!split) {
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> root, inv.Open(arg));
    return TouchDir(inv, *root, t, recursive);
  }
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> parent, inv.Open(split->first));
  auto info = parent->Stat(inv.ctx, split->second);
  if (info) return SetTime(inv, *parent, split->second, t);
  if (info.error().code() == ErrorCode::kIsDir) {
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> dir, inv.Open(arg));
    return TouchDir(inv, *dir, t, recursive);
  }
  if (info.error().code() != ErrorCode::kNotFound &&
      info.error().code() != ErrorCode::kDirNotFound) {
    return Propagate(info.error(), AbbreviateRemoteString(arg));
  }
  if (inv.flags.Bool("no-create") || recursive) {
    log::NoticeAt(parent->Name(), "Not touching nonexistent file due to {}",
                  inv.flags.Bool("no-create") ? "--no-create" : "--recursive");
    return Ok();
  }
  if (inv.DryRun()) {
    log::NoticeAt(split->second, "Skipped touch as --dry-run is set");
    return Ok();
  }
  MemoryReader empty(std::string{});
  PutOptions opts;
  opts.size = 0;
  opts.mtime = t;
  auto put = parent->Put(inv.ctx, split->second, empty, opts);
  if (!put) return Propagate(put.error(), "touch: failed to create \"" + split->second + "\"");
  return Ok();
}

}  // namespace

Command MakeTouchCommand() {
  Command c;
  c.name = "touch";
  c.short_help = "Create new file or change file modification time";
  c.usage = "touch REMOTE:PATH [flags]";
  c.long_help =
      "Sets the modification time of the file to the current time, or to --timestamp. A\n"
      "file that does not exist is created empty, unless --no-create or --recursive is\n"
      "given. A directory: the files in it (all below it with -R) get the time.\n"
      "--timestamp is local time: YYMMDD, YYYY-MM-DDTHH:MM:SS or\n"
      "YYYY-MM-DDTHH:MM:SS.SSS (as rclone's).\n\n"
      "Examples:\n"
      "  cvclone touch backup:notes.txt\n"
      "  cvclone touch -R -t 2026-01-02T03:04:05 backup:photos\n";
  c.min_args = c.max_args = 1;
  c.flags = {
      {"no-create", 'C', FlagType::kBool, "", "Do not create the file if it does not exist"},
      {"timestamp", 't', FlagType::kString, "TIME",
       "Use TIME instead of the current time (YYMMDD, YYYY-MM-DDTHH:MM:SS[.SSS])"},
      {"recursive", 'R', FlagType::kBool, "", "Touch every file below the directory"},
  };
  c.run = RunTouch;
  return c;
}

Command MakeDeletefileCommand() {
  Command c;
  c.name = "deletefile";
  c.short_help = "Remove a single file from remote";
  c.usage = "deletefile REMOTE:PATH [flags]";
  c.long_help =
      "Removes the one file the path names. Unlike delete, filters do not apply and a\n"
      "directory is refused.\n\n"
      "Example:\n"
      "  cvclone deletefile backup:old/report.pdf\n";
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    const std::string& arg = inv.args[0];
    const std::string shown = AbbreviateRemoteString(arg);
    auto split = SplitLeaf(arg);
    // rclone exits 1 here: a plain error, neither "directory" nor "file not found".
    const Error not_a_file(ErrorCode::kIo, shown + " is a directory or doesn't exist");
    if (!split) return Unexpected(not_a_file);
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> parent, inv.Open(split->first));
    auto info = parent->Stat(inv.ctx, split->second);
    if (!info) {
      const ErrorCode code = info.error().code();
      if (code == ErrorCode::kNotFound || code == ErrorCode::kIsDir ||
          code == ErrorCode::kDirNotFound) {
        return Unexpected(not_a_file);
      }
      return Propagate(info.error(), shown);
    }
    if (inv.DryRun()) {
      log::NoticeAt(split->second, "Skipped delete as --dry-run is set");
      return Ok();
    }
    CVC_RETURN_IF_ERROR(parent->Delete(inv.ctx, split->second));
    log::InfoAt(split->second, "Deleted");
    return Ok();
  };
  return c;
}

}  // namespace cvclone
