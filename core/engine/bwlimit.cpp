#include "core/engine/bwlimit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <sstream>

#include "core/registry.hpp"

namespace cvclone {
namespace {

constexpr int kMinutesPerDay = 24 * 60;
constexpr size_t kMaxRead = 64 * 1024;

Error Invalid(const std::string& text, const std::string& why) {
  return Error(ErrorCode::kUsage, fmt::format("invalid value \"{}\" for --bwlimit: {}", text, why));
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// One rate: "off", or a size per second (a bare number is KiB). 0 is no limit, as rclone's.
Result<int64_t> ParseRate(const std::string& whole, const std::string& text) {
  if (Lower(text) == "off") return int64_t{-1};
  const bool bare = !text.empty() && text.find_first_not_of("0123456789.") == std::string::npos;
  auto size = ParseSize(bare ? text + "Ki" : text);
  if (!size || *size < 0) return Unexpected<Error>(Invalid(whole, "bad rate \"" + text + "\""));
  return *size == 0 ? int64_t{-1} : *size;
}

// "RATE" (both directions) or "UP:DOWN".
Result<BwPair> ParsePair(const std::string& whole, const std::string& text) {
  BwPair pair;
  const size_t colon = text.find(':');
  if (colon == std::string::npos) {
    CVC_ASSIGN_OR_RETURN(pair.up, ParseRate(whole, text));
    pair.down = pair.up;
    return pair;
  }
  CVC_ASSIGN_OR_RETURN(pair.up, ParseRate(whole, text.substr(0, colon)));
  CVC_ASSIGN_OR_RETURN(pair.down, ParseRate(whole, text.substr(colon + 1)));
  return pair;
}

// "Mon", "monday"... → 0 (Sunday) .. 6.
Result<int> ParseWeekday(const std::string& whole, const std::string& text) {
  static const char* const kDays[] = {"sunday",   "monday", "tuesday", "wednesday",
                                      "thursday", "friday", "saturday"};
  const std::string day = Lower(text);
  for (int i = 0; i < 7; ++i) {
    const std::string full = kDays[i];
    if (day == full || day == full.substr(0, 3)) return i;
  }
  return Unexpected<Error>(Invalid(whole, "invalid weekday \"" + text + "\""));
}

// "HH:MM" → minute of the day.
Result<int> ParseClock(const std::string& whole, const std::string& text) {
  const bool shape = text.size() == 5 && text[2] == ':' && std::isdigit(text[0]) &&
                     std::isdigit(text[1]) && std::isdigit(text[3]) && std::isdigit(text[4]);
  if (!shape) return Unexpected<Error>(Invalid(whole, "want HH:MM, not \"" + text + "\""));
  const int hour = std::stoi(text.substr(0, 2));
  const int minute = std::stoi(text.substr(3, 2));
  if (hour > 23)
    return Unexpected<Error>(Invalid(whole, "invalid hour (must be between 00 and 23)"));
  if (minute > 59) {
    return Unexpected<Error>(Invalid(whole, "invalid minute (must be between 00 and 59)"));
  }
  return hour * 60 + minute;
}

}  // namespace

Result<BwTimetable> BwTimetable::Parse(const std::string& text) {
  BwTimetable table;
  std::istringstream words(text);
  std::vector<std::string> entries;
  for (std::string w; words >> w;) entries.push_back(w);
  if (entries.empty()) return table;
  if (entries.size() == 1 && entries[0].find(',') == std::string::npos) {
    CVC_ASSIGN_OR_RETURN(BwPair pair, ParsePair(text, entries[0]));
    table.slots_.push_back({0, pair});
    return table;
  }
  for (const std::string& entry : entries) {
    const size_t comma = entry.find(',');
    if (comma == std::string::npos) {
      return Unexpected<Error>(Invalid(text, "want TIME,RATE, not \"" + entry + "\""));
    }
    std::string when = entry.substr(0, comma);
    CVC_ASSIGN_OR_RETURN(BwPair pair, ParsePair(text, entry.substr(comma + 1)));
    int day = -1;  // every day
    if (const size_t dash = when.find('-'); dash != std::string::npos) {
      CVC_ASSIGN_OR_RETURN(day, ParseWeekday(text, when.substr(0, dash)));
      when = when.substr(dash + 1);
    }
    CVC_ASSIGN_OR_RETURN(int minute, ParseClock(text, when));
    for (int d = 0; d < 7; ++d) {
      if (day < 0 || d == day) table.slots_.push_back({d * kMinutesPerDay + minute, pair});
    }
  }
  // The later entry wins where two start at the same minute.
  std::stable_sort(table.slots_.begin(), table.slots_.end(),
                   [](const Slot& a, const Slot& b) { return a.week_minute < b.week_minute; });
  return table;
}

BwPair BwTimetable::At(int weekday, int minute) const {
  if (slots_.empty()) return {};
  const int at = weekday * kMinutesPerDay + minute;
  const Slot* found = &slots_.back();  // before the week's first entry: the last one
  for (const Slot& s : slots_) {
    if (s.week_minute > at) break;
    found = &s;
  }
  return found->bw;
}

BwPair BwTimetable::Now() const {
  if (slots_.size() <= 1) return slots_.empty() ? BwPair{} : slots_[0].bw;
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  return At(tm.tm_wday, tm.tm_hour * 60 + tm.tm_min);
}

bool BwTimetable::Unlimited() const {
  return std::all_of(slots_.begin(), slots_.end(),
                     [](const Slot& s) { return s.bw.up < 0 && s.bw.down < 0; });
}

bool TokenBucket::Take(int64_t n, int64_t rate, std::stop_token stop) {
  std::unique_lock lock(mu_);
  if (rate <= 0) {
    started_ = false;  // a limit that comes back later starts from an empty bucket
    return true;
  }
  const auto now = std::chrono::steady_clock::now();
  if (!started_) {
    started_ = true;
    tokens_ = 0;
  } else {
    tokens_ += static_cast<double>(rate) * std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(tokens_, static_cast<double>(rate));
  }
  last_ = now;
  tokens_ -= static_cast<double>(n);
  if (tokens_ >= 0) return true;
  // This taker's bytes are due once the debt ahead of them is paid at the rate; others taking
  // meanwhile add to the debt and wait longer.
  const auto wait = std::chrono::duration<double>(-tokens_ / static_cast<double>(rate));
  (void)wake_.wait_for(lock, stop, std::chrono::duration_cast<std::chrono::nanoseconds>(wait),
                       [] { return false; });
  return !stop.stop_requested();
}

class LimitedReader : public Reader {
 public:
  LimitedReader(const Context& ctx, Reader& in, BwLimiter& limiter, bool up, bool down)
      : ctx_(ctx), in_(in), limiter_(limiter), up_(up), down_(down) {}

  Result<size_t> Read(std::span<std::byte> buf) override {
    CVC_ASSIGN_OR_RETURN(size_t n, in_.Read(buf.first(std::min(buf.size(), kMaxRead))));
    if (n == 0) return n;
    const BwPair now = limiter_.table_.Now();
    const auto bytes = static_cast<int64_t>(n);
    bool ok = true;
    if (now.up == now.down) {
      ok = limiter_.both_.Take(bytes, now.up, ctx_.stop);
    } else {
      if (up_) ok = limiter_.up_.Take(bytes, now.up, ctx_.stop);
      if (ok && down_) ok = limiter_.down_.Take(bytes, now.down, ctx_.stop);
    }
    if (!ok) return MakeError(ErrorCode::kCancelled, "cancelled");
    return n;
  }

 private:
  Context ctx_;
  Reader& in_;
  BwLimiter& limiter_;
  bool up_, down_;
};

std::unique_ptr<Reader> BwLimiter::Limit(const Context& ctx, Reader& in, const Remote& src,
                                         const Remote& dst) {
  if (table_.Unlimited()) return nullptr;
  return std::make_unique<LimitedReader>(ctx, in, *this, dst.GetFeatures().network,
                                         src.GetFeatures().network);
}

}  // namespace cvclone
