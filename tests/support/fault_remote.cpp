#include "tests/support/fault_remote.hpp"

#include <algorithm>

namespace cvclone {
namespace {

// Passes bytes through; after `after` bytes, fails (error) or runs an action once.
class FaultReader : public Reader {
 public:
  FaultReader(std::unique_ptr<Reader> inner, int64_t after, std::optional<Error> error,
              std::function<void()> action)
      : inner_(std::move(inner)), after_(after), error_(std::move(error)),
        action_(std::move(action)) {}

  Result<size_t> Read(std::span<std::byte> buf) override {
    if (delivered_ >= after_) {
      if (error_) return Unexpected<Error>(*error_);
      if (action_) std::exchange(action_, nullptr)();
    }
    if (error_ || action_) {
      // Stop exactly at the fault boundary.
      int64_t room = after_ - delivered_;
      if (room > 0 && static_cast<int64_t>(buf.size()) > room) {
        buf = buf.first(static_cast<size_t>(room));
      }
    }
    auto n = inner_->Read(buf);
    if (n) delivered_ += static_cast<int64_t>(*n);
    return n;
  }

 private:
  std::unique_ptr<Reader> inner_;
  int64_t after_;
  std::optional<Error> error_;
  std::function<void()> action_;
  int64_t delivered_ = 0;
};

}  // namespace

PathMatch PathIs(std::string path) {
  return [p = std::move(path)](const std::string& x) { return x == p; };
}
PathMatch AnyPath() {
  return [](const std::string&) { return true; };
}

FaultRemote::FaultRemote(Remote& inner) : inner_(inner), features_(inner.GetFeatures()) {}

void FaultRemote::FailOn(FaultOp op, PathMatch match, Error error, int times) {
  std::lock_guard lock(mu_);
  rules_.push_back(Rule{op, std::move(match), std::move(error), times});
}

void FaultRemote::FailReadAfter(PathMatch match, int64_t after_bytes, Error error, int times) {
  std::lock_guard lock(mu_);
  read_rules_.push_back(ReadRule{std::move(match), after_bytes, std::move(error), nullptr, times});
}

void FaultRemote::OnReadAfter(PathMatch match, int64_t after_bytes, std::function<void()> action) {
  std::lock_guard lock(mu_);
  read_rules_.push_back(ReadRule{std::move(match), after_bytes, std::nullopt, std::move(action), 1});
}

void FaultRemote::ClearFaults() {
  std::lock_guard lock(mu_);
  rules_.clear();
  read_rules_.clear();
}

int FaultRemote::Calls(FaultOp op) const {
  std::lock_guard lock(mu_);
  auto it = calls_.find(op);
  return it == calls_.end() ? 0 : it->second;
}

int FaultRemote::Calls(FaultOp op, const std::string& path) const {
  std::lock_guard lock(mu_);
  auto it = path_calls_.find({op, path});
  return it == path_calls_.end() ? 0 : it->second;
}

std::optional<Error> FaultRemote::Enter(FaultOp op, const std::string& path) {
  std::lock_guard lock(mu_);
  ++calls_[op];
  ++path_calls_[{op, path}];
  for (Rule& rule : rules_) {
    if (rule.op != op || rule.remaining == 0 || !rule.match(path)) continue;
    if (rule.remaining > 0) --rule.remaining;
    return rule.error;
  }
  return std::nullopt;
}

#define CVC_FAULT(op, path) \
  if (auto fault = Enter(op, path)) return Unexpected<Error>(*fault)

Result<std::vector<ObjectInfo>> FaultRemote::List(const Context& ctx, const std::string& dir) {
  CVC_FAULT(FaultOp::kList, dir);
  return inner_.List(ctx, dir);
}

Result<ObjectInfo> FaultRemote::Stat(const Context& ctx, const std::string& path) {
  CVC_FAULT(FaultOp::kStat, path);
  return inner_.Stat(ctx, path);
}

Result<std::unique_ptr<Reader>> FaultRemote::Open(const Context& ctx, const std::string& path,
                                                  int64_t offset, int64_t count) {
  CVC_FAULT(FaultOp::kOpen, path);
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, inner_.Open(ctx, path, offset, count));
  std::lock_guard lock(mu_);
  for (ReadRule& rule : read_rules_) {
    if (rule.remaining == 0 || !rule.match(path)) continue;
    if (rule.remaining > 0) --rule.remaining;
    return std::unique_ptr<Reader>(std::make_unique<FaultReader>(
        std::move(reader), rule.after_bytes, rule.error, rule.action));
  }
  return reader;
}

Result<ObjectInfo> FaultRemote::Put(const Context& ctx, const std::string& path, Reader& src,
                                    const PutOptions& opts) {
  CVC_FAULT(FaultOp::kPut, path);
  return inner_.Put(ctx, path, src, opts);
}

Status FaultRemote::Delete(const Context& ctx, const std::string& path) {
  CVC_FAULT(FaultOp::kDelete, path);
  return inner_.Delete(ctx, path);
}

Status FaultRemote::Mkdir(const Context& ctx, const std::string& dir) {
  CVC_FAULT(FaultOp::kMkdir, dir);
  return inner_.Mkdir(ctx, dir);
}

Status FaultRemote::Rmdir(const Context& ctx, const std::string& dir) {
  CVC_FAULT(FaultOp::kRmdir, dir);
  return inner_.Rmdir(ctx, dir);
}

Status FaultRemote::Purge(const Context& ctx, const std::string& dir) {
  return inner_.Purge(ctx, dir);
}

Result<ObjectInfo> FaultRemote::Copy(const Context& ctx, Remote& src, const std::string& src_path,
                                     const std::string& dst_path) {
  CVC_FAULT(FaultOp::kCopy, dst_path);
  auto* wrapped = dynamic_cast<FaultRemote*>(&src);
  return inner_.Copy(ctx, wrapped != nullptr ? wrapped->inner() : src, src_path, dst_path);
}

Result<ObjectInfo> FaultRemote::Move(const Context& ctx, Remote& src, const std::string& src_path,
                                     const std::string& dst_path) {
  CVC_FAULT(FaultOp::kCopy, dst_path);
  auto* wrapped = dynamic_cast<FaultRemote*>(&src);
  return inner_.Move(ctx, wrapped != nullptr ? wrapped->inner() : src, src_path, dst_path);
}

Status FaultRemote::SetModTime(const Context& ctx, const std::string& path, TimePoint mtime) {
  CVC_FAULT(FaultOp::kSetModTime, path);
  return inner_.SetModTime(ctx, path, mtime);
}

Result<std::string> FaultRemote::Hash(const Context& ctx, const std::string& path, HashType type) {
  CVC_FAULT(FaultOp::kHash, path);
  return inner_.Hash(ctx, path, type);
}

#undef CVC_FAULT

}  // namespace cvclone
