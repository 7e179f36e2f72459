#include "tests/conformance/conformance.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <thread>
#include <vector>

#include "core/http/http.hpp"
#include "core/io.hpp"

namespace cvclone {
namespace {

using std::chrono::nanoseconds;

// 2021-03-04T05:06:07.123456789Z, and a second time a year later.
const TimePoint kMtime1{nanoseconds(1614834367'123456789LL)};
const TimePoint kMtime2{nanoseconds(1646370367'987654321LL)};

std::string MakeData(size_t n, unsigned seed = 1) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

// Yields `data` in chunks of kChunk bytes (several Read calls even for small data); once
// `trigger_at` bytes have been yielded it calls on_trigger(), which may make Read fail.
class ScriptedReader : public Reader {
 public:
  static constexpr size_t kChunk = 1000;
  ScriptedReader(std::string data, size_t trigger_at, std::function<bool()> on_trigger)
      : data_(std::move(data)), trigger_at_(trigger_at), on_trigger_(std::move(on_trigger)) {}

  Result<size_t> Read(std::span<std::byte> buf) override {
    if (pos_ >= trigger_at_ && on_trigger_ && on_trigger_()) {
      return MakeError(ErrorCode::kIo, "injected read failure");
    }
    const size_t n = std::min({buf.size(), kChunk, data_.size() - pos_});
    std::memcpy(buf.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
  size_t trigger_at_;
  std::function<bool()> on_trigger_;
};

Result<ObjectInfo> PutString(Remote& r, const std::string& path, const std::string& data,
                             TimePoint mtime = kMtime1, const Context& ctx = {}) {
  MemoryReader reader(MemoryReader::kView, data);
  PutOptions opts;
  opts.size = static_cast<int64_t>(data.size());
  opts.mtime = mtime;
  return r.Put(ctx, path, reader, opts);
}

Result<std::string> ReadString(Remote& r, const std::string& path, int64_t offset = 0,
                               int64_t count = -1) {
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, r.Open(Context{}, path, offset, count));
  return ReadAll(*reader);
}

ErrorCode CodeOf(const Status& s) { return s ? ErrorCode::kOk : s.error().code(); }
template <typename T>
ErrorCode CodeOf(const Result<T>& r) {
  return r ? ErrorCode::kOk : r.error().code();
}

std::string Describe(ErrorCode code) { return ErrorCodeName(code); }
#define CHECK_CODE(expr, code) CHECK_EQ(Describe(CodeOf(expr)), Describe(code))
#define REQUIRE_OK(expr)                                                       \
  do {                                                                         \
    auto&& cvc_r_ = (expr);                                                    \
    if (!cvc_r_) FAIL_CHECK(#expr << " failed: " << cvc_r_.error().message()); \
    REQUIRE(cvc_r_.has_value());                                               \
  } while (0)

std::set<std::string> Paths(const std::vector<ObjectInfo>& entries) {
  std::set<std::string> out;
  for (const ObjectInfo& e : entries) out.insert(e.path);
  return out;
}

const ObjectInfo* FindEntry(const std::vector<ObjectInfo>& entries, const std::string& path) {
  for (const ObjectInfo& e : entries) {
    if (e.path == path) return &e;
  }
  return nullptr;
}

// Equal within the remote's precision (exactly equal for 1 ns precision).
bool MtimeClose(TimePoint a, TimePoint b, nanoseconds precision) {
  const auto diff = a > b ? a - b : b - a;
  return precision <= nanoseconds(1) ? diff == nanoseconds(0) : diff <= precision;
}

// ---- the sub-tests ----

// Whether Stat's mtime is the one given to Put, or, where the target keeps none, an upload time
// of this test run (from the last ten minutes, a minute of clock difference allowed).
bool MtimeKept(const ConformanceTarget& t, TimePoint got, TimePoint want, nanoseconds precision) {
  if (t.keeps_mtimes) return MtimeClose(got, want, precision);
  const auto now = std::chrono::time_point_cast<nanoseconds>(std::chrono::system_clock::now());
  return got > now - std::chrono::minutes(10) && got < now + std::chrono::minutes(1);
}

void TestMkdirRmdir(Remote& r, const ConformanceTarget& t) {
  const Context ctx;
  REQUIRE_OK(r.Mkdir(ctx, "d"));
  REQUIRE_OK(r.Mkdir(ctx, "d"));  // idempotent
  REQUIRE_OK(r.Mkdir(ctx, "a/b/c"));
  if (t.supports_empty_dirs) {
    auto top = r.List(ctx, "");
    REQUIRE_OK(top);
    const ObjectInfo* d = FindEntry(*top, "d");
    REQUIRE(d != nullptr);
    CHECK(d->is_dir);
    auto ab = r.List(ctx, "a/b");
    REQUIRE_OK(ab);
    CHECK_EQ(Paths(*ab), std::set<std::string>{"a/b/c"});
    REQUIRE_OK(r.Rmdir(ctx, "a/b/c"));
    auto after = r.List(ctx, "a/b");
    REQUIRE_OK(after);
    CHECK(after->empty());
  }
  CHECK_CODE(r.Rmdir(ctx, "missing"), ErrorCode::kDirNotFound);
  REQUIRE_OK(PutString(r, "full/x", "data"));
  CHECK_CODE(r.Rmdir(ctx, "full"), ErrorCode::kDirNotEmpty);
  CHECK_EQ(ReadString(r, "full/x").value_or(""), "data");
  // An object in the way of a directory.
  if (t.supports_empty_dirs) CHECK_CODE(r.Mkdir(ctx, "full/x"), ErrorCode::kNotDir);
}

void TestList(Remote& r) {
  const Context ctx;
  auto root = r.List(ctx, "");
  if (root) {
    CHECK(root->empty());
  } else {
    CHECK_CODE(root, ErrorCode::kDirNotFound);
  }
  CHECK_CODE(r.List(ctx, "missing"), ErrorCode::kDirNotFound);
  REQUIRE_OK(r.Mkdir(ctx, ""));  // the root, made explicitly, lists empty
  auto made = r.List(ctx, "");
  if (made) CHECK(made->empty());
  REQUIRE_OK(PutString(r, "top", "12345"));
  REQUIRE_OK(PutString(r, "a/1", "1"));
  REQUIRE_OK(PutString(r, "a/b/2", "22"));
  REQUIRE_OK(PutString(r, "a/b/c/3", "333"));
  auto top = r.List(ctx, "");
  REQUIRE_OK(top);
  CHECK_EQ(Paths(*top), std::set<std::string>{"a", "top"});
  const ObjectInfo* a = FindEntry(*top, "a");
  const ObjectInfo* obj = FindEntry(*top, "top");
  REQUIRE((a != nullptr && obj != nullptr));
  CHECK(a->is_dir);
  CHECK_FALSE(obj->is_dir);
  CHECK_EQ(obj->size, 5);
  auto la = r.List(ctx, "a");
  REQUIRE_OK(la);
  CHECK_EQ(Paths(*la), std::set<std::string>{"a/1", "a/b"});
  auto lc = r.List(ctx, "a/b/c");
  REQUIRE_OK(lc);
  CHECK_EQ(Paths(*lc), std::set<std::string>{"a/b/c/3"});
  CHECK_EQ(lc->front().size, 3);
  auto on_object = r.List(ctx, "top");
  REQUIRE_FALSE(on_object.has_value());
  CHECK((on_object.error().code() == ErrorCode::kNotDir ||
         on_object.error().code() == ErrorCode::kDirNotFound));
}

void CheckHashes(Remote& r, const std::string& path, const std::string& data) {
  const HashSet advertised = r.GetFeatures().hashes;
  const auto expected = HashBytes(AsBytes(data), HashSet{HashType::kMd5, HashType::kSha1});
  for (HashType type : {HashType::kMd5, HashType::kSha1}) {
    if (!advertised.Has(type)) continue;
    auto got = r.Hash(Context{}, path, type);
    REQUIRE_OK(got);
    CAPTURE(HashName(type));
    CHECK_EQ(*got, expected.at(type));
  }
}

void TestPutStat(Remote& r, const ConformanceTarget& t) {
  const Context ctx;
  const nanoseconds precision = r.GetFeatures().mtime_precision;
  SUBCASE("zero length") {
    auto info = PutString(r, "empty", "");
    REQUIRE_OK(info);
    CHECK_EQ(info->size, 0);
    auto st = r.Stat(ctx, "empty");
    REQUIRE_OK(st);
    CHECK_EQ(st->size, 0);
    CHECK_EQ(ReadString(r, "empty").value_or("x"), "");
    CheckHashes(r, "empty", "");
  }
  SUBCASE("stat after put") {
    const std::string data = MakeData(100'000);
    auto info = PutString(r, "dir/file.bin", data, kMtime1);
    REQUIRE_OK(info);
    CHECK_EQ(info->size, 100'000);
    CHECK_EQ(info->path, "dir/file.bin");
    auto st = r.Stat(ctx, "dir/file.bin");
    REQUIRE_OK(st);
    CHECK_EQ(st->path, "dir/file.bin");
    CHECK_EQ(st->size, 100'000);
    CHECK_FALSE(st->is_dir);
    CHECK(MtimeKept(t, st->mtime, kMtime1, precision));
    CHECK(ReadString(r, "dir/file.bin").value_or("") == data);
    CheckHashes(r, "dir/file.bin", data);
  }
  SUBCASE("overwrite") {
    REQUIRE_OK(PutString(r, "f", MakeData(5000, 1), kMtime1));
    const std::string second = MakeData(1234, 2);
    REQUIRE_OK(PutString(r, "f", second, kMtime2));
    auto st = r.Stat(ctx, "f");
    REQUIRE_OK(st);
    CHECK_EQ(st->size, 1234);
    CHECK(MtimeKept(t, st->mtime, kMtime2, precision));
    CHECK(ReadString(r, "f").value_or("") == second);
    CheckHashes(r, "f", second);
  }
}

void TestRangedReads(Remote& r) {
  const std::string data = MakeData(10'000, 3);
  REQUIRE_OK(PutString(r, "ranged", data));
  struct Case {
    int64_t offset, count;
    size_t want_off, want_len;
  };
  const Case cases[] = {
      {0, -1, 0, 10'000},    {0, 100, 0, 100},      {5000, 100, 5000, 100},
      {9900, -1, 9900, 100}, {9990, 100, 9990, 10}, {10'000, -1, 0, 0},
      {20'000, 10, 0, 0},    {1234, 0, 0, 0},       {0, 20'000, 0, 10'000},
  };
  for (const Case& c : cases) {
    CAPTURE(c.offset);
    CAPTURE(c.count);
    auto got = ReadString(r, "ranged", c.offset, c.count);
    REQUIRE_OK(got);
    CHECK_EQ(got->size(), c.want_len);
    CHECK((*got == data.substr(c.want_off, c.want_len)));
  }
  // Positioned reads (OpenRandom), in an order no stream could follow, on one reader.
  const Context ctx;
  auto random = r.OpenRandom(ctx, "ranged");
  REQUIRE_OK(random);
  for (auto it = std::rbegin(cases); it != std::rend(cases); ++it) {
    if (it->count < 0) continue;
    CAPTURE(it->offset);
    CAPTURE(it->count);
    std::string got(static_cast<size_t>(it->count), '\0');
    auto n = (*random)->ReadAt(std::as_writable_bytes(std::span(got)), it->offset);
    REQUIRE_OK(n);
    CHECK_EQ(*n, it->want_len);
    got.resize(*n);
    CHECK((got == data.substr(it->want_off, it->want_len)));
  }
  std::string one(1, '\0');
  auto missing = r.OpenRandom(ctx, "missing");
  if (missing) {  // the error may come from the first read
    CHECK_CODE((*missing)->ReadAt(std::as_writable_bytes(std::span(one)), 0), ErrorCode::kNotFound);
  } else {
    CHECK_CODE(missing, ErrorCode::kNotFound);
  }
}

void TestMissingAndDirs(Remote& r) {
  const Context ctx;
  REQUIRE_OK(PutString(r, "dir/x", "x"));
  CHECK_CODE(r.Stat(ctx, "missing"), ErrorCode::kNotFound);
  CHECK_CODE(r.Stat(ctx, "dir/missing"), ErrorCode::kNotFound);
  CHECK_CODE(r.Stat(ctx, "nodir/missing"), ErrorCode::kNotFound);
  CHECK_CODE(r.Stat(ctx, "dir"), ErrorCode::kIsDir);
  CHECK_CODE(r.Open(ctx, "missing"), ErrorCode::kNotFound);
  CHECK_CODE(r.Open(ctx, "dir"), ErrorCode::kIsDir);
  CHECK_CODE(r.Delete(ctx, "missing"), ErrorCode::kNotFound);
  CHECK_CODE(r.Delete(ctx, "nodir/missing"), ErrorCode::kNotFound);
  CHECK_CODE(r.Delete(ctx, "dir"), ErrorCode::kIsDir);
  // Remove.
  REQUIRE_OK(r.Delete(ctx, "dir/x"));
  CHECK_CODE(r.Stat(ctx, "dir/x"), ErrorCode::kNotFound);
  auto listed = r.List(ctx, "dir");
  if (listed) CHECK(listed->empty());
}

void TestAwkwardNames(Remote& r, const ConformanceTarget& t) {
  const Context ctx;
  std::vector<std::string> names = {
      "with space",   " leading space", "trailing space ",        "ünïcödé-名前", "plus+sign",
      "per%25cent",   "percent%",       ".leading-dot",           "semi;colon",   "quote'\"",
      "hash#amp&eq=", "tilde~(paren)",  "emoji-\xF0\x9F\x98\x80",
  };
  if (t.supports_long_names) names.push_back(std::string(196, 'L') + ".txt");
  for (const std::string& dir : {std::string(), std::string("sub dir+%/ü")}) {
    std::set<std::string> want;
    for (const std::string& name : names) {
      const std::string path = JoinPath(dir, name);
      CAPTURE(path);
      auto put = PutString(r, path, name);
      REQUIRE_OK(put);
      CHECK_EQ(put->path, path);
      CHECK_EQ(ReadString(r, path).value_or(""), name);
      auto st = r.Stat(ctx, path);
      REQUIRE_OK(st);
      CHECK_EQ(st->size, static_cast<int64_t>(name.size()));
      want.insert(path);
    }
    auto listed = r.List(ctx, dir);
    REQUIRE_OK(listed);
    std::set<std::string> objects;
    for (const ObjectInfo& e : *listed) {
      if (!e.is_dir) objects.insert(e.path);
    }
    CHECK_EQ(objects, want);
  }
}

// A Put that fails part-way must leave no object, and an old object intact. want: the error
// code the failure must carry, if the contract fixes one.
void CheckFailedPut(Remote& r, const std::string& path, const std::string& old,
                    const std::function<Result<ObjectInfo>()>& put, std::optional<ErrorCode> want) {
  const Context ctx;
  if (!old.empty()) REQUIRE_OK(PutString(r, path, old));
  auto result = put();
  REQUIRE_FALSE(result.has_value());
  if (want) CHECK_EQ(Describe(result.error().code()), Describe(*want));
  if (old.empty()) {
    CHECK_CODE(r.Stat(ctx, path), ErrorCode::kNotFound);
  } else {
    CHECK(ReadString(r, path).value_or("") == old);
  }
  // Nothing else appeared next to it (no visible partial file).
  auto listed = r.List(ctx, ParentPath(path));
  if (listed) {
    for (const ObjectInfo& e : *listed) CHECK_MESSAGE(e.path == path, "unexpected entry ", e.path);
  }
}

void TestFailedPuts(Remote& r) {
  const std::string data = MakeData(20'000, 4);
  const auto size = static_cast<int64_t>(data.size());
  int n = 0;
  for (const std::string& prior : {std::string(), std::string("the old content")}) {
    CAPTURE(prior);
    auto next = [&] { return "d" + std::to_string(n++) + "/f"; };
    const std::string p1 = next();
    INFO("reader fails mid-put");
    CheckFailedPut(
        r, p1, prior,
        [&] {
          ScriptedReader reader(data, 5000, [] { return true; });
          PutOptions opts;
          opts.size = size;
          return r.Put(Context{}, p1, reader, opts);
        },
        ErrorCode::kIo);
    const std::string p2 = next();
    INFO("cancel mid-put");
    CheckFailedPut(
        r, p2, prior,
        [&] {
          std::stop_source stop;
          Context ctx;
          ctx.stop = stop.get_token();
          ScriptedReader reader(data, 3000, [&] {
            stop.request_stop();
            return false;
          });
          PutOptions opts;
          opts.size = size;
          return r.Put(ctx, p2, reader, opts);
        },
        ErrorCode::kCancelled);
    const std::string p3 = next();
    INFO("short data for opts.size");
    CheckFailedPut(
        r, p3, prior,
        [&] {
          MemoryReader reader(data.substr(0, 100));
          PutOptions opts;
          opts.size = 200;
          return r.Put(Context{}, p3, reader, opts);
        },
        std::nullopt);
    const std::string p4 = next();
    INFO("too much data for opts.size");
    CheckFailedPut(
        r, p4, prior,
        [&] {
          MemoryReader reader(data);
          PutOptions opts;
          opts.size = 100;
          return r.Put(Context{}, p4, reader, opts);
        },
        std::nullopt);
  }
}

void TestConcurrency(Remote& r) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20;
  std::atomic<int> put_failures{0};
  std::atomic<int> list_failures{0};
  std::atomic<bool> done{false};
  std::string first_error;
  std::mutex mu;
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const std::string path = "conc/t" + std::to_string(t) + "-" + std::to_string(i);
          auto res = PutString(r, path, MakeData(100 + i, t * 100 + i));
          if (!res) {
            ++put_failures;
            std::lock_guard lock(mu);
            if (first_error.empty()) first_error = res.error().message();
          }
        }
      });
    }
    threads.emplace_back([&] {
      while (!done.load()) {
        auto res = r.List(Context{}, "conc");
        if (!res && res.error().code() != ErrorCode::kDirNotFound) ++list_failures;
      }
    });
    for (int t = 0; t < kThreads; ++t) threads[t].join();
    done = true;
  }
  CHECK_MESSAGE(put_failures.load() == 0, first_error);
  CHECK_EQ(list_failures.load(), 0);
  auto listed = r.List(Context{}, "conc");
  REQUIRE_OK(listed);
  CHECK_EQ(listed->size(), static_cast<size_t>(kThreads * kPerThread));
  CHECK(ReadString(r, "conc/t2-7").value_or("") == MakeData(107, 207));
}

void TestInvalidNames(Remote& r) {
  const Context ctx;
  const std::string bad[] = {
      "../x",         "a/../x", "/abs", "./x", "a//b", "trail/", std::string("nul\0byte", 8),
      "bad-utf8-\xff"};
  for (const std::string& path : bad) {
    CAPTURE(path);
    auto put = PutString(r, path, "x");
    CHECK_CODE(put, ErrorCode::kInvalidArgument);
    if (!put && path == "../x") CHECK(put.error().message().find("../x") != std::string::npos);
    CHECK_CODE(r.Stat(ctx, path), ErrorCode::kInvalidArgument);
    CHECK_CODE(r.Open(ctx, path), ErrorCode::kInvalidArgument);
    CHECK_CODE(r.Delete(ctx, path), ErrorCode::kInvalidArgument);
    CHECK_CODE(r.Mkdir(ctx, path), ErrorCode::kInvalidArgument);
    CHECK_CODE(r.List(ctx, path), ErrorCode::kInvalidArgument);
  }
  CHECK_CODE(r.List(ctx, ".."), ErrorCode::kInvalidArgument);
}

// Hashes not offered, server-side copy and move: each works if advertised, else kUnsupported.
void TestHashCopyMove(Remote& r, const ConformanceTarget& t) {
  const Context ctx;
  const Features& f = r.GetFeatures();
  const nanoseconds precision = f.mtime_precision;
  const std::string data = MakeData(3000, 5);
  REQUIRE_OK(PutString(r, "src", data, kMtime1));
  CHECK_CODE(r.Hash(ctx, "src", HashType::kNone), ErrorCode::kUnsupported);
  for (HashType type : {HashType::kMd5, HashType::kSha1}) {
    if (!f.hashes.Has(type)) CHECK_CODE(r.Hash(ctx, "src", type), ErrorCode::kUnsupported);
  }
  if (f.server_side_copy) {
    auto info = r.Copy(ctx, r, "src", "cp/dst");
    REQUIRE_OK(info);
    CHECK_EQ(info->size, 3000);
    CHECK(ReadString(r, "cp/dst").value_or("") == data);
    CHECK(ReadString(r, "src").value_or("") == data);
    auto st = r.Stat(ctx, "cp/dst");
    REQUIRE_OK(st);
    CHECK(MtimeKept(t, st->mtime, kMtime1, precision));
    CHECK_CODE(r.Copy(ctx, r, "missing", "cp/x"), ErrorCode::kNotFound);
    CHECK_CODE(r.Copy(ctx, r, "../x", "cp/x"), ErrorCode::kInvalidArgument);
    CHECK_CODE(r.Copy(ctx, r, "src", "../x"), ErrorCode::kInvalidArgument);
  } else {
    CHECK_CODE(r.Copy(ctx, r, "src", "cp/dst"), ErrorCode::kUnsupported);
  }
  if (f.server_side_move) {
    REQUIRE_OK(PutString(r, "mv-src", data, kMtime2));
    auto info = r.Move(ctx, r, "mv-src", "mv/dst");
    REQUIRE_OK(info);
    CHECK_EQ(info->size, 3000);
    CHECK(ReadString(r, "mv/dst").value_or("") == data);
    CHECK_CODE(r.Stat(ctx, "mv-src"), ErrorCode::kNotFound);
    CHECK_CODE(r.Move(ctx, r, "missing", "mv/x"), ErrorCode::kNotFound);
    CHECK_CODE(r.Move(ctx, r, "mv/dst", "/abs"), ErrorCode::kInvalidArgument);
  } else {
    CHECK_CODE(r.Move(ctx, r, "src", "mv/dst"), ErrorCode::kUnsupported);
  }
}

// SetModTime and Purge: each works if advertised, else kUnsupported.
void TestModTimeAndPurge(Remote& r) {
  const Context ctx;
  const Features& f = r.GetFeatures();
  REQUIRE_OK(PutString(r, "src", "data", kMtime1));
  REQUIRE_OK(PutString(r, "keep/k", "k"));
  if (f.set_modtime) {
    REQUIRE_OK(r.SetModTime(ctx, "src", kMtime2));
    auto st = r.Stat(ctx, "src");
    REQUIRE_OK(st);
    CHECK(MtimeClose(st->mtime, kMtime2, f.mtime_precision));
    CHECK_CODE(r.SetModTime(ctx, "missing", kMtime2), ErrorCode::kNotFound);
  } else {
    CHECK_CODE(r.SetModTime(ctx, "src", kMtime2), ErrorCode::kUnsupported);
  }
  if (f.purge) {
    REQUIRE_OK(PutString(r, "p/a", "a"));
    REQUIRE_OK(PutString(r, "p/b/c", "c"));
    REQUIRE_OK(r.Mkdir(ctx, "p/e"));
    REQUIRE_OK(r.Purge(ctx, "p"));
    CHECK_CODE(r.Stat(ctx, "p/a"), ErrorCode::kNotFound);
    CHECK_CODE(r.Stat(ctx, "p/b/c"), ErrorCode::kNotFound);
    CHECK_CODE(r.List(ctx, "p"), ErrorCode::kDirNotFound);
    CHECK_EQ(ReadString(r, "keep/k").value_or(""), "k");
    CHECK_CODE(r.Purge(ctx, "missing"), ErrorCode::kDirNotFound);
  } else {
    CHECK_CODE(r.Purge(ctx, "keep"), ErrorCode::kUnsupported);
  }
}

// PublicLink: if advertised, the link serves the object's bytes to anyone (a GET without
// credentials) and a missing object is kNotFound; else kUnsupported. A wrapper that passed on
// its inner remote's flag (crypt over S3) fails here: its link would serve ciphertext, or none.
void TestPublicLink(Remote& r) {
  const Context ctx;
  const std::chrono::seconds expire = std::chrono::hours(1);
  const std::string data = MakeData(1500, 9);
  REQUIRE_OK(PutString(r, "pub/obj", data, kMtime1));
  if (!r.GetFeatures().public_link) {
    CHECK_CODE(r.PublicLink(ctx, "pub/obj", expire), ErrorCode::kUnsupported);
    return;
  }
  auto link = r.PublicLink(ctx, "pub/obj", expire);
  REQUIRE_OK(link);
  HttpClient client;
  HttpRequest get;
  get.url = *link;
  auto response = client.Perform(ctx, get);
  REQUIRE_OK(response);
  CHECK_EQ(response->status, 200);
  CHECK(response->body == data);
  CHECK_CODE(r.PublicLink(ctx, "pub/missing", expire), ErrorCode::kNotFound);
}

// Batches (Features::batch_commit): after FinishBatch every object put in the batch is at its
// path with its bytes, and a put replaced within the batch shows its last version. Without the
// feature, StartBatch and FinishBatch change nothing: each put is visible at once.
void TestBatches(Remote& r) {
  const Context ctx;
  std::vector<std::string> failures;
  std::mutex mu;
  r.StartBatch([&](const std::string& path, const Error& error) {
    std::lock_guard lock(mu);
    failures.push_back(path + ": " + error.message());
  });
  for (int i = 0; i < 5; ++i) {
    REQUIRE_OK(PutString(r, "batch/f" + std::to_string(i), MakeData(100 + i, i), kMtime1));
  }
  REQUIRE_OK(PutString(r, "batch/f0", "replaced", kMtime2));
  if (!r.GetFeatures().batch_commit) CHECK(ReadString(r, "batch/f1").value_or("") == MakeData(101, 1));
  REQUIRE_OK(r.FinishBatch(ctx));
  CHECK(failures.empty());
  CHECK(ReadString(r, "batch/f0").value_or("") == "replaced");
  for (int i = 1; i < 5; ++i) {
    INFO("object ", i);
    CHECK(ReadString(r, "batch/f" + std::to_string(i)).value_or("") == MakeData(100 + i, i));
  }
  auto listed = r.List(ctx, "batch");
  REQUIRE_OK(listed);
  CHECK(listed->size() == 5u);
  // A second, empty batch finishes at once.
  r.StartBatch([](const std::string&, const Error&) {});
  CHECK_CODE(r.FinishBatch(ctx), ErrorCode::kOk);
}

// Cleanup (Features::cleanup): with nothing left behind it succeeds and removes nothing, also
// with dry_run; without the feature, kUnsupported (also where the server cannot list uploads).
void TestCleanup(Remote& r, const ConformanceTarget& t) {
  const Context ctx;
  REQUIRE_OK(PutString(r, "clean/keep", "keep"));
  if (!r.GetFeatures().cleanup || !t.server_lists_uploads) {
    CHECK_CODE(r.Cleanup(ctx, "", std::chrono::hours(24), false), ErrorCode::kUnsupported);
    return;
  }
  CHECK_CODE(r.Cleanup(ctx, "", std::chrono::seconds(0), true), ErrorCode::kOk);
  CHECK_CODE(r.Cleanup(ctx, "", std::chrono::seconds(0), false), ErrorCode::kOk);
  CHECK(ReadString(r, "clean/keep").value_or("") == "keep");
}

}  // namespace

void RunConformanceSuite(const ConformanceTarget& t) {
  REQUIRE(t.make_empty_remote);
  std::unique_ptr<Remote> remote = t.make_empty_remote();
  REQUIRE(remote != nullptr);
  Remote& r = *remote;
  INFO("target: ", t.name);
  SUBCASE("mkdir and rmdir") { TestMkdirRmdir(r, t); }
  SUBCASE("list") { TestList(r); }
  SUBCASE("put and stat") { TestPutStat(r, t); }
  SUBCASE("ranged reads") { TestRangedReads(r); }
  SUBCASE("missing objects and directories") { TestMissingAndDirs(r); }
  SUBCASE("awkward names") { TestAwkwardNames(r, t); }
  SUBCASE("failed puts leave nothing") { TestFailedPuts(r); }
  SUBCASE("concurrent puts and lists") { TestConcurrency(r); }
  SUBCASE("invalid names") { TestInvalidNames(r); }
  SUBCASE("hashes, server-side copy and move") { TestHashCopyMove(r, t); }
  SUBCASE("set modtime and purge") { TestModTimeAndPurge(r); }
  SUBCASE("public links") { TestPublicLink(r); }
  SUBCASE("batches") { TestBatches(r); }
  SUBCASE("cleanup") { TestCleanup(r, t); }
}

}  // namespace cvclone
