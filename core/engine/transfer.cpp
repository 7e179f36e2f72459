#include "core/engine/transfer.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>

#include "core/engine/backup.hpp"
#include "core/engine/bwlimit.hpp"
#include "core/engine/cutoff.hpp"
#include "core/engine/interactive.hpp"
#include "core/engine/parallel_reader.hpp"
#include "core/engine/stored_versions.hpp"
#include "core/io.hpp"
#include "core/log.hpp"

namespace cvclone {
namespace {

using std::chrono::nanoseconds;

bool ShouldRetry(const Error& e) {
  switch (e.code()) {
    case ErrorCode::kCancelled:
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kPermission:
    case ErrorCode::kAuth:
      return false;
    case ErrorCode::kCorrupt:
    case ErrorCode::kIo:
      return !e.fatal();
    default:
      return e.retryable();
  }
}

// A hash both sides can give, or kNone.
HashType CommonHash(const Remote& a, const Remote& b) {
  return a.GetFeatures().hashes.Intersect(b.GetFeatures().hashes).First();
}

// The hash of info from the listing, else by asking the remote ("" when unknown).
std::string HashOf(RunState& state, Remote& remote, const ObjectInfo& info, HashType type) {
  auto it = info.hashes.find(type);
  if (it != info.hashes.end() && !it->second.empty()) return it->second;
  auto h = remote.Hash(state.ctx(), info.path, type);
  return h ? *h : std::string();
}

// Equal hashes (both known), no common hash → nullopt.
std::optional<bool> HashesEqual(RunState& state, Remote& src, Remote& dst, const ObjectInfo& s,
                                const ObjectInfo& d) {
  HashType type = CommonHash(src, dst);
  if (type == HashType::kNone) return std::nullopt;
  std::string a = HashOf(state, src, s, type);
  std::string b = HashOf(state, dst, d, type);
  if (a.empty() || b.empty()) return std::nullopt;
  return a == b;
}

bool MtimeEqual(TimePoint a, TimePoint b, nanoseconds precision) {
  auto diff = a > b ? a - b : b - a;
  return diff < precision || (precision <= nanoseconds(1) && diff == nanoseconds(0));
}

}  // namespace

nanoseconds CoarserPrecision(const Remote& a, const Remote& b) {
  return std::max(a.GetFeatures().mtime_precision, b.GetFeatures().mtime_precision);
}

nanoseconds ModifyWindow(const Remote& a, const Remote& b, const SyncOptions& opts) {
  return std::max(CoarserPrecision(a, b), opts.modify_window);
}

namespace {

// info itself, or (when its mtime is an upload time) the remote's Stat() of it, stored in
// exact. nullptr when Stat() failed (logged at DEBUG; the caller then transfers, which reports
// a real error if there is one).
const ObjectInfo* ExactInfo(RunState& state, Remote& remote, const ObjectInfo& info,
                            std::optional<ObjectInfo>& exact) {
  if (!info.mtime_is_upload_time) return &info;
  auto st = remote.Stat(state.ctx(), info.path);
  if (!st) {
    log::DebugAt(info.path, "could not read modification time: {}", st.error().message());
    return nullptr;
  }
  exact = std::move(st).value();
  return &*exact;
}

// The default size+modtime rules once both mtimes are exact: equal mtimes, --update, then
// hashes (equal content only fixes the mtime, as rclone).
Decision DecideByModTime(RunState& state, Remote& src, Remote& dst, const ObjectInfo& s,
                         const ObjectInfo& d, const SyncOptions& opts) {
  if (MtimeEqual(s.mtime, d.mtime, ModifyWindow(src, dst, opts))) return Decision::kEqual;
  if (opts.update && d.mtime > s.mtime) return Decision::kSkip;
  auto eq = HashesEqual(state, src, dst, s, d);
  if (!eq || !*eq) return Decision::kTransfer;
  if (opts.immutable) {
    // An equal file's mtime is not fixed up either: the file differs, as rclone says.
    log::ErrorAt(d.path, "Timestamp mismatch between immutable objects");
    return Decision::kTransfer;
  }
  if (opts.no_update_modtime) return Decision::kEqual;
  if (dst.GetFeatures().set_modtime && !opts.dry_run &&
      Confirmed(state, opts, "update modification time", d.path)) {
    if (auto st = dst.SetModTime(state.ctx(), d.path, s.mtime); st) {
      log::InfoAt(d.path, "Updated modification time in destination");
    } else {
      log::DebugAt(d.path, "could not set modification time: {}", st.error().message());
    }
  }
  return Decision::kEqual;
}


// Decide; s_exact receives the source's Stat() when one was made.
Decision DecideWith(RunState& state, Remote& src, Remote& dst, const ObjectInfo& s_listed,
                    const ObjectInfo& d_listed, const SyncOptions& opts, bool move,
                    std::optional<ObjectInfo>& s_exact) {
  if (opts.ignore_existing) return Decision::kSkip;
  if (opts.ignore_times) return Decision::kTransfer;
  const nanoseconds precision = ModifyWindow(src, dst, opts);
  std::optional<ObjectInfo> d_exact;
  const ObjectInfo* s = &s_listed;
  const ObjectInfo& d = d_listed;
  if (opts.update) {
    // A flagged dst compares by its upload time here, as rclone's --use-server-modtime.
    s = ExactInfo(state, src, s_listed, s_exact);
    if (s == nullptr) return Decision::kTransfer;
    if (d.mtime > s->mtime && !MtimeEqual(s->mtime, d.mtime, precision)) {
      return Decision::kSkip;  // dst is newer
    }
  }
  if (s->size >= 0 && d.size >= 0 && s->size != d.size) return Decision::kTransfer;
  switch (opts.compare) {
    case CompareMode::kSizeOnly:
      return Decision::kEqual;
    case CompareMode::kChecksum: {
      auto eq = HashesEqual(state, src, dst, *s, d);
      return (!eq || *eq) ? Decision::kEqual : Decision::kTransfer;
    }
    case CompareMode::kSizeModTime:
      break;
  }
  s = ExactInfo(state, src, *s, s_exact);
  if (s == nullptr) return Decision::kTransfer;
  StoredVersions* versions = state.stored_versions();
  if (d.mtime_is_upload_time && !move && versions != nullptr) {
    // The version we stored, from a source of this mtime: exact, without a HEAD. (Not for a
    // move, whose source is deleted only on what a Stat of the destination shows.)
    if (auto mtime = versions->SourceMtime(d)) {
      d_exact = d;
      d_exact->mtime = *mtime;
      d_exact->mtime_is_upload_time = false;
      return DecideByModTime(state, src, dst, *s, *d_exact, opts);
    }
  }
  const ObjectInfo* exact_d = ExactInfo(state, dst, d, d_exact);
  if (exact_d == nullptr) return Decision::kTransfer;
  if (d_exact && versions != nullptr) {
    // Learnt from the Stat: the next run need not ask again.
    versions->Remember(d_exact->path, d_exact->version, d_exact->size, d_exact->mtime);
  }
  return DecideByModTime(state, src, dst, *s, *exact_d, opts);
}

}  // namespace

Decision Decide(RunState& state, Remote& src, Remote& dst, const ObjectInfo& s_listed,
                const ObjectInfo& d_listed, const SyncOptions& opts, bool move,
                ObjectInfo* exact_src) {
  std::optional<ObjectInfo> s_exact;
  Decision decision = DecideWith(state, src, dst, s_listed, d_listed, opts, move, s_exact);
  if (exact_src != nullptr && s_exact) *exact_src = std::move(*s_exact);
  return decision;
}

namespace {

// Whether job's bytes should come through several ranged streams (rclone's multi-thread
// download: to a local disk from a network remote, large enough).
bool UseMultiThread(const Remote& src, const Remote& dst, const ObjectInfo& info,
                    const SyncOptions& opts) {
  return opts.multi_thread_streams > 1 && dst.GetFeatures().local_disk &&
         src.GetFeatures().network && info.size >= 0 && info.size >= opts.multi_thread_cutoff;
}

// Opens the source for the transfer: one stream, or a ParallelReader.
Result<std::unique_ptr<Reader>> OpenSource(const Context& ctx, Remote& src, Remote& dst,
                                           const ObjectInfo& info, const SyncOptions& opts) {
  if (UseMultiThread(src, dst, info, opts)) {
    log::DebugAt(info.path, "multi-thread download with {} streams", opts.multi_thread_streams);
    ParallelReadOptions p;
    p.streams = opts.multi_thread_streams;
    return std::unique_ptr<Reader>(
        std::make_unique<ParallelReader>(ctx, src, info.path, info.size, p));
  }
  return src.Open(ctx, info.path);
}

struct SourceStream {
  ObjectInfo info;  // with the exact mtime
  std::unique_ptr<Reader> reader;
};

// The listing's size is the size the copy must have: an object that now has another size (a
// truncated answer, or the object replaced since) is retried, never stored as good.
Status SameSizeAsListed(const ObjectInfo& listed, int64_t now) {
  if (listed.size < 0 || now < 0 || now == listed.size) return Ok();
  return MakeError(ErrorCode::kCorrupt,
                   "the object's size changed since it was listed (" +
                       std::to_string(listed.size) + " bytes listed, " + std::to_string(now) +
                       " now)",
                   RetryClass::kRetryable);
}

// Opens the source of a transfer with its exact info: the stored mtime must be the source's
// modtime, never a listing's upload time. A stream that reports the object's info when opened
// (S3's GET headers) spares the Stat() that is made otherwise.
Result<SourceStream> OpenExact(const Context& ctx, Remote& src, Remote& dst,
                               const ObjectInfo& listed, const SyncOptions& opts) {
  SourceStream out{listed, nullptr};
  if (listed.mtime_is_upload_time && !UseMultiThread(src, dst, listed, opts)) {
    CVC_ASSIGN_OR_RETURN(out.reader, src.OpenListed(ctx, listed));
    if (const ObjectInfo* opened = out.reader->OpenedInfo();
        opened != nullptr && !opened->mtime_is_upload_time) {
      // The listing's size is the size the copy must have: a response that describes a shorter
      // (or longer) object is a truncated answer or a replaced object, never a good copy.
      CVC_RETURN_IF_ERROR(SameSizeAsListed(listed, opened->size));
      out.info = *opened;
      out.info.path = listed.path;
      return out;
    }
  }
  if (listed.mtime_is_upload_time) {
    CVC_ASSIGN_OR_RETURN(out.info, src.Stat(ctx, listed.path));
    CVC_RETURN_IF_ERROR(SameSizeAsListed(listed, out.info.size));
  }
  if (out.reader == nullptr) {
    CVC_ASSIGN_OR_RETURN(out.reader, OpenSource(ctx, src, dst, out.info, opts));
  }
  return out;
}

// Whether a transfer from src to dst is tried as a server-side copy first.
// A local "server-side" copy is a file copy in the kernel, which rclone does by streaming: with
// --bwlimit it streams here too, so that the limit holds. (A network remote's server-side copy
// moves no bytes through cvclone, and rclone's limit does not apply to it either.)
bool ServerSide(const Remote& src, const Remote& dst, const SyncOptions& opts) {
  if (opts.bwlimit != nullptr && !dst.GetFeatures().network) return false;
  return src.Type() == dst.Type() && dst.GetFeatures().server_side_copy;
}

// A transfer refused by the run's limits: logged (a hard cutoff as the file's failure, the
// others once as a NOTICE), counted and recorded.
void RefuseByCutoff(RunState& state, Accounting& acct, const std::string& path,
                    const Error& error) {
  acct.FileFailed();
  if (state.Stopped()) return;  // the run's result says it
  acct.AddError(error);
  if (error.fatal()) {
    log::ErrorAt(path, "Failed to copy: {}", error.message());
  } else if (state.cutoff()->FirstRefusal()) {
    log::Notice("{} - stopping transfers", error.message());
  }
  state.Record(error);
}

// --retries-sleep before a file's next attempt. False when the run was stopped meanwhile.
bool SleepBeforeRetry(RunState& state, const SyncOptions& opts) {
  if (opts.retries_sleep.count() <= 0) return true;
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  std::stop_token stop = state.stop();
  (void)cv.wait_for(lock, stop, opts.retries_sleep, [] { return false; });
  return !state.Stopped();
}

struct Transferred {
  ObjectInfo source;  // the source as read: exact mtime
  ObjectInfo stored;  // what dst reported storing
};

// One attempt: server-side copy where possible, else stream with size/hash verification.
Result<Transferred> TransferOnce(RunState& state, Remote& src, Remote& dst, const TransferJob& job,
                                 const SyncOptions& opts, Accounting& acct, int64_t flight) {
  const Context& ctx = state.ctx();
  if (ServerSide(src, dst, opts)) {
    auto copied = dst.Copy(ctx, src, job.src.path, job.dst_path);
    if (copied) {
      acct.TransferBytes(flight, std::max<int64_t>(job.src.size, 0));
      return Transferred{job.src, *std::move(copied)};
    }
    if (copied.error().code() != ErrorCode::kUnsupported) return Propagate(copied.error());
  }
  CVC_ASSIGN_OR_RETURN(SourceStream source, OpenExact(ctx, src, dst, job.src, opts));
  const ObjectInfo& info = source.info;
  std::unique_ptr<Reader> limited =
      state.cutoff() != nullptr ? state.cutoff()->Limit(*source.reader) : nullptr;
  Reader& cut = limited ? *limited : *source.reader;
  std::unique_ptr<Reader> throttled =
      opts.bwlimit != nullptr ? opts.bwlimit->Limit(ctx, cut, src, dst) : nullptr;
  Reader& in = throttled ? *throttled : cut;
  CountingReader counting(in,
                          [&](size_t n) { acct.TransferBytes(flight, static_cast<int64_t>(n)); });
  // A hash costs a pass over the data: skipped where reading it back is slow (local) or the
  // destination verifies its puts itself (S3).
  const Features& df = dst.GetFeatures();
  const HashType verify =
      df.slow_hash || df.verifies_puts ? HashType::kNone : CommonHash(src, dst);
  HashingReader hashing(counting, verify == HashType::kNone ? HashSet() : HashSet{verify});
  ContextReader guarded(ctx, hashing);
  PutOptions put;
  put.size = info.size;
  put.mtime = info.mtime;
  put.hashes = info.hashes;
  // A second, uncounted pass over the source for backends that must see the body first.
  put.reopen = [&ctx, &src, path = info.path]() -> Result<std::unique_ptr<Reader>> {
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> again, src.Open(ctx, path));
    return std::unique_ptr<Reader>(std::make_unique<ContextReader>(ctx, std::move(again)));
  };
  CVC_ASSIGN_OR_RETURN(ObjectInfo stored, dst.Put(ctx, job.dst_path, guarded, put));
  auto fail = [&](const std::string& why) -> Result<Transferred> {
    (void)dst.Delete(ctx, job.dst_path);
    return MakeError(ErrorCode::kCorrupt, why);
  };
  if (info.size >= 0 && stored.size >= 0 && stored.size != info.size) {
    return fail("corrupted on transfer: sizes differ " + std::to_string(info.size) + " vs " +
                std::to_string(stored.size));
  }
  if (verify != HashType::kNone) {
    std::string want = hashing.Sums()[verify];
    std::string got = HashOf(state, dst, stored, verify);
    if (!got.empty() && got != want) {
      return fail(std::string("corrupted on transfer: ") + HashName(verify) + " hashes differ \"" +
                  want + "\" vs \"" + got + "\"");
    }
    stored.hashes[verify] = want;
  }
  return Transferred{info, std::move(stored)};
}

// Before a move deletes its source: the destination object, as a Stat() sees it now, has the
// source's size and either the hash the put reported or the source's exact mtime. A put that
// answered success without storing (a broken endpoint) fails here.
Status ConfirmStored(RunState& state, Remote& src, Remote& dst, const std::string& dst_path,
                     const Transferred& t) {
  auto d = dst.Stat(state.ctx(), dst_path);
  if (!d) {
    return MakeError(ErrorCode::kCorrupt,
                     "the destination object cannot be confirmed after the upload: " +
                         d.error().message(),
                     RetryClass::kRetryable);
  }
  auto unconfirmed = [&](const std::string& why) {
    return MakeError(ErrorCode::kCorrupt, "the destination object is not what was uploaded: " + why,
                     RetryClass::kRetryable);
  };
  if (t.source.size >= 0 && d->size != t.source.size) {
    return unconfirmed("size " + std::to_string(d->size) + ", expected " +
                       std::to_string(t.source.size));
  }
  for (const auto& [type, want] : t.stored.hashes) {
    auto got = d->hashes.find(type);
    if (got == d->hashes.end() || got->second.empty() || want.empty()) continue;
    if (got->second != want) return unconfirmed(std::string(HashName(type)) + " " + got->second +
                                                ", expected " + want);
    return Ok();
  }
  if (!d->mtime_is_upload_time && !t.source.mtime_is_upload_time &&
      MtimeEqual(d->mtime, t.source.mtime, CoarserPrecision(src, dst))) {
    return Ok();
  }
  return unconfirmed("neither a hash nor the modification time matches the source");
}

}  // namespace

Status TransferFile(RunState& state, Remote& src, Remote& dst, const TransferJob& job, bool move,
                    const SyncOptions& opts, Accounting& acct) {
  Cutoff* cutoff = state.cutoff();
  if (cutoff != nullptr) {
    if (Status admitted = cutoff->Admit(job.src.size, ServerSide(src, dst, opts)); !admitted) {
      RefuseByCutoff(state, acct, job.dst_path, admitted.error());
      return admitted;
    }
  }
  struct Admitted {
    Cutoff* cutoff;
    int64_t size;
    ~Admitted() {
      if (cutoff != nullptr) cutoff->Done(size);
    }
  } admitted{cutoff, job.src.size};
  bool replacing = job.replacing;
  if (replacing && KeepsBackups(opts)) {
    // Never replaced without its backup: a failed move leaves the old file in place.
    if (Status backed_up = MoveToBackup(state, dst, job.dst_path, -1, opts, acct); !backed_up) {
      acct.FileFailed();
      return backed_up;
    }
    replacing = false;
  }
  Status st = Ok();
  std::optional<Transferred> done;
  const int attempts = std::max(1, opts.retries);
  const int64_t flight = acct.StartTransfer(job.dst_path, job.src.size);
  struct EndFlight {
    Accounting& acct;
    int64_t id;
    ~EndFlight() { acct.EndTransfer(id); }
  } end_flight{acct, flight};
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    auto t = TransferOnce(state, src, dst, job, opts, acct, flight);
    if (t && move) {
      st = ConfirmStored(state, src, dst, job.dst_path, *t);
    } else {
      st = t ? Ok() : Status(Propagate(t.error()));
    }
    if (st) {
      done = std::move(t).value();
      break;
    }
    acct.RestartTransfer(flight);
    if (state.Stopped() || !ShouldRetry(st.error())) break;
    if (attempt < attempts) {
      log::NoticeAt(job.dst_path, "attempt {}/{} failed, retrying: {}", attempt, attempts,
                    st.error().message());
      if (!SleepBeforeRetry(state, opts)) break;
    } else if (!st.error().retryable()) {
      // Retried and still failing: a later run may succeed (exit 5), unlike an error that was
      // never worth a retry (exit 6).
      st = Propagate(st.error().WithRetry(RetryClass::kRetryable));
    }
  }
  if (!st) {
    acct.FileFailed();
    if (st.error().code() == ErrorCode::kCancelled || state.Stopped()) {
      return st;  // the run's result says it; no per-file noise
    }
    log::ErrorAt(job.dst_path, "Failed to copy: {}", st.error().message());
    acct.AddError(st.error());
    state.Record(st.error());
    return st;
  }
  acct.FileTransferred();
  log::InfoAt(job.dst_path, "Copied ({})", replacing ? "replaced existing" : "new");
  if (StoredVersions* versions = state.stored_versions();
      versions != nullptr && !done->source.mtime_is_upload_time) {
    // What was read (its size, and its mtime when opened: a file edited later differs) is what
    // the version the put reported holds.
    versions->Remember(job.dst_path, done->stored.version, done->source.size,
                       done->source.mtime);
  }
  if (move) DeleteSource(state, src, done->source, opts, acct);
  return Ok();
}

namespace {

// Ok when the source at expected.path still has the size and mtime it had when it was read
// (an upload time from a listing is not compared: the Stat gives another kind of time).
Status SourceUnchanged(RunState& state, Remote& src, const ObjectInfo& expected) {
  CVC_ASSIGN_OR_RETURN(ObjectInfo now, src.Stat(state.ctx(), expected.path));
  const bool same_mtime = expected.mtime_is_upload_time || now.mtime == expected.mtime;
  if (now.size == expected.size && same_mtime) return Ok();
  return MakeError(ErrorCode::kCorrupt, "source file changed during copy: not deleted",
                   RetryClass::kRetryable);
}

}  // namespace

void DeleteSource(RunState& state, Remote& src, const ObjectInfo& expected,
                  const SyncOptions& opts, Accounting& acct) {
  const std::string& path = expected.path;
  if (opts.dry_run) {
    log::NoticeAt(path, "Skipped delete as --dry-run is set");
    return;
  }
  Status st = SourceUnchanged(state, src, expected);
  if (st) {
    st = src.Delete(state.ctx(), path);
    if (!st) st = Propagate(st.error(), "Failed to delete source");
  }
  if (!st) {
    if (st.error().code() == ErrorCode::kCancelled) return;
    if (st.error().code() == ErrorCode::kNotFound) {
      log::InfoAt(path, "source already deleted");  // e.g. by another move at the same time
      return;
    }
    log::ErrorAt(path, "{}", st.error().message());
    acct.AddError(st.error());
    state.Record(st.error());
    return;
  }
  acct.AddDelete();
  log::InfoAt(path, "Deleted");
}

}  // namespace cvclone
