#include "commands/signals.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>

#include "core/log.hpp"

namespace cvclone {
namespace {

// SIGUSR2 only wakes the watcher when it is being destroyed.
constexpr int kWakeSignal = SIGUSR2;
std::atomic<bool> g_shutting_down{false};

sigset_t WatchedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, kWakeSignal);
  return set;
}

}  // namespace

void BlockStopSignals() {
  sigset_t set = WatchedSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

SignalWatcher::SignalWatcher(std::stop_source stop) : stop_(std::move(stop)) {
  g_shutting_down = false;
  thread_ = std::jthread([this] { Loop(); });
}

SignalWatcher::~SignalWatcher() {
  g_shutting_down = true;
  pthread_kill(thread_.native_handle(), kWakeSignal);
  thread_.join();
}

void SignalWatcher::Loop() {
  sigset_t set = WatchedSignals();
  int received = 0;
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == kWakeSignal) {
      if (g_shutting_down) return;
      continue;
    }
    if (++received >= 2) _exit(128 + sig);
    log::Notice("Signal received: {}; stopping (again to exit at once)",
                sig == SIGINT ? "interrupt" : "terminated");
    stop_.request_stop();
  }
}

}  // namespace cvclone
