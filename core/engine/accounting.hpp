// Accounting: thread-safe transfer statistics for one run, the live progress line (-P) and the
// final summary.
//
// Every method may be called from any thread. StartProgress() starts a jthread that redraws one
// line on stderr every 500 ms (and hooks into log:: so log lines do not garble it); it is
// stopped by StopProgress() or the destructor. Only one Accounting shows progress at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace cvclone {

class Accounting {
 public:
  Accounting();
  ~Accounting();
  Accounting(const Accounting&) = delete;
  Accounting& operator=(const Accounting&) = delete;

  // Totals expected (grows as the march discovers work).
  void AddExpected(int64_t bytes);  // one more file to transfer, of bytes (-1 unknown → 0)
  // Bytes moved so far (called as data flows; a retried file's earlier bytes are taken back
  // with RemoveBytes).
  void AddBytes(int64_t bytes);
  void RemoveBytes(int64_t bytes);
  void FileTransferred();  // one file completed
  void FileFailed();       // a file will not be transferred after all: drops it from the total
  void AddCheck();         // one equality check done (file found equal or compared)
  void AddDelete();
  void AddRename();
  void AddError();

  int64_t bytes() const { return bytes_.load(); }
  int64_t total_bytes() const { return total_bytes_.load(); }
  int64_t transfers() const { return transfers_.load(); }
  int64_t total_transfers() const { return total_transfers_.load(); }
  int64_t checks() const { return checks_.load(); }
  int64_t deletes() const { return deletes_.load(); }
  int64_t renames() const { return renames_.load(); }
  int64_t errors() const { return errors_.load(); }
  std::chrono::steady_clock::duration Elapsed() const;

  // One-line live status: "Transferred: 1.2 MiB / 3 MiB, 40%, 1.1 MiB/s, ETA 2s (files 3/10,
  // checks 7)".
  std::string ProgressLine() const;
  // The final multi-line summary, like rclone's:
  //   Transferred:   1.000 GiB / 1.000 GiB, 100%, 350.000 MiB/s, ETA 0s
  //   Checks:               10 / 10, 100%
  //   Deleted:               2 (files), 0 (dirs)
  //   Transferred:          12 / 12, 100%
  //   Elapsed time:       2.9s
  //   Errors:                1   (only when any)
  std::string SummaryText() const;

  void StartProgress();
  void StopProgress();

 private:
  void ProgressLoop(std::stop_token stop);
  static void ClearHook();
  static void RedrawHook();

  std::chrono::steady_clock::time_point start_;
  std::atomic<int64_t> bytes_{0}, total_bytes_{0}, transfers_{0}, total_transfers_{0};
  std::atomic<int64_t> checks_{0}, deletes_{0}, renames_{0}, errors_{0};

  std::mutex progress_mutex_;
  std::condition_variable_any progress_cv_;
  std::jthread progress_thread_;
};

// "1.500 MiB" style (binary units, 3 decimals above bytes; "123 B").
std::string FormatBytes(double bytes);
// "2.9s", "1m2.0s", "1h2m3s".
std::string FormatDuration(std::chrono::duration<double> d);

}  // namespace cvclone
