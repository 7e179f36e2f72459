// --order-by (rclone's): the order in which queued transfers start.
#pragma once

#include <string>

#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone {

enum class OrderKey { kNone, kSize, kName, kModTime };

struct TransferOrder {
  OrderKey key = OrderKey::kNone;  // kNone: in the order the march finds the files
  bool descending = false;
  // mixed: this percentage of the transfer workers takes the first by key (the smallest, the
  // oldest), the others the last; -1: not mixed.
  int mixed_percent = -1;
};

// rclone's syntax: "" (none), "KEY[,DIRECTION]" with KEY size, name or modtime and DIRECTION
// ascending (asc, the default), descending (desc) or mixed[,PERCENT] (default 50). Errors are
// fatal kInvalidArgument (rclone exits 7): unknown --order-by comparison "x", unknown
// --order-by sort direction "x", bad mixed percentage "x".
Result<TransferOrder> ParseOrderBy(const std::string& text);

// Whether a comes before b by order's key, ascending (ties: by name, so the order is total).
bool KeyBefore(const TransferOrder& order, const ObjectInfo& a, const ObjectInfo& b);

// Whether transfer worker `worker` of `workers` takes the last item by key rather than the
// first: descending, or mixed and beyond the mixed percentage of the workers (as rclone).
bool TakesLast(const TransferOrder& order, int worker, int workers);

}  // namespace cvclone
