#include <algorithm>
#include <cstring>

#include "backends/s3/s3_remote_impl.hpp"
#include "core/io.hpp"
#include "core/log.hpp"

namespace cvclone::s3::impl {

// Metadata headers of a new object.
std::vector<Header> MetaHeaders(const PutOptions& opts) {
  std::vector<Header> h;
  h.emplace_back("Content-Type", "application/octet-stream");
  if (opts.mtime != TimePoint{}) h.emplace_back("x-amz-meta-mtime", FormatMtime(opts.mtime));
  return h;
}

namespace {

// Yields `head` and then the rest of `tail`.
class PrefixedReader : public Reader {
 public:
  PrefixedReader(std::string head, Reader& tail) : head_(std::move(head)), tail_(tail) {}
  Result<size_t> Read(std::span<std::byte> buf) override {
    if (pos_ < head_.size()) {
      const size_t n = std::min(buf.size(), head_.size() - pos_);
      std::memcpy(buf.data(), head_.data() + pos_, n);
      pos_ += n;
      return n;
    }
    return tail_.Read(buf);
  }

 private:
  std::string head_;
  size_t pos_ = 0;
  Reader& tail_;
};

// Passes exactly `size` bytes of `inner` through while computing their MD5, and checks it
// against `want_hex` before yielding the last byte: a source that changed since its MD5 was
// taken fails the request (retryable kCorrupt) before the server has the whole body.
class Md5CheckReader : public Reader {
 public:
  Md5CheckReader(Reader& inner, int64_t size, std::string want_hex, std::string where)
      : inner_(inner),
        remaining_(size),
        want_hex_(std::move(want_hex)),
        where_(std::move(where)),
        hasher_(HashSet{HashType::kMd5}) {}

  Result<size_t> Read(std::span<std::byte> buf) override {
    if (remaining_ == 0) return inner_.Read(buf);  // the HTTP layer's probe for extra bytes
    if (static_cast<int64_t>(buf.size()) > remaining_) buf = buf.first(remaining_);
    CVC_ASSIGN_OR_RETURN(size_t n, inner_.Read(buf));
    hasher_.Update(std::span<const std::byte>(buf.data(), n));
    remaining_ -= static_cast<int64_t>(n);
    if (remaining_ == 0) {
      const std::string got = hasher_.Finish().at(HashType::kMd5);
      if (got != want_hex_) {
        mismatched_ = true;
        return MakeError(ErrorCode::kCorrupt,
                         "s3: PUT " + where_ + ": the source changed while uploading (md5 " + got +
                             ", expected " + want_hex_ + ")",
                         RetryClass::kRetryable);
      }
    }
    return n;
  }
  bool mismatched() const { return mismatched_; }

 private:
  bool mismatched_ = false;
  Reader& inner_;
  int64_t remaining_;
  std::string want_hex_;
  std::string where_;
  Hasher hasher_;
};

bool IsKnownMd5(const PutOptions& opts) {
  auto it = opts.hashes.find(HashType::kMd5);
  return it != opts.hashes.end() && IsMd5Hex(it->second);
}

}  // namespace

Result<ObjectInfo> S3Remote::Put(const Context& ctx, const std::string& path, Reader& src,
                                 const PutOptions& opts) {
  CVC_ASSIGN_OR_RETURN(Location loc, Locate(path));
  if (loc.key.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "s3: " + display_ +
                                                      ": cannot put an object at "
                                                      "a bucket's place: " +
                                                      path);
  }
  CVC_RETURN_IF_ERROR(EnsureBucket(ctx, loc.bucket));
  if (opts.size > cfg_.upload_cutoff) return PutMultipart(ctx, loc, path, src, opts);
  // A single PUT larger than a part is streamed when its Content-MD5 can be known beforehand
  // (given, or read once through reopen), so memory stays bounded by the part size; else it goes
  // multipart. Up to a part, buffering costs no more memory and reads the source once.
  if (opts.size > cfg_.chunk_size) {
    if (IsKnownMd5(opts)) {
      return PutStreamed(ctx, loc, path, src, opts, opts.hashes.at(HashType::kMd5));
    }
    if (!opts.reopen) return PutMultipart(ctx, loc, path, src, opts);
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> again, opts.reopen());
    CountingReader counted(std::move(again));
    CVC_ASSIGN_OR_RETURN(auto sums, HashReader(ctx, counted, HashSet{HashType::kMd5}));
    if (counted.count() != opts.size) {
      return MakeError(ErrorCode::kCorrupt,
                       "s3: PUT " + loc.bucket + "/" + loc.key + ": the source has " +
                           std::to_string(counted.count()) + " bytes, expected " +
                           std::to_string(opts.size),
                       RetryClass::kRetryable);
    }
    return PutStreamed(ctx, loc, path, src, opts, sums.at(HashType::kMd5));
  }
  // Known size: read one byte more than announced to catch a longer stream. Unknown size: at
  // most one part in memory, multipart beyond.
  const int64_t part = PartSizeFor(cfg_.chunk_size, -1);
  const int64_t limit = opts.size >= 0 ? opts.size : std::min(part, cfg_.upload_cutoff);
  std::string data;
  CVC_ASSIGN_OR_RETURN(size_t n, ReadFull(ctx, src, data, static_cast<size_t>(limit) + 1));
  if (opts.size >= 0 && static_cast<int64_t>(n) != opts.size) {
    return MakeError(ErrorCode::kIo, "s3: PUT " + loc.bucket + "/" + loc.key + ": source yielded " +
                                         (static_cast<int64_t>(n) > opts.size ? "more than " : "") +
                                         std::to_string(n) + " bytes, expected " +
                                         std::to_string(opts.size));
  }
  if (static_cast<int64_t>(n) > limit) {
    PrefixedReader rest(std::move(data), src);
    return PutMultipart(ctx, loc, path, rest, opts);
  }
  return PutSingle(ctx, loc, path, std::move(data), opts);
}

Result<ObjectInfo> S3Remote::PutSingle(const Context& ctx, const Location& loc,
                                       const std::string& path, std::string data,
                                       const PutOptions& opts) {
  const std::string md5 = Md5Raw(data);
  const std::string md5_hex = ToHex(md5);
  if (auto want = opts.hashes.find(HashType::kMd5);
      want != opts.hashes.end() && !want->second.empty() && want->second != md5_hex) {
    return MakeError(ErrorCode::kCorrupt, "s3: PUT " + loc.bucket + "/" + loc.key + ": md5 " +
                                              md5_hex + " differs from the source's " +
                                              want->second);
  }
  Call call{.op = "PUT",
            .method = "PUT",
            .bucket = loc.bucket,
            .key = loc.key,
            .headers = MetaHeaders(opts),
            .body = data,
            .payload_hash = std::string(kUnsignedPayload)};
  call.headers.emplace_back("Content-MD5", Base64Encode(md5));
  AddObjectHeaders(call.headers);
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_ASSIGN_OR_RETURN(HttpResponse r, Send(ctx, std::move(call)));
  CVC_RETURN_IF_ERROR(CheckSingleEtag(loc, r, md5_hex));
  ObjectInfo info{.path = path, .size = static_cast<int64_t>(data.size()), .mtime = opts.mtime};
  info.hashes[HashType::kMd5] = md5_hex;
  info.version = StripQuotes(r.headers.Get("ETag").value_or(""));
  return info;
}

Status S3Remote::CheckSingleEtag(const Location& loc, const HttpResponse& r,
                                 const std::string& md5_hex) {
  const std::string etag = StripQuotes(r.headers.Get("ETag").value_or(""));
  if (IsMd5Hex(etag) && etag != md5_hex && cfg_.server_side_encryption != "aws:kms") {
    (void)Send(Context{},
               Call{.op = "DELETE", .method = "DELETE", .bucket = loc.bucket, .key = loc.key});
    return MakeError(ErrorCode::kCorrupt, "s3: PUT " + loc.bucket + "/" + loc.key + ": ETag " +
                                              etag + " is not the uploaded MD5 " + md5_hex);
  }
  return Ok();
}

Result<ObjectInfo> S3Remote::PutStreamed(const Context& ctx, const Location& loc,
                                         const std::string& path, Reader& src,
                                         const PutOptions& opts, const std::string& md5_hex) {
  RetryPolicy policy = retry_;
  if (!opts.reopen) policy.max_attempts = 1;  // src cannot be rewound
  const std::string md5_base64 = Base64Encode(HexDecode(md5_hex));
  bool changed = false;
  std::function<Result<HttpResponse>(int, RetryHint&)> op =
      [&](int attempt, RetryHint& hint) -> Result<HttpResponse> {
    std::unique_ptr<Reader> fresh;
    Reader* data = &src;
    if (attempt > 1) {
      CVC_ASSIGN_OR_RETURN(fresh, opts.reopen());
      data = fresh.get();
    }
    Md5CheckReader checked(*data, opts.size, md5_hex, loc.bucket + "/" + loc.key);
    ContextReader body(ctx, checked);
    Call call{.op = "PUT",
              .method = "PUT",
              .bucket = loc.bucket,
              .key = loc.key,
              .headers = MetaHeaders(opts),
              .body_reader = &body,
              .body_length = opts.size,
              .payload_hash = std::string(kUnsignedPayload)};
    call.headers.emplace_back("Content-MD5", md5_base64);
    AddObjectHeaders(call.headers);
    auto r = Attempt(ctx, call, hint);
    if (!r && checked.mismatched()) {
      changed = true;  // retried by the caller (a new MD5 pass), not here
      return Unexpected<Error>(r.error().WithRetry(RetryClass::kNoRetry));
    }
    return r;
  };
  auto sent = WithRetries<HttpResponse>(ctx, policy, op);
  if (!sent && changed) return Unexpected<Error>(sent.error().WithRetry(RetryClass::kRetryable));
  CVC_ASSIGN_OR_RETURN(HttpResponse r, std::move(sent));
  CVC_RETURN_IF_ERROR(CheckSingleEtag(loc, r, md5_hex));
  ObjectInfo info{.path = path, .size = opts.size, .mtime = opts.mtime};
  info.hashes[HashType::kMd5] = md5_hex;
  info.version = StripQuotes(r.headers.Get("ETag").value_or(""));
  return info;
}

Result<ObjectInfo> S3Remote::PutMultipart(const Context& ctx, const Location& loc,
                                          const std::string& path, Reader& src,
                                          const PutOptions& opts) {
  std::vector<Header> headers = MetaHeaders(opts);
  AddObjectHeaders(headers);
  std::string known_md5;
  if (auto it = opts.hashes.find(HashType::kMd5); it != opts.hashes.end()) known_md5 = it->second;
  const std::string known_raw = HexDecode(known_md5);
  if (!cfg_.disable_checksum && known_raw.size() == 16) {
    headers.emplace_back("x-amz-meta-md5chksum", Base64Encode(known_raw));
  }
  headers.emplace_back(kUploadMarkHeader, "1");
  KeyUpload target(*this, loc.bucket, loc.key, headers);
  MultipartParams params{.part_size = PartSizeFor(cfg_.chunk_size, opts.size),
                         .concurrency = cfg_.upload_concurrency,
                         .expected_size = opts.size,
                         .check_part_etags = cfg_.server_side_encryption != "aws:kms",
                         .resume = std::nullopt,
                         .leave_on_error = cfg_.leave_parts_on_error};
  // An upload of this key an earlier run left unfinished is taken up, or aborted.
  target.Journal(params.part_size);
  CVC_ASSIGN_OR_RETURN(params.resume, TakeEarlierUpload(ctx, loc, target, params));
  CVC_ASSIGN_OR_RETURN(MultipartOutcome out, UploadMultipart(ctx, target, src, params));
  if (out.parts_reused > 0) {
    log::Info("s3: {}/{}: resumed the unfinished upload {}: {} of {} parts were there already",
              loc.bucket, loc.key, out.upload_id, out.parts_reused, out.parts);
  } else if (out.restarted) {
    log::Info("s3: {}/{}: the unfinished upload {} of an earlier run held other data: aborted",
              loc.bucket, loc.key, params.resume->upload_id);
  }
  auto fail = [&](const std::string& why) -> Result<ObjectInfo> {
    (void)Send(Context{},
               Call{.op = "DELETE", .method = "DELETE", .bucket = loc.bucket, .key = loc.key});
    return MakeError(ErrorCode::kCorrupt, "s3: PUT " + loc.bucket + "/" + loc.key + ": " + why);
  };
  if (known_raw.size() == 16 && known_md5 != out.md5_hex) {
    return fail("md5 " + out.md5_hex + " differs from the source's " + known_md5);
  }
  std::string version = out.etag;
  if (!cfg_.disable_checksum && known_raw.size() != 16 && out.size <= kMaxSinglePut) {
    // The MD5 is known only now: store it by replacing the metadata (a server-side copy).
    std::vector<Header> extra = MetaHeaders(opts);
    extra.emplace_back("x-amz-meta-md5chksum", Base64Encode(HexDecode(out.md5_hex)));
    extra.emplace_back("x-amz-metadata-directive", "REPLACE");
    auto copied = CopyObject(ctx, loc, loc, extra);
    if (!copied) {
      log::Notice("s3: {}/{}: could not store the MD5 metadata: {}", loc.bucket, loc.key,
                  copied.error().message());
    }
    version = copied ? *copied : "";  // unknown if the copy may or may not have happened
  }
  ObjectInfo info{.path = path, .size = out.size, .mtime = opts.mtime};
  info.hashes[HashType::kMd5] = out.md5_hex;
  info.version = std::move(version);
  return info;
}

}  // namespace cvclone::s3::impl
