#include "crypt/pipeline.hpp"

#include <algorithm>

namespace cvclone::crypt {

size_t BatchPipeline::DefaultWorkers() {
  const size_t cores = std::thread::hardware_concurrency();
  return std::clamp<size_t>(cores, 1, kMaxWorkers);
}

BatchPipeline::BatchPipeline(ReadFn read, ProcessFn process, size_t workers)
    : read_(std::move(read)), process_(std::move(process)) {
  if (workers == 0) workers = DefaultWorkers();
  // One batch per worker in flight, one ready, one with the consumer.
  slots_.resize(workers + 2);
  workers_.reserve(workers);
  for (size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { Work(); });
}

BatchPipeline::~BatchPipeline() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

BatchPipeline::Slot* BatchPipeline::FreeSlot() {
  for (Slot& s : slots_) {
    if (s.state == SlotState::kFree) return &s;
  }
  return nullptr;
}

void BatchPipeline::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    Slot* slot = nullptr;
    work_cv_.wait(lock, [&] {
      if (stop_ || ended_) return true;
      if (reading_) return false;
      slot = FreeSlot();
      return slot != nullptr;
    });
    if (stop_ || ended_) return;
    slot->state = SlotState::kBusy;
    slot->index = next_read_++;
    reading_ = true;
    Batch& b = slot->batch;
    lock.unlock();

    b.len = 0;
    b.last = false;
    b.error.reset();
    read_(b);
    const bool read_end = b.last || b.error.has_value();
    lock.lock();
    reading_ = false;
    ended_ = ended_ || read_end;
    const bool stopping = stop_;
    lock.unlock();
    work_cv_.notify_one();  // another worker may read the next batch meanwhile

    if (!stopping) process_(b, slot->index);
    lock.lock();
    ended_ = ended_ || b.error.has_value();
    slot->state = SlotState::kReady;
    ready_cv_.notify_one();
  }
}

Batch& BatchPipeline::Next() {
  std::unique_lock<std::mutex> lock(mu_);
  if (current_ != nullptr) {
    current_->state = SlotState::kFree;
    current_ = nullptr;
    work_cv_.notify_one();
  }
  ready_cv_.wait(lock, [&] {
    for (Slot& s : slots_) {
      if (s.state == SlotState::kReady && s.index == next_consume_) {
        current_ = &s;
        return true;
      }
    }
    return false;
  });
  current_->state = SlotState::kConsuming;
  ++next_consume_;
  return current_->batch;
}

}  // namespace cvclone::crypt
