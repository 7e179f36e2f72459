#include "core/log.hpp"

#include <fmt/format.h>
#include <syslog.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string_view>

#include "core/printable.hpp"

namespace cvclone::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::kNotice)};
std::mutex g_mutex;
void (*g_clear)() = nullptr;
void (*g_redraw)() = nullptr;
// Where lines go; written by Configure, read under g_mutex.
std::FILE* g_file = nullptr;
bool g_json = false;
std::atomic<bool> g_syslog{false};

const char* Prefix(Level level) {
  switch (level) {
    case Level::kError: return "ERROR : ";
    case Level::kNotice: return "NOTICE: ";
    case Level::kInfo: return "INFO  : ";
    case Level::kDebug: return "DEBUG : ";
  }
  return "";
}

// rclone's JSON level names (logrus's: its NOTICE is logrus's warning).
const char* JsonLevel(Level level) {
  switch (level) {
    case Level::kError:
      return "error";
    case Level::kNotice:
      return "warning";
    case Level::kInfo:
      return "info";
    case Level::kDebug:
      return "debug";
  }
  return "";
}

int SyslogPriority(Level level) {
  switch (level) {
    case Level::kError:
      return LOG_ERR;
    case Level::kNotice:
      return LOG_NOTICE;
    case Level::kInfo:
      return LOG_INFO;
    case Level::kDebug:
      return LOG_DEBUG;
  }
  return LOG_INFO;
}

Result<int> SyslogFacility(const std::string& name) {
  static constexpr std::pair<std::string_view, int> kFacilities[] = {
      {"KERN", LOG_KERN},     {"USER", LOG_USER},         {"MAIL", LOG_MAIL},
      {"DAEMON", LOG_DAEMON}, {"AUTH", LOG_AUTH},         {"SYSLOG", LOG_SYSLOG},
      {"LPR", LOG_LPR},       {"NEWS", LOG_NEWS},         {"UUCP", LOG_UUCP},
      {"CRON", LOG_CRON},     {"AUTHPRIV", LOG_AUTHPRIV}, {"FTP", LOG_FTP},
      {"LOCAL0", LOG_LOCAL0}, {"LOCAL1", LOG_LOCAL1},     {"LOCAL2", LOG_LOCAL2},
      {"LOCAL3", LOG_LOCAL3}, {"LOCAL4", LOG_LOCAL4},     {"LOCAL5", LOG_LOCAL5},
      {"LOCAL6", LOG_LOCAL6}, {"LOCAL7", LOG_LOCAL7},
  };
  for (const auto& [n, f] : kFacilities) {
    if (n == name) return f;
  }
  return MakeError(ErrorCode::kUsage, fmt::format("unknown --syslog-facility \"{}\"", name));
}

// "2006/01/02 15:04:05 " in local time, as rclone's default log format.
std::string TextTime(std::chrono::system_clock::time_point now) {
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y/%m/%d %H:%M:%S ", &tm);
  return buf;
}

// "2006-01-02T15:04:05.000000+00:00" in local time, as rclone's JSON log.
std::string JsonTime(std::chrono::system_clock::time_point now) {
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  localtime_r(&t, &tm);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1000000;
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  const long off = tm.tm_gmtoff / 60;
  return fmt::format("{}.{:06d}{}{:02d}:{:02d}", date, micros, off < 0 ? '-' : '+',
                     std::abs(off) / 60, std::abs(off) % 60);
}

// text as a JSON string, quotes included (text is already TerminalSafe: valid UTF-8).
std::string JsonQuote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\u{:04x}", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// The text made terminal-safe piece by piece, its newlines and tabs kept.
std::string SafeLines(std::string_view text) {
  std::string out;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != '\n' && text[i] != '\t') continue;
    out += TerminalSafe(text.substr(start, i - start));
    if (i < text.size()) out += text[i];
    start = i + 1;
  }
  return out;
}

void Emit(Level level, const std::string& object, const std::string& message) {
  const auto now = std::chrono::system_clock::now();
  if (g_syslog.load()) {
    std::string line = Prefix(level);
    if (!object.empty()) line += object + ": ";
    line += message;
    ::syslog(SyslogPriority(level), "%s", line.c_str());
    return;
  }
  std::string line;
  if (g_json) {
    line = fmt::format("{{\"level\":\"{}\",\"msg\":{},", JsonLevel(level), JsonQuote(message));
    if (!object.empty()) line += fmt::format("\"object\":{},", JsonQuote(object));
    line += fmt::format("\"time\":\"{}\"}}\n", JsonTime(now));
  } else {
    line = TextTime(now) + Prefix(level);
    if (!object.empty()) line += object + ": ";
    line += message + "\n";
  }
  std::lock_guard lock(g_mutex);
  if (g_file != nullptr) {
    std::fwrite(line.data(), 1, line.size(), g_file);
    std::fflush(g_file);
    return;
  }
  // The progress thread redraws under stderr's stream lock; holding it (it is recursive) for
  // clear, line and redraw keeps a redraw from landing between them.
  flockfile(stderr);
  if (g_clear) g_clear();
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
  if (g_redraw) g_redraw();
  funlockfile(stderr);
}

}  // namespace

Result<Level> ParseLevel(const std::string& name) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper == "DEBUG") return Level::kDebug;
  if (upper == "INFO") return Level::kInfo;
  if (upper == "NOTICE") return Level::kNotice;
  if (upper == "ERROR") return Level::kError;
  return MakeError(
      ErrorCode::kInvalidArgument,
      fmt::format("invalid log level \"{}\": want DEBUG, INFO, NOTICE or ERROR", name));
}

Status Configure(const Destination& destination) {
  std::FILE* file = nullptr;
  if (destination.syslog) {
    CVC_ASSIGN_OR_RETURN(int facility, SyslogFacility(destination.syslog_facility));
    ::openlog("cvclone", LOG_PID, facility);
  } else if (!destination.file.empty()) {
    file = std::fopen(destination.file.c_str(), "ae");
    if (file == nullptr) {
      return MakeError(ErrorCode::kIo, fmt::format("failed to open log file \"{}\": {}",
                                                   destination.file, std::strerror(errno)));
    }
  }
  std::lock_guard lock(g_mutex);
  if (g_file != nullptr) std::fclose(g_file);
  g_file = file;
  g_json = destination.json;
  g_syslog = destination.syslog;
  return Ok();
}

bool ToStderr() {
  std::lock_guard lock(g_mutex);
  return g_file == nullptr && !g_syslog.load();
}

void SetLevel(Level level) { g_level = static_cast<int>(level); }
Level GetLevel() { return static_cast<Level>(g_level.load()); }
bool Enabled(Level level) { return static_cast<int>(level) <= g_level.load(); }

void SetProgressHooks(void (*clear)(), void (*redraw)()) {
  std::lock_guard lock(g_mutex);
  g_clear = clear;
  g_redraw = redraw;
}

void Write(Level level, const std::string& object, const std::string& message) {
  Emit(level, TerminalSafe(object), TerminalSafe(message));
}

void Write(Level level, const std::string& message) { Write(level, "", message); }

void WriteLines(Level level, const std::string& text) { Emit(level, "", SafeLines(text)); }

}  // namespace cvclone::log
