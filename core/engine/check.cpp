// RunCheck: compares two trees (sizes, a common hash, or the bytes with --download).
#include <atomic>
#include <cstring>
#include <optional>
#include <string>

#include "core/engine/check.hpp"
#include "core/engine/march.hpp"
#include "core/engine/sync.hpp"
#include "core/engine/transfer.hpp"
#include "core/io.hpp"
#include "core/log.hpp"

namespace cvclone {
namespace {

constexpr const char* kDifferencesSuffix = " differences found";
constexpr size_t kCompareChunk = 64 * 1024;

// Whether the two objects hold the same bytes.
Result<bool> SameBytes(const Context& ctx, Remote& src, const std::string& spath, Remote& dst,
                       const std::string& dpath, Accounting& acct) {
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> a, src.Open(ctx, spath));
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> b, dst.Open(ctx, dpath));
  std::string buf_a(kCompareChunk, '\0'), buf_b(kCompareChunk, '\0');
  for (;;) {
    CVC_RETURN_IF_ERROR(ctx.Check());
    CVC_ASSIGN_OR_RETURN(size_t na, ReadFull(*a, AsWritableBytes(buf_a)));
    CVC_ASSIGN_OR_RETURN(size_t nb, ReadFull(*b, AsWritableBytes(buf_b)));
    acct.AddBytes(static_cast<int64_t>(na + nb));
    if (na != nb || std::memcmp(buf_a.data(), buf_b.data(), na) != 0) return false;
    if (na == 0) return true;
  }
}

class CheckRun {
 public:
  CheckRun(const Context& ctx, Remote& src, Remote& dst, const SyncOptions& opts,
           Accounting& acct, const Filter& filter, const CheckReport& report)
      : state_(ctx), src_(src), dst_(dst), opts_(opts), acct_(acct), filter_(filter),
        report_(report),
        hash_(src.GetFeatures().hashes.Intersect(dst.GetFeatures().hashes).First()) {}

  Status Run();

 private:
  void OnFile(const ObjectInfo* s, const ObjectInfo* d);
  void Compare(const ObjectInfo& s, const ObjectInfo& d);
  void Difference(const std::string& path, const std::string& what, CheckOutcome outcome) {
    log::ErrorAt(path, "{}", what);
    differences_.fetch_add(1);
    Report(outcome, path);
  }
  void Report(CheckOutcome outcome, const std::string& path) {
    if (report_) report_(outcome, path);
  }
  // The hash, "" when the object has none; nullopt (logged, counted) when reading it failed.
  std::optional<std::string> HashOf(Remote& r, const ObjectInfo& info);

  RunState state_;
  Remote& src_;
  Remote& dst_;
  const SyncOptions& opts_;
  Accounting& acct_;
  const Filter& filter_;
  const CheckReport& report_;
  HashType hash_;
  std::atomic<int64_t> differences_{0};
};

std::optional<std::string> CheckRun::HashOf(Remote& r, const ObjectInfo& info) {
  auto it = info.hashes.find(hash_);
  if (it != info.hashes.end() && !it->second.empty()) return it->second;
  auto h = r.Hash(state_.ctx(), info.path, hash_);
  if (!h) {
    if (h.error().code() != ErrorCode::kCancelled) {
      log::ErrorAt(info.path, "failed to read {}: {}", HashName(hash_), h.error().message());
      acct_.AddError(h.error());
      state_.Record(h.error());
    }
    return std::nullopt;
  }
  return *h;
}

void CheckRun::Compare(const ObjectInfo& s, const ObjectInfo& d) {
  acct_.AddCheck();
  if (s.size >= 0 && d.size >= 0 && s.size != d.size) {
    Difference(s.path, "sizes differ", CheckOutcome::kDiffer);
    return;
  }
  if (opts_.download) {
    auto same = SameBytes(state_.ctx(), src_, s.path, dst_, d.path, acct_);
    if (!same) {
      if (same.error().code() == ErrorCode::kCancelled) return;
      log::ErrorAt(s.path, "failed to compare: {}", same.error().message());
      acct_.AddError(same.error());
      state_.Record(same.error());
      Report(CheckOutcome::kError, s.path);
    } else if (!*same) {
      Difference(s.path, "contents differ", CheckOutcome::kDiffer);
    } else {
      Report(CheckOutcome::kMatch, s.path);
    }
    return;
  }
  if (hash_ != HashType::kNone) {
    std::optional<std::string> a = HashOf(src_, s);
    std::optional<std::string> b = a ? HashOf(dst_, d) : std::nullopt;
    if (!a || !b) {
      if (!state_.ctx().Cancelled()) Report(CheckOutcome::kError, s.path);
      return;
    }
    // No hash for this object on one side: sizes only.
    if (!a->empty() && !b->empty() && *a != *b) {
      Difference(s.path, std::string(HashName(hash_)) + " differ", CheckOutcome::kDiffer);
      return;
    }
  }
  Report(CheckOutcome::kMatch, s.path);
}

void CheckRun::OnFile(const ObjectInfo* s, const ObjectInfo* d) {
  if (s == nullptr) {
    if (!opts_.one_way && filter_.IncludeObject(*d)) {
      Difference(d->path, "file not in " + src_.Name(), CheckOutcome::kMissingOnSrc);
    }
    return;
  }
  if (!filter_.IncludeObject(*s)) return;
  if (d == nullptr) {
    Difference(s->path, "file not in " + dst_.Name(), CheckOutcome::kMissingOnDst);
    return;
  }
  Compare(*s, *d);
}

Status CheckRun::Run() {
  if (!opts_.download && hash_ == HashType::kNone) {
    log::Notice("{} and {} have no hash in common: checking sizes only", src_.Name(),
                dst_.Name());
  }
  MarchCallbacks cb;
  cb.on_file = [this](const ObjectInfo* s, const ObjectInfo* d) { OnFile(s, d); };
  cb.excludes_listing = [this](const std::vector<ObjectInfo>& l) {
    return filter_.ExcludesListing(l);
  };
  cb.on_dir = [this](const std::string& dir, bool, bool in_dst) {
    (void)in_dst;
    return filter_.Descend(dir);
  };
  Status marched = March(state_, src_, dst_, opts_.checkers, cb);
  if (!marched && marched.error().code() == ErrorCode::kDirNotFound) {
    log::Error("{}", marched.error().message());
    return marched;
  }
  const int64_t n = differences_.load();
  if (state_.Stopped()) return state_.Final();
  if (n > 0) {
    log::Error("{}{}", n, kDifferencesSuffix);
  } else {
    log::Notice("0{}", kDifferencesSuffix);
  }
  CVC_RETURN_IF_ERROR(state_.Final());
  if (n > 0) return MakeError(ErrorCode::kDifferences, std::to_string(n) + kDifferencesSuffix);
  return Ok();
}

}  // namespace


char CheckOutcomeSign(CheckOutcome outcome) {
  switch (outcome) {
    case CheckOutcome::kMatch: return '=';
    case CheckOutcome::kMissingOnSrc: return '-';
    case CheckOutcome::kMissingOnDst: return '+';
    case CheckOutcome::kDiffer: return '*';
    case CheckOutcome::kError: return '!';
  }
  return '?';
}

Status RunCheck(const Context& ctx, Remote& src, Remote& dst, const SyncOptions& opts,
                Accounting& acct, const CheckReport& report) {
  CVC_ASSIGN_OR_RETURN(Filter filter, Filter::Make(opts.filter));
  CheckRun run(ctx, src, dst, opts, acct, filter, report);
  return run.Run();
}

Status RunCheck(const Context& ctx, Remote& src, Remote& dst, const SyncOptions& opts,
                Accounting& acct) {
  return RunCheck(ctx, src, dst, opts, acct, CheckReport());
}

}  // namespace cvclone
