// lsf: names only, directories with a trailing '/', for scripts. Names are shown escaped unless
// --raw-names (which a script that needs the exact bytes passes).
#include "commands/commands.hpp"
#include "commands/common.hpp"

namespace cvclone {

Command MakeLsfCommand() {
  Command c;
  c.name = "lsf";
  c.short_help = "List files and directories in a form easy to parse";
  c.usage = "lsf REMOTE:PATH [flags]";
  c.long_help =
      "Lists the entries directly inside the path, one per line; directories end in '/'.\n"
      "With -R, all levels, as paths relative to the given path.\n\n"
      "Example:\n"
      "  cvclone lsf -R backup:docs\n"
      "  letters/\n"
      "  letters/letter-1.txt\n\n"
      "Control characters in names (ESC, tab, newline, ...) are printed escaped (\\x1b, \\t,\n"
      "\\n), so that a name cannot act on the terminal; --raw-names prints names exactly, for a\n"
      "script that reads them from a pipe (a newline in a name then splits its line).\n";
  c.flags = {{"recursive", 'R', FlagType::kBool, "", "Recurse into subdirectories"},
             RawNamesFlag()};
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(Filter filter, MakeFilter(inv));
    CVC_ASSIGN_OR_RETURN(Target target, OpenTarget(inv, inv.args[0]));
    if (!target.file.empty()) {
      WriteStdout(ShownName(inv, target.file) + "\n");
      return Ok();
    }
    bool recursive = inv.flags.Bool("recursive");
    return Walk(inv.ctx, *target.remote, "", recursive, true, &filter,
                [&](const ObjectInfo& info) {
                  WriteStdout(ShownName(inv, info.path) + (info.is_dir ? "/\n" : "\n"));
                  return Ok();
                });
  };
  return c;
}

}  // namespace cvclone
