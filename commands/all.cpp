// The list of commands, in the order `cvclone help` shows them.
#include "commands/commands.hpp"

namespace cvclone {

const std::vector<Command>& AllCommands() {
  static const std::vector<Command> kCommands = {
      MakeCopyCommand(),   MakeSyncCommand(),   MakeMoveCommand(),    MakeCheckCommand(),
      MakeCopytoCommand(), MakeMovetoCommand(), MakeLsCommand(),      MakeLslCommand(),
      MakeLsdCommand(),    MakeLsfCommand(),    MakeLsjsonCommand(),  MakeCatCommand(),  MakeRcatCommand(),
      MakeMkdirCommand(),  MakeRmdirCommand(),  MakeDeleteCommand(),  MakePurgeCommand(),
      MakeSizeCommand(),   MakeMd5sumCommand(), MakeSha1sumCommand(), MakeConfigCommand(),
      MakeVersionCommand(), MakeHelpCommand(),
  };
  return kCommands;
}

}  // namespace cvclone
