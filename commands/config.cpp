// config: show / file / create / delete / dump. Secrets are never printed.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "core/log.hpp"
#include "crypt/obscure.hpp"

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

bool IsObscuredOption(const Registry& registry, const std::string& type, const std::string& key) {
  const BackendInfo* backend = registry.Find(type);
  if (backend == nullptr) return false;
  for (const OptionSpec& o : backend->options) {
    if (o.name == key) return o.obscured;
  }
  return false;
}

// Obscures the value of every key=value whose option is stored obscured, as rclone's config
// create: with --obscure always, with --no-obscure never, otherwise unless the value already
// reveals (is obscured). A value that is not key=value is left for CreateRemoteSection's error.
Status ObscurePasswords(const Invocation& inv, const std::string& type,
                        std::vector<std::string>& kvs) {
  if (inv.flags.Bool("obscure") && inv.flags.Bool("no-obscure")) {
    return MakeError(ErrorCode::kUsage, "--obscure and --no-obscure cannot be used together");
  }
  for (std::string& kv : kvs) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || !IsObscuredOption(*inv.registry, type, kv.substr(0, eq))) {
      continue;
    }
    std::string value = kv.substr(eq + 1);
    bool obscure = inv.flags.Bool("obscure") ||
                   (!inv.flags.Bool("no-obscure") && !crypt::Reveal(value).has_value());
    if (!obscure || value.empty()) continue;
    CVC_ASSIGN_OR_RETURN(std::string obscured, crypt::Obscure(value));
    kv = kv.substr(0, eq + 1) + obscured;
  }
  return Ok();
}

Status Create(const Invocation& inv, ConfigFile& cfg) {
  if (inv.args.size() < 3) return SubUsage("create NAME TYPE [KEY=VALUE...]");
  std::vector<std::string> kvs(inv.args.begin() + 3, inv.args.end());
  CVC_RETURN_IF_ERROR(ObscurePasswords(inv, inv.args[2], kvs));
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
      "  create NAME TYPE [KEY=VALUE...]   add a remote and save the file; passwords are\n"
      "                stored obscured, as rclone: --obscure always obscures them, --no-obscure\n"
      "                stores them as given, by default a value that is already obscured is kept\n"
      "  delete NAME   remove a remote and save the file\n"
      "  dump          print the config as JSON, secrets redacted\n\n"
      "Examples:\n"
      "  cvclone config create backup local\n"
      "  cvclone config show backup\n";
  c.min_args = 1;
  c.max_args = -1;
  c.flags = {{"obscure", 0, FlagType::kBool, "", "create: obscure password values (default: "
                                                  "unless already obscured)"},
             {"no-obscure", 0, FlagType::kBool, "", "create: store password values as given"}};
  c.run = RunConfig;
  return c;
}

}  // namespace cvclone
