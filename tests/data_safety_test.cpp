// Data-loss defects (issue #12) reproduced through the CLI: each case here lost user data before
// its fix. Local folders, crypt over them, and S3 (s3rver behind the signature-checking front).
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/engine/sync.hpp"
#include "core/io.hpp"
#include "core/log.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/fault_remote.hpp"
#include "tests/support/memory_remote.hpp"
#include "tests/support/s3_server.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone {
namespace {

using std::chrono::seconds;
using test::Cli;
using test::Contains;
using test::ProcessResult;

constexpr char kSame[] = "Nothing to do as source and destination are the same";
constexpr char kOverlap[] = "can't sync or move files on overlapping remotes";
constexpr int kFatalExit = 7;

const std::map<std::string, std::string> kCryptEnv = {{"CVCLONE_CRYPT_PASSWORD", "pw"}};

// Runs args and returns the result; CAPTUREs the output for failure messages.
ProcessResult RunLogged(const Cli& cli, const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env = {}) {
  ProcessResult r = cli.Run(args, env);
  std::string joined;
  for (const std::string& a : args) joined += a + " ";
  MESSAGE("cvclone " << joined << "-> exit " << r.exit_code << "\n" << r.err);
  return r;
}

TEST_CASE("data safety: move, moveto and sync onto the same place do nothing") {
  Cli cli;
  cli.MakeTree("d");
  REQUIRE(symlink("d", cli.P("dl").c_str()) == 0);
  cli.WriteConfig("[here]\ntype = local\n");
  const auto before = test::ReadTree(cli.P("d"));
  REQUIRE(before.size() == 4);
  const std::vector<std::vector<std::string>> same = {
      {"move", "d", "d"},          {"move", "d", "d/"},        {"move", "./d", "d/."},
      {"move", "dl", "d"},         {"move", "here:d", "d"},    {"sync", "d", cli.P("d")},
      {"moveto", "d/h.txt", "d/h.txt"}, {"moveto", "d/h.txt", "here:" + cli.P("d/h.txt")},
      {"move", "crypt(d)", "crypt(d/)"}};
  for (const auto& args : same) {
    CAPTURE(args[0] + " " + args[1] + " " + args[2]);
    ProcessResult r = RunLogged(cli, args, kCryptEnv);
    CHECK(r.exit_code == 0);
    CHECK(Contains(r.err, kSame));
    CHECK(test::ReadTree(cli.P("d")) == before);
  }
}

TEST_CASE("data safety: sync and move between overlapping places are refused (exit 7)") {
  Cli cli;
  cli.MakeTree("outer/inner");
  REQUIRE(cli.dir().WriteFile("outer/o.txt", "outer file"));
  const auto before = test::ReadTree(cli.P("outer"));
  const std::vector<std::vector<std::string>> overlapping = {
      {"sync", "outer/inner", "outer"},     // deleted the source
      {"sync", "outer", "outer/inner"},     // nested one level deeper every run
      {"move", "outer", "outer/inner/x"},
      {"move", "outer/inner", "outer/"},
      {"sync", "crypt(outer)", "outer"},    // one place seen through crypt and plain
      {"sync", "outer/inner", "crypt(outer)"},
      {"sync", "crypt(outer)", "crypt(outer)/sub"}};
  for (const auto& args : overlapping) {
    CAPTURE(args[0] + " " + args[1] + " " + args[2]);
    ProcessResult r = RunLogged(cli, args, kCryptEnv);
    CHECK(r.exit_code == kFatalExit);
    CHECK(Contains(r.err, kOverlap));
    CHECK(test::ReadTree(cli.P("outer")) == before);
  }
}

TEST_CASE("data safety: a sync into its own source is allowed when a filter excludes it") {
  Cli cli;
  cli.MakeTree("d");
  ProcessResult r = RunLogged(cli, {"sync", "d", "d/backup", "--exclude", "backup/**"});
  CHECK(r.exit_code == 0);
  CHECK(cli.dir().ReadFile("d/backup/h.txt") == "hello");
  CHECK_FALSE(cli.dir().Exists("d/backup/backup"));
  // A second run changes nothing and nests nothing.
  r = RunLogged(cli, {"sync", "d", "d/backup", "--exclude", "backup/**"});
  CHECK(r.exit_code == 0);
  CHECK_FALSE(cli.dir().Exists("d/backup/backup"));
  CHECK(test::ReadTree(cli.P("d")).size() == 8);
}

std::string S3Section(const std::string& name, const test::S3TestServer& s) {
  return test::S3ConfigSection(name, s);
}

TEST_CASE("data safety [any server]: S3 move and sync onto the same or an overlapping prefix") {
  std::string why;
  const test::S3TestServer* s = test::SharedS3Server(&why);
  REQUIRE_MESSAGE(s != nullptr, why);
  Cli cli;
  cli.WriteConfig(S3Section("s3", *s) + S3Section("same", *s));
  cli.MakeTree("src");
  const std::string bucket = test::UniqueName("safety");
  REQUIRE(RunLogged(cli, {"copy", "src", "s3:" + bucket + "/x"}).exit_code == 0);
  auto listing = [&] { return RunLogged(cli, {"lsf", "-R", "s3:" + bucket}).out; };
  const std::string before = listing();
  REQUIRE(Contains(before, "x/a/b/two.txt"));
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"move", "s3:" + bucket + "/x", "s3:" + bucket + "/x/"},
           {"move", "s3:" + bucket + "/x", "same:" + bucket + "/x"}}) {
    CAPTURE(args[1] + " " + args[2]);
    ProcessResult r = RunLogged(cli, args);
    CHECK(r.exit_code == 0);
    CHECK(Contains(r.err, kSame));
    CHECK(listing() == before);
  }
  ProcessResult r = RunLogged(cli, {"sync", "s3:" + bucket + "/x/a", "s3:" + bucket + "/x"});
  CHECK(r.exit_code == kFatalExit);
  CHECK(Contains(r.err, kOverlap));
  CHECK(listing() == before);
}

TEST_CASE("data safety: a multi-stream download whose ranges come from two versions is retried") {
  std::string why;
  const test::S3TestServer* s = test::SharedS3Server(&why);
  REQUIRE_MESSAGE(s != nullptr, why);
  Cli cli;
  cli.WriteConfig(S3Section("s3", *s));
  const std::string data = test::Pattern(4 << 20, 5);
  REQUIRE(cli.dir().WriteFile("src/big.bin", data));
  const std::string bucket = test::UniqueName("versions");
  REQUIRE(RunLogged(cli, {"copy", "src", "s3:" + bucket}).exit_code == 0);
  // One of the ranged answers says it comes from another version of the object.
  REQUIRE(s->InjectFault(R"({"kind":"other-etag","count":1,"method":"GET","match":"/)" + bucket +
                         R"(/big.bin","query":""})"));
  const int faults = s->Stat("faults_injected");
  ProcessResult r = RunLogged(cli, {"copy", "s3:" + bucket, "down", "-v", "--multi-thread-cutoff",
                                    "1Mi", "--multi-thread-streams", "4"});
  s->ClearFaults();
  CHECK(r.exit_code == 0);
  CHECK(s->Stat("faults_injected") == faults + 1);
  CHECK(Contains(r.err, "changed during the download"));
  CHECK(cli.dir().ReadFile("down/big.bin") == data);
}

// ---- move deletes a source only once its copy is known to be identical ----------------------

const TimePoint kT0 = TimePoint(seconds(1'700'000'000));

struct QuietLog {
  QuietLog() : saved(log::GetLevel()) { log::SetLevel(log::Level::kError); }
  ~QuietLog() { log::SetLevel(saved); }
  log::Level saved;
};

Status Move(Remote& src, Remote& dst, Accounting& acct) {
  return RunSync(Context{}, src, dst, SyncMode::kMove, SyncOptions{}, acct);
}

TEST_CASE("data safety: move never deletes a source on the upload-time rule") {
  // A same-size file restored with an older mtime (tar x) after the remote copy was stored: the
  // listing's upload time is later than the source's mtime, yet the contents differ.
  MemoryRemote src("src"), dst("dst");
  src.SetFile("f.txt", "restored", kT0);
  dst.SetFile("f.txt", "REMOTE!!", kT0 + seconds(100));
  dst.SetListedUploadTime(kT0 + seconds(200));
  SUBCASE("with a common hash") {}
  SUBCASE("without one") {
    src.features().hashes = HashSet{};
    dst.features().hashes = HashSet{};
  }
  Accounting acct;
  REQUIRE(Move(src, dst, acct).has_value());
  CHECK(dst.Contents("f.txt") == "restored");
  CHECK(src.Files().empty());
  CHECK(acct.transfers() == 1);
}

// Answers every Put with success and stores nothing (a broken endpoint).
class ForgetfulRemote : public MemoryRemote {
 public:
  using MemoryRemote::MemoryRemote;
  Result<ObjectInfo> Put(const Context&, const std::string& path, Reader& src,
                         const PutOptions& opts) override {
    CVC_ASSIGN_OR_RETURN(std::string data, ReadAll(src));
    ObjectInfo info{.path = path, .size = static_cast<int64_t>(data.size()), .mtime = opts.mtime};
    info.hashes[HashType::kMd5] =
        HashBytes(AsBytes(data), HashSet{HashType::kMd5}).at(HashType::kMd5);
    return info;
  }
};

TEST_CASE("data safety: move keeps the source when the destination cannot confirm the put") {
  QuietLog quiet;
  MemoryRemote src("src");
  ForgetfulRemote dst("dst");
  dst.features().server_side_copy = false;
  src.SetFile("a.txt", "precious", kT0);
  Accounting acct;
  auto st = Move(src, dst, acct);
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().message().find("cannot be confirmed") != std::string::npos);
  CHECK(src.Contents("a.txt") == "precious");
  CHECK(acct.errors() > 0);
}

// Stores each Put, then rewrites the source file it came from (same size, new mtime): the
// source changed after it was read and before the move could delete it.
class RewritingRemote : public MemoryRemote {
 public:
  RewritingRemote(std::string name, MemoryRemote& source)
      : MemoryRemote(std::move(name)), source_(source) {}
  Result<ObjectInfo> Put(const Context& ctx, const std::string& path, Reader& src,
                         const PutOptions& opts) override {
    auto stored = MemoryRemote::Put(ctx, path, src, opts);
    if (rewrites_-- > 0) source_.SetFile(path, "NEW", kT0 + seconds(5));
    return stored;
  }

 private:
  MemoryRemote& source_;
  int rewrites_ = 1;
};

TEST_CASE("data safety: move keeps a source that changed after it was read") {
  QuietLog quiet;
  MemoryRemote src("src");
  RewritingRemote dst("dst", src);
  dst.features().server_side_copy = false;
  src.SetFile("a.txt", "old", kT0);
  Accounting acct;
  auto st = Move(src, dst, acct);
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().message().find("source file changed during copy") != std::string::npos);
  CHECK(src.Contents("a.txt") == "NEW");
  // The next run moves the new version.
  Accounting again;
  REQUIRE(Move(src, dst, again).has_value());
  CHECK(dst.Contents("a.txt") == "NEW");
  CHECK(src.Files().empty());
}

// Lists objects as S3 does (upload times) but says one object is larger than what a read of it
// gives: a truncated answer whose Content-Length matches the short body.
class ShortReadRemote : public MemoryRemote {
 public:
  using MemoryRemote::MemoryRemote;
  Result<std::vector<ObjectInfo>> List(const Context& ctx, const std::string& dir) override {
    CVC_ASSIGN_OR_RETURN(std::vector<ObjectInfo> all, MemoryRemote::List(ctx, dir));
    for (ObjectInfo& i : all) {
      if (i.path == "big.bin") i.size += 1000;
    }
    return all;
  }
};

TEST_CASE("data safety: a download shorter than the listing said is not stored as good") {
  QuietLog quiet;
  ShortReadRemote src("src");
  MemoryRemote dst("dst");
  dst.features().server_side_copy = false;  // a download, as from S3 to a local folder
  src.SetFile("big.bin", std::string(3000, 'b'), kT0);
  src.SetFile("ok.txt", "fine", kT0);
  src.SetListedUploadTime(kT0 + seconds(10));
  Accounting acct;
  auto st = RunSync(Context{}, src, dst, SyncMode::kCopy, SyncOptions{}, acct);
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().message().find("size changed since it was listed") != std::string::npos);
  CHECK_FALSE(dst.Contents("big.bin").has_value());
  CHECK(dst.Contents("ok.txt") == "fine");
}

// ---- sync deletes at the destination only what is known to be gone at the source ---------

// A listing that silently leaves out one path (a broken server or proxy).
class OmittingRemote : public MemoryRemote {
 public:
  OmittingRemote(std::string name, std::string omit)
      : MemoryRemote(std::move(name)), omit_(std::move(omit)) {}
  Result<std::vector<ObjectInfo>> List(const Context& ctx, const std::string& dir) override {
    CVC_ASSIGN_OR_RETURN(std::vector<ObjectInfo> all, MemoryRemote::List(ctx, dir));
    std::erase_if(all, [this](const ObjectInfo& i) { return i.path == omit_; });
    return all;
  }

 private:
  std::string omit_;
};

TEST_CASE("data safety: sync does not delete a file the source listing left out") {
  QuietLog quiet;
  OmittingRemote src("src", "keep.txt");
  MemoryRemote dst("dst");
  src.SetFile("keep.txt", "exists at the source", kT0);
  src.SetFile("other.txt", "other", kT0);
  dst.SetFile("keep.txt", "exists at the source", kT0);
  dst.SetFile("gone.txt", "deleted at the source", kT0);
  Accounting acct;
  auto st = RunSync(Context{}, src, dst, SyncMode::kSync, SyncOptions{}, acct);
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().message().find("left out a file that exists: keep.txt") != std::string::npos);
  CHECK(dst.Contents("keep.txt") == "exists at the source");
  CHECK(dst.Contents("gone.txt") == "deleted at the source");  // nothing deleted in that run
  CHECK(dst.Contents("other.txt") == "other");
}

TEST_CASE("data safety: retries exhausted exit 5, an error never worth a retry exits 6") {
  QuietLog quiet;
  MemoryRemote src("src"), inner("dst");
  FaultRemote dst(inner);
  dst.features().server_side_copy = false;
  src.SetFile("a.txt", "a", kT0);
  // Every put fails with `put_error`: the exit code of the copy, after `attempts` puts.
  auto exit_code_after = [&](const Error& put_error, int attempts) {
    dst.FailOn(FaultOp::kPut, AnyPath(), put_error);
    Accounting acct;
    auto st = RunSync(Context{}, src, dst, SyncMode::kCopy, SyncOptions{}, acct);
    REQUIRE_FALSE(st.has_value());
    CHECK(dst.Calls(FaultOp::kPut) == attempts);
    return ExitCodeFor(st.error());
  };
  SUBCASE("retried three times") {
    CHECK(exit_code_after(Error(ErrorCode::kCorrupt, "hashes differ"), 3) ==
          exit_code::kRetryError);
  }
  SUBCASE("not retried") {
    CHECK(exit_code_after(Error(ErrorCode::kInvalidArgument, "bad name"), 1) ==
          exit_code::kNoRetryError);
  }
}

TEST_CASE("data safety: a destination file deleted meanwhile by someone else is not an error") {
  MemoryRemote src("src"), inner("dst");
  FaultRemote dst(inner);
  src.SetFile("a.txt", "a", kT0);
  inner.SetFile("extra.txt", "x", kT0);
  dst.FailOn(FaultOp::kDelete, PathIs("extra.txt"),
             Error(ErrorCode::kNotFound, "extra.txt: object not found"));
  Accounting acct;
  auto st = RunSync(Context{}, src, dst, SyncMode::kSync, SyncOptions{}, acct);
  REQUIRE_MESSAGE(st.has_value(), st.error().message());
  CHECK(acct.errors() == 0);
  CHECK(inner.Contents("a.txt") == "a");
}

TEST_CASE("data safety: an undecryptable source name is an error, and sync deletes nothing") {
  Cli cli;
  cli.MakeTree("plain");
  REQUIRE(RunLogged(cli, {"copy", "plain", "crypt(enc)"}, kCryptEnv).exit_code == 0);
  REQUIRE(cli.dir().WriteFile("enc/not-an-encrypted-name", "junk"));
  REQUIRE(cli.dir().WriteFile("dst/extra.txt", "only at the destination"));
  ProcessResult r = RunLogged(cli, {"sync", "crypt(enc)", "dst"}, kCryptEnv);
  CHECK(r.exit_code != 0);
  CHECK(Contains(r.err, "not-an-encrypted-name"));
  CHECK(Contains(r.err, "Not deleting files as there were IO errors"));
  CHECK(cli.dir().ReadFile("dst/extra.txt") == "only at the destination");
  CHECK(cli.dir().ReadFile("dst/h.txt") == "hello");  // the rest was copied
}

}  // namespace
}  // namespace cvclone
