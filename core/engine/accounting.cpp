#include "core/engine/accounting.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "core/printable.hpp"

namespace cvclone {
namespace {

// The Accounting whose progress is on screen (log hooks are plain function pointers).
std::atomic<Accounting*> g_progress_owner{nullptr};
constexpr auto kRedrawInterval = std::chrono::milliseconds(500);
// rclone's --stats-file-name-length default: names in the Transferring list are cut to this.
constexpr int kNameLength = 45;

// rclone's percent(): "-" when there is no total.
std::string Percent(int64_t done, int64_t total) {
  if (total <= 0) return "-";
  return fmt::format(
      "{}%", static_cast<int>(static_cast<double>(done) * 100 / static_cast<double>(total)));
}

// The number and binary suffix index of rclone's SizeSuffix ("1.500", 1 for 1536).
std::pair<std::string, int> Scaled(double bytes, double base = 1024) {
  int unit = 0;
  // Bytes are whole, as rclone's SizeSuffix (an int64): a rate of 89.4 B/s is "89 B/s".
  bytes = std::floor(bytes);
  while (bytes >= base && unit < 5) {
    bytes /= base;
    ++unit;
  }
  if (std::floor(bytes) == bytes) return {fmt::format("{:.0f}", bytes), unit};
  return {fmt::format("{:.3f}", bytes), unit};
}

// rclone's SizeSuffix.String(): "100", "1.500Ki", "10Mi".
std::string ShortSize(double bytes) {
  static const char* const kUnits[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi"};
  auto [number, unit] = Scaled(bytes);
  return number + kUnits[unit];
}

// fs.Duration.ReadableString for whole seconds: "8s", "1m2s", "1d2h", "0s".
std::string Readable(int64_t secs) {
  if (secs <= 0) return "0s";
  std::string out;
  const std::pair<int64_t, char> units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (auto [size, name] : units) {
    if (secs >= size) {
      out += fmt::format("{}{}", secs / size, name);
      secs %= size;
    }
  }
  return out;
}

// rclone's etaString(): "-" without a rate or a total.
std::string Eta(int64_t done, int64_t total, double rate) {
  if (total <= 0 || done < 0 || rate <= 0 || total < done) return "-";
  return Readable(static_cast<int64_t>(static_cast<double>(total - done) / rate));
}

// The code points of line (names are valid UTF-8 once TerminalSafe), tabs expanded to 8.
std::string ExpandTabs(const std::string& line) {
  std::string out;
  int col = 0;
  for (char c : line) {
    if (c == '\t') {
      do {
        out += ' ';
        ++col;
      } while (col % 8 != 0);
      continue;
    }
    out += c;
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++col;
  }
  return out;
}

// line cut to at most width code points.
std::string Fit(const std::string& line, int width) {
  int col = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) == 0x80) continue;
    if (col == width) return line.substr(0, i);
    ++col;
  }
  return line;
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// rclone's shortenName: the middle of a name longer than max replaced by "…".
std::string Shorten(const std::string& name, size_t max) {
  const size_t n = CodePoints(name);
  if (n <= max || max < 3) return n <= max ? name : Fit(name, static_cast<int>(max));
  const size_t keep = max - 1;
  const size_t head = (keep + 1) / 2, tail = keep / 2;
  std::string out = Fit(name, static_cast<int>(head)) + "\u2026";
  // The last `tail` code points.
  size_t skip = n - tail, col = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    if ((static_cast<unsigned char>(name[i]) & 0xC0) == 0x80) continue;
    if (col++ == skip) return out + name.substr(i);
  }
  return out;
}

}  // namespace

std::string FormatBytes(double bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  auto [number, unit] = Scaled(bytes);
  return number + " " + kUnits[unit];
}

double MovingRate::At(std::chrono::steady_clock::time_point now, int64_t total) {
  using std::chrono::seconds;
  constexpr double kWindow = 16;
  if (total < tick_bytes_) tick_bytes_ = total;  // restarted from 0: nothing is taken back
  const auto elapsed = now - tick_;
  const int64_t ticks = elapsed / seconds(1);
  if (ticks <= 0) return rate_;
  // The bytes since the last tick, spread evenly over the time since: the whole seconds'
  // share is counted now, the rest carries to the next sample.
  const double share = std::chrono::duration<double>(seconds(ticks)) / elapsed;
  const double counted = static_cast<double>(total - tick_bytes_) * share;
  const double per_second = counted / static_cast<double>(ticks);
  // Past the window's length more seconds of the same rate change nothing that shows.
  for (int64_t i = 0; i < std::min<int64_t>(ticks, 64); ++i) {
    if (period_ < kWindow) ++period_;
    rate_ = (per_second + rate_ * (period_ - 1)) / period_;
  }
  tick_ += seconds(ticks);
  tick_bytes_ += static_cast<int64_t>(counted);
  return rate_;
}

std::string FormatCount(int64_t n) {
  static const char* const kUnits[] = {"", "k", "M", "G", "T", "P"};
  auto [number, unit] = Scaled(static_cast<double>(n), 1000);
  return number + kUnits[unit];
}

std::string FormatDuration(std::chrono::duration<double> d) {
  const double s = d.count();
  const auto whole = static_cast<int64_t>(s);
  // rclone: the whole minutes as "1h2m" (zero units left out), then the seconds to 0.1.
  const int64_t minutes = whole / 60;
  std::string out;
  if (minutes >= 60) out += fmt::format("{}h", minutes / 60);
  if (minutes % 60 != 0) out += fmt::format("{}m", minutes % 60);
  const double secs = std::floor((s - static_cast<double>(minutes * 60)) * 10) / 10;
  return out + fmt::format("{:.1f}s", secs);
}

int TerminalWidth(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

Accounting::Accounting() : start_(std::chrono::steady_clock::now()) {}

Accounting::~Accounting() {
  StopProgress();
  StopStatsLog();
}

void Accounting::AddExpected(int64_t bytes) {
  total_transfers_.fetch_add(1);
  if (bytes > 0) total_bytes_.fetch_add(bytes);
}
void Accounting::AddBytes(int64_t bytes) { bytes_.fetch_add(bytes); }
void Accounting::RemoveBytes(int64_t bytes) { bytes_.fetch_sub(bytes); }

int64_t Accounting::StartTransfer(const std::string& name, int64_t size) {
  std::lock_guard lock(flights_mutex_);
  const int64_t id = next_flight_++;
  flights_[id] = Flight{name, size, 0, std::chrono::steady_clock::now()};
  return id;
}

void Accounting::TransferBytes(int64_t id, int64_t bytes) {
  bytes_.fetch_add(bytes);
  std::lock_guard lock(flights_mutex_);
  auto it = flights_.find(id);
  if (it != flights_.end()) it->second.bytes += bytes;
}

void Accounting::RestartTransfer(int64_t id) {
  std::lock_guard lock(flights_mutex_);
  auto it = flights_.find(id);
  if (it == flights_.end()) return;
  bytes_.fetch_sub(it->second.bytes);
  it->second.bytes = 0;
  it->second.start = std::chrono::steady_clock::now();
}

void Accounting::EndTransfer(int64_t id) {
  std::lock_guard lock(flights_mutex_);
  flights_.erase(id);
}

void Accounting::FileTransferred() { transfers_.fetch_add(1); }
void Accounting::FileUndone() { transfers_.fetch_sub(1); }
void Accounting::FileFailed() {}
void Accounting::AddCheck() { checks_.fetch_add(1); }
void Accounting::AddDelete() { deletes_.fetch_add(1); }
void Accounting::AddDeletedDir() { deleted_dirs_.fetch_add(1); }
void Accounting::AddRename() { renames_.fetch_add(1); }
void Accounting::AddError() {
  errors_.fetch_add(1);
  retry_error_ = true;
}
void Accounting::AddError(const Error& error) {
  errors_.fetch_add(1);
  if (error.retryable()) retry_error_ = true;
}

std::chrono::steady_clock::duration Accounting::Elapsed() const {
  return std::chrono::steady_clock::now() - start_;
}

std::string Accounting::ProgressLine() const {
  const int64_t done = bytes_.load();
  const int64_t total = std::max(total_bytes_.load(), done);
  double rate = 0;
  {
    std::lock_guard lock(rate_mutex_);
    rate = rate_.At(std::chrono::steady_clock::now(), done);
  }
  return fmt::format("{:>13} / {}, {}, {}/s, ETA {}", FormatBytes(static_cast<double>(done)),
                     FormatBytes(static_cast<double>(total)), Percent(done, total),
                     FormatBytes(rate), Eta(done, total, rate));
}

std::string Accounting::SummaryText() const {
  std::string out = "Transferred:   \t" + ProgressLine() + "\n";
  if (errors_.load() > 0) {
    out += fmt::format("Errors:        {:>10}{}\n", errors_.load(),
                       retry_error_.load() ? " (retrying may help)" : " (no need to retry)");
  }
  const int64_t checks = checks_.load();
  if (checks > 0) out += fmt::format("Checks:        {:>10} / {}, {}\n", checks, checks, "100%");
  if (deletes_.load() > 0 || deleted_dirs_.load() > 0) {
    out += fmt::format("Deleted:       {:>10} (files), {} (dirs)\n", deletes_.load(),
                       deleted_dirs_.load());
  }
  if (renames_.load() > 0) out += fmt::format("Renamed:       {:>10}\n", renames_.load());
  const int64_t files = transfers_.load();
  const int64_t total_files = std::max(total_transfers_.load(), files);
  if (files != 0 || total_files != 0) {
    out += fmt::format("Transferred:   {:>10} / {}, {}\n", files, total_files,
                       Percent(files, total_files));
  }
  std::string elapsed = FormatDuration(std::chrono::duration<double>(Elapsed()));
  elapsed.pop_back();  // rclone pads the number, then writes the 's'
  out += fmt::format("Elapsed time:  {:>10}s\n", elapsed);
  return out;
}

std::string Accounting::ProgressText(int width) const {
  std::vector<std::string> lines;
  const std::string block = SummaryText();
  for (size_t start = 0; start < block.size();) {
    size_t nl = block.find('\n', start);
    lines.push_back(block.substr(start, nl - start));
    start = nl + 1;
  }
  {
    std::lock_guard lock(flights_mutex_);
    if (!flights_.empty()) lines.emplace_back("Transferring:");
    const auto now = std::chrono::steady_clock::now();
    for (const auto& [id, f] : flights_) {
      const double rate = f.rate.At(now, f.bytes);
      const int pct =
          f.size > 0
              ? static_cast<int>(100 * static_cast<double>(f.bytes) / static_cast<double>(f.size))
              : 0;
      std::string eta = "-";
      if (rate > 0 && f.size >= f.bytes) {
        eta = Readable(static_cast<int64_t>(static_cast<double>(f.size - f.bytes) / rate));
      }
      const std::string rest = fmt::format(
          ":{:>3}% /{}, {}/s, {}", pct,
          ShortSize(static_cast<double>(std::max<int64_t>(f.size, 0))), ShortSize(rate), eta);
      // The name gives way first, so that the numbers stay on a narrow terminal.
      const int room = width - 1 - 3 - static_cast<int>(CodePoints(rest));
      const size_t name_width = static_cast<size_t>(std::max(1, std::min(kNameLength, room)));
      const std::string name = Shorten(TerminalSafe(f.name), name_width);
      const std::string pad(name_width - std::min(name_width, CodePoints(name)), ' ');
      lines.push_back(" * " + pad + name + rest);
    }
  }
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '\n';
    out += Fit(ExpandTabs(lines[i]), std::max(1, width - 1));
  }
  return out;
}

void Accounting::LogStats(log::Level level, bool one_line) const {
  if (!log::Enabled(level)) return;
  log::WriteLines(level, one_line ? ProgressLine() : "\n" + SummaryText());
}

// The display is on stdout, as rclone's, and log lines on stderr: a clear is flushed before the
// log line is written, so that both reach the terminal in that order.
void Accounting::ClearHook() {
  Accounting* owner = g_progress_owner.load();
  std::fputs("\r\x1b[2K", stdout);
  if (owner != nullptr) {
    for (int i = 1; i < owner->shown_lines_; ++i) std::fputs("\x1b[1A\x1b[2K", stdout);
    owner->shown_lines_ = 0;
  }
  std::fflush(stdout);
}

void Accounting::RedrawHook() {
  std::fflush(stderr);
  Accounting* owner = g_progress_owner.load();
  if (owner != nullptr) {
    const std::string text = owner->ProgressText(TerminalWidth(STDOUT_FILENO));
    std::fputs(text.c_str(), stdout);
    owner->shown_lines_ = 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }
  std::fflush(stdout);
}

void Accounting::StartProgress() {
  if (progress_thread_.joinable()) return;
  Accounting* expected = nullptr;
  if (!g_progress_owner.compare_exchange_strong(expected, this)) return;
  log::SetProgressHooks(&Accounting::ClearHook, &Accounting::RedrawHook);
  progress_thread_ = std::jthread([this](std::stop_token stop) { ProgressLoop(stop); });
}

void Accounting::StopProgress() {
  if (!progress_thread_.joinable()) return;
  progress_thread_.request_stop();
  progress_thread_.join();
  log::SetProgressHooks(nullptr, nullptr);
  g_progress_owner.store(nullptr);
}

void Accounting::ProgressLoop(std::stop_token stop) {
  std::unique_lock lock(progress_mutex_);
  while (!stop.stop_requested()) {
    // Hold stderr's stream lock so a log line cannot land between clear and redraw.
    flockfile(stderr);
    flockfile(stdout);
    ClearHook();
    RedrawHook();
    funlockfile(stdout);
    funlockfile(stderr);
    progress_cv_.wait_for(lock, stop, kRedrawInterval, [] { return false; });
  }
  flockfile(stderr);
  flockfile(stdout);
  ClearHook();
  funlockfile(stdout);
  funlockfile(stderr);
}

void Accounting::StartStatsLog(std::chrono::milliseconds interval, log::Level level,
                               bool one_line) {
  if (stats_thread_.joinable() || interval.count() <= 0) return;
  stats_thread_ = std::jthread([this, interval, level, one_line](std::stop_token stop) {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    while (!cv.wait_for(lock, stop, interval, [] { return false; }) && !stop.stop_requested()) {
      LogStats(level, one_line);
    }
  });
}

void Accounting::StopStatsLog() {
  if (!stats_thread_.joinable()) return;
  stats_thread_.request_stop();
  stats_thread_.join();
}

}  // namespace cvclone
