// Logging to stderr, thread-safe, one line per message. Levels as rclone's: -q shows errors only,
// default shows notices, -v info (each file transferred), -vv debug. Never log a secret.
// Messages name files and keys that others chose, so each is written with its control
// characters escaped (core/printable.hpp): a name cannot act on the terminal, or make one line
// look like several.
#pragma once

#include <fmt/format.h>

#include <string>

namespace cvclone::log {

enum class Level { kError = 0, kNotice = 1, kInfo = 2, kDebug = 3 };

void SetLevel(Level level);
Level GetLevel();
bool Enabled(Level level);
// Writes "LEVEL : " and TerminalSafe(message) to stderr (clearing a live progress line first).
void Write(Level level, const std::string& message);
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

}  // namespace cvclone::log
