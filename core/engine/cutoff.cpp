#include "core/engine/cutoff.hpp"

#include <algorithm>

namespace cvclone {
namespace {

constexpr const char* kMaxTransfer = "max transfer limit reached as set by --max-transfer";
constexpr const char* kMaxDuration = "max transfer duration reached as set by --max-duration";

class LimitReader : public Reader {
 public:
  LimitReader(Reader& in, const Accounting& acct, int64_t limit)
      : in_(in), acct_(acct), limit_(limit) {}
  Result<size_t> Read(std::span<std::byte> buf) override {
    if (acct_.bytes() >= limit_) return Unexpected<Error>(MaxTransferError(RetryClass::kFatal));
    return in_.Read(buf);
  }
  const ObjectInfo* OpenedInfo() const override { return in_.OpenedInfo(); }
  std::string Version() const override { return in_.Version(); }

 private:
  Reader& in_;
  const Accounting& acct_;
  int64_t limit_;
};

}  // namespace

Error MaxTransferError(RetryClass retry) {
  return Error(ErrorCode::kMaxTransfer, kMaxTransfer, retry);
}

Error MaxDurationError(RetryClass retry) {
  return Error(ErrorCode::kMaxDuration, kMaxDuration, retry);
}

Cutoff::Cutoff(int64_t max_transfer, std::chrono::milliseconds max_duration, CutoffMode mode,
               const Accounting& acct)
    : max_transfer_(max_transfer),
      has_deadline_(max_duration.count() > 0),
      deadline_(std::chrono::steady_clock::now() + max_duration),
      mode_(mode),
      acct_(acct) {}

bool Cutoff::DurationReached() const {
  return has_deadline_ && std::chrono::steady_clock::now() >= deadline_;
}

Status Cutoff::Admit(int64_t size, bool server_side) {
  if (DurationReached()) return Unexpected<Error>(MaxDurationError(RetryClass::kNoRetry));
  if (max_transfer_ < 0) return Ok();
  const int64_t bytes = acct_.bytes();
  const int64_t want = std::max<int64_t>(size, 0);
  const bool crosses = bytes + pending_.load() + want > max_transfer_;
  if (bytes >= max_transfer_ || (mode_ == CutoffMode::kCautious && crosses)) {
    return Unexpected<Error>(
        MaxTransferError(mode_ == CutoffMode::kHard ? RetryClass::kFatal : RetryClass::kNoRetry));
  }
  if (mode_ == CutoffMode::kHard && server_side && bytes + want > max_transfer_) {
    return Unexpected<Error>(MaxTransferError(RetryClass::kFatal));
  }
  pending_.fetch_add(want);
  return Ok();
}

bool Cutoff::FirstRefusal() { return !refused_.exchange(true); }

void Cutoff::Done(int64_t size) { pending_.fetch_sub(std::max<int64_t>(size, 0)); }

std::unique_ptr<Reader> Cutoff::Limit(Reader& in) const {
  if (max_transfer_ < 0 || mode_ != CutoffMode::kHard) return nullptr;
  return std::make_unique<LimitReader>(in, acct_, max_transfer_);
}

}  // namespace cvclone
