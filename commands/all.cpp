// The list of commands, in the order `cvclone help` shows them.
#include "commands/commands.hpp"

namespace cvclone {

Command MakeObscureCommand();      // obscure.cpp
Command MakeRevealCommand();       // obscure.cpp
Command MakeCryptcheckCommand();   // cryptcheck.cpp
Command MakeCryptdecodeCommand();  // cryptdecode.cpp
Command MakeListremotesCommand();  // listremotes.cpp
Command MakeTouchCommand();        // touch.cpp
Command MakeDeletefileCommand();   // touch.cpp
Command MakeRmdirsCommand();       // rmdirs.cpp
Command MakeTreeCommand();         // tree.cpp
Command MakeAboutCommand();        // about.cpp
Command MakeCompletionCommand();   // completion.cpp

const std::vector<Command>& AllCommands() {
  static const std::vector<Command> kCommands = {
      MakeCopyCommand(),   MakeSyncCommand(),   MakeMoveCommand(),    MakeCheckCommand(),
      MakeCopytoCommand(), MakeMovetoCommand(), MakeLsCommand(),      MakeLslCommand(),
      MakeLsdCommand(),    MakeLsfCommand(),    MakeLsjsonCommand(),  MakeCatCommand(),  MakeRcatCommand(),
      MakeCopyurlCommand(), MakeTreeCommand(),
      MakeLinkCommand(),
      MakeMkdirCommand(),  MakeRmdirCommand(),  MakeDeleteCommand(),  MakePurgeCommand(),
      MakeRmdirsCommand(), MakeDeletefileCommand(), MakeTouchCommand(),
      MakeCleanupCommand(),
      MakeMountCommand(),
      MakeSizeCommand(),   MakeAboutCommand(),
      MakeMd5sumCommand(), MakeSha1sumCommand(), MakeSha256sumCommand(), MakeHashsumCommand(),
      MakeConfigCommand(), MakeListremotesCommand(),
      MakeObscureCommand(), MakeRevealCommand(), MakeCryptcheckCommand(), MakeCryptdecodeCommand(),
      MakeVersionCommand(), MakeCompletionCommand(), MakeHelpCommand(),
  };
  return kCommands;
}

}  // namespace cvclone
