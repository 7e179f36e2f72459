#include "core/engine/bwlimit.hpp"

#include <doctest/doctest.h>

#include <thread>

#include "core/engine/order.hpp"
#include "core/engine/queue.hpp"

namespace cvclone {
namespace {

constexpr int64_t kMi = 1 << 20;
constexpr int kSun = 0, kMon = 1, kTue = 2, kSat = 6;

int At(int hour, int minute) { return hour * 60 + minute; }

TEST_CASE("bwlimit: a rate, a pair, off") {
  auto t = BwTimetable::Parse("1M");
  REQUIRE(t);
  CHECK(t->At(kMon, At(3, 0)) == BwPair{kMi, kMi});
  CHECK_FALSE(t->Unlimited());
  t = BwTimetable::Parse("512k:off");
  REQUIRE(t);
  CHECK(t->At(kSat, 0) == BwPair{512 * 1024, -1});
  t = BwTimetable::Parse("10");  // a bare number is KiB, as rclone
  REQUIRE(t);
  CHECK(t->Now() == BwPair{10 * 1024, 10 * 1024});
  for (const char* none : {"off", "", "0", "off:off"}) {
    t = BwTimetable::Parse(none);
    REQUIRE(t);
    CHECK(t->Unlimited());
  }
}

TEST_CASE("bwlimit: a daily timetable holds from each time until the next, across midnight") {
  auto t = BwTimetable::Parse("08:00,512k 19:00,off");
  REQUIRE(t);
  CHECK(t->At(kTue, At(8, 0)) == BwPair{512 * 1024, 512 * 1024});
  CHECK(t->At(kTue, At(18, 59)) == BwPair{512 * 1024, 512 * 1024});
  CHECK(t->At(kTue, At(19, 0)) == BwPair{});
  CHECK(t->At(kTue, At(7, 59)) == BwPair{});  // Monday's 19:00 entry
  CHECK(t->At(kSun, At(0, 0)) == BwPair{});   // Saturday's 19:00 entry, from the week before
}

TEST_CASE("bwlimit: weekday entries hold until the next entry of the week") {
  auto t = BwTimetable::Parse("Mon-10:00,2M Saturday-00:00,off:1M sun-12:00,1M");
  REQUIRE(t);
  CHECK(t->At(kMon, At(9, 59)) == BwPair{kMi, kMi});  // Sunday's, from before
  CHECK(t->At(kMon, At(10, 0)) == BwPair{2 * kMi, 2 * kMi});
  CHECK(t->At(kTue, At(23, 0)) == BwPair{2 * kMi, 2 * kMi});
  CHECK(t->At(kSat, At(1, 0)) == BwPair{-1, kMi});
  CHECK(t->At(kSun, At(11, 0)) == BwPair{-1, kMi});
  CHECK(t->At(kSun, At(12, 0)) == BwPair{kMi, kMi});
}

TEST_CASE("bwlimit: bad values are refused naming the part") {
  struct Case {
    const char* text;
    const char* why;
  } cases[] = {{"25:00,1M", "invalid hour (must be between 00 and 23)"},
               {"10:60,1M", "invalid minute (must be between 00 and 59)"},
               {"Foo-10:00,1M", "invalid weekday \"Foo\""},
               {"1x", "bad rate \"1x\""},
               {"08:00,1M 19:00", "want TIME,RATE"},
               {"8:00,1M", "want HH:MM"}};
  for (const Case& c : cases) {
    auto t = BwTimetable::Parse(c.text);
    INFO(c.text);
    REQUIRE_FALSE(t);
    CHECK(t.error().code() == ErrorCode::kUsage);
    CHECK(t.error().message().find(c.why) != std::string::npos);
  }
}

TEST_CASE("bwlimit: the token bucket starts empty and holds the rate") {
  TokenBucket bucket;
  std::stop_source stop;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 8; ++i) CHECK(bucket.Take(32 * 1024, 1 * kMi, stop.get_token()));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(seconds >= 0.24);  // 256 KiB at 1 MiB/s
  CHECK(seconds < 2.0);
  CHECK(bucket.Take(kMi, -1, stop.get_token()));  // no limit: at once
  stop.request_stop();
  CHECK_FALSE(bucket.Take(kMi, kMi, stop.get_token()));  // a stop ends the wait
}

TEST_CASE("order: --order-by's syntax and order") {
  auto o = ParseOrderBy("size");
  REQUIRE(o);
  CHECK(o->key == OrderKey::kSize);
  CHECK_FALSE(o->descending);
  o = ParseOrderBy("ModTime,DESC");
  REQUIRE(o);
  CHECK(o->key == OrderKey::kModTime);
  CHECK(o->descending);
  o = ParseOrderBy("name,mixed");
  REQUIRE(o);
  CHECK(o->mixed_percent == 50);
  o = ParseOrderBy("size,mixed,25");
  REQUIRE(o);
  CHECK(o->mixed_percent == 25);
  // rclone's: 25% of the workers take the smallest, the others the largest.
  CHECK_FALSE(TakesLast(*o, 0, 4));
  CHECK(TakesLast(*o, 1, 4));
  CHECK(TakesLast(*o, 3, 4));
  for (const char* bad :
       {"colour", "size,up", "size,asc,10", "size,mixed,101", "size,mixed,x", "a,b,c,d"}) {
    INFO(bad);
    auto r = ParseOrderBy(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().fatal());
  }
  ObjectInfo small{"b", 1}, large{"a", 9};
  TransferOrder by_size{OrderKey::kSize, false, -1};
  CHECK(KeyBefore(by_size, small, large));
  TransferOrder by_name{OrderKey::kName, false, -1};
  CHECK(KeyBefore(by_name, large, small));
}

TEST_CASE("queue: PopFirst takes the first (or last) of the items waiting") {
  BoundedQueue<int> q(8);
  std::stop_source running;
  for (int v : {5, 1, 9, 3}) CHECK(q.Push(v, running.get_token()));
  auto less = [](int a, int b) { return a < b; };
  CHECK(q.PopFirst(running.get_token(), less, false) == 1);
  CHECK(q.PopFirst(running.get_token(), less, true) == 9);
  CHECK(q.Pop(running.get_token()) == 5);  // Pop keeps the order of arrival
  q.Close();
  CHECK(q.PopFirst(running.get_token(), less, false) == 3);
  CHECK_FALSE(q.PopFirst(running.get_token(), less, false));
}

}  // namespace
}  // namespace cvclone
