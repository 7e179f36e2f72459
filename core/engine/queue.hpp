// BoundedQueue: a blocking multi-producer multi-consumer queue with a capacity, for the engine's
// pipelines. Push blocks while full, Pop blocks while empty; both return early when the given
// stop_token is stopped or the queue is closed. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>

namespace cvclone {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Adds v, waiting for room. False (v dropped) if the queue is closed or stop was requested.
  bool Push(T v, std::stop_token stop) {
    std::unique_lock lock(mu_);
    if (!not_full_.wait(lock, stop, [&] { return closed_ || items_.size() < capacity_; })) {
      return false;
    }
    if (closed_) return false;
    items_.push_back(std::move(v));
    not_empty_.notify_one();
    return true;
  }

  // The next item; nullopt once the queue is closed and drained, or when stop was requested.
  std::optional<T> Pop(std::stop_token stop) {
    std::unique_lock lock(mu_);
    if (!not_empty_.wait(lock, stop, [&] { return closed_ || !items_.empty(); })) {
      return std::nullopt;
    }
    if (items_.empty()) return std::nullopt;
    T v = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return v;
  }

  // No more pushes; consumers drain what is left.
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable_any not_empty_, not_full_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace cvclone
