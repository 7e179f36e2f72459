// help: the command list, one command's help, and the registered backends.
#include <fmt/format.h>

#include <algorithm>

#include "commands/commands.hpp"
#include "commands/common.hpp"

namespace cvclone {
namespace {

// Help lines fit 80 columns, as rclone's do.
constexpr size_t kHelpWidth = 80;
constexpr size_t kHelpColumn = 33;  // where a flag's help starts

// One flag a line: its synopsis, then its help from kHelpColumn, wrapped at spaces onto
// lines indented as far (a synopsis too long for its column gets a line of its own).
std::string FlagTable(const std::vector<FlagSpec>& flags) {
  std::string out;
  for (const FlagSpec& f : flags) {
    std::string line = fmt::format("  {:<30} ", FlagSynopsis(f));
    if (line.size() > kHelpColumn) {
      out += line.substr(0, line.find_last_not_of(' ') + 1) + "\n";
      line = std::string(kHelpColumn, ' ');
    }
    size_t start = 0;
    const std::string& help = f.help;
    while (start < help.size()) {
      const size_t room = kHelpWidth - kHelpColumn;
      size_t end = help.size();
      if (end - start > room) {
        const size_t space = help.rfind(' ', start + room);
        end = space == std::string::npos || space <= start ? start + room : space;
      }
      line += help.substr(start, end - start);
      out += line + "\n";
      line = std::string(kHelpColumn, ' ');
      start = end;
      while (start < help.size() && help[start] == ' ') ++start;
    }
    if (help.empty()) out += line.substr(0, line.find_last_not_of(' ') + 1) + "\n";
  }
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

// text with every line longer than kHelpWidth broken at its last space that fits, the rest
// indented as the line was, or by hang if more (a word longer than the width is left whole).
std::string FitLines(const std::string& text, size_t hang = 0) {
  std::string out;
  for (size_t start = 0; start < text.size();) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(start, nl - start);
    const std::string indent(std::max(hang, std::min(line.find_first_not_of(' '), line.size())),
                             ' ');
    while (line.size() > kHelpWidth) {
      const size_t space = line.rfind(' ', kHelpWidth);
      if (space == std::string::npos || space <= indent.size()) break;
      out += line.substr(0, line.find_last_not_of(' ', space) + 1) + "\n";
      const size_t next = line.find_first_not_of(' ', space);
      line = next == std::string::npos ? "" : indent + line.substr(next);
    }
    out += line;
    if (nl < text.size()) out += '\n';
    start = nl + 1;
  }
  return out;
}

}  // namespace

std::string CommandHelp(const Command& command) {
  std::string out = fmt::format("{}\n\nUsage:\n{}\n\n{}", command.short_help,
                                FitLines("  cvclone " + command.usage, 4),
                                FitLines(command.long_help));
  if (!command.flags.empty()) out += "\nFlags:\n" + FlagTable(command.flags);
  out += "\nGlobal flags:\n" + FlagTable(GlobalFlags());
  out +=
      "\nBackend options are flags too: --<backend>-<option> VALUE\n(see 'cvclone help "
      "backends').\n";
  return out;
}

std::string MainHelp() {
  std::string out =
      "cvclone: copy, sync and check files between local folders and cloud storage.\n\n"
      "Usage:\n  cvclone COMMAND [flags] [arguments]\n\nCommands:\n";
  for (const Command& c : AllCommands()) {
    out += FitLines(fmt::format("  {:<10} {}", c.name, c.short_help), 13) + "\n";
  }
  out += "\nGlobal flags:\n" + FlagTable(GlobalFlags());
  out +=
      "\nBackend options are flags too: --<backend>-<option> VALUE\n(see 'cvclone help "
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
