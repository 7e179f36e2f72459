#include "crypt/pipeline.hpp"

namespace cvclone::crypt {

BatchPipeline::BatchPipeline(std::function<void(Batch&)> produce)
    : produce_(std::move(produce)), thread_([this] { Run(); }) {}

BatchPipeline::~BatchPipeline() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void BatchPipeline::Run() {
  for (;;) {
    Batch b;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !free_.empty() || allocated_ < kDepth; });
      if (stop_) return;
      if (!free_.empty()) {
        b = std::move(free_.back());
        free_.pop_back();
      } else {
        ++allocated_;
      }
    }
    b.len = 0;
    b.last = false;
    b.error.reset();
    produce_(b);
    const bool end = b.last || b.error.has_value();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      ready_.push_back(std::move(b));
    }
    cv_.notify_all();
    if (end) return;
  }
}

Batch& BatchPipeline::Next() {
  std::unique_lock<std::mutex> lock(mu_);
  if (current_) {
    free_.push_back(std::move(*current_));
    current_.reset();
    cv_.notify_all();
  }
  cv_.wait(lock, [&] { return !ready_.empty(); });
  current_ = std::move(ready_.front());
  ready_.pop_front();
  return *current_;
}

}  // namespace cvclone::crypt
