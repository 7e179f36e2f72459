// kill -9 at random moments (issue #12): copy, sync and move into a local folder, crypt over a
// local folder and crypt over S3 (s3rver behind the signature-checking front) are started as a
// child process and killed with SIGKILL after a random delay. After each kill nothing partial
// may be visible under a final name, no source file may be lost, and no temporary may be left
// but one the local backend names stale (local::StaleTemporary: a whole file linked under its
// temporary name just before it was to be renamed over an older copy, hidden from listings);
// then a rerun of the same command must finish (exit 0), remove any such temporary, and
// `check --download` must pass.
//
// Each case runs 5 rounds, each into a fresh destination. Round 0 starts empty; the others
// are first given stale files (older versions of some source files, of another size, and for
// sync files the source does not have), so that a kill can also land while a file is replaced
// or deleted. The delays are drawn from a seeded generator as fractions of the time a whole run
// took (measured first, into a destination of its own, so the moments scale with the machine):
// the seed is printed, and CVCLONE_KILL_SEED=<seed> draws the same fractions again.
// CVCLONE_KILL_ROUNDS=<n> runs n rounds per case instead (to hunt for a rare moment).
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "backends/local/local_fs.hpp"
#include "tests/support/child.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/s3_server.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using test::Cli;
using test::ProcessResult;
using Clock = std::chrono::steady_clock;
using Tree = std::map<std::string, std::string>;  // relative path → content

constexpr int kDefaultRounds = 5;  // about a minute for the whole file on 2 cores
constexpr int kKilled = 128 + SIGKILL;
constexpr int kDirNotFound = 3;                        // cvclone's exit code
constexpr char kPartialSuffix[] = ".cvclone-partial";  // backends/local/local_fs.hpp
const std::map<std::string, std::string> kEnv = {{"CVCLONE_CRYPT_PASSWORD", "kill -9 test"}};

enum class Kind { kLocal, kCryptLocal, kCryptS3 };

// ---- the trees ------------------------------------------------------------------------------

struct Shape {
  int small_files;                // 0 B to 8 KiB each, in 21 folders two levels deep
  std::vector<size_t> big_files;  // several MiB each
};

// Local: the 17 MiB file is written with O_DIRECT when it comes from a stream (crypt(local)).
const Shape kLocalShape = {300, {3 << 20, 7 << 20, 17 << 20}};
// S3: with upload_cutoff 1Mi and chunk_size 5Mi, both big files are multipart uploads.
const Shape kS3Shape = {150, {6 << 20, 8 << 20}};

Tree MakeSource(const Shape& shape) {
  Tree t;
  for (int i = 0; i < shape.small_files; ++i) {
    const std::string path = "d" + std::to_string(i % 7) + "/s" + std::to_string(i % 3) + "/f" +
                             std::to_string(i) + ".bin";
    t[path] = test::Pattern((static_cast<size_t>(i) * 7919) % 8192, static_cast<unsigned>(i));
  }
  for (size_t i = 0; i < shape.big_files.size(); ++i) {
    t["big/b" + std::to_string(i) + ".bin"] =
        test::Pattern(shape.big_files[i], static_cast<unsigned>(1000 + i));
  }
  return t;
}

// A content that is not `current` and differs from it in size too, so every comparison (size,
// modtime, upload time) sees the file as changed.
std::string OtherVersion(const std::string& current, size_t size, unsigned seed) {
  if (size == current.size()) ++size;
  return test::Pattern(size, seed);
}

// Older versions of every tenth file and of the first big one; with extras, files the source
// does not have (sync must delete them, only after its transfers succeeded).
Tree MakeStale(const Tree& source, bool extras) {
  Tree t;
  unsigned i = 0;
  for (const auto& [path, content] : source) {
    if (path.starts_with("big/")) continue;
    if (i++ % 10 == 0) t[path] = OtherVersion(content, 100 + i % 900, 7000 + i);
  }
  t["big/b0.bin"] = OtherVersion(source.at("big/b0.bin"), 1 << 20, 7777);
  for (unsigned e = 0; extras && e < 30; ++e) {
    t["old/e" + std::to_string(e) + ".bin"] = test::Pattern(50 + e * 37, 9000 + e);
  }
  return t;
}

void WriteTree(const std::string& root, const Tree& tree) {
  std::vector<std::string> failed;
  for (const auto& [path, content] : tree) {
    if (!test::WriteFile(root + "/" + path, content)) failed.push_back(path);
  }
  REQUIRE_MESSAGE(failed.empty(),
                  "cannot write " << root << "/" << (failed.empty() ? "" : failed.front()));
}

// ---- running cvclone ------------------------------------------------------------------------

std::string Joined(const std::vector<std::string>& args) {
  std::string s = "cvclone";
  for (const std::string& a : args) s += " " + a;
  return s;
}

// The end of a long output: the last errors of a failed run.
std::string Tail(const std::string& s, size_t n = 3000) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

ProcessResult RunCvclone(const Cli& cli, const std::vector<std::string>& args) {
  return cli.Run(args, kEnv);
}

void RunOk(const Cli& cli, const std::vector<std::string>& args) {
  const ProcessResult r = RunCvclone(cli, args);
  REQUIRE_MESSAGE(r.exit_code == 0, Joined(args) << " -> exit " << r.exit_code << "\n"
                                                 << Tail(r.err));
}

// The options Cli::Run uses, for a child the test controls.
test::ProcessOptions ChildOptions(const Cli& cli) {
  test::ProcessOptions opts;
  opts.set_env = kEnv;
  opts.cwd = cli.dir().path();
  opts.set_env["TZ"] = "UTC";
  opts.set_env["HOME"] = cli.dir().path();
  opts.unset_env = {"CVCLONE_CONFIG", "XDG_CONFIG_HOME", "CVCLONE_STATE_DIR", "XDG_STATE_HOME"};
  return opts;
}

// ---- what a destination holds ---------------------------------------------------------------

struct Entry {
  int64_t size = 0;
  std::optional<std::string> content;  // unknown for S3 (the listing gives sizes)
};
using State = std::map<std::string, Entry>;

bool IsTemporary(const std::string& name) { return name.find(kPartialSuffix) != std::string::npos; }

// Temporaries left anywhere under folder (relative paths).
std::vector<std::string> Temporaries(const std::string& folder) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(folder, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (IsTemporary(it->path().filename().string())) {
      out.push_back(fs::relative(it->path(), folder).string());
    }
  }
  return out;
}

State FromTree(const Tree& tree) {
  State s;
  for (const auto& [path, content] : tree) {
    if (IsTemporary(fs::path(path).filename().string())) continue;  // reported on their own
    s[path] = Entry{static_cast<int64_t>(content.size()), content};
  }
  return s;
}

// `cvclone ls` lines: the size right-aligned, a space, the path.
State FromListing(const std::string& out) {
  State s;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t start = line.find_first_not_of(' ');
    const size_t space = line.find(' ', start);
    if (start == std::string::npos || space == std::string::npos) continue;
    s[line.substr(space + 1)] = Entry{std::stoll(line.substr(start, space - start)), {}};
  }
  return s;
}

class Destination {
 public:
  Destination(Kind kind, const Cli& cli) : kind_(kind), cli_(cli) {
    if (kind_ != Kind::kCryptS3) return;
    std::string why;
    const test::S3TestServer* s = test::SharedS3Server(&why);
    REQUIRE_MESSAGE(s != nullptr, why);
    cli_.WriteConfig("[s3]\ntype = s3\nprovider = Other\naccess_key_id = " + s->access_key +
                     "\nsecret_access_key = " + s->secret_key + "\nendpoint = " + s->Endpoint() +
                     "\nregion = us-east-1\nupload_cutoff = 1Mi\nchunk_size = 5Mi\n");
    in_place_writes_ = !s->rgw;
    bucket_ = test::UniqueName("kill");
    RunOk(cli_, {"mkdir", "s3:" + bucket_});
  }

  // Whether the storage may list an object while a completed request is still writing it.
  bool in_place_writes() const { return in_place_writes_; }

  // The destination called name (one per round) as a remote string.
  std::string Remote(const std::string& name) const {
    switch (kind_) {
      case Kind::kLocal:
        return Folder(name);
      case Kind::kCryptLocal:
        return "crypt(" + Folder(name) + ")";
      case Kind::kCryptS3:
        return "crypt(s3:" + bucket_ + "/" + name + ")";
    }
    return "";
  }

  // The local folder holding its files (encrypted for crypt); "" for S3.
  std::string Folder(const std::string& name) const {
    return kind_ == Kind::kCryptS3 ? "" : cli_.P("dst/" + name);
  }

  // What a user sees at the round's destination: decrypted paths, with contents where they can
  // be read cheaply (local folders), sizes only for S3.
  State Observe(const std::string& name) const {
    const std::string folder = Folder(name);
    if (kind_ == Kind::kLocal) return FromTree(test::ReadTree(folder));
    if (kind_ == Kind::kCryptLocal) {
      if (!fs::exists(folder)) return {};
      const std::string snap = cli_.P("snapshot");
      fs::remove_all(snap);
      RunOk(cli_, {"copy", "--local-no-fsync", Remote(name), snap});
      State s = FromTree(test::ReadTree(snap));
      fs::remove_all(snap);
      return s;
    }
    const ProcessResult r = RunCvclone(cli_, {"ls", Remote(name)});
    if (r.exit_code == kDirNotFound) return {};  // killed before its first object was stored
    REQUIRE_MESSAGE(r.exit_code == 0, "ls " << Remote(name) << ": " << Tail(r.err));
    return FromListing(r.out);
  }

 private:
  Kind kind_;
  const Cli& cli_;
  std::string bucket_;
  bool in_place_writes_ = false;
};

// ---- the checks -----------------------------------------------------------------------------

bool Matches(const Entry& e, const std::string& content) {
  return e.content ? *e.content == content : e.size == static_cast<int64_t>(content.size());
}

// Every file at the destination is whole: the source's version or the stale one it replaces.
// s3rver writes an object in place while it stores it (tests/README.md), so a listing made just
// after the kill can show an object still being written for a request cvclone had sent in
// full: with in_place_writes, a size below the source's is a note, not a problem. Against Ceph
// RGW ("[any server]"), which stores atomically, the check is strict.
void CheckDestinationWhole(const State& dst, const Tree& source, const Tree& stale,
                           bool in_place_writes, std::vector<std::string>& problems,
                           std::vector<std::string>& notes) {
  for (const auto& [path, entry] : dst) {
    const auto now = source.find(path);
    const auto before = stale.find(path);
    if ((now != source.end() && Matches(entry, now->second)) ||
        (before != stale.end() && Matches(entry, before->second))) {
      continue;
    }
    const std::string what = path + ": " + std::to_string(entry.size) + " bytes";
    if (in_place_writes && now != source.end() &&
        entry.size < static_cast<int64_t>(now->second.size())) {
      notes.push_back(what + " of " + std::to_string(now->second.size()) +
                      " (s3rver still writing it?)");
      continue;
    }
    problems.push_back(what + ", neither the source's version nor the earlier one (partial?)");
  }
}

// The source is untouched, except that move may have removed files that are whole at the
// destination: nothing is lost.
void CheckSourceKept(const std::string& command, const Tree& src, const State& dst,
                     const Tree& source, std::vector<std::string>& problems) {
  for (const auto& [path, content] : src) {
    const auto original = source.find(path);
    if (original == source.end() || original->second != content) {
      problems.push_back("source " + path + " was changed");
    }
  }
  for (const auto& [path, content] : source) {
    if (src.count(path) != 0) continue;
    const auto at_dst = dst.find(path);
    if (command != "move") {
      problems.push_back("source " + path + " was removed by " + command);
    } else if (at_dst == dst.end() || !Matches(at_dst->second, content)) {
      problems.push_back("lost: " + path +
                         " is gone from the source, not whole at the destination");
    }
  }
}

std::string Lines(const std::vector<std::string>& items, size_t max = 20) {
  std::string s;
  for (size_t i = 0; i < items.size() && i < max; ++i) s += "\n  " + items[i];
  if (items.size() > max) s += "\n  ... " + std::to_string(items.size() - max) + " more";
  return s;
}

// ---- one case -------------------------------------------------------------------------------

int Rounds() {
  const char* s = std::getenv("CVCLONE_KILL_ROUNDS");
  const int n = s != nullptr ? std::atoi(s) : 0;
  return n > 0 ? n : kDefaultRounds;
}

uint64_t BaseSeed() {
  if (const char* s = std::getenv("CVCLONE_KILL_SEED"); s != nullptr && *s != '\0') {
    return std::strtoull(s, nullptr, 10);
  }
  return std::random_device{}();
}

struct Case {
  Kind kind;
  std::string command;   // copy, sync or move
  uint64_t seed_offset;  // each case draws its own moments from the one printed seed
};

class KillTest {
 public:
  explicit KillTest(const Case& c)
      : case_(c),
        seed_(BaseSeed()),
        random_(seed_ + c.seed_offset),
        source_(MakeSource(c.kind == Kind::kCryptS3 ? kS3Shape : kLocalShape)),
        stale_(MakeStale(source_, c.command == "sync")) {
    MESSAGE("seed " << seed_ << " (CVCLONE_KILL_SEED=" << seed_ << " draws the same moments)");
    WriteTree(cli_.P("orig"), source_);
    WriteTree(cli_.P("stale"), stale_);
  }

  void Run() {
    Destination dst(case_.kind, cli_);
    Calibrate(dst);
    const int rounds = Rounds();
    for (int round = 0; round < rounds; ++round) RunRound(dst, round);
    MESSAGE(killed_ << " of " << rounds << " runs killed; the others finished first");
  }

 private:
  std::vector<std::string> Command(const std::string& src, const std::string& dst) const {
    return {case_.command, src, dst};
  }

  // The source folder of a round: the original tree itself, except for move, which takes
  // its files away: a fresh copy then.
  std::string PrepareSource() {
    if (case_.command != "move") return cli_.P("orig");
    const std::string src = cli_.P("src");
    fs::remove_all(src);
    fs::copy(cli_.P("orig"), src, fs::copy_options::recursive);
    return src;
  }

  // How long a whole run takes here: the kills land at random fractions of it.
  void Calibrate(const Destination& dst) {
    const std::string src = PrepareSource();
    const auto start = Clock::now();
    RunOk(cli_, Command(src, dst.Remote("calibration")));
    run_time_ = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    MESSAGE("a whole " << case_.command << " takes " << run_time_.count() << " ms");
  }

  // Starts the command and kills it after a random part of the run time, unless it ends first.
  void StartAndKill(const std::vector<std::string>& command, const std::string& log) {
    const double fraction = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
    const milliseconds delay(
        static_cast<int64_t>(fraction * static_cast<double>(run_time_.count())));
    std::vector<std::string> args = {"--config", cli_.conf()};
    args.insert(args.end(), command.begin(), command.end());
    std::string why;
    const auto start = Clock::now();
    auto child =
        test::Child::Start(CVCLONE_BINARY_DIR "/cvclone", args, ChildOptions(cli_), "", log, &why);
    REQUIRE_MESSAGE(child != nullptr, why);
    const bool finished = child->WaitFor(delay);
    const int status = finished ? child->Wait() : child->Kill();
    const auto ran = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    MESSAGE(Joined(command) << "\n  "
                            << std::string(finished ? "finished by itself after " : "killed after ")
                            << ran.count() << " ms (at " << fraction << " of the run time), exit "
                            << status);
    CHECK_MESSAGE((status == kKilled || status == 0),
                  "the run failed by itself:\n"
                      << Tail(test::ReadFile(log).value_or("")));
    if (!finished) ++killed_;
    // A run that ended before its moment shows the calibration was slow (a cold cache): aim
    // the next kills within the time a run really takes.
    if (finished) run_time_ = std::min(run_time_, ran);
  }

  std::vector<std::string> TemporariesAt(const Destination& dst, const std::string& name) const {
    std::vector<std::string> problems;
    const std::string folder = dst.Folder(name);
    if (folder.empty()) return problems;
    for (const std::string& t : Temporaries(folder)) problems.push_back("temporary left: " + t);
    return problems;
  }

  void CheckAfterKill(const Destination& dst, const std::string& name, const std::string& src) {
    std::vector<std::string> problems;
    std::vector<std::string> notes;
    // The killed writer is gone: a temporary it left is stale to the next run, which removes
    // it (CheckAfterRerun checks that none is left).
    const std::string folder = dst.Folder(name);
    for (const std::string& t : folder.empty() ? std::vector<std::string>() : Temporaries(folder)) {
      if (local::StaleTemporary(fs::path(t).filename().string())) {
        notes.push_back("stale temporary: " + t);
      } else {
        problems.push_back("temporary left: " + t);
      }
    }
    const State state = dst.Observe(name);
    CheckDestinationWhole(state, source_, stale_, dst.in_place_writes(), problems, notes);
    CheckSourceKept(case_.command, test::ReadTree(src), state, source_, problems);
    CHECK_MESSAGE(problems.empty(), "after the kill:" << Lines(problems));
    if (!notes.empty()) MESSAGE("after the kill, left for the rerun:" << Lines(notes));
  }

  void CheckAfterRerun(const Destination& dst, const std::string& name, const std::string& src) {
    // move empties the source: compare with the original tree.
    const std::string reference = case_.command == "move" ? cli_.P("orig") : src;
    const std::vector<std::string> check = {"check", "--download", reference, dst.Remote(name)};
    const ProcessResult r = RunCvclone(cli_, check);
    CHECK_MESSAGE(r.exit_code == 0, Joined(check) << " -> exit " << r.exit_code << "\n"
                                                  << Tail(r.err));
    if (case_.command == "move") {
      const Tree left = test::ReadTree(src);
      CHECK_MESSAGE(left.empty(), "the source still holds "
                                      << left.size() << " files, e.g. "
                                      << (left.empty() ? "" : left.begin()->first));
    }
    std::vector<std::string> problems = TemporariesAt(dst, name);
    if (case_.kind == Kind::kLocal) {  // seen without cvclone's help too
      const Tree now = test::ReadTree(dst.Folder(name));
      for (const auto& [path, content] : source_) {
        const auto it = now.find(path);
        if (it == now.end() || it->second != content) problems.push_back("not whole: " + path);
      }
      for (const auto& [path, content] : now) {
        const bool temporary = IsTemporary(fs::path(path).filename().string());  // listed above
        if (!temporary && source_.count(path) == 0) problems.push_back("extra: " + path);
      }
    }
    CHECK_MESSAGE(problems.empty(), "after the rerun:" << Lines(problems));
  }

  void RunRound(const Destination& dst, int round) {
    const std::string name = "r" + std::to_string(round);
    CAPTURE(seed_);
    CAPTURE(round);
    if (round > 0) RunOk(cli_, {"copy", "--local-no-fsync", cli_.P("stale"), dst.Remote(name)});
    const std::string src = PrepareSource();
    const std::string log = cli_.P(name + ".log");
    StartAndKill(Command(src, dst.Remote(name)), log);
    INFO("stderr of the killed run: " << Tail(test::ReadFile(log).value_or(""), 1500));
    CheckAfterKill(dst, name, src);
    const ProcessResult rerun = RunCvclone(cli_, Command(src, dst.Remote(name)));
    CHECK_MESSAGE(rerun.exit_code == 0, "the rerun " << Joined(Command(src, dst.Remote(name)))
                                                     << " -> exit " << rerun.exit_code << "\n"
                                                     << Tail(rerun.err));
    CheckAfterRerun(dst, name, src);
  }

  Case case_;
  uint64_t seed_;
  std::mt19937_64 random_;
  Cli cli_;
  Tree source_;
  Tree stale_;
  milliseconds run_time_{0};
  int killed_ = 0;
};

TEST_CASE("kill -9: copy into a local folder") { KillTest({Kind::kLocal, "copy", 1}).Run(); }
TEST_CASE("kill -9: sync into a local folder") { KillTest({Kind::kLocal, "sync", 2}).Run(); }
TEST_CASE("kill -9: move into a local folder") { KillTest({Kind::kLocal, "move", 3}).Run(); }

TEST_CASE("kill -9: copy into crypt(local)") { KillTest({Kind::kCryptLocal, "copy", 4}).Run(); }
TEST_CASE("kill -9: sync into crypt(local)") { KillTest({Kind::kCryptLocal, "sync", 5}).Run(); }
TEST_CASE("kill -9: move into crypt(local)") { KillTest({Kind::kCryptLocal, "move", 6}).Run(); }

TEST_CASE("kill -9 [any server]: copy into crypt(s3)") {
  KillTest({Kind::kCryptS3, "copy", 7}).Run();
}
TEST_CASE("kill -9 [any server]: sync into crypt(s3)") {
  KillTest({Kind::kCryptS3, "sync", 8}).Run();
}
TEST_CASE("kill -9 [any server]: move into crypt(s3)") {
  KillTest({Kind::kCryptS3, "move", 9}).Run();
}

}  // namespace
}  // namespace cvclone
