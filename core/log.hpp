// Logging, thread-safe, one line per message, in rclone's formats. Levels as rclone's: -q shows
// errors only, default shows notices, -v info (each file transferred), -vv debug. Never log a
// secret.
//
// A text line is "2006/01/02 15:04:05 LEVEL : object: message" (local time; LEVEL padded to
// six, "LEVEL : message" when there is no object), written to stderr, or appended to the log
// file, or sent to syslog without the time (Configure). With JSON (--use-json-log) a line is
// one object: {"level":"info","msg":...,"object":...,"time":"2006-01-02T15:04:05.000000+00:00"}
// with rclone's level names (NOTICE is "warning"), "object" only when there is one.
// Messages name files and keys that others chose, so each is written with its control
// characters escaped (core/printable.hpp): a name cannot act on the terminal, or make one line
// look like several; only WriteLines keeps the newlines (and tabs) of its text.
#pragma once

#include <fmt/format.h>

#include <string>

#include "core/error.hpp"

namespace cvclone::log {

enum class Level { kError = 0, kNotice = 1, kInfo = 2, kDebug = 3 };

// "DEBUG", "INFO", "NOTICE", "ERROR" (any case) → the level; kInvalidArgument otherwise.
Result<Level> ParseLevel(const std::string& name);

struct Destination {
  std::string file;     // non-empty: append lines to this file instead of stderr
  bool json = false;    // one JSON object a line
  bool syslog = false;  // to syslog(3) (facility from syslog_facility), instead of stderr
  std::string syslog_facility = "DAEMON";  // rclone's names: KERN, USER, DAEMON, LOCAL0-7...
};
// Sets where lines go (for the rest of the process). kIo when the file cannot be opened for
// appending, kUsage when the facility is unknown; then the destination is unchanged.
Status Configure(const Destination& destination);
// Whether lines go to stderr (no log file, no syslog): progress output must share it.
bool ToStderr();

void SetLevel(Level level);
Level GetLevel();
bool Enabled(Level level);
// Writes one line (see above) at level about object (empty: none), whatever the level set
// (callers check Enabled; errors are always written). Clears a live progress line first when
// the line goes to stderr.
void Write(Level level, const std::string& object, const std::string& message);
void Write(Level level, const std::string& message);
// As Write without object, but text's newlines and tabs are kept (each line escaped on its own):
// for text made by the program itself, such as the stats block. Written whatever the level set.
void WriteLines(Level level, const std::string& text);
// Lets the progress display clear and redraw its line around log output.
void SetProgressHooks(void (*clear)(), void (*redraw)());

template <typename... Args>
void Error(fmt::format_string<Args...> f, Args&&... args) {
  Write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Notice(fmt::format_string<Args...> f, Args&&... args) {
  if (Enabled(Level::kNotice)) Write(Level::kNotice, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Info(fmt::format_string<Args...> f, Args&&... args) {
  if (Enabled(Level::kInfo)) Write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Debug(fmt::format_string<Args...> f, Args&&... args) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
}

// The same about an object (a file's path): text "LEVEL : path: message", JSON "object".
template <typename... Args>
void ErrorAt(const std::string& object, fmt::format_string<Args...> f, Args&&... args) {
  Write(Level::kError, object, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void NoticeAt(const std::string& object, fmt::format_string<Args...> f, Args&&... args) {
  if (Enabled(Level::kNotice)) {
    Write(Level::kNotice, object, fmt::format(f, std::forward<Args>(args)...));
  }
}
template <typename... Args>
void InfoAt(const std::string& object, fmt::format_string<Args...> f, Args&&... args) {
  if (Enabled(Level::kInfo))
    Write(Level::kInfo, object, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void DebugAt(const std::string& object, fmt::format_string<Args...> f, Args&&... args) {
  if (Enabled(Level::kDebug)) {
    Write(Level::kDebug, object, fmt::format(f, std::forward<Args>(args)...));
  }
}

}  // namespace cvclone::log
