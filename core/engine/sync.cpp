#include "core/engine/sync.hpp"

#include <algorithm>
#include <condition_variable>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "core/engine/backup.hpp"
#include "core/engine/compare_dest.hpp"
#include "core/engine/cutoff.hpp"
#include "core/engine/interactive.hpp"
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
  std::vector<std::string> src_dirs;  // for --create-empty-src-dirs, --delete-empty-src-dirs
};

// Deepest first: a parent comes after everything inside it.
void SortDeepestFirst(std::vector<std::string>& dirs) {
  std::sort(dirs.begin(), dirs.end(), [](const auto& a, const auto& b) {
    const auto da = std::count(a.begin(), a.end(), '/'), db = std::count(b.begin(), b.end(), '/');
    return da != db ? da > db : a > b;
  });
}

// --immutable: a dst file that differs from its source is an error, and stays as it is.
void RefuseImmutable(RunState& state, Accounting& acct, const std::string& path) {
  Error e(ErrorCode::kInvalidArgument, "immutable file modified");
  log::ErrorAt(path, "Source and destination exist but do not match: immutable file modified");
  acct.AddError(e);
  state.Record(e);
}

class SyncRun {
 public:
  SyncRun(const Context& ctx, Remote& src, Remote& dst, SyncMode mode, const SyncOptions& opts,
          Accounting& acct, const Filter& filter)
      : state_(ctx), src_(src), dst_(dst), mode_(mode), opts_(opts), acct_(acct),
        filter_(filter),
        queue_(opts.check_first
                   ? std::numeric_limits<size_t>::max()
                   : static_cast<size_t>(std::max(1, opts.transfers)) * kQueuedPerTransfer) {}

  Status Run();

 private:
  void OnFile(const ObjectInfo* s, const ObjectInfo* d);
  bool OnDir(const std::string& dir, bool in_src, bool in_dst);
  // replaced: the dst object the transfer replaces, or nullptr.
  void Enqueue(const ObjectInfo& s, const ObjectInfo* replaced);
  // Transfers s unless it is found equal in a --compare-dest or --copy-dest.
  void Transfer(const ObjectInfo& s, const ObjectInfo* replaced);
  bool ConfirmedAbsent(const std::string& path);
  void DeleteExtraneous();
  // A dst file to delete, found by the march: deleted now (--delete-during, while no error was
  // counted) or kept for DeleteExtraneous.
  void AddExtraneous(const std::string& path);
  // Deletes (or moves into the backup) one extraneous file. False when deleting must stop:
  // --max-delete reached (reported once; total: the files to delete, 0 when unknown), stopped.
  bool DeleteOne(const std::string& path, size_t total);
  Status MarchOnce();
  Status RunPasses();
  // --track-renames, after the march: renames what matches, transfers the rest.
  void MatchRenames();
  // The key a file is matched by ("" when it cannot be known: no hash).
  std::string RenameKey(Remote& remote, const ObjectInfo& info);
  // Moves dst's `old_path` to s.path on dst. False when it was not done (then s is transferred).
  bool Rename(const std::string& old_path, const ObjectInfo& s);
  // The transfers, queue_ drained by opts_.transfers workers: worker takes the next job (in
  // --order-by's order) until the queue is closed and empty.
  void TransferWorker(int worker);
  // The march with the transfer workers running, or before them (--check-first).
  Status MarchAndTransfer();
  // --create-empty-src-dirs and --delete-empty-src-dirs, after the transfers.
  void CreateEmptyDirs();
  void RemoveEmptySrcDirs();
  bool KeepsSrcDirs() const {
    return opts_.create_empty_src_dirs ||
           (mode_ == SyncMode::kMove && opts_.delete_empty_src_dirs);
  }
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
  // --track-renames: the march's new source files and the dst files gone from the source,
  // matched once the march is done; renamed_ holds the dst paths moved away (not deleted).
  struct Renames {
    std::mutex mu;
    std::vector<ObjectInfo> added;
    std::vector<ObjectInfo> gone;
    std::set<std::string> renamed;
  } renames_;
  std::mutex delete_mu_;
  int64_t deleted_ = 0;              // guarded by delete_mu_
  bool max_delete_reported_ = false;  // guarded by delete_mu_
  bool errors_stopped_deletes_ = false;  // guarded by extra_.mu
  // --delete-before's passes: the first only finds what to delete, the second only transfers.
  // Set between marches.
  enum class Phase { kAll, kDeleteOnly, kTransferOnly };
  Phase phase_ = Phase::kAll;
};

bool SyncRun::OnDir(const std::string& dir, bool in_src, bool in_dst) {
  if (!filter_.Descend(dir)) {
    // --delete-excluded: what the filter excludes on dst goes, so its folders are walked.
    const bool purge =
        mode_ == SyncMode::kSync && opts_.delete_excluded && in_dst && !filter_.IncludeDir(dir);
    if (!purge) return false;
    if (in_src && phase_ != Phase::kTransferOnly) {
      // Its files go, so its folder goes too once empty, as rclone's (below: one only on dst).
      std::lock_guard lock(extra_.mu);
      extra_.dirs.push_back(dir);
    }
  }
  if (in_src && KeepsSrcDirs() && phase_ != Phase::kDeleteOnly && filter_.IncludeDir(dir)) {
    std::lock_guard lock(extra_.mu);
    extra_.src_dirs.push_back(dir);
  }
  if (!in_src) {
    // Only sync deletes what is only on dst; copy/move need not look there.
    if (mode_ != SyncMode::kSync || phase_ == Phase::kTransferOnly) return false;
    std::lock_guard lock(extra_.mu);
    extra_.dirs.push_back(dir);
  }
  return true;
}

void SyncRun::Enqueue(const ObjectInfo& s, const ObjectInfo* replaced) {
  acct_.AddExpected(s.size);
  if (opts_.dry_run) {
    if (replaced != nullptr && KeepsBackups(opts_)) {
      (void)MoveToBackup(state_, dst_, replaced->path, replaced->size, opts_, acct_);
    }
    log::NoticeAt(s.path, "Skipped {} as --dry-run is set (size {})",
                  mode_ == SyncMode::kMove ? "move" : "copy",
                  FormatBytes(static_cast<double>(std::max<int64_t>(s.size, 0))));
    acct_.FileTransferred();
    return;
  }
  if (!Confirmed(state_, opts_, mode_ == SyncMode::kMove ? "move" : "copy", s.path,
                 std::max<int64_t>(s.size, 0))) {
    // As rclone counts a file skipped by an answer: transferred (as under --dry-run).
    if (state_.Stopped()) {
      acct_.FileFailed();
    } else {
      acct_.FileTransferred();
    }
    return;
  }
  if (!queue_.Push(TransferJob{s, s.path, replaced != nullptr}, state_.stop())) acct_.FileFailed();
}

void SyncRun::Transfer(const ObjectInfo& s, const ObjectInfo* replaced) {
  if (opts_.compare_dest.empty() && opts_.copy_dest.empty()) {
    Enqueue(s, replaced);
    return;
  }
  switch (FindElsewhere(state_, src_, dst_, s, replaced, opts_, acct_)) {
    case FoundElsewhere::kNo:
      Enqueue(s, replaced);
      return;
    case FoundElsewhere::kTransferAsNew:
      Enqueue(s, nullptr);
      return;
    case FoundElsewhere::kSkip:
    case FoundElsewhere::kCopied:
      if (mode_ == SyncMode::kMove) DeleteSource(state_, src_, s, opts_, acct_);
      return;
    case FoundElsewhere::kFailed:
      return;
  }
}

void SyncRun::AddExtraneous(const std::string& path) {
  if (opts_.delete_mode == DeleteMode::kDuring) {
    {
      std::lock_guard lock(extra_.mu);
      if (state_.HasErrors()) {
        if (!errors_stopped_deletes_) log::Error("Not deleting files as there were IO errors");
        errors_stopped_deletes_ = true;
        return;
      }
    }
    (void)DeleteOne(path, 0);
    return;
  }
  std::lock_guard lock(extra_.mu);
  extra_.files.push_back(path);
}

void SyncRun::OnFile(const ObjectInfo* s, const ObjectInfo* d) {
  const bool deletes = mode_ == SyncMode::kSync && phase_ != Phase::kTransferOnly;
  if (s == nullptr) {
    if (!deletes) return;
    const bool included = filter_.IncludeObject(*d);
    if ((included && ConfirmedAbsent(d->path)) || (!included && opts_.delete_excluded)) {
      if (opts_.track_renames && included) {
        std::lock_guard lock(renames_.mu);
        renames_.gone.push_back(*d);
      }
      AddExtraneous(d->path);
    }
    return;
  }
  if (!filter_.IncludeObject(*s)) {
    if (d != nullptr && deletes && opts_.delete_excluded) AddExtraneous(d->path);
    return;
  }
  if (phase_ == Phase::kDeleteOnly) return;
  if (d == nullptr && opts_.track_renames) {
    std::lock_guard lock(renames_.mu);
    renames_.added.push_back(*s);
    return;
  }
  if (d == nullptr) {
    Transfer(*s, nullptr);
    return;
  }
  ObjectInfo exact = *s;  // Decide replaces it with the Stat() it made, if any
  Decision decision = Decide(state_, src_, dst_, *s, *d, opts_, mode_ == SyncMode::kMove, &exact);
  acct_.AddCheck();
  if (decision == Decision::kTransfer && opts_.immutable) {
    RefuseImmutable(state_, acct_, d->path);
  } else if (decision == Decision::kTransfer) {
    Transfer(exact, d);
  } else if (decision == Decision::kEqual) {
    log::DebugAt(s->path, "Unchanged skipping");
    if (mode_ == SyncMode::kMove && Confirmed(state_, opts_, "delete", s->path)) {
      DeleteSource(state_, src_, exact, opts_, acct_);
    }
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

bool SyncRun::DeleteOne(const std::string& path, size_t total) {
  if (state_.Stopped()) return false;
  {
    std::lock_guard lock(delete_mu_);
    if (opts_.max_delete >= 0 && deleted_ >= opts_.max_delete) {
      if (!max_delete_reported_) {
        max_delete_reported_ = true;
        std::string message = "--max-delete " + std::to_string(opts_.max_delete) + " exceeded";
        if (total > 0) message += ": " + std::to_string(total) + " files to delete";
        // Fatal, as rclone's (exit code 7): the run stops here.
        Error e(ErrorCode::kInvalidArgument, message, RetryClass::kFatal);
        log::Error("{}", e.message());
        acct_.AddError(e);
        state_.Record(e);
      }
      return false;
    }
    ++deleted_;
  }
  const bool backup = KeepsBackups(opts_);
  if (opts_.dry_run) {
    log::NoticeAt(path, "Skipped {} as --dry-run is set",
                  backup ? "move into backup dir" : "delete");
    acct_.AddDelete();
    return true;
  }
  if (!Confirmed(state_, opts_, backup ? "move into backup dir" : "delete", path)) {
    if (state_.Stopped()) return false;
    acct_.AddDelete();  // as rclone counts a delete skipped by an answer
    return true;
  }
  if (backup) {
    // Failures are logged, counted and recorded there.
    if (MoveToBackup(state_, dst_, path, -1, opts_, acct_)) {
      acct_.AddDelete();
      log::InfoAt(path, "Moved into backup dir");
    }
    return true;
  }
  if (auto st = dst_.Delete(state_.ctx(), path); !st) {
    if (st.error().code() == ErrorCode::kCancelled) return false;
    if (st.error().code() == ErrorCode::kNotFound) {
      log::InfoAt(path, "already deleted");  // e.g. by another sync at the same time
      return true;
    }
    log::ErrorAt(path, "Failed to delete: {}", st.error().message());
    acct_.AddError(st.error());
    state_.Record(st.error());
    return true;
  }
  acct_.AddDelete();
  log::InfoAt(path, "Deleted");
  return true;
}

void SyncRun::DeleteExtraneous() {
  if (state_.HasErrors()) {
    if ((!extra_.files.empty() || !extra_.dirs.empty()) && !errors_stopped_deletes_) {
      log::Error("Not deleting files as there were IO errors");
    }
    return;
  }
  std::sort(extra_.files.begin(), extra_.files.end());
  if (!renames_.renamed.empty()) {
    std::erase_if(extra_.files, [this](const std::string& p) { return renames_.renamed.count(p); });
  }
  for (const std::string& path : extra_.files) {
    if (!DeleteOne(path, extra_.files.size())) return;
  }
  if (opts_.dry_run || state_.HasErrors()) return;
  // Deepest first, so parents are empty by the time they are tried.
  SortDeepestFirst(extra_.dirs);
  for (const std::string& dir : extra_.dirs) {
    if (state_.Stopped()) return;
    if (!Confirmed(state_, opts_, "remove directory", dir)) continue;
    if (auto st = dst_.Rmdir(state_.ctx(), dir); st) {
      log::InfoAt(dir, "Removed directory");
      acct_.AddDeletedDir();
    } else if (st.error().code() != ErrorCode::kDirNotEmpty) {
      log::DebugAt(dir, "could not remove directory: {}", st.error().message());
    }
  }
}

void SyncRun::CreateEmptyDirs() {
  std::vector<std::string> dirs = extra_.src_dirs;
  SortDeepestFirst(dirs);
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    if (state_.Stopped()) return;
    if (opts_.dry_run) {
      log::NoticeAt(*it, "Skipped make directory as --dry-run is set");
      continue;
    }
    if (!Confirmed(state_, opts_, "make directory", *it)) continue;
    if (auto st = dst_.Mkdir(state_.ctx(), *it); !st) {
      if (st.error().code() == ErrorCode::kCancelled) return;
      log::ErrorAt(*it, "Failed to make directory: {}", st.error().message());
      acct_.AddError(st.error());
      state_.Record(st.error());
      continue;
    }
    log::DebugAt(*it, "Making directory");
  }
}

void SyncRun::RemoveEmptySrcDirs() {
  std::vector<std::string> dirs = extra_.src_dirs;
  SortDeepestFirst(dirs);
  for (const std::string& dir : dirs) {
    if (state_.Stopped()) return;
    if (opts_.dry_run) {
      log::NoticeAt(dir, "Skipped remove directory as --dry-run is set");
      continue;
    }
    if (!Confirmed(state_, opts_, "remove directory", dir)) continue;
    if (auto st = src_.Rmdir(state_.ctx(), dir); st) {
      log::DebugAt(dir, "Removing directory");
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
  // The caller's context: files completed before a fatal error (a --max-transfer cutoff) are
  // kept, as rclone keeps them; only the caller's stop discards what is pending.
  Status st = dst_.FinishBatch(state_.parent());
  if (st || st.error().code() == ErrorCode::kCancelled) return;
  // Failures of single files were reported through the callback; this records the run's.
  if (!state_.HasErrors()) {
    log::Error("{}", st.error().message());
    acct_.AddError(st.error());
    state_.Record(st.error());
  }
}

Status SyncRun::MarchOnce() {
  MarchCallbacks cb;
  cb.on_file = [this](const ObjectInfo* s, const ObjectInfo* d) { OnFile(s, d); };
  cb.excludes_listing = [this](const std::vector<ObjectInfo>& l) {
    return filter_.ExcludesListing(l);
  };
  cb.on_dir = [this](const std::string& dir, bool in_src, bool in_dst) {
    return OnDir(dir, in_src, in_dst);
  };
  return March(state_, src_, dst_, opts_.checkers, cb);
}

// A hard --max-duration: at the deadline the run is stopped with the fatal MaxDurationError.
// Destroying the returned thread before then cancels it.
std::jthread DurationTimer(const Cutoff& cutoff, RunState& state, Accounting& acct) {
  if (!cutoff.has_deadline() || cutoff.mode() != CutoffMode::kHard) return {};
  return std::jthread([&cutoff, &state, &acct](std::stop_token stop) {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    if (cv.wait_until(lock, stop, cutoff.deadline(), [] { return false; }) ||
        stop.stop_requested()) {
      return;
    }
    const Error e = MaxDurationError(RetryClass::kFatal);
    log::Error("{}", e.message());
    acct.AddError(e);
    state.Record(e);
  });
}

// The run's result: a soft --max-duration cutoff, recorded as a plain error so that running
// transfers could finish, ends the run as the fatal error it is (as rclone: exit code 7).
Status WithCutoff(Status final) {
  if (!final && final.error().code() == ErrorCode::kMaxDuration && !final.error().fatal()) {
    return Unexpected<Error>(MaxDurationError(RetryClass::kFatal));
  }
  return final;
}

Status SyncRun::Run() {
  Cutoff cutoff(opts_.max_transfer, opts_.max_duration, opts_.cutoff_mode, acct_);
  if (cutoff.active()) state_.set_cutoff(&cutoff);
  std::jthread timer = DurationTimer(cutoff, state_, acct_);
  Status done = RunPasses();
  state_.set_cutoff(nullptr);
  return WithCutoff(std::move(done));
}

void SyncRun::TransferWorker(int worker) {
  const TransferOrder& order = opts_.order;
  const bool last = TakesLast(order, worker, opts_.transfers);
  auto before = [&order](const TransferJob& a, const TransferJob& b) {
    return KeyBefore(order, a.src, b.src);
  };
  while (true) {
    std::optional<TransferJob> job = order.key == OrderKey::kNone
                                         ? queue_.Pop(state_.stop())
                                         : queue_.PopFirst(state_.stop(), before, last);
    if (!job) return;
    (void)TransferFile(state_, src_, dst_, *job, mode_ == SyncMode::kMove, opts_, acct_);
  }
}

Status SyncRun::MarchAndTransfer() {
  Status marched = Ok();
  if (opts_.check_first) {
    marched = MarchOnce();
    if (opts_.track_renames) MatchRenames();
  }
  std::vector<std::jthread> workers;
  for (int i = 0; i < std::max(1, opts_.transfers); ++i) {
    workers.emplace_back([this, i] { TransferWorker(i); });
  }
  if (!opts_.check_first) {
    marched = MarchOnce();
    if (opts_.track_renames) MatchRenames();
  }
  queue_.Close();
  return marched;
}

void SyncRun::MatchRenames() {
  if (state_.Stopped()) return;
  std::vector<ObjectInfo> added, gone;
  {
    std::lock_guard lock(renames_.mu);
    added.swap(renames_.added);
    gone.swap(renames_.gone);
  }
  log::InfoAt(dst_.Name(), "Making map for --track-renames");
  // Only a gone file whose size some new file has can match: the others need no hash.
  std::set<int64_t> sizes;
  for (const ObjectInfo& a : added) sizes.insert(a.size);
  std::multimap<std::string, std::string> by_key;  // key → dst path
  for (const ObjectInfo& g : gone) {
    if (state_.Stopped()) return;
    if (g.size < 0 || sizes.count(g.size) == 0) continue;
    if (std::string key = RenameKey(dst_, g); !key.empty()) by_key.emplace(key, g.path);
  }
  log::InfoAt(dst_.Name(), "Finished making map for --track-renames");
  for (const ObjectInfo& a : added) {
    if (state_.Stopped()) return;
    auto it = by_key.end();
    if (a.size >= 0 && !by_key.empty()) {
      if (std::string key = RenameKey(src_, a); !key.empty()) it = by_key.find(key);
    }
    if (it != by_key.end()) {
      const std::string old_path = it->second;
      by_key.erase(it);
      if (Rename(old_path, a)) continue;
    }
    Transfer(a, nullptr);
  }
}

std::string SyncRun::RenameKey(Remote& remote, const ObjectInfo& info) {
  const RenameStrategy& how = opts_.rename_strategy;
  std::string key = std::to_string(info.size);
  if (how.modtime) {
    const auto window = std::max<std::chrono::nanoseconds>(ModifyWindow(src_, dst_, opts_),
                                                           std::chrono::nanoseconds(1));
    const auto since = info.mtime.time_since_epoch();
    key += "," + std::to_string(since / window);
  }
  if (how.leaf) {
    const size_t slash = info.path.rfind('/');
    key += "," + (slash == std::string::npos ? info.path : info.path.substr(slash + 1));
  }
  if (how.hash) {
    const HashType type = src_.GetFeatures().hashes.Intersect(dst_.GetFeatures().hashes).First();
    std::string sum;
    if (auto it = info.hashes.find(type); it != info.hashes.end()) sum = it->second;
    if (sum.empty()) {
      auto h = remote.Hash(state_.ctx(), info.path, type);
      if (!h) {
        log::DebugAt(info.path, "no hash for --track-renames: {}", h.error().message());
        return "";
      }
      sum = *h;
    }
    if (sum.empty()) return "";
    key += "," + sum;
  }
  return key;
}

bool SyncRun::Rename(const std::string& old_path, const ObjectInfo& s) {
  if (!Confirmed(state_, opts_, "move", old_path)) return state_.Stopped();
  if (opts_.dry_run) {
    log::NoticeAt(old_path, "Skipped move as --dry-run is set");
    std::lock_guard lock(renames_.mu);
    renames_.renamed.insert(old_path);
    acct_.AddRename();
    return true;
  }
  const bool move = dst_.GetFeatures().server_side_move;
  Result<ObjectInfo> moved = move ? dst_.Move(state_.ctx(), dst_, old_path, s.path)
                                  : dst_.Copy(state_.ctx(), dst_, old_path, s.path);
  if (!moved) {
    if (moved.error().code() == ErrorCode::kCancelled) return true;
    log::NoticeAt(old_path, "could not be moved for --track-renames, transferring instead: {}",
                  moved.error().message());
    return false;
  }
  bool old_gone = true;
  if (!move) {
    if (auto st = dst_.Delete(state_.ctx(), old_path); !st) {
      // Left for the deletes after the transfers, which try again.
      log::DebugAt(old_path, "could not delete it after the copy: {}", st.error().message());
      old_gone = false;
    }
  }
  log::InfoAt(old_path, "Moved (server-side) to: {}", s.path);
  log::InfoAt(s.path, "Renamed from \"{}\"", old_path);
  acct_.AddRename();
  if (old_gone) {
    std::lock_guard lock(renames_.mu);
    renames_.renamed.insert(old_path);
  }
  // What was moved may still differ from the source (a leaf or modtime match; another mtime):
  // the usual decision settles it.
  moved->path = s.path;
  ObjectInfo exact = s;
  const Decision decision = Decide(state_, src_, dst_, s, *moved, opts_, false, &exact);
  acct_.AddCheck();
  if (decision == Decision::kTransfer) Transfer(exact, &*moved);
  return true;
}

Status SyncRun::RunPasses() {
  if (mode_ == SyncMode::kSync && opts_.delete_mode == DeleteMode::kBefore) {
    phase_ = Phase::kDeleteOnly;
    Status listed = MarchOnce();
    if (!listed && listed.error().code() == ErrorCode::kDirNotFound) {
      log::Error("{}", listed.error().message());
      return listed;
    }
    if (!state_.Stopped()) DeleteExtraneous();
    phase_ = Phase::kTransferOnly;
  }
  Status marched = Ok();
  std::unique_ptr<StoredVersions> versions = StoredVersions::ForDestination(dst_, opts_.dry_run);
  state_.set_stored_versions(versions.get());
  StartBatch();
  marched = MarchAndTransfer();
  FinishBatch();  // before deleting anything: every copied file is in place and durable
  if (versions) versions->Compact();
  if (!marched && marched.error().code() == ErrorCode::kDirNotFound) {
    log::Error("{}", marched.error().message());
    return marched;
  }
  if (mode_ == SyncMode::kSync && !state_.Stopped()) {
    if (opts_.delete_mode == DeleteMode::kAfter) {
      DeleteExtraneous();
    } else if (opts_.delete_mode == DeleteMode::kDuring) {
      extra_.files.clear();  // deleted already
      DeleteExtraneous();    // the directories
    }
  }
  if (mode_ == SyncMode::kMove && opts_.delete_empty_src_dirs && !state_.Stopped()) {
    RemoveEmptySrcDirs();
  }
  if (opts_.create_empty_src_dirs && !state_.Stopped()) CreateEmptyDirs();
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

// The refusal of a run that would write to a read-only remote (Features::read_only): dst, and
// for a move src, whose files would be deleted. One error before anything starts, rather than
// one per running transfer.
Status CheckWritable(const Remote& src, const Remote& dst, SyncMode mode) {
  if (dst.GetFeatures().read_only) {
    return MakeError(ErrorCode::kPermission,
                     dst.Name() + " is read-only: nothing can be copied, moved or synced into it",
                     RetryClass::kFatal);
  }
  if (mode == SyncMode::kMove && src.GetFeatures().read_only) {
    return MakeError(ErrorCode::kPermission,
                     src.Name() + " is read-only: files cannot be moved out of it (use copy)",
                     RetryClass::kFatal);
  }
  return Ok();
}

// rclone's conditions for --track-renames: where one fails, ERROR and the sync runs without.
// With them, deletes come after the transfers (a file renamed must not be deleted first).
void CheckTrackRenames(const Remote& src, const Remote& dst, SyncOptions& opts) {
  const Features& f = dst.GetFeatures();
  if (!f.server_side_move && !f.server_side_copy) {
    log::ErrorAt(dst.Name(),
                 "Ignoring --track-renames as the destination does not support server-side move "
                 "or copy");
    opts.track_renames = false;
    return;
  }
  if (opts.rename_strategy.hash &&
      src.GetFeatures().hashes.Intersect(f.hashes).First() == HashType::kNone) {
    log::ErrorAt(dst.Name(),
                 "Ignoring --track-renames as the source and destination do not have a common "
                 "hash");
    opts.track_renames = false;
    return;
  }
  opts.delete_mode = DeleteMode::kAfter;
}

}  // namespace

Result<RenameStrategy> ParseRenameStrategy(const std::string& text) {
  RenameStrategy how;
  how.hash = false;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string part = text.substr(start, comma - start);
    if (part == "hash") {
      how.hash = true;
    } else if (part == "modtime") {
      how.modtime = true;
    } else if (part == "leaf") {
      how.leaf = true;
    } else {
      return MakeError(ErrorCode::kUsage,
                       "invalid value \"" + text +
                           "\" for --track-renames-strategy: want hash, modtime or leaf "
                           "(several: comma-separated)");
    }
    start = comma + 1;
  }
  return how;
}

Overlap CompareRoots(const Remote& src, const Remote& dst) {
  return Compare(src.StorageRoot(), dst.StorageRoot());
}


Status RunSync(const Context& ctx, Remote& src, Remote& dst, SyncMode mode,
               const SyncOptions& opts, Accounting& acct) {
  CVC_ASSIGN_OR_RETURN(Filter filter, Filter::Make(opts.filter));
  CVC_RETURN_IF_ERROR(CheckWritable(src, dst, mode));
  const StorageLocation s = src.StorageRoot();
  const StorageLocation d = dst.StorageRoot();
  const Overlap overlap = Compare(s, d);
  if (overlap == Overlap::kSame) {
    log::ErrorAt(dst.Name(), "{}", kSameMessage);
    return Ok();
  }
  CVC_RETURN_IF_ERROR(CheckOverlap(src, dst, s, d, overlap, mode, filter));
  CVC_RETURN_IF_ERROR(CheckBackup(src, dst, opts, filter, /*single_file=*/false));
  CVC_RETURN_IF_ERROR(CheckCompareCopyDest(dst, opts));
  SyncOptions run_opts = opts;
  run_opts.track_renames = opts.track_renames && mode == SyncMode::kSync;
  if (run_opts.track_renames) CheckTrackRenames(src, dst, run_opts);
  SyncRun run(ctx, src, dst, mode, run_opts, acct, filter);
  CVC_RETURN_IF_ERROR(run.Run());
  if (opts.error_on_no_transfer && acct.transfers() == 0) {
    return MakeError(ErrorCode::kNoTransfer, kNoTransferMessage);
  }
  return Ok();
}

Status CopyOneFile(const Context& ctx, Remote& src, const std::string& src_path, Remote& dst,
                   const std::string& dst_path, bool move, const SyncOptions& opts,
                   Accounting& acct) {
  CVC_RETURN_IF_ERROR(CheckWritable(src, dst, move ? SyncMode::kMove : SyncMode::kCopy));
  RunState state(ctx);
  std::unique_ptr<StoredVersions> versions = StoredVersions::ForDestination(dst, opts.dry_run);
  state.set_stored_versions(versions.get());
  Cutoff cutoff(opts.max_transfer, opts.max_duration, opts.cutoff_mode, acct);
  if (cutoff.active()) state.set_cutoff(&cutoff);
  std::jthread timer = DurationTimer(cutoff, state, acct);
  if (CompareRoots(src, dst) == Overlap::kSame && src_path == dst_path) {
    log::ErrorAt(JoinPath(dst.Name(), dst_path), "{}", kSameMessage);
    return Ok();
  }
  {
    CVC_ASSIGN_OR_RETURN(Filter filter, Filter::Make(opts.filter));
    CVC_RETURN_IF_ERROR(CheckBackup(src, dst, opts, filter, /*single_file=*/true));
  }
  CVC_RETURN_IF_ERROR(CheckCompareCopyDest(dst, opts));
  CVC_ASSIGN_OR_RETURN(ObjectInfo s, src.Stat(state.ctx(), src_path));
  auto d = dst.Stat(state.ctx(), dst_path);
  if (!d && d.error().code() != ErrorCode::kNotFound) return Propagate(d.error(), dst_path);
  if (d) {
    Decision decision = Decide(state, src, dst, s, *d, opts, move);
    acct.AddCheck();
    if (decision == Decision::kTransfer && opts.immutable) {
      RefuseImmutable(state, acct, dst_path);
      return state.Final();
    }
    if (decision != Decision::kTransfer) {
      log::DebugAt(dst_path, "Unchanged skipping");
      if (move && decision == Decision::kEqual && Confirmed(state, opts, "delete", src_path)) {
        DeleteSource(state, src, s, opts, acct);
      }
      return state.Final();
    }
  }
  bool replacing = d.has_value();
  if (!opts.compare_dest.empty() || !opts.copy_dest.empty()) {
    switch (FindElsewhere(state, src, dst, s, d ? &*d : nullptr, opts, acct)) {
      case FoundElsewhere::kNo:
        break;
      case FoundElsewhere::kTransferAsNew:
        replacing = false;
        break;
      case FoundElsewhere::kSkip:
      case FoundElsewhere::kCopied:
        if (move && Confirmed(state, opts, "delete", src_path)) {
          DeleteSource(state, src, s, opts, acct);
        }
        return state.Final();
      case FoundElsewhere::kFailed:
        return state.Final();
    }
  }
  acct.AddExpected(s.size);
  if (opts.dry_run) {
    if (replacing && KeepsBackups(opts)) {
      (void)MoveToBackup(state, dst, dst_path, d->size, opts, acct);
    }
    log::NoticeAt(dst_path, "Skipped {} as --dry-run is set (size {})", move ? "move" : "copy",
                  FormatBytes(static_cast<double>(std::max<int64_t>(s.size, 0))));
    acct.FileTransferred();
    return Ok();
  }
  if (!Confirmed(state, opts, move ? "move" : "copy", dst_path, std::max<int64_t>(s.size, 0))) {
    if (state.Stopped()) {
      acct.FileFailed();
      return state.Final();
    }
    acct.FileTransferred();  // as rclone counts a file skipped by an answer
    return Ok();
  }
  (void)TransferFile(state, src, dst, TransferJob{s, dst_path, replacing}, move, opts, acct);
  CVC_RETURN_IF_ERROR(WithCutoff(state.Final()));
  if (opts.error_on_no_transfer && acct.transfers() == 0) {
    return MakeError(ErrorCode::kNoTransfer, kNoTransferMessage);
  }
  return Ok();
}

}  // namespace cvclone
