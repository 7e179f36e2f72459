#include "core/engine/stored_versions.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/temp_dir.hpp"

namespace cvclone {
namespace {

using std::chrono::seconds;

const TimePoint kT = TimePoint(seconds(1'700'000'000)) + std::chrono::nanoseconds(123);

ObjectInfo Listed(const std::string& path, int64_t size, const std::string& version) {
  ObjectInfo d{.path = path, .size = size, .mtime = TimePoint(seconds(1))};
  d.mtime_is_upload_time = true;
  d.version = version;
  return d;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("stored versions: a record is used only for the version and size it names") {
  test::TempDir dir;
  const std::string file = dir.Path("state/stored/x");
  {
    StoredVersions v(file, false);
    v.Remember("a b/%odd\tname", "etag-1", 10, kT);
    v.Remember("other", "", 5, kT);  // no version: nothing to record
    CHECK(v.SourceMtime(Listed("a b/%odd\tname", 10, "etag-1")) == kT);
    CHECK_FALSE(v.SourceMtime(Listed("a b/%odd\tname", 10, "etag-2")).has_value());
    CHECK_FALSE(v.SourceMtime(Listed("a b/%odd\tname", 11, "etag-1")).has_value());
    CHECK_FALSE(v.SourceMtime(Listed("other", 5, "")).has_value());
    CHECK(v.size() == 1);
  }
  // Kept across runs; the last record of a path wins.
  {
    StoredVersions v(file, false);
    CHECK(v.SourceMtime(Listed("a b/%odd\tname", 10, "etag-1")) == kT);
    v.Remember("a b/%odd\tname", "etag-3", 12, kT + seconds(5));
  }
  StoredVersions again(file, true);
  CHECK(again.SourceMtime(Listed("a b/%odd\tname", 12, "etag-3")) == kT + seconds(5));
  CHECK_FALSE(again.SourceMtime(Listed("a b/%odd\tname", 10, "etag-1")).has_value());
}

TEST_CASE("stored versions: torn and malformed lines are ignored, read-only writes nothing") {
  test::TempDir dir;
  const std::string file = dir.Path("x");
  REQUIRE(test::WriteFile(file, "e1 4 1000 good\n"
                                "garbage\n"
                                "e2 notanumber 1000 bad\n"
                                "e3 4 1000 bad%zz\n"
                                "e4 4 1000 torn"));  // no newline: cut by a crash
  StoredVersions v(file, true);
  CHECK(v.size() == 1);
  CHECK(v.SourceMtime(Listed("good", 4, "e1")) == TimePoint(std::chrono::nanoseconds(1000)));
  CHECK_FALSE(v.SourceMtime(Listed("torn", 4, "e4")).has_value());
  const std::string before = Slurp(file);
  v.Remember("new", "e5", 1, kT);
  CHECK(v.SourceMtime(Listed("new", 1, "e5")) == kT);  // used in this run
  CHECK(Slurp(file) == before);
}

TEST_CASE("stored versions: Compact keeps one line per path") {
  test::TempDir dir;
  const std::string file = dir.Path("x");
  {
    StoredVersions v(file, false);
    for (int i = 0; i < 3000; ++i) v.Remember("same", "e" + std::to_string(i), 1, kT);
    v.Compact();
    CHECK(Slurp(file) == "e2999 1 " + std::to_string(kT.time_since_epoch().count()) + " same\n");
    v.Remember("later", "f", 2, kT);  // appended to the new file when v goes
  }
  StoredVersions reread(file, true);
  CHECK(reread.size() == 2);
  CHECK(reread.SourceMtime(Listed("later", 2, "f")) == kT);
}

}  // namespace
}  // namespace cvclone
