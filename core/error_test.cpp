#include "core/error.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

namespace cvclone {
namespace {

// The CLI's exit code comes from the error's code and retry class alone (rclone's
// resolveExitCode), never from its message: the same message under another code exits as that
// code says.
TEST_CASE("error: exit codes come from the code and retry class, as rclone's") {
  const std::string text = "3 differences found";
  CHECK(ExitCodeFor(Error(ErrorCode::kMaxTransfer, "x", RetryClass::kFatal)) == 8);
  CHECK(ExitCodeFor(Error(ErrorCode::kMaxDuration, "x", RetryClass::kFatal)) == 7);
  CHECK(ExitCodeFor(Error(ErrorCode::kNoTransfer, "x")) == 9);
  CHECK(ExitCodeFor(Error(ErrorCode::kDifferences, text)) == 1);
  CHECK(ExitCodeFor(Error(ErrorCode::kCorrupt, text)) == 6);
  CHECK(ExitCodeFor(Error(ErrorCode::kNoAnswer, "x", RetryClass::kFatal)) == 1);
  CHECK(ExitCodeFor(Error(ErrorCode::kQuit, "x", RetryClass::kFatal)) == 0);
  CHECK(ExitCodeFor(Error(ErrorCode::kUnknownRemote, "x")) == 1);
  CHECK(ExitCodeFor(Error(ErrorCode::kConfig, "remote \"a\" not found in config file f")) == 6);
  CHECK(ExitCodeFor(Error(ErrorCode::kUsage, "x")) == 1);
  CHECK(ExitCodeFor(Error(ErrorCode::kNotFound, "x")) == 4);
  CHECK(ExitCodeFor(Error(ErrorCode::kDirNotFound, "x")) == 3);
  CHECK(ExitCodeFor(Error(ErrorCode::kNetwork, "x", RetryClass::kRetryable)) == 5);
  CHECK(ExitCodeFor(Error(ErrorCode::kIo, "x", RetryClass::kFatal)) == 7);
  CHECK(ExitCodeFor(Error(ErrorCode::kIo, "x")) == 1);
}

TEST_CASE("error: every code has a name of its own") {
  std::set<std::string> names;
  for (int c = 0; c <= static_cast<int>(ErrorCode::kUnknownRemote); ++c) {
    const std::string name = ErrorCodeName(static_cast<ErrorCode>(c));
    CAPTURE(c);
    CHECK(name != "unknown");
    CHECK(names.insert(name).second);
  }
}

}  // namespace
}  // namespace cvclone
