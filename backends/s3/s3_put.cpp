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
  const std::string etag = StripQuotes(r.headers.Get("ETag").value_or(""));
  if (IsMd5Hex(etag) && etag != md5_hex && cfg_.server_side_encryption != "aws:kms") {
    (void)Send(Context{},
               Call{.op = "DELETE", .method = "DELETE", .bucket = loc.bucket, .key = loc.key});
    return MakeError(ErrorCode::kCorrupt, "s3: PUT " + loc.bucket + "/" + loc.key + ": ETag " +
                                              etag + " is not the uploaded MD5 " + md5_hex);
  }
  ObjectInfo info{.path = path, .size = static_cast<int64_t>(data.size()), .mtime = opts.mtime};
  info.hashes[HashType::kMd5] = md5_hex;
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
  KeyUpload target(*this, loc.bucket, loc.key, headers);
  MultipartParams params{.part_size = PartSizeFor(cfg_.chunk_size, opts.size),
                         .concurrency = cfg_.upload_concurrency,
                         .expected_size = opts.size,
                         .check_part_etags = cfg_.server_side_encryption != "aws:kms"};
  CVC_ASSIGN_OR_RETURN(MultipartOutcome out, UploadMultipart(ctx, target, src, params));
  auto fail = [&](const std::string& why) -> Result<ObjectInfo> {
    (void)Send(Context{},
               Call{.op = "DELETE", .method = "DELETE", .bucket = loc.bucket, .key = loc.key});
    return MakeError(ErrorCode::kCorrupt, "s3: PUT " + loc.bucket + "/" + loc.key + ": " + why);
  };
  if (known_raw.size() == 16 && known_md5 != out.md5_hex) {
    return fail("md5 " + out.md5_hex + " differs from the source's " + known_md5);
  }
  if (!cfg_.disable_checksum && known_raw.size() != 16 && out.size <= kMaxSinglePut) {
    // The MD5 is known only now: store it by replacing the metadata (a server-side copy).
    std::vector<Header> extra = MetaHeaders(opts);
    extra.emplace_back("x-amz-meta-md5chksum", Base64Encode(HexDecode(out.md5_hex)));
    extra.emplace_back("x-amz-metadata-directive", "REPLACE");
    if (Status st = CopyObject(ctx, loc, loc, extra); !st) {
      log::Notice("s3: {}/{}: could not store the MD5 metadata: {}", loc.bucket, loc.key,
                  st.error().message());
    }
  }
  ObjectInfo info{.path = path, .size = out.size, .mtime = opts.mtime};
  info.hashes[HashType::kMd5] = out.md5_hex;
  return info;
}

}  // namespace cvclone::s3::impl
