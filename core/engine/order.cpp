#include "core/engine/order.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace cvclone {
namespace {

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    std::string part = text.substr(start, comma == std::string::npos ? comma : comma - start);
    std::transform(part.begin(), part.end(), part.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    parts.push_back(part);
    if (comma == std::string::npos) return parts;
    start = comma + 1;
  }
}

Error Invalid(const std::string& message) {
  return Error(ErrorCode::kInvalidArgument, message, RetryClass::kFatal);
}

}  // namespace

Result<TransferOrder> ParseOrderBy(const std::string& text) {
  TransferOrder order;
  if (text.empty()) return order;
  const std::vector<std::string> parts = SplitComma(text);
  if (parts.size() > 3) return Unexpected<Error>(Invalid("bad --order-by string \"" + text + "\""));
  if (parts[0] == "size") {
    order.key = OrderKey::kSize;
  } else if (parts[0] == "name") {
    order.key = OrderKey::kName;
  } else if (parts[0] == "modtime") {
    order.key = OrderKey::kModTime;
  } else {
    return Unexpected<Error>(Invalid("unknown --order-by comparison \"" + parts[0] + "\""));
  }
  const std::string direction = parts.size() > 1 ? parts[1] : "ascending";
  if (direction == "ascending" || direction == "asc") {
    order.descending = false;
  } else if (direction == "descending" || direction == "desc") {
    order.descending = true;
  } else if (direction == "mixed") {
    order.mixed_percent = 50;
  } else {
    return Unexpected<Error>(Invalid("unknown --order-by sort direction \"" + direction + "\""));
  }
  if (parts.size() == 3) {
    const std::string& p = parts[2];
    const bool digits =
        order.mixed_percent >= 0 && !p.empty() && p.size() <= 3 &&
        std::all_of(p.begin(), p.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
    if (!digits || std::stoi(p) > 100) {
      return Unexpected<Error>(Invalid("bad mixed percentage \"" + p + "\" in --order-by"));
    }
    order.mixed_percent = std::stoi(p);
  }
  return order;
}

bool KeyBefore(const TransferOrder& order, const ObjectInfo& a, const ObjectInfo& b) {
  switch (order.key) {
    case OrderKey::kSize:
      if (a.size != b.size) return a.size < b.size;
      break;
    case OrderKey::kModTime:
      if (a.mtime != b.mtime) return a.mtime < b.mtime;
      break;
    case OrderKey::kName:
    case OrderKey::kNone:
      break;
  }
  return a.path < b.path;
}

bool TakesLast(const TransferOrder& order, int worker, int workers) {
  if (order.mixed_percent < 0) return order.descending;
  return 100 * worker / std::max(1, workers) >= order.mixed_percent;
}

}  // namespace cvclone
