// Group commit for the local backend (Remote::StartBatch/FinishBatch).
//
// Without a batch every Put fsyncs its temporary file and puts it in place: one flush per
// file, which dominates a copy of many small files. In a batch, written temporaries (data
// written, mtime set) are queued here instead. A committer thread takes everything queued,
// makes it durable with one syncfs() per filesystem, then publishes each temporary at its
// target (TempFile::Publish), so no target ever names a file whose data is not on disk. Files
// queued while a syncfs runs form the next group: the flushes overlap the writing.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "backends/local/local_fs.hpp"
#include "core/context.hpp"
#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone::local {

class CommitBatch {
 public:
  // on_failure receives the relative path and error of each temporary that could not be
  // committed (called from the committer thread, or from Finish).
  explicit CommitBatch(Remote::BatchFailure on_failure);
  // Discards whatever is still queued (its temporaries are removed) and joins the thread.
  ~CommitBatch();
  CommitBatch(const CommitBatch&) = delete;
  CommitBatch& operator=(const CommitBatch&) = delete;

  // Queues a written temporary whose file descriptor is still open (a named one's is closed
  // here: a close error is returned and nothing is queued; an unnamed one keeps it until it is
  // published). `path` is the object's relative path for reports, `bytes` its size. Blocks
  // while the queue is full (kMaxQueuedFiles files, kMaxQueuedBytes bytes, or a quarter of the
  // process's descriptor limit held by queued temporaries: an unnamed file's own and each
  // one's folder), so that a slow disk slows the writers instead of the queue growing.
  Status Add(TempFile tmp, std::string path, int64_t bytes, dev_t device);

  // Removes the queued temporary for the full target path, if any (true); if that target is
  // being committed right now, waits until it is done (false).
  bool Discard(const std::string& final_path);

  // Waits until everything queued is at its target (or failed), then syncs each filesystem
  // once more so the renames are durable too. Ok if nothing failed; else the first failure
  // (every failure also went to on_failure). A cancelled ctx discards what is queued and
  // returns kCancelled once the group being committed is done.
  Status Finish(const Context& ctx);

  static constexpr size_t kMaxQueuedFiles = 4096;
  // The soft limit on open files a batch raises the process's to, where the hard limit allows
  // (each file waiting holds its folder's descriptor, an unnamed one its own too; a quarter of
  // the limit is used for them).
  static constexpr rlim_t kWantedOpenFiles = 8 * kMaxQueuedFiles;
  static constexpr int64_t kMaxQueuedBytes = int64_t{1} << 30;
  // Once something is queued the committer waits this long for more (unless a group of
  // kGroupFiles files or kGroupBytes is ready, or Finish is waiting): when files arrive slowly
  // (downloads), one syncfs then covers many of them instead of one or two. When they arrive
  // fast, a small group starts the disk early and the next group gathers while it syncs; with
  // large groups the disk idles while the first one gathers (bench/RESULTS.md).
  static constexpr std::chrono::milliseconds kGatherWindow{50};
  static constexpr size_t kGroupFiles = 64;
  static constexpr int64_t kGroupBytes = int64_t{64} << 20;

 private:
  struct Entry {
    TempFile tmp;
    std::string path;
    int64_t bytes;
    dev_t device;
    size_t fds;  // descriptors it holds (TempFile::descriptors when queued)
  };
  void Run();
  void CommitGroup(std::list<Entry>& group);
  void Fail(const std::string& path, const Error& error);
  Status SyncDevice(dev_t device);

  Remote::BatchFailure on_failure_;
  std::mutex mu_;
  std::condition_variable_any changed_;
  std::list<Entry> queue_;
  int64_t queued_bytes_ = 0;
  std::vector<std::string> in_flight_;  // target paths of the group being committed
  const size_t max_open_files_;
  size_t open_files_ = 0;  // descriptors held by temporaries queued or being committed
  std::map<dev_t, Fd> device_fds_;      // one open file per filesystem, for syncfs
  std::optional<Error> first_error_;
  bool stopping_ = false;
  bool finishing_ = false;  // Finish is waiting: commit without gathering
  std::jthread committer_;  // last: started after the members above exist
};

}  // namespace cvclone::local
