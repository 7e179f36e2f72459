// A bounded producer/consumer pipeline of byte batches, for the crypt readers: a background
// thread runs `produce` (read and seal, or read and open, a batch of chunks) ahead of the
// consumer, so the CPU work overlaps the consumer's I/O. Memory is bounded: at most kDepth
// batches exist at once (one being consumed, the others being filled or ready).
//
// Threads: produce runs on the pipeline's own thread only; Next() is called by one consumer
// thread at a time. The destructor stops the producer and joins it after the produce call in
// progress returns (produce must therefore not block forever).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/error.hpp"

namespace cvclone::crypt {

struct Batch {
  std::vector<uint8_t> data;  // capacity chosen by produce; reused between batches
  size_t len = 0;             // valid bytes in data
  bool last = false;          // no batch follows (end of stream)
  std::optional<Error> error; // the stream failed after data[0, len)
};

class BatchPipeline {
 public:
  static constexpr size_t kDepth = 3;
  // produce fills one batch (len, and last or error); it is called again until a batch has last
  // or error set, or the pipeline is destroyed.
  explicit BatchPipeline(std::function<void(Batch&)> produce);
  ~BatchPipeline();
  BatchPipeline(const BatchPipeline&) = delete;
  BatchPipeline& operator=(const BatchPipeline&) = delete;

  // The next batch in order, blocking until it is ready. Valid until the next call. Must not be
  // called again after a batch with last or error.
  Batch& Next();

 private:
  void Run();

  std::function<void(Batch&)> produce_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Batch> ready_;
  std::vector<Batch> free_;
  std::optional<Batch> current_;
  size_t allocated_ = 0;
  bool stop_ = false;
  std::thread thread_;  // last: started after everything above exists
};

}  // namespace cvclone::crypt
