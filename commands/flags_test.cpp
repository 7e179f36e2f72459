#include "commands/flags.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <future>

#include "commands/cli.hpp"
#include "commands/commands.hpp"
#include "commands/signals.hpp"

namespace cvclone {
namespace {

const std::vector<FlagSpec> kSpecs = {
    {"verbose", 'v', FlagType::kCount, "", ""},   {"quiet", 'q', FlagType::kCount, "", ""},
    {"progress", 'P', FlagType::kBool, "", ""},   {"config", 0, FlagType::kString, "FILE", ""},
    {"checkers", 0, FlagType::kInt, "N", ""},     {"max-size", 0, FlagType::kSize, "SIZE", ""},
    {"include", 0, FlagType::kList, "GLOB", ""},  {"exclude", 0, FlagType::kList, "GLOB", ""},
    {"offset", 'o', FlagType::kInt, "N", ""},
};

TEST_CASE("flags: long, short, counts, lists and positionals in any order") {
  auto r = ParseFlags({"a", "--config", "c.conf", "-vv", "--checkers=3", "-qP", "b", "--include",
                       "*.txt", "--exclude=x", "--include", "y", "--max-size", "5M"},
                      kSpecs, "copy");
  REQUIRE(r.has_value());
  CHECK(r->positional == std::vector<std::string>{"a", "b"});
  CHECK(r->flags.Get("config") == "c.conf");
  CHECK(r->flags.Count("verbose") == 2);
  CHECK(r->flags.Count("quiet") == 1);
  CHECK(r->flags.Bool("progress"));
  CHECK(r->flags.Get("checkers") == "3");
  CHECK(r->flags.All("include") == std::vector<std::string>{"*.txt", "y"});
  // Relative order of include/exclude is kept for filter rules.
  std::vector<std::string> order;
  for (const auto& [name, value] : r->flags.occurrences()) {
    if (name == "include" || name == "exclude") order.push_back(value);
  }
  CHECK(order == std::vector<std::string>{"*.txt", "x", "y"});
  CHECK_FALSE(r->flags.Has("offset"));
}

TEST_CASE("flags: -- ends flags, attached short values, boolean values") {
  auto r = ParseFlags({"-o5", "--progress=false", "--", "-v", "--what"}, kSpecs, "cat");
  REQUIRE(r.has_value());
  CHECK(r->flags.Get("offset") == "5");
  CHECK(r->flags.Has("progress"));
  CHECK_FALSE(r->flags.Bool("progress"));
  CHECK(r->positional == std::vector<std::string>{"-v", "--what"});
  CHECK(ParseFlags({"-"}, kSpecs, "cat")->positional == std::vector<std::string>{"-"});
}

TEST_CASE("flags: errors are usage errors with a hint") {
  auto unknown = ParseFlags({"--foo"}, kSpecs, "copy");
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().code() == ErrorCode::kUsage);
  CHECK(unknown.error().message() ==
        "unknown flag --foo for command copy; see 'cvclone copy --help'");
  CHECK(ParseFlags({"-x"}, kSpecs, "ls").error().code() == ErrorCode::kUsage);
  CHECK(ParseFlags({"--config"}, kSpecs, "ls").error().code() == ErrorCode::kUsage);
  CHECK(ParseFlags({"--checkers", "3x"}, kSpecs, "ls").error().code() == ErrorCode::kUsage);
  CHECK(ParseFlags({"--max-size", "huge"}, kSpecs, "ls").error().code() == ErrorCode::kUsage);
  CHECK(ParseFlags({"--progress=maybe"}, kSpecs, "ls").error().code() == ErrorCode::kUsage);
  CHECK(ParseFlags({"--verbose=2"}, kSpecs, "ls").error().code() == ErrorCode::kUsage);
}

TEST_CASE("cli: every command has usage, help with an example, and a run function") {
  for (const Command& c : AllCommands()) {
    CHECK_MESSAGE(c.usage.rfind(c.name, 0) == 0, c.name);
    CHECK_MESSAGE(c.long_help.find("Example") != std::string::npos, c.name);
    CHECK_MESSAGE(static_cast<bool>(c.run), c.name);
    CHECK(FindCommand(c.name) == &c);
  }
  CHECK(FindCommand("nosuch") == nullptr);
}

TEST_CASE("signals: SIGINT requests a stop on the run's stop source") {
  BlockStopSignals();  // before any other thread exists in this process
  std::stop_source stop;
  std::promise<void> stopped;
  std::stop_callback on_stop(stop.get_token(), [&] { stopped.set_value(); });
  {
    SignalWatcher watcher(stop);
    REQUIRE(kill(getpid(), SIGINT) == 0);
    CHECK(stopped.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  }
  CHECK(stop.stop_requested());
}

TEST_CASE("link --expire parses rclone's durations") {
  using std::chrono::seconds;
  CHECK(*ParseExpire("3600") == seconds(3600));
  CHECK(*ParseExpire("1h") == seconds(3600));
  CHECK(*ParseExpire("2h30m") == seconds(9000));
  CHECK(*ParseExpire("1.5d") == seconds(129600));
  CHECK(*ParseExpire("1w") == seconds(604800));
  CHECK(*ParseExpire("1M") == seconds(30 * 86400));
  CHECK(*ParseExpire("off") == seconds(int64_t{100} * 365 * 86400));
  for (const char* bad : {"", "soon", "1x", "-1h", "h", "1 h", "0", "500ms"}) {
    CAPTURE(bad);
    auto r = ParseExpire(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == ErrorCode::kUsage);
  }
}

}  // namespace
}  // namespace cvclone
