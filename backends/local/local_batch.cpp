#include "backends/local/local_batch.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

namespace cvclone::local {

// A quarter of the descriptors this process may open, for temporaries waiting in the queue.
// The soft limit is first raised toward the hard one, up to kWantedOpenFiles (Go programs such
// as rclone raise theirs at start): Debian's default soft limit lets too few files wait for a
// group to fill, and small-file copies then sync in smaller groups (bench/RESULTS.md). Two
// descriptors per waiting file (an unnamed file and its folder) let kMaxQueuedFiles wait.
static size_t MaxOpenFiles() {
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) {
    return 2 * CommitBatch::kMaxQueuedFiles;
  }
  if (lim.rlim_cur < CommitBatch::kWantedOpenFiles) {
    struct rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max == RLIM_INFINITY
                          ? CommitBatch::kWantedOpenFiles
                          : std::min<rlim_t>(lim.rlim_max, CommitBatch::kWantedOpenFiles);
    if (raised.rlim_cur > lim.rlim_cur && ::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return std::clamp<size_t>(static_cast<size_t>(lim.rlim_cur) / 4, 16,
                            2 * CommitBatch::kMaxQueuedFiles);
}

CommitBatch::CommitBatch(Remote::BatchFailure on_failure)
    : on_failure_(std::move(on_failure)),
      max_open_files_(MaxOpenFiles()),
      committer_([this] { Run(); }) {}

CommitBatch::~CommitBatch() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();  // each TempFile removes its temporary
  }
  changed_.notify_all();
  committer_.join();
}

Status CommitBatch::Add(TempFile tmp, std::string path, int64_t bytes, dev_t device) {
  {
    std::lock_guard lock(mu_);
    if (!device_fds_.contains(device)) {
      // syncfs needs a descriptor on the filesystem; keep one for the batch's life.
      const int fd = ::fcntl(tmp.fd(), F_DUPFD_CLOEXEC, 0);
      if (fd < 0) return ErrnoError(errno, "duplicate descriptor of", tmp.path());
      device_fds_.emplace(device, Fd(fd));
    }
  }
  CVC_RETURN_IF_ERROR(tmp.CloseIfNamed());
  const size_t fds = tmp.descriptors();
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] {
    return stopping_ || queue_.empty() ||
           (queue_.size() < kMaxQueuedFiles && queued_bytes_ < kMaxQueuedBytes &&
            open_files_ < max_open_files_);
  });
  if (stopping_) return MakeError(ErrorCode::kCancelled, "cancelled");
  open_files_ += fds;
  queued_bytes_ += bytes;
  queue_.push_back(Entry{std::move(tmp), std::move(path), bytes, device, fds});
  // Wake the committer only when it has something new to act on: a first file to start
  // gathering, or a full group. A wake-up per file cost a context switch per file.
  const bool wake = queue_.size() == 1 || queue_.size() == kGroupFiles ||
                    (queued_bytes_ >= kGroupBytes && queued_bytes_ - bytes < kGroupBytes);
  lock.unlock();
  if (wake) changed_.notify_all();
  return Ok();
}

bool CommitBatch::Discard(const std::string& final_path) {
  std::unique_lock lock(mu_);
  auto it = std::find_if(queue_.begin(), queue_.end(),
                         [&](const Entry& e) { return e.tmp.final_path() == final_path; });
  if (it != queue_.end()) {
    queued_bytes_ -= it->bytes;
    open_files_ -= it->fds;
    queue_.erase(it);  // removes the temporary
    changed_.notify_all();
    return true;
  }
  changed_.wait(lock, [&] {
    return std::find(in_flight_.begin(), in_flight_.end(), final_path) == in_flight_.end();
  });
  return false;
}

void CommitBatch::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    changed_.wait_for(lock, kGatherWindow, [&] {
      return stopping_ || finishing_ || queue_.size() >= kGroupFiles ||
             queued_bytes_ >= kGroupBytes;
    });
    if (stopping_) return;
    if (queue_.empty()) continue;  // discarded meanwhile
    std::list<Entry> group = std::move(queue_);
    queue_.clear();
    queued_bytes_ = 0;
    in_flight_.clear();
    for (const Entry& e : group) in_flight_.push_back(e.tmp.final_path());
    lock.unlock();
    changed_.notify_all();  // writers waiting for room
    CommitGroup(group);
    size_t closed = 0;
    for (const Entry& e : group) closed += e.fds;
    group.clear();
    lock.lock();
    open_files_ -= closed;
    in_flight_.clear();
    changed_.notify_all();
  }
}

Status CommitBatch::SyncDevice(dev_t device) {
  int fd = -1;
  {
    std::lock_guard lock(mu_);
    fd = device_fds_.at(device).get();
  }
  if (::syncfs(fd) != 0) {
    return MakeError(ErrorCode::kIo, std::string("local: syncfs: ") + std::strerror(errno));
  }
  return Ok();
}

void CommitBatch::CommitGroup(std::list<Entry>& group) {
  std::set<dev_t> devices;
  for (const Entry& e : group) devices.insert(e.device);
  std::map<dev_t, Status> synced;
  for (dev_t device : devices) synced.emplace(device, SyncDevice(device));
  for (Entry& e : group) {
    const Status& sync = synced.at(e.device);
    if (!sync) {
      Fail(e.path, sync.error());
      continue;
    }
    if (Status st = e.tmp.Publish(); !st) Fail(e.path, st.error());
  }
}

void CommitBatch::Fail(const std::string& path, const Error& error) {
  {
    std::lock_guard lock(mu_);
    if (!first_error_) first_error_ = error;
  }
  if (on_failure_) on_failure_(path, error);
}

Status CommitBatch::Finish(const Context& ctx) {
  std::unique_lock lock(mu_);
  finishing_ = true;
  changed_.notify_all();
  const bool drained = changed_.wait(lock, ctx.stop, [&] {
    return queue_.empty() && in_flight_.empty();
  });
  finishing_ = false;
  if (!drained) {
    for (const Entry& e : queue_) open_files_ -= e.fds;
    queue_.clear();  // removes the temporaries not yet committed
    queued_bytes_ = 0;
    changed_.wait(lock, [&] { return in_flight_.empty(); });
    return MakeError(ErrorCode::kCancelled, "cancelled");
  }
  std::vector<dev_t> devices;
  for (const auto& [device, fd] : device_fds_) devices.push_back(device);
  lock.unlock();
  // The renames are durable once their directories' changes reach the journal.
  for (dev_t device : devices) {
    if (Status st = SyncDevice(device); !st) {
      lock.lock();
      if (!first_error_) first_error_ = st.error();
      lock.unlock();
    }
  }
  lock.lock();
  if (first_error_) return Unexpected<Error>(*first_error_);
  return Ok();
}

}  // namespace cvclone::local
