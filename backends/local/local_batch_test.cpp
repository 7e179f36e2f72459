// Group commits of the local backend (Remote::StartBatch/FinishBatch).
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

#include "backends/local/local.hpp"
#include "backends/local/local_batch.hpp"
#include "core/io.hpp"
#include "tests/support/temp_dir.hpp"

namespace cvclone {
namespace {

namespace fs = std::filesystem;

// A test directory and the bytes of a file in it ("" if missing).
using Dir = test::TempDir;
std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string DataFor(int i) { return "file " + std::to_string(i) + std::string(i * 37, 'x'); }

Status PutString(Remote& r, const std::string& path, const std::string& data, TimePoint mtime) {
  MemoryReader reader(data);
  PutOptions opts;
  opts.size = static_cast<int64_t>(data.size());
  opts.mtime = mtime;
  auto put = r.Put(Context{}, path, reader, opts);
  if (!put) return Unexpected<Error>(put.error());
  return Ok();
}

int CountPartials(const fs::path& root) {
  int n = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().filename().string().find(".cvclone-partial") != std::string::npos) ++n;
  }
  return n;
}

// Failures passed to the batch's callback.
struct Failures {
  std::mutex mu;
  std::vector<std::pair<std::string, ErrorCode>> seen;
  Remote::BatchFailure Callback() {
    return [this](const std::string& path, const Error& e) {
      std::lock_guard lock(mu);
      seen.emplace_back(path, e.code());
    };
  }
};

std::unique_ptr<Remote> Open(const fs::path& root, bool fsync = true) {
  auto r = NewLocalRemote(root.string(), "", LocalOptions{.fsync = fsync});
  REQUIRE(r.has_value());
  return std::move(r).value();
}

const TimePoint kMtime{std::chrono::seconds(1700000000) + std::chrono::nanoseconds(123456789)};

TEST_CASE("local batch: every put and copy is in place, with its mtime, after FinishBatch") {
  Dir dir;
  auto remote = Open(dir.path());
  REQUIRE(remote->GetFeatures().batch_commit);
  REQUIRE(PutString(*remote, "copy-source", "copied bytes", kMtime));  // before the batch
  Failures failures;
  remote->StartBatch(failures.Callback());
  constexpr int kFiles = 300;
  for (int i = 0; i < kFiles; ++i) {
    REQUIRE(PutString(*remote, "d" + std::to_string(i % 7) + "/f" + std::to_string(i), DataFor(i),
                      kMtime));
  }
  auto copied = remote->Copy(Context{}, *remote, "copy-source", "copies/f0");
  REQUIRE(copied.has_value());
  REQUIRE(remote->FinishBatch(Context{}));
  CHECK(failures.seen.empty());
  for (int i = 0; i < kFiles; ++i) {
    const std::string rel = "d" + std::to_string(i % 7) + "/f" + std::to_string(i);
    REQUIRE(Slurp(fs::path(dir.path()) / rel) == DataFor(i));
    auto info = remote->Stat(Context{}, rel);
    REQUIRE(info.has_value());
    CHECK(info->mtime == kMtime);
  }
  CHECK(Slurp(fs::path(dir.path()) / "copies/f0") == "copied bytes");
  CHECK(CountPartials(dir.path()) == 0);
  // After the batch, puts are immediate again.
  REQUIRE(PutString(*remote, "after", "now", kMtime));
  CHECK(remote->Stat(Context{}, "after").has_value());
}

TEST_CASE("local batch: a batch raises a low soft limit on open files toward the hard limit") {
  struct rlimit saved {};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  struct rlimit low = saved;
  low.rlim_cur = std::min<rlim_t>(saved.rlim_max, 256);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  const rlim_t wanted = local::CommitBatch::kWantedOpenFiles;
  const rlim_t expected = saved.rlim_max == RLIM_INFINITY ? wanted : std::min(saved.rlim_max, wanted);
  {
    Dir dir;
    auto remote = Open(dir.path());
    remote->StartBatch(nullptr);
    REQUIRE(PutString(*remote, "f", "data", kMtime));
    REQUIRE(remote->FinishBatch(Context{}));
    CHECK(Slurp(fs::path(dir.path()) / "f") == "data");
  }
  struct rlimit now {};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &now) == 0);
  CHECK(now.rlim_cur == std::max(expected, low.rlim_cur));
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
}

TEST_CASE("local batch: a file that cannot be renamed into place fails alone, by name") {
  Dir dir;
  REQUIRE(dir.MakeDir("blocked"));  // a directory where the object should go
  auto remote = Open(dir.path());
  Failures failures;
  remote->StartBatch(failures.Callback());
  REQUIRE(PutString(*remote, "ok1", "one", kMtime));
  REQUIRE(PutString(*remote, "blocked", "two", kMtime));
  REQUIRE(PutString(*remote, "ok2", "three", kMtime));
  Status finished = remote->FinishBatch(Context{});
  REQUIRE_FALSE(finished);
  CHECK(finished.error().code() == ErrorCode::kIsDir);
  REQUIRE(failures.seen.size() == 1);
  CHECK(failures.seen[0].first == "blocked");
  CHECK(Slurp(fs::path(dir.path()) / "ok1") == "one");
  CHECK(Slurp(fs::path(dir.path()) / "ok2") == "three");
  CHECK(fs::is_directory(fs::path(dir.path()) / "blocked"));
  CHECK(CountPartials(dir.path()) == 0);
}

TEST_CASE("local batch: deleting a pending object discards it") {
  Dir dir;
  auto remote = Open(dir.path());
  Failures failures;
  remote->StartBatch(failures.Callback());
  REQUIRE(PutString(*remote, "gone", "bytes", kMtime));
  REQUIRE(PutString(*remote, "kept", "bytes", kMtime));
  REQUIRE(remote->Delete(Context{}, "gone"));
  REQUIRE(remote->FinishBatch(Context{}));
  CHECK_FALSE(fs::exists(fs::path(dir.path()) / "gone"));
  CHECK(fs::exists(fs::path(dir.path()) / "kept"));
  CHECK(CountPartials(dir.path()) == 0);
  CHECK(failures.seen.empty());
}

TEST_CASE("local batch: a cancelled finish leaves only complete files, no temporaries") {
  Dir dir;
  auto remote = Open(dir.path());
  Failures failures;
  remote->StartBatch(failures.Callback());
  constexpr int kFiles = 200;
  for (int i = 0; i < kFiles; ++i) {
    REQUIRE(PutString(*remote, "f" + std::to_string(i), DataFor(i), kMtime));
  }
  std::stop_source stop;
  stop.request_stop();
  Status finished = remote->FinishBatch(Context{stop.get_token()});
  REQUIRE_FALSE(finished);
  CHECK(finished.error().code() == ErrorCode::kCancelled);
  CHECK(CountPartials(dir.path()) == 0);
  // Whatever the committer had already taken is complete; the rest is absent.
  for (int i = 0; i < kFiles; ++i) {
    const fs::path p = fs::path(dir.path()) / ("f" + std::to_string(i));
    if (fs::exists(p)) CHECK(Slurp(p) == DataFor(i));
  }
}

TEST_CASE("local batch: without fsync there is no batch and puts are immediate") {
  Dir dir;
  auto remote = Open(dir.path(), /*fsync=*/false);
  CHECK_FALSE(remote->GetFeatures().batch_commit);
  Failures failures;
  remote->StartBatch(failures.Callback());
  REQUIRE(PutString(*remote, "now", "data", kMtime));
  CHECK(Slurp(fs::path(dir.path()) / "now") == "data");
  CHECK(remote->FinishBatch(Context{}));
}

}  // namespace
}  // namespace cvclone
