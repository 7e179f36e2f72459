// listremotes: the remotes of the config file, as rclone lists them.
#include <fmt/format.h>

#include <algorithm>

#include "commands/commands.hpp"
#include "commands/common.hpp"

namespace cvclone {

Command MakeListremotesCommand() {
  Command c;
  c.name = "listremotes";
  c.short_help = "List all the remotes in the config file";
  c.usage = "listremotes [flags]";
  c.long_help =
      "Lists the remotes of the config file, one \"name:\" a line, sorted by name. With\n"
      "--long, each is followed by its type, the names padded to one width.\n\n"
      "Example:\n"
      "  cvclone listremotes --long\n";
  c.flags = {{"long", 0, FlagType::kBool, "", "Show the type as well as names"}};
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(ConfigFile * cfg, inv.LoadConfig());
    std::vector<std::string> names = cfg->Sections();
    std::sort(names.begin(), names.end());
    size_t width = 0;
    for (const std::string& n : names) width = std::max(width, n.size() + 1);
    std::string out;
    for (const std::string& n : names) {
      const std::string shown = ShownName(inv, n) + ":";
      if (inv.flags.Bool("long")) {
        out += fmt::format("{:<{}} {}\n", shown, width,
                           ShownName(inv, cfg->Get(n, "type").value_or("")));
      } else {
        out += shown + "\n";
      }
    }
    WriteStdout(out);
    return Ok();
  };
  return c;
}

}  // namespace cvclone
