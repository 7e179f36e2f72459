#include "commands/cli.hpp"

#include <fmt/format.h>
#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "commands/signals.hpp"
#include "core/engine/interactive.hpp"
#include "core/log.hpp"
#include "core/tps_limit.hpp"
#include "crypt/openssl_memory.hpp"

namespace cvclone {
namespace {

using FT = FlagType;

bool TakesValue(const FlagSpec& spec) {
  return spec.type == FT::kString || spec.type == FT::kInt || spec.type == FT::kSize ||
         spec.type == FT::kList;
}

// The index of the command name in args: the first argument that is neither a flag nor the
// value of a known value-taking flag. args.size() if none.
size_t FindCommandIndex(const std::vector<std::string>& args, const std::vector<FlagSpec>& specs) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") return i + 1;
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      if (a.find('=') != std::string::npos) continue;
      auto it = std::find_if(specs.begin(), specs.end(),
                             [&](const FlagSpec& s) { return s.name == a.substr(2); });
      if (it != specs.end() && TakesValue(*it)) ++i;
    } else if (a.size() > 1 && a[0] == '-') {
      auto it = std::find_if(specs.begin(), specs.end(),
                             [&](const FlagSpec& s) { return s.short_name == a.back(); });
      if (it != specs.end() && TakesValue(*it)) ++i;
    } else {
      return i;
    }
  }
  return args.size();
}

// The log level and destination from -v/-q/--log-level and --log-file/--use-json-log/--syslog,
// as rclone's (which refuses -v or -q together with --log-level).
Status ConfigureLog(const FlagValues& flags) {
  const bool quiet = flags.Count("quiet") > 0;
  const int verbose = flags.Count("verbose");
  if (flags.Has("log-level")) {
    if (verbose > 0) return MakeError(ErrorCode::kUsage, "Can't set -v and --log-level");
    if (quiet) return MakeError(ErrorCode::kUsage, "Can't set -q and --log-level");
    auto level = log::ParseLevel(flags.Get("log-level"));
    if (!level) return MakeError(ErrorCode::kUsage, level.error().message());
    log::SetLevel(*level);
  } else if (quiet) {
    if (verbose > 0) return MakeError(ErrorCode::kUsage, "Can't set -v and -q");
    log::SetLevel(log::Level::kError);
  } else if (verbose >= 2) {
    log::SetLevel(log::Level::kDebug);
  } else if (verbose == 1) {
    log::SetLevel(log::Level::kInfo);
  } else {
    log::SetLevel(log::Level::kNotice);
  }
  log::Destination dest;
  dest.file = flags.Get("log-file");
  dest.json = flags.Bool("use-json-log");
  dest.syslog = flags.Bool("syslog");
  dest.syslog_facility = flags.Get("syslog-facility", "DAEMON");
  if (dest.syslog && !dest.file.empty()) {
    return MakeError(ErrorCode::kUsage, "Can't use --syslog and --log-file together");
  }
  if (dest.file.empty() && !dest.json && !dest.syslog) return Ok();
  return log::Configure(dest);
}

// Global flags that set a backend option, with rclone's spellings (rclone declares these local
// options without the backend prefix): -L is --local-copy-links. The prefixed flag wins where
// both are given.
struct BackendAlias {
  const char* flag;
  const char* backend;
  const char* option;
};
constexpr BackendAlias kBackendAliases[] = {
    {"copy-links", "local", "copy_links"},
    {"links", "local", "links"},
    {"skip-links", "local", "skip_links"},
    {"one-file-system", "local", "one_file_system"},
    // rclone's global network flags; S3 is the only network backend.
    {"low-level-retries", "s3", "low_level_retries"},
    {"contimeout", "s3", "connect_timeout"},
    {"timeout", "s3", "timeout"},
};

// Backend flags given on the command line → {{type, option}, value}.
std::map<std::pair<std::string, std::string>, std::string> CollectBackendFlags(
    const Registry& registry, const FlagValues& flags) {
  std::map<std::pair<std::string, std::string>, std::string> out;
  for (const BackendAlias& alias : kBackendAliases) {
    if (flags.Has(alias.flag)) out[{alias.backend, alias.option}] = flags.Get(alias.flag);
  }
  for (const BackendInfo& b : registry.All()) {
    for (const OptionSpec& o : b.options) {
      std::string flag = b.name + "-" + o.name;
      std::replace(flag.begin(), flag.end(), '_', '-');
      if (flags.Has(flag)) out[{b.name, o.name}] = flags.Get(flag);
    }
  }
  return out;
}

// rclone exits 1 when the command line is wrong (an unknown command or flag, a bad flag value, a
// wrong number of arguments, flags that do not go together): pflag and cobra errors end in a
// fatal log. So every kUsage error exits 1 here, whether the parser or the command found it.
constexpr int kCommandLineError = exit_code::kUncategorized;


// --tpslimit N (a decimal, as rclone's) and --tpslimit-burst.
Status ConfigureTransactionLimit(const FlagValues& flags) {
  if (!flags.Has("tpslimit")) return Ok();
  const std::string text = flags.Get("tpslimit");
  char* end = nullptr;
  const double per_second = std::strtod(text.c_str(), &end);
  if (text.empty() || end == nullptr || *end != '\0' || !(per_second >= 0)) {
    return MakeError(ErrorCode::kUsage,
                     fmt::format("invalid value \"{}\" for --tpslimit: want a number", text));
  }
  const long long burst =
      flags.Has("tpslimit-burst") ? std::stoll(flags.Get("tpslimit-burst")) : 1;
  if (burst < 1 || burst > 1000000) {
    return MakeError(ErrorCode::kUsage,
                     fmt::format("invalid value {} for --tpslimit-burst: must be at least 1",
                                 burst));
  }
  SetTransactionLimit(per_second, static_cast<int>(burst));
  return Ok();
}

int UsageError(const std::string& message) {
  log::Error("{}", message);
  return kCommandLineError;
}

// Parses the command's flags and arguments and runs it.
int RunCommand(const Command& command, const std::vector<std::string>& rest,
               const Registry& registry) {
  std::vector<FlagSpec> specs = GlobalFlags();
  std::vector<FlagSpec> backend = BackendFlags(registry);
  specs.insert(specs.end(), command.flags.begin(), command.flags.end());
  specs.insert(specs.end(), backend.begin(), backend.end());
  auto parsed = ParseFlags(rest, specs, command.name);
  if (!parsed) return UsageError(parsed.error().message());
  if (parsed->flags.Bool("help")) {
    std::fputs(CommandHelp(command).c_str(), stdout);
    return exit_code::kOk;
  }
  int n = static_cast<int>(parsed->positional.size());
  if (n < command.min_args || (command.max_args >= 0 && n > command.max_args)) {
    log::Error("{}: wrong number of arguments ({} given); see 'cvclone {} --help'", command.name,
               n, command.name);
    std::fprintf(stderr, "Usage: cvclone %s\n", command.usage.c_str());
    return kCommandLineError;
  }
  if (auto st = ConfigureLog(parsed->flags); !st) {
    log::Error("{}", st.error().message());
    return ExitCodeFor(st.error());
  }
  if (auto st = ConfigureTransactionLimit(parsed->flags); !st) {
    log::Error("{}", st.error().message());
    return ExitCodeFor(st.error());
  }

  std::stop_source stop;
  Invocation inv;
  inv.ctx.stop = stop.get_token();
  inv.command = &command;
  inv.args = std::move(parsed->positional);
  inv.flags = std::move(parsed->flags);
  inv.registry = &registry;
  inv.config_flag = inv.flags.Get("config");
  inv.backend_flags = CollectBackendFlags(registry, inv.flags);

  Status status;
  {
    SignalWatcher watcher(stop);
    status = command.run(inv);
  }
  std::fflush(stdout);
  // -i's q: the user ended the run, as rclone's exits 0.
  if (status || status.error().code() == ErrorCode::kQuit) return exit_code::kOk;
  log::Error("{}", status.error().message());
  return ExitCodeFor(status.error());
}

}  // namespace

const std::vector<FlagSpec>& GlobalFlags() {
  static const std::vector<FlagSpec> kFlags = {
      {"help", 'h', FT::kBool, "", "Show help for the command"},
      {"config", 0, FT::kString, "FILE",
       "Config file (default $CVCLONE_CONFIG or "
       "~/.config/cvclone/cvclone.conf)"},
      {"verbose", 'v', FT::kCount, "", "More logging: -v each file transferred, -vv debug"},
      {"quiet", 'q', FT::kCount, "", "Errors only, no summary"},
      {"progress", 'P', FT::kBool, "", "Show a live progress line"},
      {"dry-run", 'n', FT::kBool, "", "Do a trial run: change nothing, say what would be done"},
      {"checkers", 0, FT::kInt, "N", "Parallel equality checks (default 8)"},
      {"transfers", 0, FT::kInt, "N", "Parallel file transfers (default 4)"},
      {"retries", 0, FT::kInt, "N", "Attempts per file (default 3)"},
      {"checksum", 'c', FT::kBool, "", "Compare by size and hash, not modification time"},
      {"size-only", 0, FT::kBool, "", "Compare by size only"},
      {"ignore-existing", 0, FT::kBool, "", "Skip files that exist on the destination"},
      {"update", 'u', FT::kBool, "", "Skip files that are newer on the destination"},
      {"ignore-times", 'I', FT::kBool, "", "Transfer every file, even if it looks unchanged"},
      {"max-delete", 0, FT::kInt, "N", "Delete at most N files (sync)"},
      {"include", 0, FT::kList, "GLOB", "Include files matching GLOB (repeatable)"},
      {"exclude", 0, FT::kList, "GLOB", "Exclude files matching GLOB (repeatable)"},
      {"filter", 0, FT::kList, "RULE", "A filter rule '+ GLOB' or '- GLOB' (repeatable)"},
      {"min-size", 0, FT::kSize, "SIZE", "Only files of at least SIZE (e.g. 10k, 5M)"},
      {"max-size", 0, FT::kSize, "SIZE", "Only files of at most SIZE"},
      {"error-on-no-transfer", 0, FT::kBool, "", "Exit with code 9 if nothing was transferred"},
      {"multi-thread-streams", 0, FT::kInt, "N",
       "Ranged streams per large download to local (default 4; 0 or 1: off)"},
      {"multi-thread-cutoff", 0, FT::kSize, "SIZE",
       "Downloads to local of at least SIZE use several streams (default 256Mi)"},
      {"human-readable", 0, FT::kBool, "", "Print sizes with units (ls, lsl, size)"},
      {"modify-window", 0, FT::kString, "DURATION",
       "Max time difference to be considered the same (default: the remotes' precision)"},
      {"no-traverse", 0, FT::kBool, "",
       "Accepted for rclone scripts; no effect (destination folders are listed once each)"},
      {"low-level-retries", 0, FT::kInt, "N",
       "Attempts per request for retryable failures (default 10; --s3-low-level-retries)"},
      {"contimeout", 0, FT::kString, "DURATION",
       "Connect timeout (default 1m; --s3-connect-timeout)"},
      {"timeout", 0, FT::kString, "DURATION",
       "IO idle timeout (default 5m; --s3-timeout)"},
      {"tpslimit", 0, FT::kString, "N",
       "Limit HTTP transactions per second to N (default 0: no limit)"},
      {"tpslimit-burst", 0, FT::kInt, "N", "Max burst of transactions for --tpslimit (default 1)"},
      {"fast-list", 0, FT::kBool, "",
       "Accepted for rclone scripts; no effect (S3 listings are already recursive pages)"},
      // Logging and stats (rclone's flags and formats).
      {"log-file", 0, FT::kString, "FILE", "Log to FILE (appended) instead of standard error"},
      {"log-level", 0, FT::kString, "LEVEL", "Log level DEBUG|INFO|NOTICE|ERROR (default NOTICE)"},
      {"use-json-log", 0, FT::kBool, "", "Log as JSON, one object a line"},
      {"syslog", 0, FT::kBool, "", "Log to syslog instead of standard error"},
      {"syslog-facility", 0, FT::kString, "NAME",
       "Facility for syslog, e.g. KERN, USER, DAEMON, LOCAL0 (default DAEMON)"},
      {"stats", 0, FT::kString, "DURATION",
       "Interval between printing stats in the log, 0 to disable (default 1m)"},
      {"stats-one-line", 0, FT::kBool, "", "Make the stats fit on one line"},
      {"stats-log-level", 0, FT::kString, "LEVEL",
       "Log level to show --stats output DEBUG|INFO|NOTICE|ERROR (default INFO)"},
      // Selecting files (rclone's filtering flags).
      {"include-from", 0, FT::kList, "FILE", "Read include patterns from FILE (- for stdin)"},
      {"exclude-from", 0, FT::kList, "FILE", "Read exclude patterns from FILE (- for stdin)"},
      {"filter-from", 0, FT::kList, "FILE", "Read filter rules from FILE (- for stdin)"},
      {"files-from", 0, FT::kList, "FILE", "Read the list of source files from FILE (- for stdin)"},
      {"files-from-raw", 0, FT::kList, "FILE",
       "Read the list of source files from FILE, lines taken as they are"},
      {"max-age", 0, FT::kString, "DURATION",
       "Only files younger than this (a duration such as 1d, or a date)"},
      {"min-age", 0, FT::kString, "DURATION",
       "Only files older than this (a duration such as 1d, or a date)"},
      {"exclude-if-present", 0, FT::kList, "NAME",
       "Exclude directories that hold a file of this name (repeatable)"},
      {"delete-excluded", 0, FT::kBool, "", "Delete files on dest excluded from sync"},
      {"max-depth", 0, FT::kInt, "N", "Recurse at most N levels deep (listings and transfers)"},
      {"ignore-case", 0, FT::kBool, "", "Ignore case in filters (case insensitive)"},
      // Local paths and symbolic links (rclone's flags; the same as --local-copy-links etc.).
      {"copy-links", 'L', FT::kBool, "",
       "Follow symlinks in local paths, reading and writing through them"},
      {"links", 'l', FT::kBool, "",
       "Copy symlinks in local paths as NAME.rclonelink files holding the link's target"},
      {"skip-links", 0, FT::kBool, "", "Don't warn about skipped local symlinks"},
      {"one-file-system", 'x', FT::kBool, "",
       "Don't cross filesystem boundaries in local listings"},
  };
  return kFlags;
}

std::vector<FlagSpec> BackendFlags(const Registry& registry) {
  std::vector<FlagSpec> flags;
  for (const BackendInfo& b : registry.All()) {
    for (const OptionSpec& o : b.options) {
      std::string name = b.name + "-" + o.name;
      std::replace(name.begin(), name.end(), '_', '-');
      // Boolean options (default true/false) take no value: --local-no-fsync, as rclone.
      const bool boolean = o.default_value == "true" || o.default_value == "false";
      flags.push_back({name, 0, boolean ? FT::kBool : FT::kString, boolean ? "" : "VALUE", o.help});
    }
  }
  return flags;
}

const Command* FindCommand(const std::string& name) {
  for (const Command& c : AllCommands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

int RunMain(int argc, char** argv) {
  // First, before anything allocates through OpenSSL (see the header), so that a crypt remote's
  // key derivation gets its block mapped at once. Too late only if a library did already; then
  // as before.
  (void)crypt::InstallOpenSslAllocator();
  // Memory a file's buffers free is kept for the next file instead of going back to the kernel
  // and faulting in again. With glibc's defaults (memory above 128 KiB at the top of a heap is
  // trimmed), each small file gives its buffers back with madvise(MADV_DONTNEED) and faults
  // them in again, most of a small-file copy's system time. glibc raises its thresholds to
  // about these values by itself once a large block is freed; here they hold from the start.
  (void)::mallopt(M_MMAP_THRESHOLD, 16 << 20);
  (void)::mallopt(M_TRIM_THRESHOLD, 32 << 20);
  BlockStopSignals();
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  Registry& registry = Registry::Global();
  if (registry.All().empty()) RegisterAllBackends(registry);
  std::vector<FlagSpec> specs = GlobalFlags();
  std::vector<FlagSpec> backend = BackendFlags(registry);
  specs.insert(specs.end(), backend.begin(), backend.end());

  size_t index = FindCommandIndex(args, specs);
  // -V/--version before any command, as rclone's.
  for (size_t i = 0; i < std::min(index, args.size()); ++i) {
    if (args[i] == "-V" || args[i] == "--version") {
      return RunCommand(*FindCommand("version"), {}, registry);
    }
  }
  if (index >= args.size()) {
    auto parsed = ParseFlags(args, specs, "");
    if (!parsed) return UsageError(parsed.error().message());
    if (parsed->flags.Bool("help")) {
      std::fputs(MainHelp().c_str(), stdout);
      return exit_code::kOk;
    }
    return UsageError("no command given; see 'cvclone help'");
  }
  const Command* command = FindCommand(args[index]);
  if (command == nullptr) {
    return UsageError(fmt::format("unknown command \"{}\"; see 'cvclone help'", args[index]));
  }
  std::vector<std::string> rest(args.begin(), args.begin() + static_cast<long>(index));
  // A "--" before the command stays last in rest, so what follows the command is positional.
  rest.insert(rest.end(), args.begin() + static_cast<long>(index) + 1, args.end());
  return RunCommand(*command, rest, registry);
}

}  // namespace cvclone
