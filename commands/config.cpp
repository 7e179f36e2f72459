// config: show / file / create / delete / dump. Secrets are never printed.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "core/log.hpp"

namespace cvclone {
namespace {

Status SubUsage(const std::string& usage) {
  return MakeError(ErrorCode::kUsage,
                   fmt::format("usage: cvclone config {}; see 'cvclone config --help'", usage));
}

Status Show(const Invocation& inv, ConfigFile& cfg) {
  if (inv.args.size() > 2) return SubUsage("show [NAME]");
  std::string only = inv.args.size() == 2 ? inv.args[1] : "";
  if (!only.empty() && !cfg.HasSection(only)) {
    return MakeError(ErrorCode::kConfig, fmt::format("remote \"{}\" not found in config file {}",
                                                     only, cfg.path()));
  }
  WriteStdout(cfg.Render(*inv.registry, true, only));
  return Ok();
}

Status Create(const Invocation& inv, ConfigFile& cfg) {
  if (inv.args.size() < 3) return SubUsage("create NAME TYPE [KEY=VALUE...]");
  std::vector<std::string> kvs(inv.args.begin() + 3, inv.args.end());
  ConfigFile updated = cfg;
  CVC_RETURN_IF_ERROR(CreateRemoteSection(updated, *inv.registry, inv.args[1], inv.args[2], kvs));
  if (inv.DryRun()) {
    log::Notice("Skipped creating remote \"{}\" in {} as --dry-run is set", inv.args[1],
                cfg.path());
    return Ok();
  }
  CVC_RETURN_IF_ERROR(updated.Save());
  cfg = std::move(updated);
  WriteStdout(cfg.Render(*inv.registry, true, inv.args[1]));
  return Ok();
}

Status Delete(const Invocation& inv, ConfigFile& cfg) {
  if (inv.args.size() != 2) return SubUsage("delete NAME");
  if (!cfg.HasSection(inv.args[1])) {
    return MakeError(ErrorCode::kConfig, fmt::format("remote \"{}\" not found in config file {}",
                                                     inv.args[1], cfg.path()));
  }
  if (inv.DryRun()) {
    log::Notice("Skipped deleting remote \"{}\" from {} as --dry-run is set", inv.args[1],
                cfg.path());
    return Ok();
  }
  cfg.DeleteSection(inv.args[1]);
  return cfg.Save();
}

Status RunConfig(const Invocation& inv) {
  const std::string& sub = inv.args[0];
  if (sub == "file") {
    if (inv.args.size() != 1) return SubUsage("file");
    WriteStdout(fmt::format("Configuration file is stored at:\n{}\n",
                            ConfigFile::DefaultPath(inv.config_flag)));
    return Ok();
  }
  CVC_ASSIGN_OR_RETURN(ConfigFile * cfg, inv.LoadConfig());
  if (sub == "show") return Show(inv, *cfg);
  if (sub == "create") return Create(inv, *cfg);
  if (sub == "delete") return Delete(inv, *cfg);
  if (sub == "dump") {
    if (inv.args.size() != 1) return SubUsage("dump");
    std::string json = cfg->DumpJson(*inv.registry);
    if (json.empty() || json.back() != '\n') json += '\n';
    WriteStdout(json);
    return Ok();
  }
  return MakeError(ErrorCode::kUsage,
                   fmt::format("unknown config subcommand \"{}\"; see 'cvclone config --help'", sub));
}

}  // namespace

Command MakeConfigCommand() {
  Command c;
  c.name = "config";
  c.short_help = "Show, create and delete remotes in the config file";
  c.usage = "config show [NAME] | file | create NAME TYPE [KEY=VALUE...] | delete NAME | dump";
  c.long_help =
      "Subcommands:\n"
      "  show [NAME]   print the config file (or one remote), secrets redacted\n"
      "  file          print the config file's path\n"
      "  create NAME TYPE [KEY=VALUE...]   add a remote and save the file\n"
      "  delete NAME   remove a remote and save the file\n"
      "  dump          print the config as JSON, secrets redacted\n\n"
      "Examples:\n"
      "  cvclone config create backup local\n"
      "  cvclone config show backup\n";
  c.min_args = 1;
  c.max_args = -1;
  c.run = RunConfig;
  return c;
}

}  // namespace cvclone
