// Context: what every remote operation is given so it can stop early.
//
// One std::stop_source per run (SIGINT/SIGTERM request a stop); operations poll stop_requested()
// between blocking steps and return ErrorCode::kCancelled. A Context is cheap to copy and
// may be shared by any number of threads.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>

#include "core/error.hpp"

namespace cvclone {

struct Context {
  std::stop_token stop;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // Called, from any thread, when a listing leaves out an entry it cannot show (a crypt name
  // that does not decrypt) after logging it. The engine sets it on its source listings and
  // counts an error, so that a sync deletes nothing in that run. May be empty.
  std::function<void(const Error&)> on_skipped;

  void ReportSkipped(const Error& error) const {
    if (on_skipped) on_skipped(error);
  }

  bool Cancelled() const { return stop.stop_requested(); }
  // kCancelled if a stop was requested, kTimeout past the deadline, else ok.
  Status Check() const {
    if (stop.stop_requested()) return MakeError(ErrorCode::kCancelled, "cancelled");
    if (deadline && std::chrono::steady_clock::now() > *deadline) {
      return MakeError(ErrorCode::kTimeout, "deadline exceeded", RetryClass::kRetryable);
    }
    return Ok();
  }
};

}  // namespace cvclone
