// The local backend and names holding control characters (issue #13 item 8): it does not create
// a file or folder whose name (inside its root) holds one unless LocalOptions allows it; it still
// reads, lists, stats and deletes such files where they already exist.
#include <doctest/doctest.h>

#include <string>

#include "backends/local/local.hpp"
#include "core/io.hpp"
#include "tests/support/temp_dir.hpp"

namespace cvclone {
namespace {

constexpr char kEsc[] = "red\x1b[31m.txt";

std::unique_ptr<Remote> Open(const std::string& root, bool allow) {
  auto r = NewLocalRemote(root, "", LocalOptions{.allow_control_characters = allow});
  REQUIRE(r.has_value());
  return std::move(r).value();
}

Result<ObjectInfo> PutText(Remote& r, const std::string& path, const std::string& data) {
  MemoryReader reader(data);
  PutOptions opts;
  opts.size = static_cast<int64_t>(data.size());
  return r.Put(Context{}, path, reader, opts);
}

TEST_CASE("local: names with control characters are not created unless allowed") {
  test::TempDir dir;
  auto remote = Open(dir.Path("dst"), false);
  const Context ctx;
  // C0 (ESC, tab, newline), DEL and a C1 control (U+009B, a one-character CSI) are refused, in
  // the file's name or in a folder above it.
  for (const std::string& name :
       {std::string(kEsc), std::string("tab\there"), std::string("nl\n"), std::string("del\x7f"),
        std::string("csi\xc2\x9bK"), std::string("dir\x1b/file.txt")}) {
    CAPTURE(name);
    auto put = PutText(*remote, name, "x");
    REQUIRE_FALSE(put.has_value());
    CHECK(put.error().code() == ErrorCode::kInvalidArgument);
    CHECK_FALSE(put.error().retryable());
    CHECK(put.error().message().find("allow_control_characters") != std::string::npos);
    CHECK(put.error().message().find('\x1b') == std::string::npos);  // the name shown escaped
    CHECK_FALSE(dir.Exists("dst/" + name));
  }
  CHECK_FALSE(dir.Exists("dst/dir\x1b"));
  auto mk = remote->Mkdir(ctx, "sub/dir\x1b");
  REQUIRE_FALSE(mk.has_value());
  CHECK(mk.error().code() == ErrorCode::kInvalidArgument);
  CHECK_FALSE(dir.Exists("dst/sub"));

  // Server-side copy and move into such a name, from a local remote holding a plain file.
  REQUIRE(dir.WriteFile("src/plain.txt", "plain"));
  auto src = Open(dir.Path("src"), false);
  auto copy = remote->Copy(ctx, *src, "plain.txt", kEsc);
  REQUIRE_FALSE(copy.has_value());
  CHECK(copy.error().code() == ErrorCode::kInvalidArgument);
  auto move = remote->Move(ctx, *src, "plain.txt", kEsc);
  REQUIRE_FALSE(move.has_value());
  CHECK(move.error().code() == ErrorCode::kInvalidArgument);
  CHECK(dir.ReadFile("src/plain.txt") == "plain");
  CHECK_FALSE(dir.Exists(std::string("dst/") + kEsc));

  // Names that are merely unusual are created: printable UTF-8, a backslash, U+00A0.
  for (const std::string& name : {std::string("caf\xc3\xa9 \xe2\x82\xac.txt"),
                                  std::string("back\\slash"), std::string("nb\xc2\xa0sp")}) {
    CAPTURE(name);
    CHECK(PutText(*remote, name, "ok").has_value());
    CHECK(dir.ReadFile("dst/" + name) == "ok");
  }
}

TEST_CASE("local: existing names with control characters are listed, read and deleted") {
  test::TempDir dir;
  REQUIRE(dir.WriteFile(std::string("d/") + kEsc, "red"));
  auto remote = Open(dir.Path("d"), false);
  const Context ctx;
  auto list = remote->List(ctx, "");
  REQUIRE(list.has_value());
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].path == kEsc);
  CHECK(remote->Stat(ctx, kEsc).has_value());
  auto reader = remote->Open(ctx, kEsc, 0, -1);
  REQUIRE(reader.has_value());
  CHECK(remote->SetModTime(ctx, kEsc, TimePoint(std::chrono::seconds(1000000000))).has_value());
  CHECK(remote->Delete(ctx, kEsc).has_value());
  CHECK_FALSE(dir.Exists(std::string("d/") + kEsc));
}

TEST_CASE("local: allow_control_characters creates such names as they are") {
  test::TempDir dir;
  auto remote = Open(dir.Path("dst"), true);
  const Context ctx;
  REQUIRE(PutText(*remote, std::string("dir\x1b/") + kEsc, "red").has_value());
  CHECK(dir.ReadFile(std::string("dst/dir\x1b/") + kEsc) == "red");
  CHECK(remote->Mkdir(ctx, "tab\tdir").has_value());
  CHECK(dir.Exists("dst/tab\tdir"));
  REQUIRE(dir.WriteFile("src/plain.txt", "plain"));
  auto src = Open(dir.Path("src"), true);
  CHECK(remote->Copy(ctx, *src, "plain.txt", "copy\x7f").has_value());
  CHECK(remote->Move(ctx, *src, "plain.txt", "move\n").has_value());
  CHECK(dir.ReadFile("dst/copy\x7f") == "plain");
  CHECK(dir.ReadFile("dst/move\n") == "plain");
}

}  // namespace
}  // namespace cvclone
