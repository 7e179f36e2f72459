// One factory per command, each defined in its own file; commands/all.cpp lists them.
#pragma once

#include <chrono>
#include <string>

#include "commands/cli.hpp"

namespace cvclone {

Command MakeCopyCommand();      // copy.cpp
Command MakeSyncCommand();      // copy.cpp (same engine call, another mode)
Command MakeMoveCommand();      // copy.cpp
Command MakeCopytoCommand();    // copyto.cpp
Command MakeMovetoCommand();    // copyto.cpp
Command MakeCheckCommand();     // check.cpp
Command MakeLsCommand();        // ls.cpp
Command MakeLslCommand();       // ls.cpp
Command MakeLsdCommand();       // ls.cpp
Command MakeLsfCommand();       // lsf.cpp
Command MakeLsjsonCommand();    // lsjson.cpp
Command MakeCatCommand();       // cat.cpp
Command MakeRcatCommand();      // rcat.cpp
Command MakeCopyurlCommand();   // copyurl.cpp
Command MakeMkdirCommand();     // mkdir.cpp
Command MakeRmdirCommand();     // mkdir.cpp
Command MakeDeleteCommand();    // delete.cpp
Command MakePurgeCommand();     // delete.cpp
Command MakeSizeCommand();      // size.cpp
Command MakeMd5sumCommand();    // hashsum.cpp
Command MakeSha1sumCommand();   // hashsum.cpp
Command MakeSha256sumCommand(); // hashsum.cpp
Command MakeHashsumCommand();   // hashsum.cpp
Command MakeConfigCommand();    // config.cpp
Command MakeVersionCommand();   // version.cpp
Command MakeHelpCommand();      // help.cpp
Command MakeLinkCommand();      // link.cpp
Command MakeCleanupCommand();   // cleanup.cpp
Command MakeMountCommand();     // mount.cpp

// link --expire: rclone's duration syntax ("off", "1d", "2h30m", "3600" seconds); kUsage on
// anything else. "off" is rclone's default, 100 years.
Result<std::chrono::seconds> ParseExpire(const std::string& text);  // link.cpp
// A duration flag in rclone's syntax (numbers with units ms, s, m, h, d, w, M, y, none meaning
// seconds, in sequence: "1d", "1.5h", "2h45m", "3600"), from `min` to 100 years; kUsage naming
// --flag on anything else.
Result<std::chrono::seconds> ParseDurationFlag(const std::string& text, const std::string& flag,
                                               std::chrono::seconds min);  // link.cpp
// The same to the millisecond ("100ms", "1.5s"), from min to max.
Result<std::chrono::milliseconds> ParseDurationFlagMs(
    const std::string& text, const std::string& flag, std::chrono::milliseconds min,
    std::chrono::milliseconds max = std::chrono::hours(24 * 365 * 100));  // link.cpp

}  // namespace cvclone
