// Invocation: config loading, remote opening and engine options from the global flags.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>

#include "commands/cli.hpp"
#include "commands/commands.hpp"
#include "core/engine/filter.hpp"
#include "core/log.hpp"
#include "core/remote_spec.hpp"

namespace cvclone {
namespace {

// A path inside a non-local remote must not climb out of it.
Status CheckInsidePath(const RemoteSpec& spec, const std::string& text) {
  if (spec.kind == RemoteSpec::Kind::kLocal) return Ok();
  size_t start = 0;
  const std::string& path = spec.path;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (path.compare(start, end - start, "..") == 0 && end - start == 2) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("invalid path in \"{}\": \"..\" is not allowed in a remote "
                                   "path",
                                   text));
    }
    start = end + 1;
  }
  return Ok();
}

Result<int> IntFlag(const FlagValues& flags, const std::string& name, int fallback, int min) {
  if (!flags.Has(name)) return fallback;
  long long v = std::stoll(flags.Get(name));  // validated by the flag parser
  if (v < min || v > 1000000) {
    return MakeError(ErrorCode::kUsage,
                     fmt::format("invalid value {} for --{}: must be at least {}", v, name, min));
  }
  return static_cast<int>(v);
}

// The lines of a rules or file list (rclone's forEachLine): "-" is standard input. Unless raw,
// each line is trimmed, and empty lines and those starting with '#' or ';' are skipped.
Result<std::vector<std::string>> ReadLines(const std::string& file, bool raw) {
  std::ifstream in;
  if (file != "-") {
    in.open(file);
    if (!in) {
      return MakeError(ErrorCode::kIo, fmt::format("failed to load filters: open {}: {}", file,
                                                   std::strerror(errno)));
    }
  }
  std::istream& stream = file == "-" ? std::cin : in;
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(stream, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!raw) {
      const size_t b = line.find_first_not_of(" \t\v\f");
      const size_t e = line.find_last_not_of(" \t\v\f");
      line = b == std::string::npos ? "" : line.substr(b, e - b + 1);
      if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    }
    lines.push_back(line);
  }
  return lines;
}

// The longest --max-age/--min-age duration: rclone takes any.
constexpr std::chrono::milliseconds kLongestAge = std::chrono::hours(24 * 365) * 1000000;

// Ages beyond this are taken as "older than any file": a TimePoint reaches back to 1678 only.
constexpr std::chrono::milliseconds kOldestAge = std::chrono::hours(24 * 365) * 250;

// --min-size/--max-size: rclone's unit for a bare number is KiB ("--min-size 3" is 3 KiB).
Result<int64_t> FilterSize(const std::string& text) {
  const bool bare = !text.empty() && text.find_first_not_of("0123456789.") == std::string::npos;
  return ParseSize(bare ? text + "Ki" : text);
}

// --max-age/--min-age: a duration back from now, or a date/time in local time (rclone's
// formats: "2006-01-02", "2006-01-02 15:04:05", "2006-01-02T15:04:05", RFC 3339).
Result<TimePoint> ParseAgeFlag(const std::string& text, const std::string& flag) {
  const auto now =
      std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  if (auto d = ParseDurationFlagMs(text, flag, std::chrono::milliseconds(0), kLongestAge)) {
    // Beyond what a TimePoint holds back from now (to 1678): older than any file.
    if (*d > kOldestAge) return TimePoint::min();
    return now - *d;
  }
  for (const char* format : {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"}) {
    std::tm tm{};
    const char* end = ::strptime(text.c_str(), format, &tm);
    if (end == nullptr) continue;
    std::string rest(end);
    std::time_t t = 0;
    if (rest.empty()) {
      tm.tm_isdst = -1;
      t = std::mktime(&tm);
    } else if (rest == "Z" ||
               ((rest[0] == '+' || rest[0] == '-') && rest.size() == 6 && rest[3] == ':')) {
      t = ::timegm(&tm);
      if (rest != "Z") {
        const long offset = (std::stol(rest.substr(1, 2)) * 60 + std::stol(rest.substr(4, 2))) * 60;
        t -= rest[0] == '+' ? offset : -offset;
      }
    } else {
      continue;
    }
    return TimePoint(std::chrono::seconds(t));
  }
  return MakeError(ErrorCode::kUsage,
                   fmt::format("invalid value \"{}\" for --{}: want a duration such as 1d or "
                               "2h30m, or a date such as 2006-01-02 or 2006-01-02 15:04:05",
                               text, flag));
}

}  // namespace

Result<ConfigFile*> Invocation::LoadConfig() const {
  if (!config) {
    CVC_ASSIGN_OR_RETURN(ConfigFile loaded, ConfigFile::Load(ConfigFile::DefaultPath(config_flag)));
    config = std::move(loaded);
  }
  return &*config;
}

Result<std::unique_ptr<Remote>> Invocation::Open(const std::string& remote_string) const {
  CVC_ASSIGN_OR_RETURN(RemoteSpec spec, ParseRemoteOrLocalPath(remote_string));
  CVC_RETURN_IF_ERROR(CheckInsidePath(spec, remote_string));
  CVC_ASSIGN_OR_RETURN(ConfigFile * cfg, LoadConfig());
  // A remote name that is neither in the file nor in the environment: say which file was read
  // (and that it is missing) and suggest a close name.
  if (spec.kind == RemoteSpec::Kind::kSection && !cfg->HasSection(spec.name)) {
    const char* type = std::getenv(ConfigEnvName(spec.name, "type").c_str());
    if (type == nullptr || *type == '\0') return Unexpected(UnknownRemoteError(*cfg, spec.name));
  }
  OpenEnv env;
  env.config = cfg;
  env.backend_flags = backend_flags;
  env.registry = registry;
  return NewRemote(ctx, remote_string, env);
}

Result<SyncOptions> Invocation::MakeSyncOptions() const {
  SyncOptions opts;
  CVC_ASSIGN_OR_RETURN(opts.checkers, IntFlag(flags, "checkers", opts.checkers, 1));
  CVC_ASSIGN_OR_RETURN(opts.transfers, IntFlag(flags, "transfers", opts.transfers, 1));
  CVC_ASSIGN_OR_RETURN(opts.retries, IntFlag(flags, "retries", opts.retries, 1));
  if (flags.Has("max-delete")) {
    CVC_ASSIGN_OR_RETURN(opts.max_delete, IntFlag(flags, "max-delete", -1, 0));
  }
  opts.dry_run = DryRun();
  if (flags.Bool("checksum")) opts.compare = CompareMode::kChecksum;
  if (flags.Bool("size-only")) opts.compare = CompareMode::kSizeOnly;
  opts.ignore_existing = flags.Bool("ignore-existing");
  opts.update = flags.Bool("update");
  opts.ignore_times = flags.Bool("ignore-times");
  opts.error_on_no_transfer = flags.Bool("error-on-no-transfer");
  CVC_ASSIGN_OR_RETURN(opts.multi_thread_streams,
                       IntFlag(flags, "multi-thread-streams", opts.multi_thread_streams, 0));
  if (flags.Has("multi-thread-cutoff")) {
    CVC_ASSIGN_OR_RETURN(opts.multi_thread_cutoff, ParseSize(flags.Get("multi-thread-cutoff")));
  }
  if (flags.Has("modify-window")) {
    CVC_ASSIGN_OR_RETURN(std::chrono::milliseconds window,
                         ParseDurationFlagMs(flags.Get("modify-window"), "modify-window",
                                             std::chrono::milliseconds(0)));
    opts.modify_window = std::max<std::chrono::nanoseconds>(window, std::chrono::nanoseconds(1));
  }
  CVC_ASSIGN_OR_RETURN(opts.filter, MakeFilterOptions());
  opts.delete_excluded = flags.Bool("delete-excluded");
  return opts;
}

Result<FilterOptions> Invocation::MakeFilterOptions() const {
  if (filter_options) return *filter_options;
  FilterOptions f;
  for (const std::string& v : flags.All("include")) f.rules.push_back("+ " + v);
  for (const std::string& file : flags.All("include-from")) {
    CVC_ASSIGN_OR_RETURN(std::vector<std::string> lines, ReadLines(file, false));
    for (const std::string& l : lines) f.rules.push_back("+ " + l);
  }
  const bool include = !f.rules.empty() || flags.Has("include-from");
  for (const std::string& v : flags.All("exclude")) f.rules.push_back("- " + v);
  for (const std::string& file : flags.All("exclude-from")) {
    CVC_ASSIGN_OR_RETURN(std::vector<std::string> lines, ReadLines(file, false));
    for (const std::string& l : lines) f.rules.push_back("- " + l);
  }
  if (include && (flags.Has("exclude") || flags.Has("exclude-from"))) {
    log::Error(
        "Using --filter is recommended instead of both --include and --exclude as the "
        "order they are parsed in is indeterminate");
  }
  for (const std::string& v : flags.All("filter")) f.rules.push_back(v);
  for (const std::string& file : flags.All("filter-from")) {
    CVC_ASSIGN_OR_RETURN(std::vector<std::string> lines, ReadLines(file, false));
    f.rules.insert(f.rules.end(), lines.begin(), lines.end());
  }
  if (flags.Has("min-size")) {
    CVC_ASSIGN_OR_RETURN(f.min_size, FilterSize(flags.Get("min-size")));
  }
  if (flags.Has("max-size")) {
    CVC_ASSIGN_OR_RETURN(f.max_size, FilterSize(flags.Get("max-size")));
  }
  if (flags.Has("max-age")) {
    CVC_ASSIGN_OR_RETURN(f.modified_after, ParseAgeFlag(flags.Get("max-age"), "max-age"));
  }
  if (flags.Has("min-age")) {
    CVC_ASSIGN_OR_RETURN(f.modified_before, ParseAgeFlag(flags.Get("min-age"), "min-age"));
  }
  if (flags.Has("files-from") || flags.Has("files-from-raw")) {
    // As rclone: the list alone decides, so other filters would silently do nothing.
    if (!f.rules.empty() || f.min_size >= 0 || f.max_size >= 0 || f.modified_after ||
        f.modified_before) {
      // rclone exits 1 here (an uncategorised error), not 2.
      return MakeError(ErrorCode::kIo,
                       "failed to load filters: the usage of --files-from overrides all other "
                       "filters, it should be used alone or with --files-from-raw");
    }
    std::vector<std::string> files;
    for (const auto& [name, value] : flags.occurrences()) {
      if (name != "files-from" && name != "files-from-raw") continue;
      CVC_ASSIGN_OR_RETURN(std::vector<std::string> lines,
                           ReadLines(value, name == "files-from-raw"));
      for (std::string& l : lines) {
        const size_t b = l.find_first_not_of('/');
        const size_t e = l.find_last_not_of('/');
        files.push_back(b == std::string::npos ? "" : l.substr(b, e - b + 1));
      }
    }
    f.files = std::move(files);
  }
  if (include) f.rules.push_back("- /**");
  if (flags.Has("max-depth")) {
    CVC_ASSIGN_OR_RETURN(f.max_depth, IntFlag(flags, "max-depth", -1, -1));
  }
  f.exclude_if_present = flags.All("exclude-if-present");
  f.ignore_case = flags.Bool("ignore-case");
  auto filter = Filter::Make(f);
  if (!filter) return MakeError(ErrorCode::kUsage, filter.error().message());
  filter_options = f;
  return f;
}

}  // namespace cvclone
