// FaultRemote: a wrapper Remote that forwards every call to an inner Remote and injects faults
// on request (LevelDB's SpecialEnv idea: wrap the real thing, no mocks). Counts calls per
// operation and per (operation, path). Thread-safe. Type(), Name() and features are the inner
// remote's (features may be overridden with features()); server-side Copy/Move from another
// FaultRemote are forwarded with that remote's inner remote as the source.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/remote.hpp"

namespace cvclone {

enum class FaultOp { kList, kStat, kOpen, kPut, kDelete, kMkdir, kRmdir, kCopy, kSetModTime, kHash };

using PathMatch = std::function<bool(const std::string& path)>;
// Matches one exact path; and every path.
PathMatch PathIs(std::string path);
PathMatch AnyPath();

class FaultRemote : public Remote {
 public:
  explicit FaultRemote(Remote& inner);

  // Calls of op on a path matching `match` fail with `error` (without reaching the inner remote)
  // the first `times` times such a call is made (-1: always). Rules are tried in the order added.
  void FailOn(FaultOp op, PathMatch match, Error error, int times = -1);
  // Readers returned by Open for matching paths fail with `error` once `after_bytes` bytes were
  // delivered (-1 as times: every Open; else only the first `times` Opens).
  void FailReadAfter(PathMatch match, int64_t after_bytes, Error error, int times = -1);
  // Readers returned by Open for matching paths call `action` once, after delivering
  // `after_bytes` bytes (e.g. to request a stop mid-transfer).
  void OnReadAfter(PathMatch match, int64_t after_bytes, std::function<void()> action);
  // Forget all faults (counters are kept).
  void ClearFaults();

  // Calls made (including failed ones) of op, in total or on one path.
  int Calls(FaultOp op) const;
  int Calls(FaultOp op, const std::string& path) const;

  Features& features() { return features_; }

  std::string Type() const override { return inner_.Type(); }
  std::string Name() const override { return inner_.Name(); }
  const Features& GetFeatures() const override { return features_; }
  Remote& inner() { return inner_; }

  Result<std::vector<ObjectInfo>> List(const Context& ctx, const std::string& dir) override;
  Result<ObjectInfo> Stat(const Context& ctx, const std::string& path) override;
  Result<std::unique_ptr<Reader>> Open(const Context& ctx, const std::string& path,
                                       int64_t offset = 0, int64_t count = -1) override;
  Result<ObjectInfo> Put(const Context& ctx, const std::string& path, Reader& src,
                         const PutOptions& opts) override;
  Status Delete(const Context& ctx, const std::string& path) override;
  Status Mkdir(const Context& ctx, const std::string& dir) override;
  Status Rmdir(const Context& ctx, const std::string& dir) override;
  Status Purge(const Context& ctx, const std::string& dir) override;
  Result<ObjectInfo> Copy(const Context& ctx, Remote& src, const std::string& src_path,
                          const std::string& dst_path) override;
  Result<ObjectInfo> Move(const Context& ctx, Remote& src, const std::string& src_path,
                          const std::string& dst_path) override;
  Status SetModTime(const Context& ctx, const std::string& path, TimePoint mtime) override;
  Result<std::string> Hash(const Context& ctx, const std::string& path, HashType type) override;

 private:
  struct Rule {
    FaultOp op;
    PathMatch match;
    Error error;
    int remaining;  // -1: forever
  };
  struct ReadRule {
    PathMatch match;
    int64_t after_bytes;
    std::optional<Error> error;
    std::function<void()> action;
    int remaining;
  };
  // Counts the call and returns the injected error, if any.
  std::optional<Error> Enter(FaultOp op, const std::string& path);

  Remote& inner_;
  Features features_;
  mutable std::mutex mu_;
  std::vector<Rule> rules_;
  std::vector<ReadRule> read_rules_;
  std::map<FaultOp, int> calls_;
  std::map<std::pair<FaultOp, std::string>, int> path_calls_;
};

// A FaultRemote whose Put stores what it reads but reports a wrong MD5 for it: for the checks
// that compare a hash computed on the way with the one the destination reports.
class WrongHashRemote : public FaultRemote {
 public:
  using FaultRemote::FaultRemote;
  Result<ObjectInfo> Put(const Context& ctx, const std::string& path, Reader& src,
                         const PutOptions& opts) override {
    CVC_ASSIGN_OR_RETURN(ObjectInfo info, FaultRemote::Put(ctx, path, src, opts));
    info.hashes[HashType::kMd5] = std::string(32, '0');
    return info;
  }
};

}  // namespace cvclone
