#include "core/engine/march.hpp"

#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <thread>
#include <vector>

#include "core/log.hpp"

namespace cvclone {

RunState::RunState(const Context& parent) : parent_(parent) {
  if (parent.stop.stop_possible()) {
    link_.emplace(parent.stop, std::function<void()>([this] { abort_.request_stop(); }));
  }
  ctx_.stop = abort_.get_token();
  ctx_.deadline = parent.deadline;
  source_ctx_ = ctx_;
  source_ctx_.on_skipped = [this](const Error& error) {
    Record(Error(error.code(), "source listing left out an entry: " + error.message(),
                 error.retry()));
  };
}

void RunState::Record(const Error& error) {
  std::lock_guard lock(mu_);
  if (!first_) first_ = error;
  if (error.fatal() && !fatal_) {
    fatal_ = error;
    abort_.request_stop();
  }
}

bool RunState::HasErrors() const {
  std::lock_guard lock(mu_);
  return first_.has_value();
}

Status RunState::Final() const {
  if (parent_.stop.stop_requested()) return MakeError(ErrorCode::kCancelled, "cancelled");
  std::lock_guard lock(mu_);
  if (fatal_) return Unexpected<Error>(*fatal_);
  if (first_) return Unexpected<Error>(*first_);
  return Ok();
}

namespace {

struct DirJob {
  std::string path;
  bool in_src = false;
  bool in_dst = false;
};

// The unbounded directory queue with a count of directories not yet finished, so workers know
// when the walk is over.
class DirQueue {
 public:
  void Push(DirJob job) {
    std::lock_guard lock(mu_);
    ++pending_;
    jobs_.push_back(std::move(job));
    cv_.notify_one();
  }
  std::optional<DirJob> Pop(std::stop_token stop) {
    std::unique_lock lock(mu_);
    if (!cv_.wait(lock, stop, [&] { return pending_ == 0 || !jobs_.empty(); })) return std::nullopt;
    if (jobs_.empty()) return std::nullopt;
    DirJob job = std::move(jobs_.front());
    jobs_.pop_front();
    return job;
  }
  void Done() {
    std::lock_guard lock(mu_);
    if (--pending_ == 0) cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<DirJob> jobs_;
  int64_t pending_ = 0;
};

Result<std::vector<ObjectInfo>> ListSide(RunState& state, Remote& remote, const DirJob& job,
                                         bool present, bool source) {
  if (!present) return std::vector<ObjectInfo>{};
  auto listing = remote.List(source ? state.source_ctx() : state.ctx(), job.path);
  if (!listing && listing.error().code() == ErrorCode::kDirNotFound && !job.path.empty()) {
    return std::vector<ObjectInfo>{};  // vanished meanwhile
  }
  return listing;
}

// Handles one directory: lists both sides, matches names, calls back, queues subdirectories.
void HandleDir(RunState& state, Remote& src, Remote& dst, const DirJob& job, DirQueue& queue,
               const MarchCallbacks& cb) {
  // Both sides at once when both exist (a remote listing may take a round trip).
  std::future<Result<std::vector<ObjectInfo>>> dst_future;
  if (job.in_src && job.in_dst) {
    dst_future = std::async(std::launch::async,
                            [&] { return ListSide(state, dst, job, job.in_dst, false); });
  }
  auto src_list = ListSide(state, src, job, job.in_src, true);
  auto dst_list =
      dst_future.valid() ? dst_future.get() : ListSide(state, dst, job, job.in_dst, false);
  for (auto* side : {&src_list, &dst_list}) {
    if (side->has_value()) continue;
    Error e = side->error();
    if (e.code() == ErrorCode::kCancelled || state.Stopped()) return;
    const char* which = side == &src_list ? "source" : "destination";
    log::ErrorAt(job.path.empty() ? "/" : job.path, "error reading {}: {}", which, e.message());
    state.Record(e);
    return;
  }
  if (cb.excludes_listing && (cb.excludes_listing(*src_list) || cb.excludes_listing(*dst_list))) {
    return;
  }
  // name → (src, dst) for files and dirs separately.
  std::map<std::string, std::pair<const ObjectInfo*, const ObjectInfo*>> files, dirs;
  for (const ObjectInfo& info : *src_list) (info.is_dir ? dirs : files)[info.path].first = &info;
  for (const ObjectInfo& info : *dst_list) (info.is_dir ? dirs : files)[info.path].second = &info;
  for (const auto& [path, pair] : dirs) {
    if (state.Stopped()) return;
    if (cb.on_dir(path, pair.first != nullptr, pair.second != nullptr)) {
      queue.Push(DirJob{path, pair.first != nullptr, pair.second != nullptr});
    }
  }
  for (const auto& [path, pair] : files) {
    if (state.Stopped()) return;
    cb.on_file(pair.first, pair.second);
  }
}

}  // namespace

Status March(RunState& state, Remote& src, Remote& dst, int checkers,
             const MarchCallbacks& callbacks) {
  auto root = src.List(state.source_ctx(), "");
  if (!root) {
    if (root.error().code() != ErrorCode::kCancelled) state.Record(root.error());
    return Propagate(root.error(), src.Name());
  }
  bool dst_root = true;
  if (auto d = dst.List(state.ctx(), ""); !d && d.error().code() == ErrorCode::kDirNotFound) {
    dst_root = false;
  }
  DirQueue queue;
  queue.Push(DirJob{"", true, dst_root});
  {
    std::vector<std::jthread> workers;
    for (int i = 0; i < std::max(1, checkers); ++i) {
      workers.emplace_back([&] {
        while (auto job = queue.Pop(state.stop())) {
          HandleDir(state, src, dst, *job, queue, callbacks);
          queue.Done();
        }
      });
    }
  }
  return Ok();
}

}  // namespace cvclone
