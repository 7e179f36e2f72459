// March: walks the src and dst trees in step, directory by directory, with `checkers` worker
// threads. Each worker takes a directory from the queue, lists it on src and dst concurrently,
// matches entries by name and calls the callbacks. Pending directories wait in an unbounded
// queue (one small entry per directory); files are never accumulated.
//
// RunState: the shared error/cancel state of one engine run (first error, fatal errors abort
// the run, cancellation).
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "core/context.hpp"
#include "core/remote.hpp"

namespace cvclone {

class StoredVersions;
class Cutoff;

class RunState {
 public:
  explicit RunState(const Context& parent);
  RunState(const RunState&) = delete;
  RunState& operator=(const RunState&) = delete;

  // The context for remote calls: stopped when the parent is, or on a fatal error.
  const Context& ctx() const { return ctx_; }
  // The caller's context: stopped only when the caller stops the run, not on a fatal error.
  const Context& parent() const { return parent_; }
  // ctx() for listing the source: an entry the listing leaves out is recorded as an error.
  const Context& source_ctx() const { return source_ctx_; }
  std::stop_token stop() const { return ctx_.stop; }
  bool Stopped() const { return ctx_.stop.stop_requested(); }
  // Remembers an error (first one, fatal ones abort the run).
  void Record(const Error& error);
  bool HasErrors() const;
  // Ok, or kCancelled when stopped by the parent, else the first fatal error, else the first.
  Status Final() const;
  // What is remembered of the destination's stored versions, or nullptr (see StoredVersions).
  // Set before any worker starts; not owned.
  StoredVersions* stored_versions() const { return stored_versions_; }
  void set_stored_versions(StoredVersions* versions) { stored_versions_ = versions; }
  // The run's --max-transfer/--max-duration limits, or nullptr. Set before any worker starts;
  // not owned.
  Cutoff* cutoff() const { return cutoff_; }
  void set_cutoff(Cutoff* cutoff) { cutoff_ = cutoff; }

 private:
  Context parent_;
  std::stop_source abort_;
  std::optional<std::stop_callback<std::function<void()>>> link_;
  Context ctx_;
  Context source_ctx_;
  mutable std::mutex mu_;
  std::optional<Error> first_, fatal_;
  StoredVersions* stored_versions_ = nullptr;
  Cutoff* cutoff_ = nullptr;
};

struct MarchCallbacks {
  // One file name in a directory, present on src and/or dst (either may be null). Called on
  // checker threads, concurrently. Errors are the callback's own business (RunState).
  std::function<void(const ObjectInfo* src, const ObjectInfo* dst)> on_file;
  // Whether to descend into dir, present on src and/or dst.
  std::function<bool(const std::string& dir, bool in_src, bool in_dst)> on_dir;
  // Optional: whether a directory's listing (either side's) excludes the whole directory
  // (--exclude-if-present). Such a directory is left alone on both sides.
  std::function<bool(const std::vector<ObjectInfo>& listing)> excludes_listing;
};

// Marches from the roots. A missing src root is kDirNotFound (returned, and recorded); a missing
// dst root counts as empty. Listing errors below the root are logged, recorded in state and the
// directory is skipped. Returns when every directory was handled or the run stopped.
Status March(RunState& state, Remote& src, Remote& dst, int checkers,
             const MarchCallbacks& callbacks);

}  // namespace cvclone
