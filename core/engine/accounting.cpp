#include "core/engine/accounting.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>

#include "core/log.hpp"

namespace cvclone {
namespace {

// The Accounting whose progress line is on screen (log hooks are plain function pointers).
std::atomic<Accounting*> g_progress_owner{nullptr};
constexpr auto kRedrawInterval = std::chrono::milliseconds(500);

int Percent(int64_t done, int64_t total) {
  if (total <= 0) return done > 0 ? 100 : 0;
  return static_cast<int>(std::min<int64_t>(100, done * 100 / total));
}

}  // namespace

std::string FormatBytes(double bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return fmt::format("{} B", static_cast<int64_t>(bytes));
  int unit = 0;
  while (bytes >= 1024 && unit < 5) {
    bytes /= 1024;
    ++unit;
  }
  return fmt::format("{:.3f} {}", bytes, kUnits[unit]);
}

std::string FormatDuration(std::chrono::duration<double> d) {
  double s = d.count();
  if (s < 60) return fmt::format("{:.1f}s", s);
  auto total = static_cast<int64_t>(s);
  if (s < 3600) return fmt::format("{}m{:.1f}s", total / 60, s - static_cast<double>(total / 60 * 60));
  return fmt::format("{}h{}m{}s", total / 3600, total % 3600 / 60, total % 60);
}

Accounting::Accounting() : start_(std::chrono::steady_clock::now()) {}

Accounting::~Accounting() { StopProgress(); }

void Accounting::AddExpected(int64_t bytes) {
  total_transfers_.fetch_add(1);
  if (bytes > 0) total_bytes_.fetch_add(bytes);
}
void Accounting::AddBytes(int64_t bytes) { bytes_.fetch_add(bytes); }
void Accounting::RemoveBytes(int64_t bytes) { bytes_.fetch_sub(bytes); }
void Accounting::FileTransferred() { transfers_.fetch_add(1); }
void Accounting::FileFailed() { total_transfers_.fetch_sub(1); }
void Accounting::AddCheck() { checks_.fetch_add(1); }
void Accounting::AddDelete() { deletes_.fetch_add(1); }
void Accounting::AddRename() { renames_.fetch_add(1); }
void Accounting::AddError() { errors_.fetch_add(1); }

std::chrono::steady_clock::duration Accounting::Elapsed() const {
  return std::chrono::steady_clock::now() - start_;
}

std::string Accounting::ProgressLine() const {
  const double secs = std::chrono::duration<double>(Elapsed()).count();
  const int64_t done = bytes_.load();
  const int64_t total = std::max(total_bytes_.load(), done);
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  std::string eta = "-";
  if (rate > 0) {
    eta = FormatDuration(std::chrono::duration<double>(static_cast<double>(total - done) / rate));
  }
  return fmt::format("Transferred: {} / {}, {}%, {}/s, ETA {} (files {}/{}, checks {})",
                     FormatBytes(static_cast<double>(done)), FormatBytes(static_cast<double>(total)),
                     Percent(done, total), FormatBytes(rate), eta, transfers_.load(),
                     total_transfers_.load(), checks_.load());
}

std::string Accounting::SummaryText() const {
  const double secs = std::chrono::duration<double>(Elapsed()).count();
  const int64_t done = bytes_.load();
  const int64_t total = std::max(total_bytes_.load(), done);
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  std::string out = fmt::format("{:<14}{:>12} / {}, {}%, {}/s, ETA 0s\n", "Transferred:",
                                FormatBytes(static_cast<double>(done)),
                                FormatBytes(static_cast<double>(total)), Percent(done, total),
                                FormatBytes(rate));
  const int64_t checks = checks_.load();
  if (checks > 0) {
    out += fmt::format("{:<14}{:>12} / {}, 100%\n", "Checks:", checks, checks);
  }
  if (deletes_.load() > 0) {
    out += fmt::format("{:<14}{:>12} (files), 0 (dirs)\n", "Deleted:", deletes_.load());
  }
  if (renames_.load() > 0) out += fmt::format("{:<14}{:>12}\n", "Renamed:", renames_.load());
  const int64_t files = transfers_.load();
  const int64_t total_files = std::max(total_transfers_.load(), files);
  out += fmt::format("{:<14}{:>12} / {}, {}%\n", "Transferred:", files, total_files,
                     Percent(files, total_files));
  if (errors_.load() > 0) out += fmt::format("{:<14}{:>12}\n", "Errors:", errors_.load());
  out += fmt::format("{:<14}{:>12}\n", "Elapsed time:",
                     FormatDuration(std::chrono::duration<double>(secs)));
  return out;
}

void Accounting::ClearHook() { std::fputs("\r\x1b[2K", stderr); }

void Accounting::RedrawHook() {
  Accounting* owner = g_progress_owner.load();
  if (owner != nullptr) std::fputs(owner->ProgressLine().c_str(), stderr);
  std::fflush(stderr);
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
    ClearHook();
    RedrawHook();
    funlockfile(stderr);
    progress_cv_.wait_for(lock, stop, kRedrawInterval, [] { return false; });
  }
  flockfile(stderr);
  ClearHook();
  std::fflush(stderr);
  funlockfile(stderr);
}

}  // namespace cvclone
