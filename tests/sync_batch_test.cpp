// The engine with a destination that groups its commits (the local backend with fsync on):
// failures found only when the group is committed still count, and sync then deletes nothing.
#include <doctest/doctest.h>

#include <filesystem>

#include "backends/local/local.hpp"
#include "core/engine/sync.hpp"
#include "core/log.hpp"
#include "tests/support/temp_dir.hpp"

namespace cvclone {
namespace {

namespace fs = std::filesystem;

struct QuietLog {
  QuietLog() : saved(log::GetLevel()) { log::SetLevel(log::Level::kError); }
  ~QuietLog() { log::SetLevel(saved); }
  log::Level saved;
};

std::unique_ptr<Remote> Local(const std::string& root) {
  auto r = NewLocalRemote(root);
  REQUIRE(r.has_value());
  REQUIRE((*r)->GetFeatures().batch_commit);
  return std::move(r).value();
}

int CountPartials(const std::string& root) {
  int n = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().filename().string().find(".cvclone-partial") != std::string::npos) ++n;
  }
  return n;
}

TEST_CASE("engine batch: copy of many files lands every file, no temporaries") {
  test::TempDir src_dir, dst_dir;
  for (int i = 0; i < 120; ++i) {
    REQUIRE(src_dir.WriteFile("d" + std::to_string(i % 4) + "/f" + std::to_string(i),
                              "content " + std::to_string(i)));
  }
  auto src = Local(src_dir.path());
  auto dst = Local(dst_dir.path());
  Accounting acct;
  REQUIRE(RunSync(Context{}, *src, *dst, SyncMode::kCopy, SyncOptions{}, acct).has_value());
  CHECK(acct.transfers() == 120);
  CHECK(acct.errors() == 0);
  for (int i = 0; i < 120; ++i) {
    CHECK(dst_dir.ReadFile("d" + std::to_string(i % 4) + "/f" + std::to_string(i)) ==
          "content " + std::to_string(i));
  }
  CHECK(CountPartials(dst_dir.path()) == 0);
}

TEST_CASE("engine batch: a commit failure makes sync fail and delete nothing") {
  QuietLog quiet;
  test::TempDir src_dir, dst_dir;
  REQUIRE(src_dir.WriteFile("a", "alpha"));
  REQUIRE(src_dir.WriteFile("b", "bravo"));  // dst has a non-empty directory named b
  REQUIRE(dst_dir.WriteFile("b/inside", "keep"));
  REQUIRE(dst_dir.WriteFile("z", "extraneous"));
  auto src = Local(src_dir.path());
  auto dst = Local(dst_dir.path());
  Accounting acct;
  Status st = RunSync(Context{}, *src, *dst, SyncMode::kSync, SyncOptions{}, acct);
  REQUIRE_FALSE(st);
  CHECK(acct.errors() >= 1);
  CHECK(dst_dir.ReadFile("a") == "alpha");
  CHECK(dst_dir.ReadFile("z") == "extraneous");  // not deleted after an error
  CHECK(dst_dir.ReadFile("b/inside") == "keep");
  CHECK(CountPartials(dst_dir.path()) == 0);
}

}  // namespace
}  // namespace cvclone
