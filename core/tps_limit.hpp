// --tpslimit and --tpslimit-burst (rclone's): at most so many HTTP transactions per second,
// counted across the whole process (every remote, every thread), as rclone's limit is. The
// network backends call WaitForTransaction() before each request they send, retries included.
#pragma once

#include "core/context.hpp"
#include "core/error.hpp"

namespace cvclone {

// per_second <= 0: no limit (the default). burst (>= 1): transactions that may go at once after
// a quiet time; the limit starts with that many available, as rclone's.
void SetTransactionLimit(double per_second, int burst);

// Returns once one more transaction fits the limit: at once without a limit. kCancelled when
// ctx is stopped while waiting.
Status WaitForTransaction(const Context& ctx);

}  // namespace cvclone
