// SIGINT/SIGTERM handling for a run: the first signal requests a stop on the run's stop source
// (everything winds down, no partial files are left); a second one exits at once (130 for
// SIGINT, 143 for SIGTERM).
#pragma once

#include <stop_token>
#include <thread>

namespace cvclone {

// Blocks SIGINT and SIGTERM in the calling thread, so that threads started afterwards inherit
// the mask. Call first thing in main, before any thread exists.
void BlockStopSignals();

// Waits for the blocked signals in a thread of its own (sigwait) while alive.
class SignalWatcher {
 public:
  explicit SignalWatcher(std::stop_source stop);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  void Loop();

  std::stop_source stop_;
  std::jthread thread_;
};

}  // namespace cvclone
