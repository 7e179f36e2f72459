#include "core/engine/parallel_reader.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

#include "core/io.hpp"

namespace cvclone {

int64_t ParallelBlockSize(int64_t size, const ParallelReadOptions& opts) {
  if (opts.block_size > 0) return opts.block_size;
  const int64_t streams = std::max(1, opts.streams);
  const int64_t even = (size + streams - 1) / streams;  // one block per stream
  return std::clamp(even, ParallelReadOptions::kMinBlock, ParallelReadOptions::kMaxBlock);
}

// State shared by the consumer (Read) and the workers. Block b is fetched into slot b % streams;
// a worker may claim block b only when b < cur + streams, i.e. once block b - streams (the slot's
// previous block) was consumed, so a slot is never written while it is being read.
struct ParallelReader::Shared {
  struct Slot {
    std::unique_ptr<std::byte[]> data;  // allocated (not zeroed) on the slot's first block
    size_t capacity = 0;
    int64_t block = -1;  // the block whose bytes data holds, -1: none (free or being fetched)
    size_t len = 0;
  };

  Shared(const Context& ctx, Remote& r, std::string p, int64_t sz, const ParallelReadOptions& o)
      : parent(ctx),
        remote(r),
        path(std::move(p)),
        size(sz),
        streams(std::max(1, o.streams)),
        block(ParallelBlockSize(sz, o)),
        blocks((sz + block - 1) / block),
        slots(static_cast<size_t>(streams)) {
    worker_ctx.stop = stop.get_token();
    worker_ctx.deadline = ctx.deadline;
    link.emplace(ctx.stop, [this] { stop.request_stop(); });
  }

  Status Fetch(int64_t b, Slot& slot);
  // Ok while every block read so far comes from one version of the object.
  Status SameVersion(const std::string& seen);
  void Work();
  Result<size_t> Read(std::span<std::byte> buf);

  const Context parent;
  Remote& remote;
  const std::string path;
  const int64_t size;
  const int streams;
  const int64_t block;
  const int64_t blocks;

  std::stop_source stop;  // requested on cancel, on the first error and on destruction
  Context worker_ctx;
  std::optional<std::stop_callback<std::function<void()>>> link;  // parent stop → stop

  std::mutex mu;
  std::condition_variable_any cv;
  std::vector<Slot> slots;
  int64_t next = 0;  // the next block a worker will claim
  int64_t cur = 0;   // the block Read is consuming
  size_t pos = 0;    // bytes of block cur already consumed (touched by Read only)
  std::optional<Error> error;
  std::string version;  // of the first block whose stream knew it
  std::vector<std::thread> workers;
};

Status ParallelReader::Shared::Fetch(int64_t b, Slot& slot) {
  const int64_t offset = b * block;
  const auto want = static_cast<size_t>(std::min(block, size - offset));
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> in,
                       remote.Open(worker_ctx, path, offset, static_cast<int64_t>(want)));
  if (slot.capacity < want) {
    slot.data = std::make_unique_for_overwrite<std::byte[]>(want);
    slot.capacity = want;
  }
  CVC_ASSIGN_OR_RETURN(size_t got, ReadFull(worker_ctx, *in, std::span(slot.data.get(), want)));
  CVC_RETURN_IF_ERROR(SameVersion(in->Version()));
  if (got < want) {
    return MakeError(ErrorCode::kIo,
                     path + ": object ended at byte " + std::to_string(offset + got) +
                         ", expected " + std::to_string(size) + " (changed while downloading?)",
                     RetryClass::kRetryable);
  }
  slot.len = want;
  return Ok();
}

Status ParallelReader::Shared::SameVersion(const std::string& seen) {
  if (seen.empty()) return Ok();
  std::lock_guard lock(mu);
  if (version.empty()) version = seen;
  if (seen == version) return Ok();
  return MakeError(ErrorCode::kCorrupt,
                   path + ": the object changed during the download (version " + version +
                       ", then " + seen + ")",
                   RetryClass::kRetryable);
}

void ParallelReader::Shared::Work() {
  const std::stop_token token = stop.get_token();
  for (;;) {
    int64_t b = 0;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, token, [&] { return error || next >= blocks || next < cur + streams; });
      if (token.stop_requested() || error || next >= blocks) return;
      b = next++;
    }
    Slot& slot = slots[static_cast<size_t>(b % streams)];
    Status st = Fetch(b, slot);
    {
      std::lock_guard lock(mu);
      if (!st) {
        if (!error) error = st.error();
      } else {
        slot.block = b;
      }
    }
    cv.notify_all();
    if (!st) {
      stop.request_stop();  // the read has failed: the other streams need not go on
      return;
    }
  }
}

Result<size_t> ParallelReader::Shared::Read(std::span<std::byte> buf) {
  std::unique_lock lock(mu);
  if (error) return Propagate(*error);
  if (cur >= blocks || buf.empty()) return size_t{0};
  Slot& slot = slots[static_cast<size_t>(cur % streams)];
  cv.wait(lock, stop.get_token(), [&] { return error.has_value() || slot.block == cur; });
  if (error) return Propagate(*error);
  if (slot.block != cur) {
    CVC_RETURN_IF_ERROR(parent.Check());
    return MakeError(ErrorCode::kCancelled, "cancelled");
  }
  lock.unlock();
  const size_t n = std::min(buf.size(), slot.len - pos);
  std::memcpy(buf.data(), slot.data.get() + pos, n);
  pos += n;
  if (pos == slot.len) {
    lock.lock();
    slot.block = -1;
    ++cur;
    pos = 0;
    lock.unlock();
    cv.notify_all();
  }
  return n;
}

ParallelReader::ParallelReader(const Context& ctx, Remote& remote, std::string path, int64_t size,
                               const ParallelReadOptions& opts)
    : shared_(std::make_unique<Shared>(ctx, remote, std::move(path), std::max<int64_t>(size, 0),
                                       opts)) {
  const int64_t n = std::min<int64_t>(shared_->streams, shared_->blocks);
  for (int64_t i = 0; i < n; ++i) {
    shared_->workers.emplace_back([s = shared_.get()] { s->Work(); });
  }
}

ParallelReader::~ParallelReader() {
  shared_->stop.request_stop();
  shared_->cv.notify_all();
  for (std::thread& t : shared_->workers) t.join();
}

Result<size_t> ParallelReader::Read(std::span<std::byte> buf) { return shared_->Read(buf); }

}  // namespace cvclone
