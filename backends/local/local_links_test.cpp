// Symbolic links below a local root: writes never go through one the user did not choose to
// follow (-L/--copy-links), and the link options (-L, -l/--links, --skip-links,
// -x/--one-file-system) behave as rclone's.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "backends/local/local.hpp"
#include "backends/local/local_fs.hpp"
#include "backends/local/local_path.hpp"
#include "core/io.hpp"
#include "tests/conformance/conformance.hpp"
#include "tests/support/test_data.hpp"
#include "tests/support/temp_dir.hpp"

namespace cvclone {
namespace {

namespace fs = std::filesystem;

std::set<std::string> Tree(const fs::path& dir) { return test::ListTree(dir.string()); }

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Result<ObjectInfo> Put(Remote& r, const std::string& path, const std::string& data) {
  MemoryReader reader(data);
  PutOptions opts;
  opts.size = static_cast<int64_t>(data.size());
  return r.Put(Context{}, path, reader, opts);
}

int64_t MtimeNs(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// A destination `dst` whose `sub` is a symlink to the sibling folder `outside` (which holds
// g.txt and d/), whose a/deep is a symlink to it too, and whose flink is a symlink to
// outside/g.txt.
struct LinkedDestination {
  test::TempDir dir;
  fs::path root = fs::path(dir.path()) / "dst";
  fs::path outside = fs::path(dir.path()) / "outside";
  std::set<std::string> outside_tree;

  LinkedDestination() {
    REQUIRE(dir.WriteFile("outside/g.txt", "outside data"));
    REQUIRE(dir.MakeDir("outside/d"));
    REQUIRE(dir.WriteFile("dst/real.txt", "real"));
    REQUIRE(dir.WriteFile("dst/real2.txt", "real2"));
    REQUIRE(dir.MakeDir("dst/a"));
    fs::create_directory_symlink("../outside", root / "sub");
    fs::create_directory_symlink("../../outside", root / "a" / "deep");
    fs::create_symlink("../outside/g.txt", root / "flink");
    outside_tree = Tree(outside);
  }
  // The error names the link, says it is one and how to follow it.
  static void CheckNamesLink(const Error& e, const fs::path& link) {
    CAPTURE(e.message());
    CHECK(e.message().find(link.string() + " is a symbolic link") != std::string::npos);
  }
};

void CheckNoWriteThroughLinks(Remote& r, LinkedDestination& d) {
  const int64_t g_mtime = MtimeNs(d.outside / "g.txt");
  {
    auto put = Put(r, "sub/f.txt", "data");
    CHECK_FALSE(put.has_value());
    if (!put) {
      CHECK(put.error().code() == ErrorCode::kNotDir);
      LinkedDestination::CheckNamesLink(put.error(), d.root / "sub");
      CHECK(put.error().message().find("-L/--copy-links") != std::string::npos);
    }
  }
  {
    auto put = Put(r, "a/deep/new/f.txt", "data");
    CHECK_FALSE(put.has_value());
    if (!put) LinkedDestination::CheckNamesLink(put.error(), d.root / "a" / "deep");
  }
  {
    auto put = Put(r, "flink", "replaced");
    CHECK_FALSE(put.has_value());
    if (!put) LinkedDestination::CheckNamesLink(put.error(), d.root / "flink");
  }
  for (const std::string dir : {"sub", "sub/x", "a/deep/x/y"}) {
    CAPTURE(dir);
    auto st = r.Mkdir(Context{}, dir);
    CHECK_FALSE(st.has_value());
    if (!st) CHECK(st.error().message().find("is a symbolic link") != std::string::npos);
  }
  CHECK_FALSE(r.Delete(Context{}, "sub/g.txt").has_value());
  CHECK_FALSE(r.Rmdir(Context{}, "sub/d").has_value());
  CHECK_FALSE(r.Purge(Context{}, "sub").has_value());
  CHECK_FALSE(r.SetModTime(Context{}, "sub/g.txt", TimePoint(std::chrono::seconds(1000))));
  CHECK_FALSE(r.Copy(Context{}, r, "real.txt", "sub/c.txt").has_value());
  CHECK_FALSE(r.Move(Context{}, r, "real2.txt", "sub/m.txt").has_value());
  CHECK(fs::exists(d.root / "real2.txt"));
  // In a batch, the failure comes from the put or from the batch, never a file outside.
  r.StartBatch([](const std::string&, const Error&) {});
  CHECK_FALSE(Put(r, "sub/batched.txt", "data").has_value());
  (void)r.FinishBatch(Context{});

  CHECK(Tree(d.outside) == d.outside_tree);
  CHECK(Slurp(d.outside / "g.txt") == "outside data");
  CHECK(MtimeNs(d.outside / "g.txt") == g_mtime);
  CHECK(fs::is_symlink(d.root / "sub"));
  CHECK(fs::is_symlink(d.root / "a" / "deep"));
  CHECK(fs::is_symlink(d.root / "flink"));
}

TEST_CASE("local: writes never go through a symlink below the root") {
  LinkedDestination d;
  auto r = NewLocalRemote(d.root.string());
  REQUIRE(r.has_value());
  CheckNoWriteThroughLinks(**r, d);
}

TEST_CASE("local: writes never go through a symlink below the root (named temporaries)") {
  local::UseUnnamedTemporaries(false);
  LinkedDestination d;
  auto r = NewLocalRemote(d.root.string());
  REQUIRE(r.has_value());
  CheckNoWriteThroughLinks(**r, d);
  local::UseUnnamedTemporaries(true);
}

TEST_CASE("local: writes never go through a symlink below the root (walk without openat2)") {
  local::UseOpenat2(false);
  LinkedDestination d;
  auto r = NewLocalRemote(d.root.string());
  REQUIRE(r.has_value());
  CheckNoWriteThroughLinks(**r, d);
  REQUIRE(Put(**r, "new/deeper/f.txt", "walked").has_value());  // creates folders on the way
  CHECK(Slurp(d.root / "new" / "deeper" / "f.txt") == "walked");
  local::UseOpenat2(true);
}

TEST_CASE("local: reads treat a symlink below the root as missing") {
  LinkedDestination d;
  auto r = NewLocalRemote(d.root.string());
  REQUIRE(r.has_value());
  Remote& remote = **r;
  CHECK(remote.Stat(Context{}, "sub/g.txt").error().code() == ErrorCode::kNotFound);
  CHECK(remote.Open(Context{}, "sub/g.txt").error().code() == ErrorCode::kNotFound);
  CHECK(remote.Stat(Context{}, "flink").error().code() == ErrorCode::kNotFound);
  auto sub = remote.List(Context{}, "sub");
  REQUIRE_FALSE(sub.has_value());
  CHECK(sub.error().code() == ErrorCode::kDirNotFound);
  auto top = remote.List(Context{}, "");
  REQUIRE(top.has_value());
  std::set<std::string> names;
  for (const ObjectInfo& o : *top) names.insert(o.path);
  CHECK(names == std::set<std::string>{"a", "real.txt", "real2.txt"});
}

// The folder a temporary was created in is the folder it is published in, whatever is put in
// that folder's place meanwhile.
TEST_CASE("local: a temporary lands in the folder it was created in, not through a new link") {
  for (const bool unnamed : {true, false}) {
    CAPTURE(unnamed);
    local::UseUnnamedTemporaries(unnamed);
    test::TempDir dir;
    const fs::path root(dir.path());
    REQUIRE(dir.MakeDir("a"));
    REQUIRE(dir.MakeDir("outside"));
    local::Fd folder(::open((root / "a").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(folder.valid());
    auto tmp = local::TempFile::Create(std::make_shared<const local::Fd>(std::move(folder)),
                                       "f.txt", (root / "a" / "f.txt").string());
    REQUIRE(tmp.has_value());
    REQUIRE(local::WriteAll(tmp->fd(), "data", 4, tmp->path()).has_value());
    fs::rename(root / "a", root / "moved");
    fs::create_directory_symlink("outside", root / "a");
    REQUIRE(tmp->Commit(nullptr, false).has_value());
    CHECK(Slurp(root / "moved" / "f.txt") == "data");
    CHECK(Tree(root / "outside").empty());
  }
  local::UseUnnamedTemporaries(true);
}

std::unique_ptr<Remote> OpenWith(const fs::path& root, const LocalOptions& options) {
  auto r = NewLocalRemote(root.string(), "", options);
  REQUIRE(r.has_value());
  return std::move(r).value();
}

TEST_CASE("local: with copy_links (-L) reads and writes follow links") {
  LinkedDestination d;
  auto r = OpenWith(d.root, LocalOptions{.copy_links = true});
  REQUIRE(Put(*r, "sub/f.txt", "through").has_value());
  CHECK(Slurp(d.outside / "f.txt") == "through");
  REQUIRE(r->Mkdir(Context{}, "a/deep/made").has_value());
  CHECK(fs::is_directory(d.outside / "made"));
  auto st = r->Stat(Context{}, "sub/g.txt");
  REQUIRE(st.has_value());
  CHECK(st->size == 12);
  // A write onto a link goes to its target; the link stays.
  REQUIRE(Put(*r, "flink", "new content").has_value());
  CHECK(fs::is_symlink(d.root / "flink"));
  CHECK(Slurp(d.outside / "g.txt") == "new content");
  auto flink = r->Stat(Context{}, "flink");
  REQUIRE(flink.has_value());
  CHECK(flink->size == 11);
  auto listed = r->List(Context{}, "");
  REQUIRE(listed.has_value());
  std::set<std::string> names;
  for (const ObjectInfo& o : *listed) names.insert(o.path + (o.is_dir ? "/" : ""));
  CHECK(names == std::set<std::string>{"a/", "sub/", "flink", "real.txt", "real2.txt"});
  // A link leading nowhere makes the listing fail, naming it, rather than leave a file out.
  fs::create_symlink("nowhere", d.root / "a" / "dangling");
  auto broken = r->List(Context{}, "a");
  REQUIRE_FALSE(broken.has_value());
  CHECK(broken.error().message().find("a/dangling: broken symbolic link") != std::string::npos);
}

TEST_CASE("local: with links (-l) a link is a .rclonelink file holding its target") {
  LinkedDestination d;
  auto r = OpenWith(d.root, LocalOptions{.links = true});
  const Context ctx;
  auto listed = r->List(ctx, "");
  REQUIRE(listed.has_value());
  std::map<std::string, int64_t> sizes;
  for (const ObjectInfo& o : *listed) {
    if (!o.is_dir) sizes[o.path] = o.size;
  }
  CHECK(sizes ==
        std::map<std::string, int64_t>{
            {"flink.rclonelink", 16}, {"sub.rclonelink", 10}, {"real.txt", 4}, {"real2.txt", 5}});
  auto content = r->Open(ctx, "flink.rclonelink");
  REQUIRE(content.has_value());
  CHECK(ReadAll(**content).value() == "../outside/g.txt");
  auto part = r->Open(ctx, "flink.rclonelink", 3, 7);
  REQUIRE(part.has_value());
  CHECK(ReadAll(**part).value() == "outside");
  CHECK(r->Stat(ctx, "flink").error().code() == ErrorCode::kNotFound);

  // Putting a .rclonelink makes the link, atomically replacing a file or link there.
  const TimePoint mtime(std::chrono::seconds(1'600'000'000) + std::chrono::nanoseconds(5));
  MemoryReader target("real.txt");
  PutOptions opts{.size = 8, .mtime = mtime};
  auto put = r->Put(ctx, "made.rclonelink", target, opts);
  REQUIRE(put.has_value());
  CHECK(put->size == 8);
  CHECK(fs::read_symlink(d.root / "made") == "real.txt");
  auto made = r->Stat(ctx, "made.rclonelink");
  REQUIRE(made.has_value());
  CHECK(made->mtime == mtime);
  MemoryReader again("real2.txt");
  REQUIRE(r->Put(ctx, "made.rclonelink", again, PutOptions{.size = 9}).has_value());
  CHECK(fs::read_symlink(d.root / "made") == "real2.txt");
  REQUIRE(r->SetModTime(ctx, "made.rclonelink", mtime).has_value());
  CHECK(r->Stat(ctx, "made.rclonelink")->mtime == mtime);
  CHECK(Slurp(d.root / "real2.txt") == "real2");  // the link's target kept its own
  REQUIRE(r->Delete(ctx, "made.rclonelink").has_value());
  CHECK_FALSE(fs::exists(fs::symlink_status(d.root / "made")));
  CHECK(fs::exists(d.root / "real2.txt"));
  // A regular file where a link is replaces the link (the listing showed it as NAME.rclonelink).
  REQUIRE(Put(*r, "flink", "now a file").has_value());
  CHECK_FALSE(fs::is_symlink(d.root / "flink"));
  CHECK(Slurp(d.outside / "g.txt") == "outside data");
  // Not a target: empty, or holding a NUL.
  MemoryReader empty("");
  CHECK(r->Put(ctx, "bad.rclonelink", empty, PutOptions{.size = 0}).error().code() ==
        ErrorCode::kInvalidArgument);
  // Writes still never go through the folder link.
  CHECK(Put(*r, "sub/f.txt", "x").error().code() == ErrorCode::kNotDir);
  CHECK(Tree(d.outside) == d.outside_tree);

  auto both = NewLocalRemote(d.root.string(), "", LocalOptions{.copy_links = true, .links = true});
  REQUIRE_FALSE(both.has_value());
  CHECK(both.error().message().find("can't use -l/--links with -L/--copy-links") !=
        std::string::npos);
}

TEST_CASE("local: with one_file_system (-x) listings leave out folders on another filesystem") {
  // /proc is always another filesystem than a temporary folder; reached through a link that
  // -L follows, as a mount point inside the tree would be.
  test::TempDir dir;
  const fs::path root = fs::path(dir.path()) / "root";
  REQUIRE(dir.MakeDir("root/same"));
  fs::create_directory_symlink("/proc/self", root / "proc");
  auto names = [&](const LocalOptions& options) {
    auto listed = OpenWith(root, options)->List(Context{}, "");
    REQUIRE(listed.has_value());
    std::set<std::string> out;
    for (const ObjectInfo& o : *listed) out.insert(o.path);
    return out;
  };
  CHECK(names(LocalOptions{.copy_links = true}) == std::set<std::string>{"proc", "same"});
  CHECK(names(LocalOptions{.copy_links = true, .one_file_system = true}) ==
        std::set<std::string>{"same"});
  CHECK(names(LocalOptions{.one_file_system = true}) == std::set<std::string>{"same"});
}

// The options change nothing for a tree without links.
TEST_CASE("local: conformance with each link option") {
  for (const LocalOptions& options : {LocalOptions{.copy_links = true}, LocalOptions{.links = true},
                                      LocalOptions{.skip_links = true, .one_file_system = true}}) {
    test::TempDir dir;
    int n = 0;
    RunConformanceSuite({.name = "local-links", .make_empty_remote = [&] {
                           return OpenWith(fs::path(dir.path()) / std::to_string(n++), options);
                         }});
  }
}

TEST_CASE("local: a root that is itself a symlink is followed") {
  test::TempDir dir;
  REQUIRE(dir.MakeDir("real"));
  fs::create_directory_symlink("real", fs::path(dir.path()) / "link");
  auto r = NewLocalRemote(dir.Path("link"));
  REQUIRE(r.has_value());
  REQUIRE(Put(**r, "a/f.txt", "x").has_value());
  REQUIRE((*r)->Mkdir(Context{}, "b").has_value());
  CHECK(Slurp(fs::path(dir.path()) / "real" / "a" / "f.txt") == "x");
  CHECK(fs::is_directory(fs::path(dir.path()) / "real" / "b"));
  CHECK(fs::is_symlink(fs::path(dir.path()) / "link"));
}

}  // namespace
}  // namespace cvclone
