// A bounded, ordered pipeline of byte batches for the crypt readers, run by a small pool of
// persistent worker threads owned by the pipeline (created once, not per batch).
//
// Each batch goes through two stages on a worker:
//   read(b)            fills b from the source. Called for batches 0, 1, 2, … in that order and
//                      never concurrently (the source is read by one thread at a time), but not
//                      always on the same thread.
//   process(b, index)  transforms b in place (seal or open its chunks). Runs concurrently for
//                      different batches, on any worker; `index` is the batch's position.
// Next() hands batches to the consumer in index order. Memory is bounded: at most
// workers + 2 batches exist at once (being read or processed, ready, or being consumed).
//
// End of stream: once read sets last or error, or process sets error, no further batch is read;
// Next() must not be called after returning such a batch.
//
// Threads: Next() is called by one consumer thread at a time. The destructor stops the workers
// and joins them after the read or process calls in progress return (so read must not block
// forever; process handles one batch, about a millisecond of work).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/error.hpp"

namespace cvclone::crypt {

struct Batch {
  std::vector<uint8_t> data;   // capacity chosen by read; reused between batches
  size_t len = 0;              // valid bytes (layout defined by the stages)
  bool last = false;           // no batch follows (end of stream)
  std::optional<Error> error;  // the stream failed after the valid bytes
};

class BatchPipeline {
 public:
  static constexpr size_t kMaxWorkers = 4;
  using ReadFn = std::function<void(Batch&)>;
  using ProcessFn = std::function<void(Batch&, uint64_t index)>;

  // Starts `workers` threads (at least 1); DefaultWorkers() when 0.
  BatchPipeline(ReadFn read, ProcessFn process, size_t workers = 0);
  ~BatchPipeline();
  BatchPipeline(const BatchPipeline&) = delete;
  BatchPipeline& operator=(const BatchPipeline&) = delete;

  // The hardware's cores, between 1 and kMaxWorkers.
  static size_t DefaultWorkers();
  // How many batches may exist at once.
  size_t depth() const { return slots_.size(); }

  // The next batch in order, blocking until it is ready. Valid until the next call (the batch
  // returned before is recycled then).
  Batch& Next();

 private:
  enum class SlotState { kFree, kBusy, kReady, kConsuming };
  struct Slot {
    Batch batch;
    SlotState state = SlotState::kFree;
    uint64_t index = 0;
  };

  void Work();
  Slot* FreeSlot();  // requires mu_

  ReadFn read_;
  ProcessFn process_;
  std::mutex mu_;
  std::condition_variable work_cv_;   // a slot was freed, reading finished, or stop
  std::condition_variable ready_cv_;  // a batch became ready
  std::vector<Slot> slots_;
  uint64_t next_read_ = 0;     // index of the next batch to read
  uint64_t next_consume_ = 0;  // index of the next batch Next() returns
  Slot* current_ = nullptr;    // held by the consumer
  bool reading_ = false;       // a worker is in read_
  bool ended_ = false;         // the last batch has been read (or failed)
  bool stop_ = false;
  std::vector<std::thread> workers_;  // last: started after everything above exists
};

}  // namespace cvclone::crypt
