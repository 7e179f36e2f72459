// --bwlimit (rclone's): bandwidth limits for the bytes transfers read from their sources, as a
// rate, an "UP:DOWN" pair or a timetable, enforced by token buckets shared by all transfers of
// a run.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone {

// Bytes per second for uploads and downloads; -1: no limit ("off").
struct BwPair {
  int64_t up = -1;
  int64_t down = -1;
  bool operator==(const BwPair&) const = default;
};

// rclone's --bwlimit value: "off", a rate ("1M", "512k", a bare number in KiB; binary units),
// "UP:DOWN" ("10M:off"), or a timetable of space-separated "HH:MM,RATE" and "Day-HH:MM,RATE"
// entries ("08:00,512k 19:00,off", "Mon-10:00,2M Sat-00:00,off"; Day: Mon or Monday, any
// case). A daily entry holds every day from its time; at a given time the entry with the
// latest start at or before it applies, counting back over the week (before the earliest, the
// latest one).
class BwTimetable {
 public:
  // kUsage naming the bad part ("invalid hour (must be between 00 and 23)", "invalid weekday").
  static Result<BwTimetable> Parse(const std::string& text);
  // The limits in force at weekday (0 Sunday .. 6) and minute of the day (0 .. 1439).
  BwPair At(int weekday, int minute) const;
  // The limits in force now, in local time.
  BwPair Now() const;
  // Whether no entry sets any limit.
  bool Unlimited() const;

 private:
  struct Slot {
    int week_minute;  // minute of the week from Sunday 00:00
    BwPair bw;
  };
  std::vector<Slot> slots_;  // sorted by week_minute; empty: no limit
};

// A token bucket: Take(n) returns once n more bytes fit the rate; the bucket starts empty and
// holds at most one second's worth, so a transfer's average rate from its start is the rate.
class TokenBucket {
 public:
  // rate: bytes per second, <= 0 no limit. False when stop was requested while waiting.
  bool Take(int64_t n, int64_t rate, std::stop_token stop);

 private:
  std::mutex mu_;
  std::condition_variable_any wake_;  // only for the stop token
  double tokens_ = 0;
  bool started_ = false;
  std::chrono::steady_clock::time_point last_;
};

// A run's limits: one bucket for uploads (a destination that is a network remote), one for
// downloads (a network source). A single rate (up and down the same) limits every transfer
// through one bucket, local ones too, as rclone's accounting limit does.
class BwLimiter {
 public:
  explicit BwLimiter(BwTimetable table) : table_(std::move(table)) {}
  // A stream over in whose reads wait for their bytes to fit the limits in force; nullptr when
  // no limit can ever apply to this transfer (read in itself). Reads are cut to 64 KiB so that
  // the waits stay short. A stop of ctx ends a wait with kCancelled.
  std::unique_ptr<Reader> Limit(const Context& ctx, Reader& in, const Remote& src,
                                const Remote& dst);

 private:
  friend class LimitedReader;
  BwTimetable table_;
  TokenBucket up_, down_, both_;
};

}  // namespace cvclone
