#include <algorithm>
#include <charconv>
#include <cstring>

#include "backends/s3/s3_remote_impl.hpp"
#include "core/io.hpp"
#include "core/log.hpp"

namespace cvclone::s3::impl {

namespace {
constexpr size_t kDownloadQueueBytes = size_t{4} << 20;
// Objects listed at up to this size are read with one buffered GET (OpenListed).
constexpr int64_t kBufferedGetMax = int64_t{1} << 20;

// Metadata that InfoFromHeaders ignores because it cannot be read (a time a TimePoint cannot
// hold, an MD5 that is not base64 of 16 bytes) is said once per HEAD: the object stays usable
// (Last-Modified stands in for the mtime; it has no MD5 then), and the user learns why.
void NoticeIgnoredMetadata(const std::string& object, const HttpHeaders& h) {
  constexpr size_t kShown = 64;
  if (auto mtime = h.Get("x-amz-meta-mtime")) {
    if (auto t = ParseMtime(*mtime); !t) {
      log::Notice("s3: {}: ignoring x-amz-meta-mtime: {}", object,
                  t.error().message().substr(0, 2 * kShown));
    }
  }
  const std::string etag = StripQuotes(h.Get("ETag").value_or(""));
  if (auto sum = h.Get("x-amz-meta-md5chksum");
      sum && !IsMd5Hex(etag) && Base64Decode(*sum).size() != 16) {
    log::Notice("s3: {}: ignoring x-amz-meta-md5chksum \"{}\": not the base64 of an MD5", object,
                sum->substr(0, kShown));
  }
}
}  // namespace

Result<ObjectInfo> S3Remote::HeadObject(const Context& ctx, const Location& loc,
                                        const std::string& path, HttpHeaders* headers_out) {
  CVC_ASSIGN_OR_RETURN(HttpResponse resp, Send(ctx, Call{.op = "HEAD",
                                                         .method = "HEAD",
                                                         .bucket = loc.bucket,
                                                         .key = loc.key,
                                                         .accept = {404}}));
  if (resp.status == 404) {
    CVC_RETURN_IF_ERROR(NotFoundOrIsDir(ctx, loc, path));
  }
  NoticeIgnoredMetadata(loc.bucket + "/" + loc.key, resp.headers);
  ObjectInfo info = InfoFromHeaders(path, resp.headers);
  if (headers_out != nullptr) *headers_out = resp.headers;
  return info;
}

ObjectInfo InfoFromHeaders(const std::string& path, const HttpHeaders& h) {
  ObjectInfo info{.path = path};
  const std::string length = h.Get("Content-Length").value_or("");
  if (std::from_chars(length.data(), length.data() + length.size(), info.size).ec != std::errc() ||
      info.size < 0) {
    info.size = -1;
  }
  // A missing or malformed Last-Modified: the epoch.
  info.mtime = ParseHttpDate(h.Get("Last-Modified").value_or("")).value_or(TimePoint{});
  if (auto m = h.Get("x-amz-meta-mtime")) {
    if (auto t = ParseMtime(*m)) info.mtime = *t;
  }
  const std::string etag = StripQuotes(h.Get("ETag").value_or(""));
  info.version = etag;
  // HEAD names a class only when it is not STANDARD.
  info.tier = h.Get("x-amz-storage-class").value_or("STANDARD");
  if (IsMd5Hex(etag)) {
    info.hashes[HashType::kMd5] = etag;
  } else if (auto sum = h.Get("x-amz-meta-md5chksum")) {
    const std::string raw = Base64Decode(*sum);
    if (raw.size() == 16) info.hashes[HashType::kMd5] = ToHex(raw);
  }
  return info;
}

Result<bool> S3Remote::PrefixHasKeys(const Context& ctx, const std::string& bucket,
                                     const std::string& prefix) {
  bool any = false;
  CVC_RETURN_IF_ERROR(
      ListPages(ctx, Location{bucket, prefix}, true, true, [&](const ListResult& r) -> Status {
        any = !r.contents.empty() || !r.common_prefixes.empty();
        return Ok();
      }));
  return any;
}

// After a 404 on an object: kIsDir if keys exist under "key/", else kNotFound.
Status S3Remote::NotFoundOrIsDir(const Context& ctx, const Location& loc, const std::string& path) {
  auto is_dir = PrefixHasKeys(ctx, loc.bucket, loc.key);
  if (is_dir && *is_dir) {
    return MakeError(ErrorCode::kIsDir, "s3: " + display_ + ": " + path + " is a directory");
  }
  if (!is_dir && is_dir.error().code() != ErrorCode::kDirNotFound) {
    return Propagate(is_dir.error());
  }
  return MakeError(ErrorCode::kNotFound, "s3: " + loc.bucket + "/" + loc.key + ": not found");
}

Result<ObjectInfo> S3Remote::Stat(const Context& ctx, const std::string& path) {
  CVC_ASSIGN_OR_RETURN(Location loc, Locate(path));
  if (loc.key.empty()) {
    if (!loc.bucket.empty()) {
      CVC_ASSIGN_OR_RETURN(
          HttpResponse r,
          Send(ctx,
               Call{.op = "HeadBucket", .method = "HEAD", .bucket = loc.bucket, .accept = {404}}));
      if (r.status == 404) return MakeError(ErrorCode::kNotFound, "s3: bucket not found: " + path);
    }
    return MakeError(ErrorCode::kIsDir, "s3: " + display_ + ": " + path + " is a directory");
  }
  return HeadObject(ctx, loc, path);
}

Result<std::unique_ptr<Reader>> S3Remote::Open(const Context& ctx, const std::string& path,
                                               int64_t offset, int64_t count) {
  CVC_ASSIGN_OR_RETURN(Location loc, Locate(path));
  if (loc.key.empty()) {
    return MakeError(ErrorCode::kIsDir, "s3: " + display_ + ": " + path + " is a directory");
  }
  if (count == 0) {  // nothing to read; a Range cannot say so, but the object must exist
    CVC_RETURN_IF_ERROR(HeadObject(ctx, loc, path));
    return std::unique_ptr<Reader>(std::make_unique<MemoryReader>(std::string()));
  }
  auto reader = std::make_unique<DownloadReader>(*this, loc.bucket, loc.key,
                                                 std::max<int64_t>(offset, 0), count, ctx);
  if (Status st = reader->Start(); !st) {
    if (st.error().code() == ErrorCode::kNotFound) {
      CVC_RETURN_IF_ERROR(NotFoundOrIsDir(ctx, loc, path));
    }
    return Propagate(st.error());
  }
  return std::unique_ptr<Reader>(std::move(reader));
}

namespace {

// A whole object read in one buffered GET, with the info of its response headers.
class BufferedObjectReader : public MemoryReader {
 public:
  BufferedObjectReader(std::string body, ObjectInfo info)
      : MemoryReader(std::move(body)), info_(std::move(info)) {}
  const ObjectInfo* OpenedInfo() const override { return &info_; }

 private:
  ObjectInfo info_;
};

}  // namespace

Result<std::unique_ptr<Reader>> S3Remote::OpenListed(const Context& ctx,
                                                     const ObjectInfo& listed) {
  // A small object costs a thread start and hand-offs when streamed; one buffered GET reads it
  // with the same single request. Should it have grown since the listing, the body is still
  // collected whole (up to HttpRequest's cap).
  if (listed.size < 0 || listed.size > kBufferedGetMax) return Open(ctx, listed.path, 0, -1);
  CVC_ASSIGN_OR_RETURN(Location loc, Locate(listed.path));
  if (loc.key.empty()) return Open(ctx, listed.path, 0, -1);
  auto r = Send(ctx, Call{.op = "GET", .bucket = loc.bucket, .key = loc.key});
  if (!r) {
    if (r.error().code() == ErrorCode::kNotFound) {
      CVC_RETURN_IF_ERROR(NotFoundOrIsDir(ctx, loc, listed.path));
    }
    return Propagate(r.error());
  }
  ObjectInfo info = InfoFromHeaders("", r->headers);
  return std::unique_ptr<Reader>(
      std::make_unique<BufferedObjectReader>(std::move(r->body), std::move(info)));
}

Status S3Remote::Delete(const Context& ctx, const std::string& path) {
  CVC_ASSIGN_OR_RETURN(Location loc, Locate(path));
  if (loc.key.empty()) {
    return MakeError(ErrorCode::kIsDir, "s3: " + display_ + ": " + path + " is a directory");
  }
  // S3's DELETE succeeds on a missing key; the contract wants kNotFound / kIsDir.
  CVC_RETURN_IF_ERROR(HeadObject(ctx, loc, path));
  CVC_RETURN_IF_ERROR(
      Send(ctx, Call{.op = "DELETE", .method = "DELETE", .bucket = loc.bucket, .key = loc.key}));
  return Ok();
}

Result<std::string> S3Remote::Hash(const Context& ctx, const std::string& path, HashType type) {
  if (type != HashType::kMd5) {
    return MakeError(ErrorCode::kUnsupported, "s3: only md5 hashes are supported");
  }
  CVC_ASSIGN_OR_RETURN(ObjectInfo info, Stat(ctx, path));
  auto it = info.hashes.find(HashType::kMd5);
  return it == info.hashes.end() ? std::string() : it->second;
}

// ---- downloads ----

DownloadReader::DownloadReader(S3Remote& remote, std::string bucket, std::string key,
                               int64_t offset, int64_t count, const Context& ctx)
    : remote_(remote),
      bucket_(std::move(bucket)),
      key_(std::move(key)),
      next_(offset),
      end_(count < 0 ? -1 : offset + count) {
  ctx_.deadline = ctx.deadline;
  ctx_.stop = stop_.get_token();
  link_.emplace(ctx.stop, [this] { stop_.request_stop(); });
}

DownloadReader::~DownloadReader() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
  stop_.request_stop();
  if (thread_.joinable()) thread_.join();
}

Status DownloadReader::Start() {
  thread_ = std::jthread([this] { Produce(); });
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return started_ || done_ || error_.has_value(); });
  if (error_ && chunks_.empty()) return Unexpected<Error>(*error_);
  return Ok();
}

Status DownloadReader::Push(std::span<const std::byte> data) {
  std::unique_lock lock(mu_);
  started_ = true;
  // Re-checked after every wait: Read may have come to wait with a buffer meanwhile, and must
  // then get these bytes before any later ones.
  while (!data.empty()) {
    if (closed_) return MakeError(ErrorCode::kCancelled, "download closed");
    if (want_ != nullptr) {
      // Read waits with a buffer (so nothing is queued): fill it directly, one copy and no
      // queue. Read returns once it is full or the transfer ends, so it is woken once per
      // buffer, not per piece.
      const size_t n = std::min(data.size(), want_->size() - got_);
      std::memcpy(want_->data() + got_, data.data(), n);
      got_ += n;
      next_ += static_cast<int64_t>(n);
      data = data.subspan(n);
      if (got_ == want_->size()) {
        want_ = nullptr;
        cv_.notify_all();
      }
    } else if (queued_ < kDownloadQueueBytes) {
      chunks_.emplace_back(reinterpret_cast<const char*>(data.data()), data.size());
      queued_ += data.size();
      next_ += static_cast<int64_t>(data.size());
      cv_.notify_all();
      break;
    } else {
      cv_.wait(lock);
    }
  }
  return Ok();
}

namespace {

// What one attempt of a ranged GET asked for, and what its answer may pass on. Lives on the
// producer thread; the curl callbacks run there.
struct RangeCheck {
  bool ranged = false;
  int64_t first = 0;   // the first byte asked for
  int64_t end = -1;    // one past the last byte asked for; -1: to the end of the object
  int64_t limit = -1;  // one past the last byte the answer may carry; -1: no limit
  int64_t passed = 0;  // bytes of this attempt passed on
  std::optional<Error> error;
};

// Checks the headers of a 2xx answer to the GET that check describes: a ranged request must get
// 206 with a Content-Range that starts where it asked and ends no later (a 200 is the whole
// object, not the range). Sets check.limit. Errors are kCorrupt, retryable (another attempt may
// meet a better-behaved server or proxy); the caller's context names the object.
Status CheckRangeAnswer(RangeCheck& check, const HttpHeaders& headers) {
  if (!check.ranged) return Ok();
  const std::string asked = "bytes=" + std::to_string(check.first) + "-" +
                            (check.end >= 0 ? std::to_string(check.end - 1) : "");
  auto bad = [&](const std::string& got) {
    return MakeError(ErrorCode::kCorrupt, "asked for the range " + asked + ", got " + got,
                     RetryClass::kRetryable);
  };
  if (headers.status() != 206) {
    return bad("status " + std::to_string(headers.status()) + ", not a partial answer");
  }
  const std::string header = headers.Get("Content-Range").value_or("");
  const std::string shown = "Content-Range \"" + header.substr(0, 100) + "\"";
  const std::optional<ContentRange> parsed = ParseContentRange(header);
  if (!parsed) return bad(shown);
  const ContentRange range = *parsed;
  const bool to_end = check.end < 0;
  if (range.first != check.first || (!to_end && range.last >= check.end) ||
      (to_end && range.total >= 0 && range.last != range.total - 1)) {
    return bad(shown);
  }
  check.limit = range.last + 1;
  return Ok();
}

}  // namespace

void DownloadReader::Produce() {
  Call call{.op = "GET", .bucket = bucket_, .key = key_, .accept = {416, 412}};
  RangeCheck check;
  const bool whole = next_ == 0 && end_ < 0;  // the headers then describe the whole object
  // Called for a 2xx answer before its first byte reaches the sink (HttpRequest::on_headers).
  call.on_headers = [this, whole, &check](const HttpHeaders& h) {
    if (Status st = CheckRangeAnswer(check, h); !st) check.error = st.error();
    std::lock_guard lock(mu_);
    if (etag_.empty()) etag_ = h.Get("ETag").value_or("");
    if (whole && !opened_) opened_ = InfoFromHeaders("", h);
  };
  call.sink = [this, &check](std::span<const std::byte> data) -> Status {
    if (check.error) return Unexpected<Error>(*check.error);
    // Never more than the answer's range, whatever its length said.
    if (check.limit >= 0 &&
        check.first + check.passed + static_cast<int64_t>(data.size()) > check.limit) {
      return MakeError(ErrorCode::kCorrupt, "the answer is longer than its Content-Range",
                       RetryClass::kRetryable);
    }
    check.passed += static_cast<int64_t>(data.size());
    return Push(data);
  };
  call.prepare = [this, &check](Call& c) {
    std::lock_guard lock(mu_);
    c.headers.clear();
    check = RangeCheck{};
    if (!etag_.empty()) c.headers.emplace_back("If-Match", etag_);
    if (next_ > 0 || end_ >= 0) {
      check.ranged = true;
      check.first = next_;
      check.end = end_;
      c.headers.emplace_back("Range", "bytes=" + std::to_string(next_) + "-" +
                                          (end_ >= 0 ? std::to_string(end_ - 1) : ""));
    }
  };
  auto r = remote_.Send(ctx_, std::move(call));
  std::lock_guard lock(mu_);
  if (whole && r && r->status >= 200 && r->status < 300 && !opened_) {
    opened_ = InfoFromHeaders("", r->headers);  // an empty body: no on_headers call
  }
  if (!r) {
    error_ = r.error();
  } else if (r->status == 412) {
    error_ = Error(ErrorCode::kCorrupt,
                   "s3: GET " + bucket_ + "/" + key_ + ": the object changed during the download",
                   RetryClass::kRetryable);
  } else if (r->status == 416 && started_) {
    error_ = Error(ErrorCode::kIo, "s3: GET " + bucket_ + "/" + key_ + ": object shrank");
  }
  done_ = true;  // 416 before any byte: the offset is at or past the end, an empty stream
  cv_.notify_all();
}

Result<size_t> DownloadReader::Read(std::span<std::byte> buf) {
  if (buf.empty()) return size_t{0};
  if (current_pos_ >= current_.size()) {
    std::unique_lock lock(mu_);
    if (chunks_.empty() && !done_) {
      // Nothing queued: let the producer write into buf itself.
      want_ = &buf;
      got_ = 0;
      cv_.wait(lock, [&] { return want_ == nullptr || done_; });
      want_ = nullptr;
      if (got_ > 0) return got_;
      // The transfer ended before a byte arrived (bytes that did not fit were queued first).
    }
    if (chunks_.empty()) {
      if (error_) return Unexpected<Error>(*error_);
      return size_t{0};
    }
    current_ = std::move(chunks_.front());
    chunks_.pop_front();
    queued_ -= current_.size();
    current_pos_ = 0;
    cv_.notify_all();
  }
  const size_t n = std::min(buf.size(), current_.size() - current_pos_);
  std::memcpy(buf.data(), current_.data() + current_pos_, n);
  current_pos_ += n;
  return n;
}

Result<std::string> S3Remote::PublicLink(const Context& ctx, const std::string& path,
                                         std::chrono::seconds expire) {
  if (expire.count() < kMinPresignExpires) {
    return MakeError(ErrorCode::kInvalidArgument, "s3: a link expires after 1 s to 7 days, not " +
                                                      std::to_string(expire.count()) + " s");
  }
  if (expire.count() > kMaxPresignExpires) {
    // As rclone: the longest S3 allows (and `link`'s default "off" means as long as possible).
    log::Info("s3: {}: link expiry reduced to 7 days, the most a presigned URL allows", path);
    expire = std::chrono::seconds(kMaxPresignExpires);
  }
  CVC_ASSIGN_OR_RETURN(Location loc, Locate(path));
  if (loc.key.empty()) {
    return MakeError(ErrorCode::kIsDir, "s3: " + display_ + ": " + path + " is a directory");
  }
  CVC_RETURN_IF_ERROR(HeadObject(ctx, loc, path));  // kNotFound / kIsDir
  const Address address = AddressOf(loc.bucket, loc.key);
  const std::string endpoint = scheme_ + "://" + address.host;
  if (creds_.anonymous) return endpoint + CanonicalUri(address.path);  // a public bucket
  SigningRequest request{.method = "GET",
                         .path = address.path,
                         .query = {},
                         .headers = {{"Host", address.host}},
                         .signed_headers = {},
                         .payload_hash = std::string(kUnsignedPayload)};
  SigningParams params{
      .region = cfg_.region,
      .service = "s3",
      .time = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())};
  CVC_ASSIGN_OR_RETURN(
      PresignedRequest presigned,
      PresignRequest(request, creds_.ForSigning(), params, expire.count(), endpoint));
  return presigned.url;
}

}  // namespace cvclone::s3::impl
