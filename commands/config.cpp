// config: show / file / create / update / password / delete / dump, and the interactive menu
// without a subcommand (config_menu.cpp). Secrets are never printed.
#include <fmt/format.h>

#include <iostream>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "commands/config_menu.hpp"
#include "core/open.hpp"
#include "core/config.hpp"
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
  if (!only.empty() && !cfg.HasSection(only)) return Unexpected(UnknownRemoteError(cfg, only));
  WriteStdout(cfg.Render(*inv.registry, true, only));
  return Ok();
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
                   (!inv.flags.Bool("no-obscure") && !Reveal(value).has_value());
    if (!obscure || value.empty()) continue;
    CVC_ASSIGN_OR_RETURN(std::string obscured, Obscure(value));
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
  if (!cfg.HasSection(inv.args[1])) return Unexpected(UnknownRemoteError(cfg, inv.args[1]));
  if (inv.DryRun()) {
    log::Notice("Skipped deleting remote \"{}\" from {} as --dry-run is set", inv.args[1],
                cfg.path());
    return Ok();
  }
  cfg.DeleteSection(inv.args[1]);
  return cfg.Save();
}

// The KEY VALUE / KEY=VALUE arguments of update and password (rclone's syntax: an argument
// holding '=' is a pair, any other is a key whose value is the next argument) as key=value.
Result<std::vector<std::string>> KeyValuePairs(const std::vector<std::string>& args,
                                               const std::string& usage) {
  std::vector<std::string> kvs;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].find('=') != std::string::npos) {
      kvs.push_back(args[i]);
    } else if (i + 1 < args.size()) {
      kvs.push_back(args[i] + "=" + args[i + 1]);
      ++i;
    } else {
      return MakeError(ErrorCode::kUsage,
                       fmt::format("found key \"{}\" without value; usage: cvclone config {}",
                                   args[i], usage));
    }
  }
  if (kvs.empty()) return Unexpected(SubUsage(usage).error());
  return kvs;
}

// update and password: sets keys of an existing remote (one its backend does not know is stored
// with a notice, as rclone stores it), and prints the remote (secrets redacted) as rclone does. password obscures every value and takes
// only options stored obscured; update obscures as create does.
Status Update(const Invocation& inv, ConfigFile& cfg, bool passwords) {
  const std::string usage = passwords ? "password NAME KEY VALUE [KEY VALUE...]"
                                      : "update NAME KEY VALUE [KEY VALUE...]";
  if (inv.args.size() < 2) return SubUsage(usage);
  const std::string& name = inv.args[1];
  CVC_ASSIGN_OR_RETURN(std::vector<std::string> kvs,
                       KeyValuePairs({inv.args.begin() + 2, inv.args.end()}, usage));
  if (!cfg.HasSection(name)) return Unexpected(UnknownRemoteError(cfg, name));
  const std::string type = cfg.Get(name, "type").value_or("");
  const BackendInfo* backend = inv.registry->Find(type);
  if (backend == nullptr) {
    return MakeError(ErrorCode::kConfig,
                     fmt::format("remote \"{}\" has unknown backend type \"{}\"", name, type));
  }
  ConfigFile updated = cfg;
  for (std::string& kv : kvs) {
    const size_t eq = kv.find('=');
    const std::string key = kv.substr(0, eq);
    std::string value = kv.substr(eq + 1);
    const bool known = backend->FindOption(key) != nullptr || (backend->wrapper && key == "remote");
    if (key.empty()) return MakeError(ErrorCode::kConfig, "an option name is empty");
    if (key == "type") {
      return MakeError(ErrorCode::kConfig,
                       "the type of a remote cannot be updated; delete it and create it again");
    }
    if (!known && !passwords) {
      // Stored all the same, as rclone does: the file may be shared with rclone, which may
      // know the option.
      log::Notice("remote \"{}\": unknown option \"{}\" for backend \"{}\" (stored as given)",
                  name, key, type);
    }
    if (passwords) {
      if (!IsObscuredOption(*inv.registry, type, key)) {
        return MakeError(ErrorCode::kConfig,
                         fmt::format("option \"{}\" of backend \"{}\" is not a password; use "
                                     "'cvclone config update'",
                                     key, type));
      }
      if (!value.empty()) {
        CVC_ASSIGN_OR_RETURN(value, Obscure(value));
      }
      kv = key + "=" + value;
    }
  }
  if (!passwords) CVC_RETURN_IF_ERROR(ObscurePasswords(inv, type, kvs));
  for (const std::string& kv : kvs) {
    const size_t eq = kv.find('=');
    updated.Set(name, kv.substr(0, eq), kv.substr(eq + 1));
  }
  if (inv.DryRun()) {
    log::Notice("Skipped updating remote \"{}\" in {} as --dry-run is set", name, cfg.path());
    return Ok();
  }
  CVC_RETURN_IF_ERROR(updated.Save());
  cfg = std::move(updated);
  WriteStdout(cfg.Render(*inv.registry, true, name));
  return Ok();
}

Status RunConfig(const Invocation& inv) {
  if (inv.args.empty()) {
    CVC_ASSIGN_OR_RETURN(ConfigFile * cfg, inv.LoadConfig());
    return RunConfigMenu(inv, *cfg, std::cin);
  }
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
  if (sub == "update") return Update(inv, *cfg, false);
  if (sub == "password") return Update(inv, *cfg, true);
  if (sub == "dump") {
    if (inv.args.size() != 1) return SubUsage("dump");
    std::string json = cfg->DumpJson(*inv.registry);
    if (json.empty() || json.back() != '\n') json += '\n';
    WriteStdout(json);
    return Ok();
  }
  return MakeError(
      ErrorCode::kUsage,
      fmt::format("unknown config subcommand \"{}\"; see 'cvclone config --help'", sub));
}

}  // namespace

Command MakeConfigCommand() {
  Command c;
  c.name = "config";
  c.short_help = "Enter an interactive configuration session, or edit the config file";
  c.usage =
      "config [show [NAME] | file | create NAME TYPE [KEY=VALUE...] | update NAME KEY VALUE... | "
      "password NAME KEY VALUE... | delete NAME | dump]";
  c.long_help =
      "Without a subcommand, a menu as rclone's: n) new remote, e) edit, d) delete,\n"
      "r) rename, c) copy, q) quit. Answers are read a line at a time from standard input,\n"
      "so a script can give them; each change is saved at once.\n\n"
      "Subcommands:\n"
      "  show [NAME]   print the config file (or one remote), secrets redacted\n"
      "  file          print the config file's path\n"
      "  create NAME TYPE [KEY=VALUE...]   add a remote and save the file; passwords are\n"
      "                stored obscured, as rclone: --obscure always obscures them, --no-obscure\n"
      "                stores them as given, by default a value that is already obscured is kept\n"
      "  update NAME KEY VALUE [KEY VALUE...]   set options of an existing remote (KEY=VALUE\n"
      "                works too); passwords are obscured as by create\n"
      "  password NAME KEY VALUE [KEY VALUE...]   set password options of a remote, given in\n"
      "                clear and stored obscured\n"
      "  delete NAME   remove a remote and save the file\n"
      "  dump          print the config as JSON, secrets redacted\n\n"
      "Examples:\n"
      "  cvclone config create backup local\n"
      "  cvclone config update backup links true\n"
      "  cvclone config password secret password hunter2\n"
      "  cvclone config show backup\n";
  c.min_args = 0;
  c.max_args = -1;
  c.flags = {{"obscure", 0, FlagType::kBool, "", "create, update: obscure password values "
                                                  "(default: unless already obscured)"},
             {"no-obscure", 0, FlagType::kBool, "",
              "create, update: store password values as given"}};
  c.run = RunConfig;
  return c;
}

}  // namespace cvclone
