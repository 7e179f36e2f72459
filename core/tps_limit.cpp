#include "core/tps_limit.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace cvclone {
namespace {

using Clock = std::chrono::steady_clock;

struct TransactionLimit {
  std::mutex mu;
  std::condition_variable_any wake;  // only for the stop token
  double per_second = 0;
  double burst = 1;
  double tokens = 0;
  Clock::time_point last;
};

TransactionLimit& Limit() {
  static TransactionLimit limit;
  return limit;
}

}  // namespace

void SetTransactionLimit(double per_second, int burst) {
  TransactionLimit& l = Limit();
  std::lock_guard lock(l.mu);
  l.per_second = per_second;
  l.burst = std::max(1, burst);
  l.tokens = l.burst;
  l.last = Clock::now();
}

Status WaitForTransaction(const Context& ctx) {
  TransactionLimit& l = Limit();
  std::unique_lock lock(l.mu);
  if (l.per_second <= 0) return Ok();
  const Clock::time_point now = Clock::now();
  l.tokens = std::min(
      l.burst, l.tokens + l.per_second * std::chrono::duration<double>(now - l.last).count());
  l.last = now;
  // This transaction's slot is reserved now; those after it wait for the next ones.
  l.tokens -= 1;
  if (l.tokens >= 0) return Ok();
  const auto wait = std::chrono::duration<double>(-l.tokens / l.per_second);
  (void)l.wake.wait_for(lock, ctx.stop, std::chrono::duration_cast<std::chrono::nanoseconds>(wait),
                        [] { return false; });
  if (ctx.stop.stop_requested()) return MakeError(ErrorCode::kCancelled, "cancelled");
  return Ok();
}

}  // namespace cvclone
