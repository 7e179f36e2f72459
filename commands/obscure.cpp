// obscure / reveal: the reversible obfuscation rclone uses for passwords in its config file
// (core/config.hpp), so a crypt section can be written by hand or pasted from an rclone.conf.
#include <iostream>
#include <string>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "core/config.hpp"

namespace cvclone {

Command MakeObscureCommand() {
  Command c;
  c.name = "obscure";
  c.short_help = "Obscure a password for use in the config file";
  c.usage = "obscure PASSWORD [flags]";
  c.long_help =
      "Prints PASSWORD obscured as rclone stores it in a config file (`password = ...`).\n"
      "With \"-\" as PASSWORD, one line is read from standard input instead, so the\n"
      "password does not appear in the process list or the shell history. Obscuring is\n"
      "not encryption: anyone with the config file can reveal it.\n\n"
      "Examples:\n"
      "  cvclone obscure 'my secret'\n"
      "  pass show cloud | cvclone obscure -\n";
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    std::string plain = inv.args[0];
    if (plain == "-") {
      plain.clear();
      std::getline(std::cin, plain);
      if (!plain.empty() && plain.back() == '\r') plain.pop_back();
    }
    CVC_ASSIGN_OR_RETURN(std::string obscured, Obscure(plain));
    WriteStdout(obscured + "\n");
    return Ok();
  };
  return c;
}

Command MakeRevealCommand() {
  Command c;
  c.name = "reveal";
  c.short_help = "Reveal an obscured password";
  c.usage = "reveal OBSCURED [flags]";
  c.long_help =
      "Prints the clear text of a value written by `cvclone obscure` or `rclone obscure`.\n\n"
      "Example:\n"
      "  cvclone reveal YWFhYWFhYWFhYWFhYWFhYXMaGgIlEQ\n";
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(std::string plain, Reveal(inv.args[0]));
    WriteStdout(plain + "\n");
    return Ok();
  };
  return c;
}

}  // namespace cvclone
