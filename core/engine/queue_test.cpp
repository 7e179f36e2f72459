#include "core/engine/queue.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace cvclone {
namespace {

TEST_CASE("queue: a full queue refuses a push that may not wait, and takes one once there is room") {
  BoundedQueue<int> q(4);
  std::stop_source running;
  for (int i = 0; i < 4; ++i) CHECK(q.Push(i, running.get_token()));
  std::stop_source stopped;
  stopped.request_stop();
  CHECK_FALSE(q.Push(99, stopped.get_token()));  // full: it would have to wait
  CHECK(q.size() == 4);
  CHECK(q.Pop(running.get_token()) == 0);
  CHECK(q.Push(4, stopped.get_token()));  // room: no wait needed
  for (int want = 1; want <= 4; ++want) CHECK(q.Pop(running.get_token()) == want);
  CHECK(q.size() == 0);
  CHECK_FALSE(q.Pop(stopped.get_token()).has_value());  // empty: it would have to wait
}

TEST_CASE("queue: producers woken together never push it past its capacity") {
  constexpr size_t kCapacity = 4;
  constexpr int kWaiting = 6;
  BoundedQueue<int> q(kCapacity);
  std::stop_source s;
  for (int i = 0; i < static_cast<int>(kCapacity); ++i) CHECK(q.Push(i, s.get_token()));
  std::atomic<int> pushed{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < kWaiting; ++p) {
    producers.emplace_back([&, p] {
      if (q.Push(100 + p, s.get_token())) ++pushed;
    });
  }
  while (q.waiting_producers() < kWaiting) std::this_thread::yield();
  // Down to the low-water mark (half): every waiting producer is woken, but only two fit.
  CHECK(q.Pop(s.get_token()).has_value());
  CHECK(q.Pop(s.get_token()).has_value());
  while (q.size() <= kCapacity && !(pushed == 2 && q.waiting_producers() == kWaiting - 2)) {
    std::this_thread::yield();
  }
  CHECK(q.size() == kCapacity);
  q.Close();  // the producers still waiting give up
  for (auto& t : producers) t.join();
  CHECK(pushed == 2);
}

TEST_CASE("queue: close drains what is queued, then ends every pop and refuses pushes") {
  BoundedQueue<int> q(8);
  std::stop_source s;
  CHECK(q.Push(1, s.get_token()));
  CHECK(q.Push(2, s.get_token()));
  q.Close();
  CHECK_FALSE(q.Push(3, s.get_token()));
  CHECK(q.Pop(s.get_token()) == 1);
  CHECK(q.Pop(s.get_token()) == 2);
  CHECK_FALSE(q.Pop(s.get_token()).has_value());
}

TEST_CASE("queue: a consumer blocked on an empty queue returns when stop is requested") {
  BoundedQueue<int> q(2);
  std::stop_source s;
  std::atomic<bool> returned{false};
  std::thread consumer([&] {
    CHECK_FALSE(q.Pop(s.get_token()).has_value());
    returned = true;
  });
  s.request_stop();
  consumer.join();
  CHECK(returned);
}

TEST_CASE("queue: many producers and consumers: every item once, in each producer's order, "
          "never more than the capacity queued") {
  constexpr int kProducers = 8;
  constexpr int kConsumers = 3;
  constexpr int kItems = 5000;
  constexpr size_t kCapacity = 5;
  BoundedQueue<int> q(kCapacity);
  std::stop_source s;
  std::atomic<size_t> max_seen{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kItems; ++i) {
        if (!q.Push(p * kItems + i, s.get_token())) {
          FAIL_CHECK("push refused");
          return;
        }
        const size_t now = q.size();
        size_t seen = max_seen.load();
        while (now > seen && !max_seen.compare_exchange_weak(seen, now)) {
        }
      }
    });
  }
  std::vector<std::vector<int>> got(kConsumers);
  std::vector<std::thread> consumers;
  for (int c = 0; c < kConsumers; ++c) {
    consumers.emplace_back([&, c] {
      while (auto v = q.Pop(s.get_token())) got[c].push_back(*v);
    });
  }
  for (auto& t : producers) t.join();
  q.Close();
  for (auto& t : consumers) t.join();
  CHECK(max_seen.load() <= kCapacity);
  std::vector<int> all;
  for (const auto& g : got) {
    // Each consumer sees any one producer's items in the order they were pushed.
    std::vector<int> last(kProducers, -1);
    int out_of_order = 0;
    for (int v : g) {
      if (v <= last[v / kItems]) ++out_of_order;
      last[v / kItems] = v;
    }
    CHECK(out_of_order == 0);
    all.insert(all.end(), g.begin(), g.end());
  }
  std::sort(all.begin(), all.end());
  REQUIRE(all.size() == static_cast<size_t>(kProducers * kItems));
  for (int i = 0; i < kProducers * kItems; ++i) {
    if (all[i] != i) {
      FAIL("item " << i << " missing or repeated");
      break;
    }
  }
}

}  // namespace
}  // namespace cvclone
