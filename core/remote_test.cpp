#include "core/remote.hpp"

#include <doctest/doctest.h>

namespace cvclone {
namespace {

TEST_CASE("remote: WrapFeatures advertises a capability only if both sides have it") {
  Features own;
  own.server_side_copy = true;
  own.purge = true;
  own.hashes = HashSet{HashType::kMd5};
  own.slow_hash = false;
  Features inner;
  inner.server_side_copy = true;
  inner.server_side_move = true;
  inner.public_link = true;
  inner.hashes = HashSet{HashType::kMd5, HashType::kSha1};
  inner.slow_hash = true;
  inner.empty_dirs = false;
  inner.network = true;
  inner.listed_mtime_is_upload_time = true;
  inner.mtime_precision = std::chrono::seconds(1);
  inner.read_only = true;

  const Features f = WrapFeatures(own, inner);
  CHECK(f.server_side_copy);
  CHECK_FALSE(f.server_side_move);  // the inner remote can, the wrapper does not pass it on
  CHECK_FALSE(f.purge);             // the wrapper would, the inner remote cannot
  CHECK_FALSE(f.public_link);
  CHECK(f.hashes.Has(HashType::kMd5));
  CHECK_FALSE(f.hashes.Has(HashType::kSha1));
  CHECK(f.slow_hash);  // md5 is still computed by reading, below
  // The storage's properties come from below.
  CHECK_FALSE(f.empty_dirs);
  CHECK(f.network);
  CHECK(f.listed_mtime_is_upload_time);
  CHECK(f.mtime_precision == std::chrono::seconds(1));
  CHECK(f.read_only);

  // No hash left: no slow hash either.
  own.hashes = HashSet();
  CHECK_FALSE(WrapFeatures(own, inner).slow_hash);
}

}  // namespace
}  // namespace cvclone
