#include "commands/common.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "commands/commands.hpp"
#include "core/engine/bwlimit.hpp"
#include "core/engine/interactive.hpp"
#include "core/log.hpp"
#include "core/open.hpp"
#include "core/printable.hpp"
#include "core/remote_spec.hpp"

namespace cvclone {

std::optional<std::pair<std::string, std::string>> SplitLeaf(const std::string& remote_string) {
  auto parsed = ParseRemoteOrLocalPath(remote_string);
  if (!parsed) return std::nullopt;
  RemoteSpec spec = std::move(parsed).value();
  std::string path = spec.path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path.empty() || path == "/") return std::nullopt;
  size_t slash = path.rfind('/');
  std::string leaf = slash == std::string::npos ? path : path.substr(slash + 1);
  if (leaf == "." || leaf == "..") return std::nullopt;
  std::string parent;
  if (slash == 0) {
    parent.push_back('/');
  } else if (slash != std::string::npos) {
    parent = path.substr(0, slash);
  }
  if (spec.kind == RemoteSpec::Kind::kLocal) {
    return std::make_pair(parent.empty() ? std::string(".") : parent, leaf);
  }
  spec.path = parent;
  return std::make_pair(FormatRemoteString(spec), leaf);
}

Result<Target> OpenTarget(const Invocation& inv, const std::string& remote_string,
                          bool missing_is_file) {
  if (auto split = SplitLeaf(remote_string)) {
    auto parent = inv.Open(split->first);
    if (parent) {
      auto info = (*parent)->Stat(inv.ctx, split->second);
      if (info && !info->is_dir) return Target{std::move(parent).value(), split->second};
      if (!info && missing_is_file && info.error().code() == ErrorCode::kNotFound) {
        return Propagate(info.error(), AbbreviateRemoteString(remote_string));
      }
    }
  }
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> remote, inv.Open(remote_string));
  return Target{std::move(remote), ""};
}

void RestrictToFile(FilterOptions& filter, const std::string& file) {
  std::string glob = "/";
  for (char c : file) {
    if (std::string_view("\\*?[]{},").find(c) != std::string_view::npos) glob += '\\';
    glob += c;
  }
  filter.rules.insert(filter.rules.begin(), {"+ " + glob, "- **"});
}

Result<Filter> MakeFilter(const Invocation& inv) {
  CVC_ASSIGN_OR_RETURN(SyncOptions opts, inv.MakeSyncOptions());
  auto filter = Filter::Make(opts.filter);
  if (!filter) return MakeError(ErrorCode::kUsage, filter.error().message());
  return std::move(filter).value();
}

Status RunWithAccounting(const Invocation& inv, const std::function<Status(Accounting&)>& fn) {
  // rclone's defaults: stats every minute, logged at INFO (seen with -v).
  std::chrono::milliseconds interval = std::chrono::minutes(1);
  if (inv.flags.Has("stats")) {
    CVC_ASSIGN_OR_RETURN(interval, ParseDurationFlagMs(inv.flags.Get("stats"), "stats",
                                                       std::chrono::milliseconds(0)));
  }
  log::Level level = log::Level::kInfo;
  if (inv.flags.Has("stats-log-level")) {
    auto parsed = log::ParseLevel(inv.flags.Get("stats-log-level"));
    if (!parsed) return MakeError(ErrorCode::kUsage, parsed.error().message());
    level = *parsed;
  }
  const bool one_line = inv.flags.Bool("stats-one-line");
  Accounting acct;
  const bool progress = inv.flags.Bool("progress") && !inv.Quiet();
  // The display goes to stdout, as rclone's; redrawing it in place needs a terminal there.
  const bool live = progress && ::isatty(STDOUT_FILENO) == 1;
  if (live) {
    acct.StartProgress();
  } else if (!progress) {
    acct.StartStatsLog(interval, level, one_line);
  }
  Status status = fn(acct);
  acct.StopProgress();
  acct.StopStatsLog();
  if (progress) {
    // The final state, once; without a terminal this is all -P prints.
    std::string text = live ? acct.ProgressText(TerminalWidth(STDOUT_FILENO)) : acct.SummaryText();
    if (!text.empty() && text.back() != '\n') text += '\n';
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
  }
  // As rclone: the stats go to the log at the end (at INFO by default, so -v shows them), when
  // stats are on or anything failed.
  if (interval.count() > 0 || acct.errors() > 0) acct.LogStats(level, one_line);
  return status;
}

std::vector<FlagSpec> TransferFlags(const std::string& command) {
  const bool trees = command == "copy" || command == "sync" || command == "move";
  using FT = FlagType;
  std::vector<FlagSpec> flags = {
      {"backup-dir", 0, FT::kString, "DIR",
       "Move files that would be replaced or deleted into DIR (same remote as dest)"},
      {"suffix", 0, FT::kString, "SUFFIX",
       "Suffix added to backed up files (with --backup-dir, or alone: kept next to the file)"},
      {"suffix-keep-extension", 0, FT::kBool, "",
       "Put the --suffix before the file's extension (a.txt -> a-2026.txt)"},
      {"immutable", 0, FT::kBool, "",
       "Do not modify files: a destination file that differs is an error (exit 6)"},
      {"no-update-modtime", 0, FT::kBool, "",
       "Don't update destination modification times of files found equal"},
      {"max-transfer", 0, FT::kString, "SIZE",
       "Stop after transferring SIZE (exit 8; a bare number is KiB, as rclone)"},
      {"cutoff-mode", 0, FT::kString, "MODE",
       "How --max-transfer/--max-duration stop: hard (default), soft or cautious"},
      {"max-duration", 0, FT::kString, "DURATION",
       "Stop transferring after DURATION (exit 7; with --cutoff-mode soft, running transfers end)"},
      {"inplace", 0, FT::kBool, "",
       "Refused: writes always go to a temporary name, then rename (never half-written)"},
      {"retries-sleep", 0, FT::kString, "DURATION",
       "Pause before retrying a failed file, e.g. 500ms, 60s, 5m (default 0)"},
      {"interactive", 'i', FT::kBool, "", "Ask before each change (answers on stdin)"},
      {"bwlimit", 0, FT::kString, "RATE",
       "Bandwidth limit in bytes/s (1M, 512k, off), UP:DOWN, or a timetable"},
  };
  if (trees) {
    flags.push_back({"order-by", 0, FT::kString, "ORDER",
                     "Order of the transfers: size|name|modtime[,asc|desc|mixed[,PERCENT]]"});
    flags.push_back({"check-first", 0, FT::kBool, "",
                     "Do all the checks before starting transfers"});
    flags.push_back({"compare-dest", 0, FT::kList, "DIR",
                     "Also compare with DIR: a file equal there is not transferred (repeatable)"});
    flags.push_back({"copy-dest", 0, FT::kList, "DIR",
                     "Also compare with DIR (same remote as dest): a file equal there is copied "
                     "server-side from it"});
    flags.push_back({"create-empty-src-dirs", 0, FT::kBool, "",
                     "Create empty source dirs on destination after the transfers"});
  }
  if (command == "sync") {
    flags.push_back({"track-renames", 0, FT::kBool, "",
                     "Move renamed files on the destination instead of uploading them again"});
    flags.push_back({"track-renames-strategy", 0, FT::kString, "HOW",
                     "How renames are matched: hash (default), modtime, leaf, or several"});
    flags.push_back({"delete-before", 0, FT::kBool, "",
                     "Delete extraneous dest files in a first pass, before transferring"});
    flags.push_back({"delete-during", 0, FT::kBool, "",
                     "Delete extraneous dest files as they are found, until an error occurs"});
    flags.push_back({"delete-after", 0, FT::kBool, "",
                     "Delete extraneous dest files once all transfers succeeded (default)"});
  }
  if (command == "move") {
    flags.push_back({"delete-empty-src-dirs", 0, FT::kBool, "",
                     "Delete empty source dirs after move"});
  }
  return flags;
}

namespace {

// Opens the remote a flag names, for the run.
Result<Remote*> OpenFor(const Invocation& inv, const std::string& flag, const std::string& value,
                        std::vector<std::unique_ptr<Remote>>& holders) {
  auto opened = inv.Open(value);
  if (!opened) {
    return Propagate(opened.error(),
                     fmt::format("failed to make fs for --{} \"{}\"", flag, value));
  }
  holders.push_back(std::move(opened).value());
  return holders.back().get();
}

// --max-transfer, --max-duration, --cutoff-mode.
Status ParseCutoff(const Invocation& inv, SyncOptions& opts) {
  if (inv.flags.Has("max-transfer")) {
    std::string text = inv.flags.Get("max-transfer");
    const bool bare = !text.empty() && text.find_first_not_of("0123456789.") == std::string::npos;
    auto size = ParseSize(bare ? text + "Ki" : text);
    if (!size || *size < 0) {
      return MakeError(ErrorCode::kUsage,
                       fmt::format("invalid value \"{}\" for --max-transfer: not a size", text));
    }
    opts.max_transfer = *size;
  }
  if (inv.flags.Has("max-duration")) {
    CVC_ASSIGN_OR_RETURN(opts.max_duration,
                         ParseDurationFlagMs(inv.flags.Get("max-duration"), "max-duration",
                                             std::chrono::milliseconds(0)));
  }
  std::string mode = inv.flags.Get("cutoff-mode", "hard");
  std::transform(mode.begin(), mode.end(), mode.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (mode == "hard") {
    opts.cutoff_mode = CutoffMode::kHard;
  } else if (mode == "soft") {
    opts.cutoff_mode = CutoffMode::kSoft;
  } else if (mode == "cautious") {
    opts.cutoff_mode = CutoffMode::kCautious;
  } else {
    return MakeError(ErrorCode::kUsage,
                     fmt::format("invalid value \"{}\" for --cutoff-mode: want hard, soft or "
                                 "cautious",
                                 inv.flags.Get("cutoff-mode")));
  }
  return Ok();
}

}  // namespace

Status SetUpTransferRemotes(const Invocation& inv, Remote& dst, SyncOptions& opts,
                            std::vector<std::unique_ptr<Remote>>& holders) {
  opts.suffix = inv.flags.Get("suffix");
  opts.suffix_keep_extension = inv.flags.Bool("suffix-keep-extension");
  if (inv.flags.Bool("inplace")) {
    return MakeError(ErrorCode::kUsage,
                     "--inplace is not supported: cvclone stores each file atomically (local: a "
                     "temporary name renamed when complete; S3: one upload completed at once), "
                     "so no reader ever sees a file half written");
  }
  opts.immutable = inv.flags.Bool("immutable");
  CVC_RETURN_IF_ERROR(ParseCutoff(inv, opts));
  if (inv.flags.Has("retries-sleep")) {
    CVC_ASSIGN_OR_RETURN(opts.retries_sleep,
                         ParseDurationFlagMs(inv.flags.Get("retries-sleep"), "retries-sleep",
                                             std::chrono::milliseconds(0)));
  }
  CVC_ASSIGN_OR_RETURN(opts.order, ParseOrderBy(inv.flags.Get("order-by")));
  opts.check_first = inv.flags.Bool("check-first");
  opts.track_renames = inv.flags.Bool("track-renames");
  if (inv.flags.Has("track-renames-strategy")) {
    CVC_ASSIGN_OR_RETURN(opts.rename_strategy,
                         ParseRenameStrategy(inv.flags.Get("track-renames-strategy")));
  }
  if (inv.flags.Has("bwlimit")) {
    CVC_ASSIGN_OR_RETURN(BwTimetable table, BwTimetable::Parse(inv.flags.Get("bwlimit")));
    if (!table.Unlimited()) {
      // One command runs per process: the limits for its run.
      static BwLimiter limiter(table);
      opts.bwlimit = &limiter;
    }
  }
  if (inv.flags.Bool("interactive")) {
    // One command runs per process: the questions for its run.
    static Interactive questions(std::cin, stdout);
    opts.interactive = &questions;
  }
  opts.no_update_modtime = inv.flags.Bool("no-update-modtime");
  opts.create_empty_src_dirs = inv.flags.Bool("create-empty-src-dirs");
  opts.delete_empty_src_dirs = inv.flags.Bool("delete-empty-src-dirs");
  const int modes = int{inv.flags.Bool("delete-before")} + int{inv.flags.Bool("delete-during")} +
                    int{inv.flags.Bool("delete-after")};
  if (modes > 1) {
    // rclone exits 1 here, not 2.
    return MakeError(ErrorCode::kIo,
                     "Only one of --delete-before, --delete-during or --delete-after can be used.");
  }
  if (inv.flags.Bool("delete-before")) opts.delete_mode = DeleteMode::kBefore;
  if (inv.flags.Bool("delete-during")) opts.delete_mode = DeleteMode::kDuring;
  if (const std::string dir = inv.flags.Get("backup-dir"); !dir.empty()) {
    CVC_ASSIGN_OR_RETURN(opts.backup, OpenFor(inv, "backup-dir", dir, holders));
    opts.backup_dir_given = true;
  } else if (!opts.suffix.empty()) {
    opts.backup = &dst;
  }
  for (const char* flag : {"compare-dest", "copy-dest"}) {
    // Repeated flags, each one path: a comma is part of it (as rclone 1.60).
    for (const std::string& dir : inv.flags.All(flag)) {
      CVC_ASSIGN_OR_RETURN(Remote * remote, OpenFor(inv, flag, dir, holders));
      (flag == std::string("compare-dest") ? opts.compare_dest : opts.copy_dest).push_back(remote);
    }
  }
  return Ok();
}

std::string FormatLocalTime(TimePoint t, bool nanos) {
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto ns = (t - secs).count();
  std::time_t tt = static_cast<std::time_t>(secs.time_since_epoch().count());
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return nanos ? fmt::format("{}.{:09d}", buf, ns) : std::string(buf);
}

std::string FormatRfc3339(TimePoint t) {
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto ns = (t - secs).count();
  std::time_t tt = static_cast<std::time_t>(secs.time_since_epoch().count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:09d}Z", buf, ns);
}

void WriteStdout(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
}

FlagSpec RawNamesFlag() {
  return {"raw-names", 0, FlagType::kBool, "",
          "Print names exactly, control characters included (default: escaped, as \\x1b)"};
}

std::string ShownName(const Invocation& inv, const std::string& name) {
  return inv.flags.Bool("raw-names") ? name : TerminalSafe(name);
}

}  // namespace cvclone
