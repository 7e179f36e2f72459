#include "core/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "core/printable.hpp"

namespace cvclone::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::kNotice)};
std::mutex g_mutex;
void (*g_clear)() = nullptr;
void (*g_redraw)() = nullptr;

const char* Prefix(Level level) {
  switch (level) {
    case Level::kError: return "ERROR : ";
    case Level::kNotice: return "NOTICE: ";
    case Level::kInfo: return "INFO  : ";
    case Level::kDebug: return "DEBUG : ";
  }
  return "";
}
}  // namespace

void SetLevel(Level level) { g_level = static_cast<int>(level); }
Level GetLevel() { return static_cast<Level>(g_level.load()); }
bool Enabled(Level level) { return static_cast<int>(level) <= g_level.load(); }

void SetProgressHooks(void (*clear)(), void (*redraw)()) {
  std::lock_guard lock(g_mutex);
  g_clear = clear;
  g_redraw = redraw;
}

void Write(Level level, const std::string& message) {
  const std::string shown = TerminalSafe(message);
  std::lock_guard lock(g_mutex);
  // The progress thread redraws under stderr's stream lock; holding it (it is recursive) for
  // clear, line and redraw keeps a redraw from landing between them.
  flockfile(stderr);
  if (g_clear) g_clear();
  std::fprintf(stderr, "%s%s\n", Prefix(level), shown.c_str());
  std::fflush(stderr);
  if (g_redraw) g_redraw();
  funlockfile(stderr);
}

}  // namespace cvclone::log
