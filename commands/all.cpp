// The list of commands, in the order `cvclone help` shows them.
#include "commands/commands.hpp"

namespace cvclone {

Command MakeObscureCommand();      // obscure.cpp
Command MakeRevealCommand();       // obscure.cpp
Command MakeCryptcheckCommand();   // cryptcheck.cpp
Command MakeCryptdecodeCommand();  // cryptdecode.cpp

const std::vector<Command>& AllCommands() {
  static const std::vector<Command> kCommands = {
      MakeCopyCommand(),   MakeSyncCommand(),   MakeMoveCommand(),    MakeCheckCommand(),
      MakeCopytoCommand(), MakeMovetoCommand(), MakeLsCommand(),      MakeLslCommand(),
      MakeLsdCommand(),    MakeLsfCommand(),    MakeLsjsonCommand(),  MakeCatCommand(),  MakeRcatCommand(),
      MakeCopyurlCommand(),
      MakeLinkCommand(),
      MakeMkdirCommand(),  MakeRmdirCommand(),  MakeDeleteCommand(),  MakePurgeCommand(),
      MakeCleanupCommand(),
      MakeMountCommand(),
      MakeSizeCommand(),   MakeMd5sumCommand(), MakeSha1sumCommand(), MakeConfigCommand(),
      MakeObscureCommand(), MakeRevealCommand(), MakeCryptcheckCommand(), MakeCryptdecodeCommand(),
      MakeVersionCommand(), MakeHelpCommand(),
  };
  return kCommands;
}

}  // namespace cvclone
