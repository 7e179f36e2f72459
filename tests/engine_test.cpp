// Engine tests: copy/sync/move/check on generated trees, on MemoryRemote (fast) and on the local
// backend, with faults injected through FaultRemote.
#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>

#include "backends/local/local.hpp"
#include "core/engine/sync.hpp"
#include "core/io.hpp"
#include "core/log.hpp"
#include "tests/support/fault_remote.hpp"
#include "tests/support/memory_remote.hpp"
#include "tests/support/temp_dir.hpp"

namespace cvclone {
namespace {

using std::chrono::seconds;
const TimePoint kT0 = TimePoint(std::chrono::seconds(1'700'000'000));

// A quiet log for tests that provoke errors.
struct QuietLog {
  QuietLog() : saved(log::GetLevel()) { log::SetLevel(log::Level::kError); }
  ~QuietLog() { log::SetLevel(saved); }
  log::Level saved;
};

std::string Content(int i, size_t size) {
  std::string s;
  while (s.size() < size) s += "file-" + std::to_string(i) + ";";
  s.resize(size);
  return s;
}

// A nested tree of n files (3 levels) with varied sizes, all written with Put.
void MakeTree(Remote& r, int n, const std::string& prefix = "") {
  Context ctx;
  for (int i = 0; i < n; ++i) {
    std::string path = prefix + "d" + std::to_string(i % 5) + "/s" + std::to_string(i % 3) +
                       (i % 2 ? "/deep" : "") + "/f" + std::to_string(i) + ".dat";
    MemoryReader data(Content(i, static_cast<size_t>(i * 37 % 3000)));
    PutOptions opts;
    opts.mtime = kT0 + seconds(i);
    auto put = r.Put(ctx, path, data, opts);
    REQUIRE(put.has_value());
  }
}

void PutFile(Remote& r, const std::string& path, const std::string& data, TimePoint mtime) {
  Context ctx;
  MemoryReader in(data);
  PutOptions opts;
  opts.mtime = mtime;
  REQUIRE(r.Put(ctx, path, in, opts).has_value());
}

// path → contents of every object under the root, for any Remote.
std::map<std::string, std::string> Tree(Remote& r, const std::string& dir = "") {
  Context ctx;
  std::map<std::string, std::string> out;
  auto list = r.List(ctx, dir);
  if (!list) return out;
  for (const ObjectInfo& info : *list) {
    if (info.is_dir) {
      out.merge(Tree(r, info.path));
      continue;
    }
    auto reader = r.Open(ctx, info.path);
    REQUIRE(reader.has_value());
    auto data = ReadAll(**reader);
    REQUIRE(data.has_value());
    out[info.path] = *data;
  }
  return out;
}

SyncOptions Opts() {
  SyncOptions o;
  o.checkers = 4;
  o.transfers = 3;
  return o;
}

TEST_CASE("engine: copy a generated tree, then a second run transfers nothing") {
  MemoryRemote src("src"), dst("dst");
  MakeTree(src, 300);
  Accounting acct;
  REQUIRE(RunSync(Context{}, src, dst, SyncMode::kCopy, Opts(), acct).has_value());
  CHECK(Tree(dst) == Tree(src));
  CHECK(acct.transfers() == 300);
  CHECK(acct.errors() == 0);
  Accounting again;
  REQUIRE(RunSync(Context{}, src, dst, SyncMode::kSync, Opts(), again).has_value());
  CHECK(again.transfers() == 0);
  CHECK(again.checks() == 300);
  CHECK(again.deletes() == 0);
}

TEST_CASE("engine: copy without server-side copy streams and verifies") {
  MemoryRemote src("src"), inner("dst");
  FaultRemote dst(inner);
  dst.features().server_side_copy = false;
  MakeTree(src, 120);
  Accounting acct;
  REQUIRE(RunSync(Context{}, src, dst, SyncMode::kCopy, Opts(), acct).has_value());
  CHECK(Tree(inner) == Tree(src));
  CHECK(dst.Calls(FaultOp::kPut) == 120);
  CHECK(dst.Calls(FaultOp::kCopy) == 0);
  CHECK(acct.bytes() > 0);
  CHECK(acct.bytes() == acct.total_bytes());
}

TEST_CASE("engine: same-type remotes use server-side copy") {
  MemoryRemote src("src"), inner("dst");
  FaultRemote dst(inner);
  MakeTree(src, 20);
  Accounting acct;
  REQUIRE(RunSync(Context{}, src, dst, SyncMode::kCopy, Opts(), acct).has_value());
  CHECK(dst.Calls(FaultOp::kCopy) == 20);
  CHECK(dst.Calls(FaultOp::kPut) == 0);
  CHECK(Tree(inner) == Tree(src));
}

TEST_CASE("engine: sync deletes extraneous files and dst-only directories") {
  MemoryRemote src("src"), dst("dst");
  MakeTree(src, 50);
  PutFile(dst, "extra.txt", "x", kT0);
  PutFile(dst, "gone/sub/old.txt", "old", kT0);
  PutFile(dst, "d0/s0/stale.bin", "stale", kT0);
  Accounting acct;
  REQUIRE(RunSync(Context{}, src, dst, SyncMode::kSync, Opts(), acct).has_value());
  CHECK(Tree(dst) == Tree(src));
  CHECK(acct.deletes() == 3);
  auto dirs = dst.Dirs();
  CHECK(std::find(dirs.begin(), dirs.end(), "gone") == dirs.end());
  CHECK(std::find(dirs.begin(), dirs.end(), "gone/sub") == dirs.end());
}

TEST_CASE("engine: copy does not delete extraneous files") {
  MemoryRemote src("src"), dst("dst");
  MakeTree(src, 10);
  PutFile(dst, "extra.txt", "x", kT0);
  Accounting acct;
  REQUIRE(RunSync(Context{}, src, dst, SyncMode::kCopy, Opts(), acct).has_value());
  CHECK(dst.Contents("extra.txt") == "x");
  CHECK(acct.deletes() == 0);
}

TEST_CASE("engine: sync does not delete when a transfer failed") {
  QuietLog quiet;
  MemoryRemote src("src"), inner("dst");
  FaultRemote dst(inner);
  dst.features().server_side_copy = false;
  MakeTree(src, 40);
  PutFile(inner, "extra.txt", "x", kT0);
  dst.FailOn(FaultOp::kPut, PathIs("d1/s1/deep/f1.dat"),
             Error(ErrorCode::kPermission, "injected: access denied"));
  Accounting acct;
  Status st = RunSync(Context{}, src, dst, SyncMode::kSync, Opts(), acct);
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().code() == ErrorCode::kPermission);
  CHECK(inner.Contents("extra.txt") == "x");
  CHECK_FALSE(inner.Contents("d1/s1/deep/f1.dat").has_value());
  CHECK(acct.errors() == 1);
  CHECK(acct.deletes() == 0);
  CHECK(acct.transfers() == 39);  // the other files went on
  CHECK(dst.Calls(FaultOp::kPut, "d1/s1/deep/f1.dat") == 1);  // not retryable
}

TEST_CASE("engine: --max-delete stops deleting at the limit and fails") {
  QuietLog quiet;
  MemoryRemote src("src"), dst("dst");
  MakeTree(src, 10);
  for (int i = 0; i < 5; ++i) PutFile(dst, "extra/e" + std::to_string(i), "x", kT0);
  SyncOptions opts = Opts();
  opts.max_delete = 2;
  Accounting acct;
  Status st = RunSync(Context{}, src, dst, SyncMode::kSync, opts, acct);
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().message().find("max-delete") != std::string::npos);
  CHECK(acct.deletes() == 2);
  int left = 0;
  for (const auto& p : dst.Files()) left += p.rfind("extra/", 0) == 0 ? 1 : 0;
  CHECK(left == 3);
}

TEST_CASE("engine: dry-run changes nothing yet reports") {
  QuietLog quiet;
  MemoryRemote src("src"), dst("dst");
  MakeTree(src, 30);
  PutFile(dst, "extra.txt", "x", kT0);
  PutFile(dst, "d0/s0/f0.dat", "changed content", kT0 + seconds(99));
  auto src_before = Tree(src);
  auto dst_before = Tree(dst);
  SyncOptions opts = Opts();
  opts.dry_run = true;
  for (SyncMode mode : {SyncMode::kSync, SyncMode::kMove}) {
    Accounting acct;
    REQUIRE(RunSync(Context{}, src, dst, mode, opts, acct).has_value());
    CHECK(acct.transfers() == 30);
    if (mode == SyncMode::kSync) CHECK(acct.deletes() == 1);
    CHECK(Tree(src) == src_before);
    CHECK(Tree(dst) == dst_before);
  }
}

TEST_CASE("engine: a retryable failure is retried, a permanent one fails after retries") {
  QuietLog quiet;
  MemoryRemote src("src"), inner("dst");
  FaultRemote dst(inner);
  dst.features().server_side_copy = false;
  PutFile(src, "flaky.txt", "flaky data", kT0);
  PutFile(src, "broken.txt", "broken data", kT0);
  PutFile(src, "fine.txt", "fine", kT0);
  Error retryable(ErrorCode::kNetwork, "injected: connection reset", RetryClass::kRetryable);
  dst.FailOn(FaultOp::kPut, PathIs("flaky.txt"), retryable, 2);
  dst.FailOn(FaultOp::kPut, PathIs("broken.txt"), retryable);
  SyncOptions opts = Opts();
  opts.retries = 3;
  Accounting acct;
  Status st = RunSync(Context{}, src, dst, SyncMode::kCopy, opts, acct);
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().code() == ErrorCode::kNetwork);
  CHECK(inner.Contents("flaky.txt") == "flaky data");
  CHECK(dst.Calls(FaultOp::kPut, "flaky.txt") == 3);
  CHECK_FALSE(inner.Contents("broken.txt").has_value());
  CHECK(dst.Calls(FaultOp::kPut, "broken.txt") == 3);
  CHECK(inner.Contents("fine.txt") == "fine");
  CHECK(acct.transfers() == 2);
  CHECK(acct.errors() == 1);
}

TEST_CASE("engine: a reader failing mid-stream is retried from scratch") {
  QuietLog quiet;
  MemoryRemote inner_src("src"), dst("dst");
  FaultRemote src(inner_src);
  dst.features().server_side_copy = false;
  std::string data = Content(7, 200'000);
  PutFile(inner_src, "big.bin", data, kT0);
  src.FailReadAfter(PathIs("big.bin"), 50'000, Error(ErrorCode::kIo, "injected read error"), 1);
  Accounting acct;
  REQUIRE(RunSync(Context{}, src, dst, SyncMode::kCopy, Opts(), acct).has_value());
  CHECK(dst.Contents("big.bin") == data);
  CHECK(src.Calls(FaultOp::kOpen, "big.bin") == 2);
  CHECK(acct.bytes() == 200'000);  // the failed attempt's bytes were taken back
}

TEST_CASE("engine: cancel mid-transfer returns kCancelled and leaves no partial object") {
  QuietLog quiet;
  MemoryRemote inner_src("src"), dst("dst");
  FaultRemote src(inner_src);
  dst.features().server_side_copy = false;
  PutFile(inner_src, "big.bin", Content(1, 500'000), kT0);
  std::stop_source stop;
  src.OnReadAfter(PathIs("big.bin"), 100'000, [&] { stop.request_stop(); });
  Context ctx;
  ctx.stop = stop.get_token();
  Accounting acct;
  Status st = RunSync(ctx, src, dst, SyncMode::kCopy, Opts(), acct);
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().code() == ErrorCode::kCancelled);
  CHECK(dst.Files().empty());
  CHECK(src.Calls(FaultOp::kOpen, "big.bin") == 1);  // no retry after cancel
}

TEST_CASE("engine: a missing source root is kDirNotFound") {
  QuietLog quiet;
  test::TempDir tmp;
  auto src = NewLocalRemote(tmp.Path("nope"));
  REQUIRE(src.has_value());
  MemoryRemote dst("dst");
  Accounting acct;
  Status st = RunSync(Context{}, **src, dst, SyncMode::kCopy, Opts(), acct);
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().code() == ErrorCode::kDirNotFound);
}

// check: one missing on dst, one extra on dst, one size difference, one same-size difference.
void MakeCheckTrees(MemoryRemote& src, MemoryRemote& dst) {
  MakeTree(src, 40);
  MakeTree(dst, 40);
  Context ctx;
  REQUIRE(dst.Delete(ctx, "d2/s2/f2.dat").has_value());
  PutFile(dst, "only/in/dst.txt", "extra", kT0);
  PutFile(dst, "d3/s0/deep/f3.dat", "different size", kT0 + seconds(3));
  auto orig = src.Contents("d4/s1/f4.dat");
  REQUIRE(orig.has_value());
  std::string same_size(orig->size(), 'Z');
  PutFile(dst, "d4/s1/f4.dat", same_size, kT0 + seconds(4));
}

TEST_CASE("engine: check finds missing, extra, size and content differences") {
  QuietLog quiet;
  MemoryRemote src("src"), dst("dst");
  MakeCheckTrees(src, dst);
  Accounting acct;
  Status st = RunCheck(Context{}, src, dst, Opts(), acct);
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().message() == "4 differences found");
  CHECK(st.error().code() == ErrorCode::kDifferences);
  CHECK(acct.checks() == 39);

  SyncOptions one_way = Opts();
  one_way.one_way = true;
  Accounting acct2;
  Status st2 = RunCheck(Context{}, src, dst, one_way, acct2);
  REQUIRE_FALSE(st2.has_value());
  CHECK(st2.error().message() == "3 differences found");
}

TEST_CASE("engine: check without a common hash compares sizes only, --download reads bytes") {
  QuietLog quiet;
  MemoryRemote src("src"), dst("dst");
  dst.features().hashes = HashSet();
  MakeCheckTrees(src, dst);
  Accounting acct;
  Status st = RunCheck(Context{}, src, dst, Opts(), acct);
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().message() == "3 differences found");  // same-size change not seen
  SyncOptions download = Opts();
  download.download = true;
  Accounting acct2;
  Status st2 = RunCheck(Context{}, src, dst, download, acct2);
  REQUIRE_FALSE(st2.has_value());
  CHECK(st2.error().message() == "4 differences found");
  CHECK(acct2.bytes() > 0);
}

TEST_CASE("engine: check of identical trees is Ok") {
  MemoryRemote src("src"), dst("dst");
  MakeTree(src, 60);
  Accounting acct;
  REQUIRE(RunSync(Context{}, src, dst, SyncMode::kCopy, Opts(), acct).has_value());
  Accounting check;
  CHECK(RunCheck(Context{}, src, dst, Opts(), check).has_value());
  CHECK(check.checks() == 60);
}

TEST_CASE("engine: filters select what is copied and protect excluded files from sync") {
  MemoryRemote src("src"), dst("dst");
  PutFile(src, "a.txt", "a", kT0);
  PutFile(src, "b.log", "b", kT0);
  PutFile(src, "keep/c.txt", "c", kT0);
  PutFile(src, "cache/d.txt", "d", kT0);
  PutFile(dst, "old.log", "old", kT0);
  PutFile(dst, "stale.txt", "stale", kT0);
  SyncOptions opts = Opts();
  opts.filter.rules = {"- *.log", "- cache/"};
  Accounting acct;
  REQUIRE(RunSync(Context{}, src, dst, SyncMode::kSync, opts, acct).has_value());
  std::map<std::string, std::string> want = {
      {"a.txt", "a"}, {"keep/c.txt", "c"}, {"old.log", "old"}};
  CHECK(Tree(dst) == want);  // stale.txt deleted, old.log excluded so kept
  CHECK(acct.transfers() == 2);
}

TEST_CASE("engine: --min-size/--max-size and include rules") {
  MemoryRemote src("src"), dst("dst");
  PutFile(src, "small.txt", "1", kT0);
  PutFile(src, "mid.txt", std::string(50, 'm'), kT0);
  PutFile(src, "big.txt", std::string(500, 'b'), kT0);
  PutFile(src, "mid.bin", std::string(50, 'm'), kT0);
  SyncOptions opts = Opts();
  opts.filter.rules = {"+ *.txt", "- /**"};  // "- /**": what --include adds
  opts.filter.min_size = 10;
  opts.filter.max_size = 100;
  Accounting acct;
  REQUIRE(RunSync(Context{}, src, dst, SyncMode::kCopy, opts, acct).has_value());
  CHECK(dst.Files() == std::vector<std::string>{"mid.txt"});
}

TEST_CASE("engine: compare modes decide what is copied") {
  MemoryRemote src("src"), dst("dst");
  // Same size, same mtime, different content: default and --size-only skip, --checksum copies.
  PutFile(src, "same-time.txt", "AAAA", kT0);
  PutFile(dst, "same-time.txt", "BBBB", kT0);
  // Same size, different content, dst newer: --update skips, default copies.
  PutFile(src, "newer-dst.txt", "CCCC", kT0);
  PutFile(dst, "newer-dst.txt", "DDDD", kT0 + seconds(60));
  auto run = [&](SyncOptions o) {
    Accounting acct;
    REQUIRE(RunSync(Context{}, src, dst, SyncMode::kCopy, o, acct).has_value());
    return acct.transfers();
  };
  SUBCASE("default") {
    CHECK(run(Opts()) == 1);
    CHECK(dst.Contents("same-time.txt") == "BBBB");
    CHECK(dst.Contents("newer-dst.txt") == "CCCC");
  }
  SUBCASE("size-only") {
    SyncOptions o = Opts();
    o.compare = CompareMode::kSizeOnly;
    CHECK(run(o) == 0);
  }
  SUBCASE("checksum") {
    SyncOptions o = Opts();
    o.compare = CompareMode::kChecksum;
    CHECK(run(o) == 2);
    CHECK(dst.Contents("same-time.txt") == "AAAA");
  }
  SUBCASE("update") {
    SyncOptions o = Opts();
    o.update = true;
    CHECK(run(o) == 0);
    CHECK(dst.Contents("newer-dst.txt") == "DDDD");
  }
  SUBCASE("ignore-existing") {
    SyncOptions o = Opts();
    o.ignore_existing = true;
    o.compare = CompareMode::kChecksum;
    CHECK(run(o) == 0);
  }
  SUBCASE("ignore-times") {
    SyncOptions o = Opts();
    o.ignore_times = true;
    CHECK(run(o) == 2);
  }
}

TEST_CASE("engine: equal content with a different mtime only fixes the mtime") {
  MemoryRemote src("src"), dst("dst");
  PutFile(src, "f.txt", "same", kT0);
  PutFile(dst, "f.txt", "same", kT0 + seconds(500));
  Accounting acct;
  REQUIRE(RunSync(Context{}, src, dst, SyncMode::kCopy, Opts(), acct).has_value());
  CHECK(acct.transfers() == 0);
  auto st = dst.Stat(Context{}, "f.txt");
  REQUIRE(st.has_value());
  CHECK(st->mtime == kT0);
}

TEST_CASE("engine: mtimes within the coarser precision are equal") {
  MemoryRemote src("src"), dst("dst");
  dst.features().mtime_precision = std::chrono::seconds(1);
  dst.features().hashes = HashSet();
  PutFile(src, "f.txt", "data", kT0 + std::chrono::milliseconds(400));
  PutFile(dst, "f.txt", "DATA", kT0);
  Accounting acct;
  REQUIRE(RunSync(Context{}, src, dst, SyncMode::kCopy, Opts(), acct).has_value());
  CHECK(acct.transfers() == 0);
  CHECK(dst.Contents("f.txt") == "DATA");
}

TEST_CASE("engine: move deletes the sources, including those already equal on dst") {
  MemoryRemote src("src"), dst("dst");
  MakeTree(src, 25);
  PutFile(dst, "d0/s0/f0.dat", *src.Contents("d0/s0/f0.dat"), kT0);
  auto before = Tree(src);
  Accounting acct;
  REQUIRE(RunSync(Context{}, src, dst, SyncMode::kMove, Opts(), acct).has_value());
  CHECK(Tree(dst) == before);
  CHECK(src.Files().empty());
  CHECK(acct.transfers() == 24);
}

TEST_CASE("engine: copyto and moveto") {
  MemoryRemote src("src"), dst("dst");
  PutFile(src, "a/one.txt", "one", kT0);
  Accounting acct;
  REQUIRE(CopyOneFile(Context{}, src, "a/one.txt", dst, "b/renamed.txt", false, Opts(), acct)
              .has_value());
  CHECK(dst.Contents("b/renamed.txt") == "one");
  CHECK(src.Contents("a/one.txt") == "one");
  CHECK(acct.transfers() == 1);
  Accounting again;
  REQUIRE(CopyOneFile(Context{}, src, "a/one.txt", dst, "b/renamed.txt", false, Opts(), again)
              .has_value());
  CHECK(again.transfers() == 0);
  Accounting moved;
  REQUIRE(CopyOneFile(Context{}, src, "a/one.txt", dst, "c/moved.txt", true, Opts(), moved)
              .has_value());
  CHECK(dst.Contents("c/moved.txt") == "one");
  CHECK_FALSE(src.Contents("a/one.txt").has_value());
  auto missing = CopyOneFile(Context{}, src, "nope", dst, "x", false, Opts(), moved);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code() == ErrorCode::kNotFound);
}

TEST_CASE("engine: --error-on-no-transfer") {
  MemoryRemote src("src"), dst("dst");
  MakeTree(src, 5);
  SyncOptions opts = Opts();
  opts.error_on_no_transfer = true;
  Accounting first;
  REQUIRE(RunSync(Context{}, src, dst, SyncMode::kCopy, opts, first).has_value());
  Accounting second;
  Status st = RunSync(Context{}, src, dst, SyncMode::kCopy, opts, second);
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().code() == ErrorCode::kNoTransfer);
}

TEST_CASE("engine: summary text names the counts") {
  MemoryRemote src("src"), dst("dst");
  MakeTree(src, 12);
  Accounting acct;
  REQUIRE(RunSync(Context{}, src, dst, SyncMode::kCopy, Opts(), acct).has_value());
  std::string text = acct.SummaryText();
  CHECK(text.find("Transferred:") != std::string::npos);
  CHECK(text.find("12 / 12, 100%") != std::string::npos);
  CHECK(text.find("Elapsed time:") != std::string::npos);
  CHECK(text.find("Errors:") == std::string::npos);
}

// The local backend: real files, nanosecond mtimes, slow hashes.
TEST_CASE("engine: local to local copy, sync, check and a no-op second sync") {
  test::TempDir tmp;
  MemoryRemote gen("gen");
  MakeTree(gen, 200);
  auto src = NewLocalRemote(tmp.Path("src"));
  auto dst = NewLocalRemote(tmp.Path("dst"));
  REQUIRE(src.has_value());
  REQUIRE(dst.has_value());
  Accounting seed;
  REQUIRE(RunSync(Context{}, gen, **src, SyncMode::kCopy, Opts(), seed).has_value());
  REQUIRE(Tree(**src) == Tree(gen));
  REQUIRE(tmp.WriteFile("dst/extra/x.txt", "x"));
  Accounting acct;
  REQUIRE(RunSync(Context{}, **src, **dst, SyncMode::kSync, Opts(), acct).has_value());
  CHECK(Tree(**dst) == Tree(gen));
  CHECK(acct.transfers() == 200);
  CHECK(acct.deletes() == 1);
  CHECK_FALSE(tmp.Exists("dst/extra"));
  Accounting check;
  CHECK(RunCheck(Context{}, **src, **dst, Opts(), check).has_value());
  Accounting again;
  REQUIRE(RunSync(Context{}, **src, **dst, SyncMode::kSync, Opts(), again).has_value());
  CHECK(again.transfers() == 0);
  CHECK(again.checks() == 200);
}

TEST_CASE("engine: local check detects a same-size change, local move empties the source") {
  QuietLog quiet;
  test::TempDir tmp;
  REQUIRE(tmp.WriteFile("src/a/one.txt", "12345"));
  REQUIRE(tmp.WriteFile("src/two.txt", "two"));
  REQUIRE(tmp.WriteFile("dst/a/one.txt", "54321"));
  REQUIRE(tmp.WriteFile("dst/two.txt", "two"));
  auto src = NewLocalRemote(tmp.Path("src"));
  auto dst = NewLocalRemote(tmp.Path("dst"));
  REQUIRE(src.has_value());
  REQUIRE(dst.has_value());
  Accounting check;
  Status st = RunCheck(Context{}, **src, **dst, Opts(), check);
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().message() == "1 differences found");
  SyncOptions opts = Opts();
  opts.compare = CompareMode::kChecksum;
  Accounting move;
  REQUIRE(RunSync(Context{}, **src, **dst, SyncMode::kMove, opts, move).has_value());
  CHECK(tmp.ReadFile("dst/a/one.txt") == "12345");
  CHECK_FALSE(tmp.Exists("src/a/one.txt"));
  CHECK_FALSE(tmp.Exists("src/two.txt"));
}

// Listings whose mtimes are upload times (S3 without a HEAD per object): the dst side. An upload
// time never makes files equal (the recorded versions of tests/faults/ spare the Stat()).
TEST_CASE("engine: a dst listed with upload times is compared by its exact mtime") {
  MemoryRemote src("src"), inner("dst");
  FaultRemote dst(inner);
  dst.features().server_side_copy = false;
  PutFile(src, "f.txt", "source", kT0);
  auto run = [&](SyncOptions o) {
    Accounting acct;
    REQUIRE(RunSync(Context{}, src, dst, SyncMode::kCopy, o, acct).has_value());
    CHECK(acct.checks() == 1);
    return acct.transfers();
  };
  SUBCASE("stored after the source's mtime, same size, other bytes: Stat, transfer") {
    // A server clock ahead, or a file restored with an older mtime, looks like this.
    PutFile(inner, "f.txt", "SOURCE", kT0 - seconds(900));
    inner.SetListedUploadTime(kT0 + seconds(5));
    CHECK(run(Opts()) == 1);
    CHECK(dst.Calls(FaultOp::kStat) == 1);
    CHECK(inner.Contents("f.txt") == "source");
  }
  SUBCASE("stored within the precision before the source's mtime: Stat, equal") {
    dst.features().mtime_precision = seconds(1);
    PutFile(inner, "f.txt", "SOURCE", kT0);
    inner.SetListedUploadTime(kT0 - std::chrono::milliseconds(300));
    CHECK(run(Opts()) == 0);
    CHECK(dst.Calls(FaultOp::kStat) == 1);
  }
  SUBCASE("sizes differ: transfer, no Stat") {
    PutFile(inner, "f.txt", "longer content", kT0);
    inner.SetListedUploadTime(kT0 + seconds(5));
    CHECK(run(Opts()) == 1);
    CHECK(dst.Calls(FaultOp::kStat) == 0);
    CHECK(inner.Contents("f.txt") == "source");
  }
  SUBCASE("source changed after the upload, exact mtimes equal: Stat, equal") {
    PutFile(inner, "f.txt", "SOURCE", kT0);
    inner.SetListedUploadTime(kT0 - seconds(60));
    CHECK(run(Opts()) == 0);
    CHECK(dst.Calls(FaultOp::kStat) == 1);
    CHECK(inner.Contents("f.txt") == "SOURCE");
  }
  SUBCASE("source changed after the upload, exact mtimes differ: Stat, transfer") {
    PutFile(inner, "f.txt", "SOURCE", kT0 - seconds(90));
    inner.SetListedUploadTime(kT0 - seconds(60));
    CHECK(run(Opts()) == 1);
    CHECK(dst.Calls(FaultOp::kStat) == 1);
    CHECK(inner.Contents("f.txt") == "source");
  }
  SUBCASE("--size-only and --checksum never Stat") {
    PutFile(inner, "f.txt", "SOURCE", kT0 - seconds(90));
    inner.SetListedUploadTime(kT0 - seconds(60));
    SyncOptions o = Opts();
    o.compare = CompareMode::kSizeOnly;
    CHECK(run(o) == 0);
    o.compare = CompareMode::kChecksum;
    CHECK(run(o) == 1);
    CHECK(dst.Calls(FaultOp::kStat) == 0);
  }
  SUBCASE("--update skips when the upload time is newer, without Stat") {
    PutFile(inner, "f.txt", "SOURCE", kT0 - seconds(90));  // exact mtime older than src
    inner.SetListedUploadTime(kT0 + seconds(60));
    SyncOptions o = Opts();
    o.update = true;
    CHECK(run(o) == 0);
    CHECK(dst.Calls(FaultOp::kStat) == 0);
    CHECK(inner.Contents("f.txt") == "SOURCE");
  }
  SUBCASE("--update transfers when the upload time is older and dst's mtime is too") {
    PutFile(inner, "f.txt", "SOURCE", kT0 - seconds(90));
    inner.SetListedUploadTime(kT0 - seconds(60));
    SyncOptions o = Opts();
    o.update = true;
    CHECK(run(o) == 1);
    CHECK(dst.Calls(FaultOp::kStat) == 1);
    CHECK(inner.Contents("f.txt") == "source");
  }
}

// The src side (downloads): the exact mtime is asked for before comparing and before storing.
TEST_CASE("engine: a src listed with upload times is Stat()ed for its exact mtime") {
  MemoryRemote inner("src"), dst("dst");
  FaultRemote src(inner);
  dst.features().server_side_copy = false;
  PutFile(inner, "same.txt", "same", kT0);
  PutFile(inner, "changed.txt", "new!", kT0);
  PutFile(inner, "new.txt", "fresh", kT0 + seconds(7));
  PutFile(dst, "same.txt", "same", kT0);
  PutFile(dst, "changed.txt", "old!", kT0 - seconds(30));
  const TimePoint upload = kT0 + seconds(3600);
  inner.SetListedUploadTime(upload);
  Accounting acct;
  REQUIRE(RunSync(Context{}, src, dst, SyncMode::kCopy, Opts(), acct).has_value());
  CHECK(acct.transfers() == 2);
  CHECK(dst.Contents("changed.txt") == "new!");
  CHECK(src.Calls(FaultOp::kStat, "same.txt") == 1);
  CHECK(src.Calls(FaultOp::kStat, "new.txt") == 1);  // in the transfer, for PutOptions::mtime
  CHECK(src.Calls(FaultOp::kStat, "changed.txt") == 1);  // Decide's Stat serves the transfer
  Context ctx;
  CHECK(dst.Stat(ctx, "new.txt")->mtime == kT0 + seconds(7));
  CHECK(dst.Stat(ctx, "changed.txt")->mtime == kT0);
  CHECK(dst.Stat(ctx, "same.txt")->mtime == kT0);
}

// A destination that reads PutOptions::reopen fully before storing, as S3's Content-MD5 does.
class ReopeningRemote : public FaultRemote {
 public:
  using FaultRemote::FaultRemote;
  Result<ObjectInfo> Put(const Context& ctx, const std::string& path, Reader& src,
                         const PutOptions& opts) override {
    if (opts.reopen) {
      CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> again, opts.reopen());
      CVC_ASSIGN_OR_RETURN(std::string data, ReadAll(*again));
      std::lock_guard lock(mu_);
      reopened_[path] = data;
    }
    return FaultRemote::Put(ctx, path, src, opts);
  }
  std::map<std::string, std::string> reopened() const {
    std::lock_guard lock(mu_);
    return reopened_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> reopened_;
};

TEST_CASE("engine: PutOptions::reopen gives the source again, uncounted") {
  MemoryRemote src("src"), inner("dst");
  ReopeningRemote dst(inner);
  dst.features().server_side_copy = false;
  MakeTree(src, 12);
  Accounting acct;
  REQUIRE(RunSync(Context{}, src, dst, SyncMode::kCopy, Opts(), acct).has_value());
  CHECK(Tree(inner) == Tree(src));
  CHECK(dst.reopened() == src.Snapshot());
  CHECK(acct.bytes() == acct.total_bytes());  // the second pass is not progress
}

// Multi-thread downloads: from a network source to the local backend above the cutoff.
TEST_CASE("engine: large downloads to local use several ranged streams") {
  test::TempDir tmp;
  MemoryRemote inner("src");
  FaultRemote src(inner);
  src.features().network = true;
  const std::string big = Content(3, 3 * (1 << 20) + 12345);
  PutFile(inner, "big.bin", big, kT0);
  PutFile(inner, "small.txt", "small", kT0);
  auto dst = NewLocalRemote(tmp.Path("dst"));
  REQUIRE(dst.has_value());
  SyncOptions o = Opts();
  o.multi_thread_cutoff = 1 << 20;
  SUBCASE("4 streams") {
    Accounting acct;
    REQUIRE(RunSync(Context{}, src, **dst, SyncMode::kCopy, o, acct).has_value());
    CHECK(tmp.ReadFile("dst/big.bin") == big);
    CHECK(src.Calls(FaultOp::kOpen, "big.bin") == 4);  // 1 MiB blocks, the minimum
    CHECK(src.Calls(FaultOp::kOpen, "small.txt") == 1);
    CHECK(acct.bytes() == acct.total_bytes());
    CHECK((*dst)->Stat(Context{}, "big.bin")->mtime == kT0);
  }
  SUBCASE("a source that is not a network remote is read with one stream") {
    src.features().network = false;
    Accounting acct;
    REQUIRE(RunSync(Context{}, src, **dst, SyncMode::kCopy, o, acct).has_value());
    CHECK(tmp.ReadFile("dst/big.bin") == big);
    CHECK(src.Calls(FaultOp::kOpen, "big.bin") == 1);
  }
  SUBCASE("--multi-thread-streams 1 disables it") {
    o.multi_thread_streams = 1;
    Accounting acct;
    REQUIRE(RunSync(Context{}, src, **dst, SyncMode::kCopy, o, acct).has_value());
    CHECK(tmp.ReadFile("dst/big.bin") == big);
    CHECK(src.Calls(FaultOp::kOpen, "big.bin") == 1);
  }
  SUBCASE("a failing stream fails the attempt, the retry succeeds, nothing partial") {
    QuietLog quiet;
    src.FailReadAfter(PathIs("big.bin"), 1000, Error(ErrorCode::kIo, "injected"), 1);
    Accounting acct;
    REQUIRE(RunSync(Context{}, src, **dst, SyncMode::kCopy, o, acct).has_value());
    CHECK(tmp.ReadFile("dst/big.bin") == big);
    CHECK(src.Calls(FaultOp::kOpen, "big.bin") > 4);
    CHECK(acct.bytes() == acct.total_bytes());
  }
}

}  // namespace
}  // namespace cvclone

namespace cvclone {
namespace {

TEST_CASE("engine: the stream is hashed to verify a put unless the destination verifies it") {
  MemoryRemote src("src"), inner("dst");
  WrongHashRemote dst(inner);
  dst.features().server_side_copy = false;
  PutFile(src, "f.txt", "some bytes", kT0);
  SUBCASE("the engine hashes and catches the mismatch") {
    QuietLog quiet;
    Accounting acct;
    SyncOptions o = Opts();
    o.retries = 1;
    CHECK_FALSE(RunSync(Context{}, src, dst, SyncMode::kCopy, o, acct).has_value());
    CHECK(acct.errors() == 1);
  }
  SUBCASE("verifies_puts: no second hash of the stream") {
    dst.features().verifies_puts = true;
    Accounting acct;
    CHECK(RunSync(Context{}, src, dst, SyncMode::kCopy, Opts(), acct).has_value());
    CHECK(acct.transfers() == 1);
  }
}

}  // namespace
}  // namespace cvclone

namespace cvclone {
namespace {

// A source whose streams report the object's exact info when opened (as S3's GET headers).
class ReportingRemote : public FaultRemote {
 public:
  explicit ReportingRemote(MemoryRemote& inner) : FaultRemote(inner), inner_(inner) {}
  Result<std::unique_ptr<Reader>> Open(const Context& ctx, const std::string& path,
                                       int64_t offset, int64_t count) override {
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> r, FaultRemote::Open(ctx, path, offset, count));
    CVC_ASSIGN_OR_RETURN(ObjectInfo info, inner_.Stat(ctx, path));
    return std::unique_ptr<Reader>(std::make_unique<Reporting>(std::move(r), std::move(info)));
  }

 private:
  class Reporting : public Reader {
   public:
    Reporting(std::unique_ptr<Reader> inner, ObjectInfo info)
        : inner_(std::move(inner)), info_(std::move(info)) {}
    Result<size_t> Read(std::span<std::byte> buf) override { return inner_->Read(buf); }
    const ObjectInfo* OpenedInfo() const override { return &info_; }

   private:
    std::unique_ptr<Reader> inner_;
    ObjectInfo info_;
  };
  MemoryRemote& inner_;
};

TEST_CASE("engine: a download takes the exact mtime from the opened stream, without Stat") {
  MemoryRemote inner("src"), dst("dst");
  ReportingRemote src(inner);
  dst.features().server_side_copy = false;
  PutFile(inner, "a.txt", "alpha", kT0);
  PutFile(inner, "d/b.txt", "bravo", kT0 + seconds(3));
  inner.SetListedUploadTime(kT0 + seconds(3600));
  Accounting acct;
  REQUIRE(RunSync(Context{}, src, dst, SyncMode::kCopy, Opts(), acct).has_value());
  CHECK(acct.transfers() == 2);
  CHECK(src.Calls(FaultOp::kStat) == 0);
  CHECK(dst.Contents("d/b.txt") == "bravo");
  CHECK(dst.Stat(Context{}, "a.txt")->mtime == kT0);
  CHECK(dst.Stat(Context{}, "d/b.txt")->mtime == kT0 + seconds(3));
}

}  // namespace
}  // namespace cvclone
