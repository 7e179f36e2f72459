// help: the command list, one command's help, and the registered backends.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "commands/common.hpp"

namespace cvclone {
namespace {

std::string FlagTable(const std::vector<FlagSpec>& flags) {
  std::string out;
  for (const FlagSpec& f : flags) out += fmt::format("  {:<30} {}\n", FlagSynopsis(f), f.help);
  return out;
}

std::string BackendsHelp(const Registry& registry) {
  std::string out = "Backends:\n";
  for (const BackendInfo& b : registry.All()) {
    out += fmt::format("\n  {}: {}\n", b.name, b.description);
    for (const OptionSpec& o : b.options) {
      std::string flag = b.name + "-" + o.name;
      std::replace(flag.begin(), flag.end(), '_', '-');
      out += fmt::format("    {:<24} {}{}{}{}\n", o.name, o.help,
                         o.default_value.empty() ? "" : " (default " + o.default_value + ")",
                         o.required ? " [required]" : "", o.secret ? " [secret]" : "");
      out += fmt::format("    {:<24} flag --{}\n", "", flag);
    }
  }
  return out;
}

}  // namespace

std::string CommandHelp(const Command& command) {
  std::string out = fmt::format("{}\n\nUsage:\n  cvclone {}\n\n{}", command.short_help,
                                command.usage, command.long_help);
  if (!command.flags.empty()) out += "\nFlags:\n" + FlagTable(command.flags);
  out += "\nGlobal flags:\n" + FlagTable(GlobalFlags());
  out +=
      "\nBackend options are flags too: --<backend>-<option> VALUE (see 'cvclone help "
      "backends').\n";
  return out;
}

std::string MainHelp() {
  std::string out =
      "cvclone: copy, sync and check files between local folders and cloud storage.\n\n"
      "Usage:\n  cvclone COMMAND [flags] [arguments]\n\nCommands:\n";
  for (const Command& c : AllCommands()) out += fmt::format("  {:<10} {}\n", c.name, c.short_help);
  out += "\nGlobal flags:\n" + FlagTable(GlobalFlags());
  out +=
      "\nBackend options are flags too: --<backend>-<option> VALUE (see 'cvclone help "
      "backends').\nUse 'cvclone COMMAND --help' for more about a command.\n";
  return out;
}

Command MakeHelpCommand() {
  Command c;
  c.name = "help";
  c.short_help = "Show help for cvclone, a command, or the backends";
  c.usage = "help [COMMAND | backends]";
  c.long_help =
      "Without an argument, lists the commands and global flags. With a command name,\n"
      "shows that command's help; 'help backends' lists the backends and their options.\n\n"
      "Examples:\n"
      "  cvclone help copy\n"
      "  cvclone help backends\n";
  c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    if (inv.args.empty()) {
      WriteStdout(MainHelp());
      return Ok();
    }
    if (inv.args[0] == "backends") {
      WriteStdout(BackendsHelp(*inv.registry));
      return Ok();
    }
    const Command* command = FindCommand(inv.args[0]);
    if (command == nullptr) {
      return MakeError(ErrorCode::kUsage,
                       fmt::format("unknown command \"{}\"; see 'cvclone help'", inv.args[0]));
    }
    WriteStdout(CommandHelp(*command));
    return Ok();
  };
  return c;
}

}  // namespace cvclone
