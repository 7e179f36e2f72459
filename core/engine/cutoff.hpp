// --max-transfer and --max-duration (rclone's): limits on one run's transfers, and how they cut
// off (--cutoff-mode). A transfer refused by a limit is not started; the run then fails with
// the limit's error, so sync deletes nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>

#include "core/engine/accounting.hpp"
#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone {

enum class CutoffMode {
  kHard,      // --max-transfer: a transfer fails at the read that finds the limit reached, and
              // the run stops (fatal); --max-duration: the run stops at the deadline
  kSoft,      // no transfer starts once the limit is reached; those running complete
  kCautious,  // --max-transfer: no transfer starts that could take the run past the limit
};

// The run's error when --max-transfer was reached (kMaxTransfer: exit code 8) and when
// --max-duration was (kMaxDuration, fatal: exit code 7, as rclone 1.60).
Error MaxTransferError(RetryClass retry);
Error MaxDurationError(RetryClass retry);

class Cutoff {
 public:
  // max_transfer < 0: no byte limit; max_duration <= 0: no time limit (counted from now).
  Cutoff(int64_t max_transfer, std::chrono::milliseconds max_duration, CutoffMode mode,
         const Accounting& acct);

  bool active() const { return max_transfer_ >= 0 || has_deadline_; }
  CutoffMode mode() const { return mode_; }
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }
  bool has_deadline() const { return has_deadline_; }

  // Before a transfer of size bytes (-1 unknown) starts. server_side: its bytes cannot be cut
  // off on the way (a hard limit then refuses one that would cross it). Ok, or the error the
  // file fails with. Every admitted transfer is ended with Done(size).
  Status Admit(int64_t size, bool server_side);
  void Done(int64_t size);
  // With a hard --max-transfer, a stream over `in` whose reads fail with MaxTransferError
  // (fatal) once the run's bytes reached the limit; else nullptr (read `in` itself).
  std::unique_ptr<Reader> Limit(Reader& in) const;
  // Whether the time limit has passed.
  bool DurationReached() const;
  // True the first time it is called: for logging the cutoff once.
  bool FirstRefusal();

 private:
  int64_t max_transfer_;
  bool has_deadline_;
  std::chrono::steady_clock::time_point deadline_;
  CutoffMode mode_;
  const Accounting& acct_;
  std::atomic<int64_t> pending_{0};  // sizes of admitted transfers still running (cautious)
  std::atomic<bool> refused_{false};
};

}  // namespace cvclone
