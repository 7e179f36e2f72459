// The command-line interface: the command table, the invocation each command runs with, and
// RunMain, which parses argv, handles signals, runs one command and maps its result to an exit
// code (core/error.hpp; 2 for usage errors).
//
// Each command lives in its own file and exposes `Command Make<Name>Command()`; commands/all.cpp
// is the explicit list. A command parses nothing itself: RunMain checks its flags and argument
// count, then calls run with an Invocation.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "commands/flags.hpp"
#include "core/config.hpp"
#include "core/context.hpp"
#include "core/engine/sync.hpp"
#include "core/error.hpp"
#include "core/open.hpp"
#include "core/registry.hpp"
#include "core/remote.hpp"

namespace cvclone {

struct Invocation;

struct Command {
  std::string name;
  std::string short_help;  // one line, for `cvclone help`
  std::string usage;       // after "cvclone ": "copy SOURCE DEST [flags]"
  std::string long_help;   // a description with at least one example
  std::vector<FlagSpec> flags;  // the command's own flags (global flags apply to every command)
  int min_args = 0;
  int max_args = 0;  // -1: no limit
  std::function<Status(const Invocation&)> run;
};

// Everything a command runs with. Config is loaded on first use, so commands that need none
// (version, help) work with a broken config file.
struct Invocation {
  Context ctx;
  const Command* command = nullptr;
  std::vector<std::string> args;  // positional arguments, the command name excluded
  FlagValues flags;               // global and command flags, in order
  const Registry* registry = nullptr;
  std::string config_flag;        // --config as given ("" if not)
  std::map<std::pair<std::string, std::string>, std::string> backend_flags;
  mutable std::optional<ConfigFile> config;  // cache for LoadConfig
  mutable std::optional<FilterOptions> filter_options;  // cache: --files-from - reads stdin once

  bool DryRun() const { return flags.Bool("dry-run"); }
  bool Quiet() const { return flags.Count("quiet") > 0; }

  // The config file (--config, $CVCLONE_CONFIG, default path), loaded once.
  Result<ConfigFile*> LoadConfig() const;
  // Opens a remote string with the config and backend flags. Rejects a path with a ".."
  // segment inside a non-local remote (kInvalidArgument), so nothing is reached outside it.
  Result<std::unique_ptr<Remote>> Open(const std::string& remote_string) const;
  // The engine options from the global flags (filters, compare mode, checkers, ...).
  Result<SyncOptions> MakeSyncOptions() const;
  // The filter flags as rclone reads them: --include, --include-from, --exclude,
  // --exclude-from, --filter, --filter-from rules in that order (each kind in command-line
  // order), then "- /**" if any include was given; --files-from(-raw), ages, sizes, depth.
  // kUsage on a bad value, kIo when a file cannot be read or --files-from is
  // mixed with other filters (as rclone: exit 1).
  Result<FilterOptions> MakeFilterOptions() const;
};

// The flags every command accepts (--config, -v, -q, -P, -n, filters, ...). Backend flags
// (--<type>-<option>) are added from the registry by RunMain.
const std::vector<FlagSpec>& GlobalFlags();
// The flags --<type>-<option-with-dashes> for every option of every registered backend.
std::vector<FlagSpec> BackendFlags(const Registry& registry);

// All commands, in help order (commands/all.cpp).
const std::vector<Command>& AllCommands();
const Command* FindCommand(const std::string& name);

// `cvclone CMD --help` text.
std::string CommandHelp(const Command& command);
// `cvclone help` text: commands and global flags.
std::string MainHelp();

// Runs the command line; returns the process exit code.
int RunMain(int argc, char** argv);

}  // namespace cvclone
