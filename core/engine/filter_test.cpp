#include "core/engine/filter.hpp"

#include <doctest/doctest.h>

namespace cvclone {
namespace {

Filter MakeFilter(std::vector<std::string> rules, int64_t min_size = -1, int64_t max_size = -1) {
  FilterOptions opts;
  opts.rules = std::move(rules);
  opts.min_size = min_size;
  opts.max_size = max_size;
  auto f = Filter::Make(opts);
  REQUIRE(f.has_value());
  return *f;
}

TEST_CASE("filter: no rules includes everything and is inactive") {
  Filter f = MakeFilter({});
  CHECK_FALSE(f.Active());
  CHECK(f.IncludeFile("a/b/c.txt", 10));
  CHECK(f.IncludeDir("a/b"));
}

TEST_CASE("filter: * does not cross '/', unanchored matches at any depth") {
  Filter f = MakeFilter({"- *.txt"});
  CHECK(f.Active());
  CHECK_FALSE(f.IncludeFile("x.txt", 1));
  CHECK_FALSE(f.IncludeFile("a/b/x.txt", 1));
  CHECK(f.IncludeFile("x.txt.bak", 1));
  CHECK(f.IncludeFile("x.md", 1));
  Filter g = MakeFilter({"- a/*.txt"});
  CHECK_FALSE(g.IncludeFile("a/x.txt", 1));
  CHECK_FALSE(g.IncludeFile("z/a/x.txt", 1));
  CHECK(g.IncludeFile("a/b/x.txt", 1));
  CHECK(g.IncludeFile("ba/x.txt", 1));  // a segment must match whole
}

TEST_CASE("filter: ** crosses directories") {
  Filter f = MakeFilter({"- a/**"});
  CHECK_FALSE(f.IncludeFile("a/x", 1));
  CHECK_FALSE(f.IncludeFile("a/b/c/x", 1));
  CHECK(f.IncludeFile("ab/x", 1));
  CHECK_FALSE(f.IncludeDir("a"));
  CHECK_FALSE(f.IncludeDir("q/a"));
  CHECK(f.IncludeDir("b"));
  Filter g = MakeFilter({"- /**/deep.bin"});
  CHECK_FALSE(g.IncludeFile("x/y/deep.bin", 1));
  CHECK(g.IncludeFile("deep.bin", 1));  // "/**/" needs at least one directory
}

TEST_CASE("filter: leading / anchors at the root") {
  Filter f = MakeFilter({"- /top.txt"});
  CHECK_FALSE(f.IncludeFile("top.txt", 1));
  CHECK(f.IncludeFile("sub/top.txt", 1));
  Filter g = MakeFilter({"- /a/*"});
  CHECK_FALSE(g.IncludeFile("a/x", 1));
  CHECK(g.IncludeFile("b/a/x", 1));
}

TEST_CASE("filter: ? and [...] classes") {
  Filter f = MakeFilter({"- file?.log", "- [abc]*.dat", "- [!0-9]x"});
  CHECK_FALSE(f.IncludeFile("file1.log", 1));
  CHECK(f.IncludeFile("file12.log", 1));
  CHECK(f.IncludeFile("file/.log", 1));  // ? does not match '/'
  CHECK_FALSE(f.IncludeFile("b1.dat", 1));
  CHECK(f.IncludeFile("d1.dat", 1));
  CHECK_FALSE(f.IncludeFile("qx", 1));
  CHECK(f.IncludeFile("5x", 1));
}

TEST_CASE("filter: {a,b} alternatives, also with globs inside") {
  Filter f = MakeFilter({"+ *.{jpg,png}", "+ {docs,notes/*}/readme", "- /**"});
  CHECK(f.IncludeFile("p/x.jpg", 1));
  CHECK(f.IncludeFile("x.png", 1));
  CHECK_FALSE(f.IncludeFile("x.gif", 1));
  CHECK(f.IncludeFile("docs/readme", 1));
  CHECK(f.IncludeFile("notes/2024/readme", 1));
  CHECK_FALSE(f.IncludeFile("other/readme", 1));
}

TEST_CASE("filter: first match wins") {
  Filter f = MakeFilter({"+ keep/important.txt", "- keep/**", "+ **"});
  CHECK(f.IncludeFile("keep/important.txt", 1));
  CHECK_FALSE(f.IncludeFile("keep/other.txt", 1));
  CHECK(f.IncludeFile("else/other.txt", 1));
  Filter g = MakeFilter({"- keep/**", "+ keep/important.txt"});
  CHECK_FALSE(g.IncludeFile("keep/important.txt", 1));
}

TEST_CASE("filter: an include rule alone excludes nothing (--include adds \"- /**\" itself)") {
  Filter alone = MakeFilter({"+ *.txt"});
  CHECK(alone.IncludeFile("a.bin", 1));  // as rclone's --filter "+ *.txt"
  Filter f = MakeFilter({"+ *.txt", "- /**"});
  CHECK(f.IncludeFile("a.txt", 1));
  CHECK_FALSE(f.IncludeFile("a.bin", 1));
  CHECK(f.IncludeDir("any/dir"));  // an unanchored include may match at any depth
  Filter anchored = MakeFilter({"+ /a/b/*.txt", "- /**"});
  CHECK(anchored.IncludeDir("a"));
  CHECK(anchored.IncludeDir("a/b"));
  CHECK_FALSE(anchored.IncludeDir("c"));
  CHECK_FALSE(anchored.IncludeDir("a/c"));
  CHECK(anchored.IncludeFile("a/b/x.txt", 1));
  Filter ex = MakeFilter({"- *.txt"});
  CHECK(ex.IncludeFile("a.bin", 1));  // excludes alone keep the rest
  Filter star = MakeFilter({"- *"});  // "- *" also excludes every directory...
  CHECK_FALSE(star.IncludeDir("a"));
  Filter log = MakeFilter({"+ *.log", "- *"});  // ...unless an include came first
  CHECK(log.IncludeDir("a"));
  CHECK(log.IncludeFile("a/x.log", 1));
  CHECK_FALSE(log.IncludeFile("a/x.txt", 1));
}

TEST_CASE("filter: ! clears the rules before it") {
  Filter f = MakeFilter({"- *.txt", "!", "- *.log"});
  CHECK(f.IncludeFile("a.txt", 1));
  CHECK_FALSE(f.IncludeFile("a.log", 1));
}

TEST_CASE("filter: ignore case, max depth, files list, ages, marker files") {
  FilterOptions o;
  o.rules = {"- *.TXT"};
  o.ignore_case = true;
  auto f = Filter::Make(o);
  REQUIRE(f);
  CHECK_FALSE(f->IncludeFile("a/x.txt", 1));
  CHECK(f->IncludeFile("a/x.md", 1));

  FilterOptions d;
  d.max_depth = 2;
  auto depth = Filter::Make(d);
  REQUIRE(depth);
  CHECK(depth->IncludeFile("a/x", 1));
  CHECK_FALSE(depth->IncludeFile("a/b/x", 1));
  CHECK(depth->IncludeDir("a/b"));     // shown...
  CHECK_FALSE(depth->Descend("a/b"));  // ...not walked into
  CHECK(depth->Descend("a"));

  FilterOptions l;
  l.files = std::vector<std::string>{"a/b/x.txt", "y"};
  l.rules = {"- *.txt"};  // the list alone decides
  auto list = Filter::Make(l);
  REQUIRE(list);
  CHECK(list->IncludeFile("a/b/x.txt", 1));
  CHECK(list->IncludeFile("y", 1));
  CHECK_FALSE(list->IncludeFile("z", 1));
  CHECK(list->IncludeDir("a"));
  CHECK(list->IncludeDir("a/b"));
  CHECK_FALSE(list->IncludeDir("c"));

  FilterOptions a;
  const TimePoint t0{std::chrono::seconds(1'700'000'000)};
  a.modified_after = t0;
  a.modified_before = t0 + std::chrono::hours(1);
  auto age = Filter::Make(a);
  REQUIRE(age);
  ObjectInfo info;
  info.path = "f";
  info.size = 1;
  info.mtime = t0 + std::chrono::minutes(1);
  CHECK(age->IncludeObject(info));
  info.mtime = t0 - std::chrono::minutes(1);
  CHECK_FALSE(age->IncludeObject(info));
  info.mtime = t0 + std::chrono::hours(2);
  CHECK_FALSE(age->IncludeObject(info));

  FilterOptions m;
  m.exclude_if_present = {".ignore"};
  auto marker = Filter::Make(m);
  REQUIRE(marker);
  ObjectInfo flag;
  flag.path = "dir/.ignore";
  ObjectInfo other;
  other.path = "dir/x";
  CHECK(marker->ExcludesListing({other, flag}));
  CHECK_FALSE(marker->ExcludesListing({other}));
}

TEST_CASE("filter: trailing / matches directories only") {
  Filter f = MakeFilter({"- cache/"});
  CHECK_FALSE(f.IncludeDir("cache"));
  CHECK_FALSE(f.IncludeDir("x/cache"));
  CHECK_FALSE(f.IncludeDir("cache/sub"));
  CHECK(f.IncludeDir("cache2"));
  CHECK_FALSE(f.IncludeFile("cache/a.txt", 1));
  CHECK_FALSE(f.IncludeFile("x/cache/y/a.txt", 1));
  CHECK(f.IncludeFile("cache", 1));  // a file named cache is not a directory
  // As rclone's: including "dir/" is a directory rule only; it includes no file.
  Filter g = MakeFilter({"+ /only/", "- **"});
  CHECK_FALSE(g.IncludeFile("only/x", 1));
  CHECK_FALSE(g.IncludeFile("other/x", 1));
  CHECK(g.IncludeDir("only"));
  CHECK_FALSE(g.IncludeDir("other"));
}

TEST_CASE("filter: min and max size") {
  Filter f = MakeFilter({}, 10, 100);
  CHECK(f.Active());
  CHECK_FALSE(f.IncludeFile("a", 9));
  CHECK(f.IncludeFile("a", 10));
  CHECK(f.IncludeFile("a", 100));
  CHECK_FALSE(f.IncludeFile("a", 101));
  CHECK(f.IncludeFile("a", -1));  // unknown size is not filtered by size
}

TEST_CASE("filter: escapes and regex metacharacters are literal") {
  Filter f = MakeFilter({"- a+b(1).txt", "- star\\*"});
  CHECK_FALSE(f.IncludeFile("a+b(1).txt", 1));
  CHECK(f.IncludeFile("aab(1).txt", 1));
  CHECK_FALSE(f.IncludeFile("star*", 1));
  CHECK(f.IncludeFile("starx", 1));
}

TEST_CASE("filter: malformed rules are errors") {
  for (const char* bad : {"x *.txt", "+*.txt", "- [abc", "- {a,b", "- a}", "+ "}) {
    FilterOptions opts;
    opts.rules = {bad};
    auto f = Filter::Make(opts);
    REQUIRE_FALSE(f.has_value());
    CHECK(f.error().code() == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("filter: GlobToRegex translations") {
  CHECK(*GlobToRegex("*.txt") == "[^/]*\\.txt");
  CHECK(*GlobToRegex("a/**") == "a/.*");
  CHECK(*GlobToRegex("{x,y}") == "(?:x|y)");
  CHECK(*GlobToRegex("a,b") == "a,b");
}

}  // namespace
}  // namespace cvclone
