#include "core/engine/sync.hpp"

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

#include "core/engine/march.hpp"
#include "core/engine/queue.hpp"
#include "core/engine/stored_versions.hpp"
#include "core/engine/transfer.hpp"
#include "core/log.hpp"

namespace cvclone {
namespace {

constexpr const char* kNoTransferMessage = "no files transferred";
// Transfers waiting per transfer worker: enough to keep them busy, bounded memory.
constexpr size_t kQueuedPerTransfer = 16;

// What the march found that sync must delete afterwards (extraneous dst files, dst-only dirs).
struct Extraneous {
  std::mutex mu;
  std::vector<std::string> files;
  std::vector<std::string> dirs;
};

class SyncRun {
 public:
  SyncRun(const Context& ctx, Remote& src, Remote& dst, SyncMode mode, const SyncOptions& opts,
          Accounting& acct, const Filter& filter)
      : state_(ctx), src_(src), dst_(dst), mode_(mode), opts_(opts), acct_(acct),
        filter_(filter),
        queue_(static_cast<size_t>(std::max(1, opts.transfers)) * kQueuedPerTransfer) {}

  Status Run();

 private:
  void OnFile(const ObjectInfo* s, const ObjectInfo* d);
  bool OnDir(const std::string& dir, bool in_src, bool in_dst);
  void Enqueue(const ObjectInfo& s, bool replacing);
  bool ConfirmedAbsent(const std::string& path);
  void DeleteExtraneous();
  // Group commits on dst for the run (Remote::StartBatch), finished before any deletion.
  void StartBatch();
  void FinishBatch();

  RunState state_;
  Remote& src_;
  Remote& dst_;
  SyncMode mode_;
  const SyncOptions& opts_;
  Accounting& acct_;
  const Filter& filter_;
  BoundedQueue<TransferJob> queue_;
  Extraneous extra_;
};

bool SyncRun::OnDir(const std::string& dir, bool in_src, bool in_dst) {
  if (!filter_.Descend(dir)) {
    // --delete-excluded: what the filter excludes on dst goes, so its folders are walked.
    const bool purge =
        mode_ == SyncMode::kSync && opts_.delete_excluded && in_dst && !filter_.IncludeDir(dir);
    if (!purge) return false;
  }
  if (!in_src) {
    // Only sync deletes what is only on dst; copy/move need not look there.
    if (mode_ != SyncMode::kSync) return false;
    std::lock_guard lock(extra_.mu);
    extra_.dirs.push_back(dir);
  }
  return true;
}

void SyncRun::Enqueue(const ObjectInfo& s, bool replacing) {
  acct_.AddExpected(s.size);
  if (opts_.dry_run) {
    log::NoticeAt(s.path, "Skipped {} as --dry-run is set (size {})",
                  mode_ == SyncMode::kMove ? "move" : "copy",
                  FormatBytes(static_cast<double>(std::max<int64_t>(s.size, 0))));
    acct_.FileTransferred();
    return;
  }
  if (!queue_.Push(TransferJob{s, s.path, replacing}, state_.stop())) acct_.FileFailed();
}

void SyncRun::OnFile(const ObjectInfo* s, const ObjectInfo* d) {
  if (s == nullptr) {
    if (mode_ != SyncMode::kSync) return;
    const bool included = filter_.IncludeObject(*d);
    if ((included && ConfirmedAbsent(d->path)) || (!included && opts_.delete_excluded)) {
      std::lock_guard lock(extra_.mu);
      extra_.files.push_back(d->path);
    }
    return;
  }
  if (!filter_.IncludeObject(*s)) {
    if (d != nullptr && mode_ == SyncMode::kSync && opts_.delete_excluded) {
      std::lock_guard lock(extra_.mu);
      extra_.files.push_back(d->path);
    }
    return;
  }
  if (d == nullptr) {
    Enqueue(*s, false);
    return;
  }
  ObjectInfo exact = *s;  // Decide replaces it with the Stat() it made, if any
  Decision decision = Decide(state_, src_, dst_, *s, *d, opts_, mode_ == SyncMode::kMove, &exact);
  acct_.AddCheck();
  if (decision == Decision::kTransfer) {
    Enqueue(exact, true);
  } else if (decision == Decision::kEqual) {
    log::DebugAt(s->path, "Unchanged skipping");
    if (mode_ == SyncMode::kMove) DeleteSource(state_, src_, exact, opts_, acct_);
  } else {
    log::DebugAt(s->path, "Skipped (destination kept by option)");
  }
}

// A listing that silently left out a source file must not make sync delete its copy: the
// absence is confirmed with a Stat() of the source (on the checker, before anything is deleted).
// Anything but "not found" is recorded as an error, and then nothing is deleted at all.
bool SyncRun::ConfirmedAbsent(const std::string& path) {
  auto st = src_.Stat(state_.ctx(), path);
  if (!st && st.error().code() == ErrorCode::kNotFound) return true;
  if (!st && st.error().code() == ErrorCode::kCancelled) return false;
  const Error e = st ? Error(ErrorCode::kCorrupt,
                             "the source listing left out a file that exists: " + path,
                             RetryClass::kRetryable)
                     : st.error();
  log::ErrorAt(path, "not deleting: {}", e.message());
  acct_.AddError(e);
  state_.Record(e);
  return false;
}

void SyncRun::DeleteExtraneous() {
  if (state_.HasErrors()) {
    if (!extra_.files.empty() || !extra_.dirs.empty()) {
      log::Error("Not deleting files as there were IO errors");
    }
    return;
  }
  std::sort(extra_.files.begin(), extra_.files.end());
  int64_t deleted = 0;
  for (const std::string& path : extra_.files) {
    if (state_.Stopped()) return;
    if (opts_.max_delete >= 0 && deleted >= opts_.max_delete) {
      Error e(ErrorCode::kInvalidArgument,
              "--max-delete " + std::to_string(opts_.max_delete) + " exceeded: " +
                  std::to_string(extra_.files.size()) + " files to delete");
      log::Error("{}", e.message());
      acct_.AddError(e);
      state_.Record(e);
      return;
    }
    ++deleted;
    if (opts_.dry_run) {
      log::NoticeAt(path, "Skipped delete as --dry-run is set");
      acct_.AddDelete();
      continue;
    }
    if (auto st = dst_.Delete(state_.ctx(), path); !st) {
      if (st.error().code() == ErrorCode::kCancelled) return;
      if (st.error().code() == ErrorCode::kNotFound) {
        log::InfoAt(path, "already deleted");  // e.g. by another sync at the same time
        continue;
      }
      log::ErrorAt(path, "Failed to delete: {}", st.error().message());
      acct_.AddError(st.error());
      state_.Record(st.error());
      continue;
    }
    acct_.AddDelete();
    log::InfoAt(path, "Deleted");
  }
  if (opts_.dry_run || state_.HasErrors()) return;
  // Deepest first, so parents are empty by the time they are tried.
  std::sort(extra_.dirs.begin(), extra_.dirs.end(), [](const auto& a, const auto& b) {
    return std::count(a.begin(), a.end(), '/') > std::count(b.begin(), b.end(), '/');
  });
  for (const std::string& dir : extra_.dirs) {
    if (state_.Stopped()) return;
    if (auto st = dst_.Rmdir(state_.ctx(), dir); st) {
      log::InfoAt(dir, "Removed directory");
      acct_.AddDeletedDir();
    } else if (st.error().code() != ErrorCode::kDirNotEmpty) {
      log::DebugAt(dir, "could not remove directory: {}", st.error().message());
    }
  }
}

void SyncRun::StartBatch() {
  // A move deletes each source right after its transfer, so its puts must be final at once.
  if (mode_ == SyncMode::kMove || opts_.dry_run) return;
  dst_.StartBatch([this](const std::string& path, const Error& error) {
    log::ErrorAt(path, "Failed to copy: {}", error.message());
    acct_.FileUndone();
    acct_.AddError(error);
    state_.Record(error);
  });
}

void SyncRun::FinishBatch() {
  Status st = dst_.FinishBatch(state_.ctx());
  if (st || st.error().code() == ErrorCode::kCancelled) return;
  // Failures of single files were reported through the callback; this records the run's.
  if (!state_.HasErrors()) {
    log::Error("{}", st.error().message());
    acct_.AddError(st.error());
    state_.Record(st.error());
  }
}

Status SyncRun::Run() {
  Status marched = Ok();
  std::unique_ptr<StoredVersions> versions = StoredVersions::ForDestination(dst_, opts_.dry_run);
  state_.set_stored_versions(versions.get());
  StartBatch();
  {
    std::vector<std::jthread> workers;
    for (int i = 0; i < std::max(1, opts_.transfers); ++i) {
      workers.emplace_back([this] {
        while (auto job = queue_.Pop(state_.stop())) {
          (void)TransferFile(state_, src_, dst_, *job, mode_ == SyncMode::kMove, opts_, acct_);
        }
      });
    }
    MarchCallbacks cb;
    cb.on_file = [this](const ObjectInfo* s, const ObjectInfo* d) { OnFile(s, d); };
    cb.excludes_listing = [this](const std::vector<ObjectInfo>& l) {
      return filter_.ExcludesListing(l);
    };
    cb.on_dir = [this](const std::string& dir, bool in_src, bool in_dst) {
      return OnDir(dir, in_src, in_dst);
    };
    marched = March(state_, src_, dst_, opts_.checkers, cb);
    queue_.Close();
  }
  FinishBatch();  // before deleting anything: every copied file is in place and durable
  if (versions) versions->Compact();
  if (!marched && marched.error().code() == ErrorCode::kDirNotFound) {
    log::Error("{}", marched.error().message());
    return marched;
  }
  if (mode_ == SyncMode::kSync && !state_.Stopped()) DeleteExtraneous();
  return state_.Final();
}

constexpr const char* kSameMessage = "Nothing to do as source and destination are the same";

// Whether `inner` is `outer` or lies below it ('/'-separated paths; "" holds everything).
bool PathWithin(const std::string& inner, const std::string& outer) {
  if (outer.empty() || inner == outer) return true;
  const std::string base = outer.back() == '/' ? outer : outer + "/";
  return inner.rfind(base, 0) == 0;
}

// Whether the filter keeps the walk out of dst_rel (dst's place inside src) at some level.
bool FilterExcludes(const Filter& filter, const std::string& dst_rel) {
  for (size_t slash = 0; slash != std::string::npos;) {
    slash = dst_rel.find('/', slash + 1);
    if (!filter.IncludeDir(dst_rel.substr(0, slash))) return true;
  }
  return false;
}

Overlap Compare(const StorageLocation& s, const StorageLocation& d) {
  if (s.storage.empty() || s.storage != d.storage) return Overlap::kNone;
  if (s.path == d.path) return s.view == d.view ? Overlap::kSame : Overlap::kDstInSrc;
  if (PathWithin(d.path, s.path)) return Overlap::kDstInSrc;
  if (PathWithin(s.path, d.path)) return Overlap::kSrcInDst;
  return Overlap::kNone;
}

// rclone's refusal of a sync or move into itself; Ok where the trees are apart. s and d are
// src's and dst's StorageRoot(), overlap what Compare made of them.
Status CheckOverlap(const Remote& src, const Remote& dst, const StorageLocation& s,
                    const StorageLocation& d, Overlap overlap, SyncMode mode,
                    const Filter& filter) {
  if (overlap == Overlap::kNone || mode == SyncMode::kCopy) return Ok();
  if (overlap == Overlap::kDstInSrc) {
    std::string rel = d.path.substr(s.path.size());
    while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
    if (!rel.empty() && FilterExcludes(filter, rel)) return Ok();
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "can't sync or move files on overlapping remotes (" + src.Name() + " and " +
                       dst.Name() + "; try excluding the destination with a filter rule)",
                   RetryClass::kFatal);
}

}  // namespace

Overlap CompareRoots(const Remote& src, const Remote& dst) {
  return Compare(src.StorageRoot(), dst.StorageRoot());
}

bool IsNoTransferError(const Error& error) {
  return error.code() == ErrorCode::kNotFound && error.message() == kNoTransferMessage;
}

Status RunSync(const Context& ctx, Remote& src, Remote& dst, SyncMode mode,
               const SyncOptions& opts, Accounting& acct) {
  CVC_ASSIGN_OR_RETURN(Filter filter, Filter::Make(opts.filter));
  const StorageLocation s = src.StorageRoot();
  const StorageLocation d = dst.StorageRoot();
  const Overlap overlap = Compare(s, d);
  if (overlap == Overlap::kSame) {
    log::ErrorAt(dst.Name(), "{}", kSameMessage);
    return Ok();
  }
  CVC_RETURN_IF_ERROR(CheckOverlap(src, dst, s, d, overlap, mode, filter));
  SyncRun run(ctx, src, dst, mode, opts, acct, filter);
  CVC_RETURN_IF_ERROR(run.Run());
  if (opts.error_on_no_transfer && acct.transfers() == 0) {
    return MakeError(ErrorCode::kNotFound, kNoTransferMessage);
  }
  return Ok();
}

Status CopyOneFile(const Context& ctx, Remote& src, const std::string& src_path, Remote& dst,
                   const std::string& dst_path, bool move, const SyncOptions& opts,
                   Accounting& acct) {
  RunState state(ctx);
  std::unique_ptr<StoredVersions> versions = StoredVersions::ForDestination(dst, opts.dry_run);
  state.set_stored_versions(versions.get());
  if (CompareRoots(src, dst) == Overlap::kSame && src_path == dst_path) {
    log::ErrorAt(JoinPath(dst.Name(), dst_path), "{}", kSameMessage);
    return Ok();
  }
  CVC_ASSIGN_OR_RETURN(ObjectInfo s, src.Stat(state.ctx(), src_path));
  auto d = dst.Stat(state.ctx(), dst_path);
  if (!d && d.error().code() != ErrorCode::kNotFound) return Propagate(d.error(), dst_path);
  if (d) {
    Decision decision = Decide(state, src, dst, s, *d, opts, move);
    acct.AddCheck();
    if (decision != Decision::kTransfer) {
      log::DebugAt(dst_path, "Unchanged skipping");
      if (move && decision == Decision::kEqual) DeleteSource(state, src, s, opts, acct);
      return state.Final();
    }
  }
  acct.AddExpected(s.size);
  if (opts.dry_run) {
    log::NoticeAt(dst_path, "Skipped {} as --dry-run is set (size {})", move ? "move" : "copy",
                  FormatBytes(static_cast<double>(std::max<int64_t>(s.size, 0))));
    acct.FileTransferred();
    return Ok();
  }
  (void)TransferFile(state, src, dst, TransferJob{s, dst_path, d.has_value()}, move, opts, acct);
  CVC_RETURN_IF_ERROR(state.Final());
  if (opts.error_on_no_transfer && acct.transfers() == 0) {
    return MakeError(ErrorCode::kNotFound, kNoTransferMessage);
  }
  return Ok();
}

}  // namespace cvclone
