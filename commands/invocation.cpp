// Invocation: config loading, remote opening and engine options from the global flags.
#include <fmt/format.h>

#include "commands/cli.hpp"
#include "core/engine/filter.hpp"
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
  for (const auto& [name, value] : flags.occurrences()) {
    if (name == "include") opts.filter.rules.push_back("+ " + value);
    if (name == "exclude") opts.filter.rules.push_back("- " + value);
    if (name == "filter") opts.filter.rules.push_back(value);
  }
  if (flags.Has("min-size")) {
    CVC_ASSIGN_OR_RETURN(opts.filter.min_size, ParseSize(flags.Get("min-size")));
  }
  if (flags.Has("max-size")) {
    CVC_ASSIGN_OR_RETURN(opts.filter.max_size, ParseSize(flags.Get("max-size")));
  }
  auto filter = Filter::Make(opts.filter);
  if (!filter) return MakeError(ErrorCode::kUsage, filter.error().message());
  return opts;
}

}  // namespace cvclone
