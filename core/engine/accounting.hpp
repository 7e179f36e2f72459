// Accounting: thread-safe transfer statistics for one run, rclone's stats block (the final
// summary, periodic stats in the log) and the live progress display (-P).
//
// Every method may be called from any thread. StartProgress() starts a jthread that redraws the
// stats block and the files in flight in place on stdout (as rclone's) every 500 ms, each line
// cut to the terminal's width (and hooks into log:: so log lines, on stderr, do not garble it);
// StartStatsLog() starts one that logs the stats every interval. Both are stopped by their Stop or the destructor. Only
// one Accounting shows progress at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "core/error.hpp"
#include "core/log.hpp"

namespace cvclone {

// A transfer rate as rclone 1.60 shows it (its stats' and each file's speed): every second, the
// bytes of that second are averaged into the rate over a window that grows to 16 s (the first
// second counts alone, the second half, ...). Sampled when asked: bytes seen across several
// seconds since the last sample count as that many seconds at their mean rate. Not
// thread-safe.
class MovingRate {
 public:
  explicit MovingRate(std::chrono::steady_clock::time_point start) : tick_(start) {}
  // The rate in bytes/s at now, `total` being the bytes counted up to now (never decreasing
  // between calls, except back to 0 on a restart); 0 during the first second.
  double At(std::chrono::steady_clock::time_point now, int64_t total);

 private:
  std::chrono::steady_clock::time_point tick_;  // the end of the last second counted
  int64_t tick_bytes_ = 0;                      // total at tick_ (estimated)
  double period_ = 0;
  double rate_ = 0;
};

class Accounting {
 public:
  Accounting();
  ~Accounting();
  Accounting(const Accounting&) = delete;
  Accounting& operator=(const Accounting&) = delete;

  // Totals expected (grows as the march discovers work).
  void AddExpected(int64_t bytes);  // one more file to transfer, of bytes (-1 unknown → 0)
  // Bytes moved so far that belong to no file in flight (a check's reads).
  void AddBytes(int64_t bytes);
  void RemoveBytes(int64_t bytes);
  // A file in flight, listed by -P with its own progress from StartTransfer to EndTransfer.
  // TransferBytes counts bytes of it (in the totals too); RestartTransfer takes them all back
  // (a retry starts again from 0). Returns the id the other calls take.
  int64_t StartTransfer(const std::string& name, int64_t size);
  void TransferBytes(int64_t id, int64_t bytes);
  void RestartTransfer(int64_t id);
  void EndTransfer(int64_t id);
  void FileTransferred();  // one file completed
  // A file counted by FileTransferred failed after all (its group commit, Remote::StartBatch).
  void FileUndone();
  // A file will not be transferred after all: it stays in the total, as rclone counts it
  // ("57 / 58"); its error, if any, is counted by AddError.
  void FileFailed();
  void AddCheck();  // one equality check done (file found equal or compared)
  void AddDelete();
  void AddDeletedDir();
  void AddRename();
  // One error (a file that failed, a failed delete...). Its retry class decides the note after
  // the Errors count, as rclone's: "(retrying may help)" unless every error was not retryable.
  void AddError();
  void AddError(const Error& error);

  int64_t bytes() const { return bytes_.load(); }
  int64_t total_bytes() const { return total_bytes_.load(); }
  int64_t transfers() const { return transfers_.load(); }
  int64_t total_transfers() const { return total_transfers_.load(); }
  int64_t checks() const { return checks_.load(); }
  int64_t deletes() const { return deletes_.load(); }
  int64_t renames() const { return renames_.load(); }
  int64_t errors() const { return errors_.load(); }
  std::chrono::steady_clock::duration Elapsed() const;

  // rclone's one-line stats: "        6 B / 6 B, 100%, 0 B/s, ETA -" (--stats-one-line).
  std::string ProgressLine() const;
  // rclone's stats block, only the non-zero lines, each ending in '\n':
  //   Transferred:   \t    2.862 MiB / 2.862 MiB, 100%, 1.000 MiB/s, ETA 0s
  //   Errors:                 1 (retrying may help)
  //   Checks:                10 / 10, 100%
  //   Deleted:                2 (files), 0 (dirs)
  //   Renamed:                1
  //   Transferred:           12 / 13, 92%
  //   Elapsed time:         2.9s
  std::string SummaryText() const;
  // What -P shows: the stats block, then "Transferring:" and one line per file in flight
  // (" * name: 12% /10 MiB, 1.000 MiB/s, 8s"); tabs expanded, each line cut to width columns.
  std::string ProgressText(int width) const;

  // Live redraw on stdout, which must be a terminal (the caller checks).
  void StartProgress();
  void StopProgress();
  // Logs the stats at level every interval (the block, or ProgressLine with one_line).
  void StartStatsLog(std::chrono::milliseconds interval, log::Level level, bool one_line);
  void StopStatsLog();
  // The stats as rclone logs them at the end or each interval: "\n" + block, or the one line.
  void LogStats(log::Level level, bool one_line) const;

 private:
  struct Flight {
    std::string name;
    int64_t size = -1;
    int64_t bytes = 0;
    std::chrono::steady_clock::time_point start;
    mutable MovingRate rate{start};  // under flights_mutex_
  };
  void ProgressLoop(std::stop_token stop);
  static void ClearHook();
  static void RedrawHook();

  std::chrono::steady_clock::time_point start_;
  mutable std::mutex rate_mutex_;
  mutable MovingRate rate_{start_};
  std::atomic<int64_t> bytes_{0}, total_bytes_{0}, transfers_{0}, total_transfers_{0};
  std::atomic<int64_t> checks_{0}, deletes_{0}, deleted_dirs_{0}, renames_{0}, errors_{0};
  std::atomic<bool> retry_error_{false};

  mutable std::mutex flights_mutex_;
  std::map<int64_t, Flight> flights_;
  int64_t next_flight_ = 0;

  std::mutex progress_mutex_;
  std::condition_variable_any progress_cv_;
  std::jthread progress_thread_;
  int shown_lines_ = 0;  // lines of the block on screen (under stderr's lock)
  std::jthread stats_thread_;
};

// rclone's byte units: "123 B", "3 KiB", "1.500 MiB" (3 decimals unless a whole number).
std::string FormatBytes(double bytes);
// rclone's CountSuffix: "999", "1k", "1.500k", "12.346M" (base 1000, the same 3 decimals).
std::string FormatCount(int64_t n);
// rclone's elapsed time: "2.9s", "1m2.0s", "1h2m3.0s".
std::string FormatDuration(std::chrono::duration<double> d);
// The terminal's width in columns for fd (80 if unknown).
int TerminalWidth(int fd);

}  // namespace cvclone
