#include "core/remote.hpp"

#include <algorithm>
#include <cctype>

#include "core/io.hpp"

namespace cvclone {

const char* HashName(HashType type) {
  switch (type) {
    case HashType::kMd5: return "md5";
    case HashType::kSha1: return "sha1";
    case HashType::kSha256: return "sha256";
    case HashType::kNone: break;
  }
  return "none";
}

HashType HashSet::First() const {
  if (Has(HashType::kMd5)) return HashType::kMd5;
  if (Has(HashType::kSha1)) return HashType::kSha1;
  if (Has(HashType::kSha256)) return HashType::kSha256;
  return HashType::kNone;
}

HashType ParseHashName(const std::string& name) {
  std::string lower;
  for (char c : name) {
    if (c != '-') lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (HashType t : {HashType::kMd5, HashType::kSha1, HashType::kSha256}) {
    if (lower == HashName(t)) return t;
  }
  return HashType::kNone;
}

Features WrapFeatures(const Features& own, const Features& inner) {
  Features f;
  f.server_side_copy = own.server_side_copy && inner.server_side_copy;
  f.server_side_move = own.server_side_move && inner.server_side_move;
  f.purge = own.purge && inner.purge;
  f.set_modtime = own.set_modtime && inner.set_modtime;
  f.empty_dirs = own.empty_dirs && inner.empty_dirs;
  f.hashes = own.hashes.Intersect(inner.hashes);
  f.mtime_precision = std::max(own.mtime_precision, inner.mtime_precision);
  f.slow_hash = !f.hashes.Empty() && (own.slow_hash || inner.slow_hash);
  f.public_link = own.public_link && inner.public_link;
  f.network = own.network || inner.network;
  f.local_disk = own.local_disk && inner.local_disk;
  f.verifies_puts = own.verifies_puts && inner.verifies_puts;
  f.batch_commit = own.batch_commit && inner.batch_commit;
  f.cleanup = own.cleanup && inner.cleanup;
  f.listed_mtime_is_upload_time =
      own.listed_mtime_is_upload_time || inner.listed_mtime_is_upload_time;
  f.read_only = own.read_only || inner.read_only;
  return f;
}

static Unexpected<Error> NotOffered(const Remote& r, const char* what) {
  return MakeError(ErrorCode::kUnsupported, r.Name() + ": " + what + " is not supported");
}

Status Remote::Purge(const Context&, const std::string&) { return NotOffered(*this, "purge"); }
Result<ObjectInfo> Remote::Copy(const Context&, Remote&, const std::string&, const std::string&) {
  return NotOffered(*this, "server-side copy");
}
Result<ObjectInfo> Remote::Move(const Context&, Remote&, const std::string&, const std::string&) {
  return NotOffered(*this, "server-side move");
}
Result<std::string> Remote::PublicLink(const Context&, const std::string&, std::chrono::seconds) {
  return NotOffered(*this, "public links");
}
Status Remote::Cleanup(const Context&, const std::string&, std::chrono::seconds, bool) {
  return NotOffered(*this, "cleanup");
}
namespace {

// Remote::OpenRandom's default: a ranged stream per read.
class RangedRandomReader : public RandomReader {
 public:
  RangedRandomReader(Remote& remote, const Context& ctx, std::string path)
      : remote_(remote), ctx_(ctx), path_(std::move(path)) {}
  Result<size_t> ReadAt(std::span<std::byte> buf, int64_t offset) override {
    if (buf.empty()) return size_t{0};
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> r,
                         remote_.Open(ctx_, path_, offset, static_cast<int64_t>(buf.size())));
    return ReadFull(ctx_, *r, buf);
  }

 private:
  Remote& remote_;
  Context ctx_;
  std::string path_;
};

}  // namespace

Result<std::unique_ptr<RandomReader>> Remote::OpenRandom(const Context& ctx,
                                                         const std::string& path) {
  return std::unique_ptr<RandomReader>(std::make_unique<RangedRandomReader>(*this, ctx, path));
}
void Remote::StartBatch(BatchFailure) {}
Status Remote::FinishBatch(const Context&) { return Ok(); }
Status Remote::SetModTime(const Context&, const std::string&, TimePoint) {
  return NotOffered(*this, "setting modification times");
}
Result<std::string> Remote::Hash(const Context&, const std::string&, HashType type) {
  return NotOffered(*this, (std::string("hash ") + HashName(type)).c_str());
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (name.empty()) return dir;
  return dir + "/" + name;
}

std::string ParentPath(const std::string& path) {
  auto pos = path.rfind('/');
  return pos == std::string::npos ? std::string() : path.substr(0, pos);
}

std::string BaseName(const std::string& path) {
  auto pos = path.rfind('/');
  return pos == std::string::npos ? path : path.substr(pos + 1);
}

bool IsValidUtf8(const std::string& s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += len;
  }
  return true;
}

Status ValidatePath(const std::string& path) {
  auto bad = [&](const char* why) {
    std::string shown;
    for (char c : path) shown += (c == '\0') ? std::string("\\0") : std::string(1, c);
    return MakeError(ErrorCode::kInvalidArgument,
                     "invalid object name \"" + shown + "\": " + why);
  };
  if (path.empty()) return Ok();
  if (path.find('\0') != std::string::npos) return bad("contains a NUL byte");
  if (!IsValidUtf8(path)) return bad("not valid UTF-8");
  if (path.front() == '/') return bad("absolute path");
  if (path.back() == '/') return bad("trailing '/'");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view seg(path.data() + start, end - start);
    if (seg.empty()) return bad("empty path segment");
    if (seg == "." || seg == "..") return bad("'.' or '..' path segment");
    start = end + 1;
  }
  return Ok();
}

std::optional<TimePoint> TimeFromUnix(int64_t seconds, int64_t nanos) {
  // Seconds and nanoseconds of the same sign, so that a time at either end of the range does
  // not overflow on the way (1677-09-21T00:12:43.145224192Z is -9223372037 s + 145224192 ns).
  constexpr int64_t kSecond = 1'000'000'000;
  if (seconds < 0 && nanos > 0 && nanos < kSecond) {
    ++seconds;
    nanos -= kSecond;
  } else if (seconds > 0 && nanos < 0 && nanos > -kSecond) {
    --seconds;
    nanos += kSecond;
  }
  int64_t total = 0;
  if (__builtin_mul_overflow(seconds, kSecond, &total) ||
      __builtin_add_overflow(total, nanos, &total)) {
    return std::nullopt;
  }
  return TimePoint(std::chrono::nanoseconds(total));
}

}  // namespace cvclone
