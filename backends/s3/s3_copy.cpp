#include <algorithm>
#include <cctype>

#include "backends/s3/s3_remote_impl.hpp"
#include "core/io.hpp"
#include "core/log.hpp"

namespace cvclone::s3::impl {

std::vector<Header> CarriedHeaders(const HttpHeaders& headers, const std::string& skip) {
  std::vector<Header> out;
  for (const auto& [name, value] : headers.items()) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if ((lower.rfind("x-amz-meta-", 0) == 0 && lower != skip) || lower == "content-type" ||
        lower == "cache-control" || lower == "content-encoding" || lower == "content-disposition") {
      out.emplace_back(name, value);
    }
  }
  return out;
}

Result<std::string> S3Remote::CopyObject(const Context& ctx, const Location& src,
                                         const Location& dst, const std::vector<Header>& extra) {
  Call call{
      .op = "CopyObject", .method = "PUT", .bucket = dst.bucket, .key = dst.key, .headers = extra};
  call.headers.emplace_back("x-amz-copy-source",
                            UriEncode("/" + src.bucket + "/" + src.key, false));
  AddObjectHeaders(call.headers);
  CVC_ASSIGN_OR_RETURN(HttpResponse r, Send(ctx, std::move(call)));
  CVC_ASSIGN_OR_RETURN(CopyResult copied, ParseCopyResult(r.body));
  return copied.etag;
}

Status S3Remote::CopyMultipart(const Context& ctx, const Location& src, const Location& dst,
                               int64_t size, std::vector<Header> create) {
  AddObjectHeaders(create);
  KeyUpload target(*this, dst.bucket, dst.key, create);
  CVC_ASSIGN_OR_RETURN(std::string upload_id, target.Create(ctx));
  const int64_t part = PartSizeFor(cfg_.copy_cutoff, size);
  std::vector<CompletedPart> parts;
  Status st = Ok();
  for (int64_t off = 0, n = 1; off < size && st; off += part, ++n) {
    const int64_t last = std::min(size, off + part) - 1;
    Call call{.op = "UploadPartCopy",
              .method = "PUT",
              .bucket = dst.bucket,
              .key = dst.key,
              .query = {{"partNumber", std::to_string(n)}, {"uploadId", upload_id}}};
    call.headers.emplace_back("x-amz-copy-source",
                              UriEncode("/" + src.bucket + "/" + src.key, false));
    call.headers.emplace_back("x-amz-copy-source-range",
                              "bytes=" + std::to_string(off) + "-" + std::to_string(last));
    auto r = Send(ctx, std::move(call));
    if (!r) {
      st = Propagate(r.error());
      break;
    }
    auto copied = ParseCopyResult(r->body);
    if (!copied)
      st = Propagate(copied.error());
    else
      parts.push_back({.part_number = static_cast<int>(n), .etag = copied->etag});
  }
  if (st) {
    auto done = target.Complete(ctx, upload_id, parts);
    if (done) return Ok();
    st = Propagate(done.error());
  }
  Context abort_ctx;
  abort_ctx.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  (void)target.Abort(abort_ctx, upload_id);
  return st;
}

Result<ObjectInfo> S3Remote::Copy(const Context& ctx, Remote& src, const std::string& src_path,
                                  const std::string& dst_path) {
  auto* other = dynamic_cast<S3Remote*>(&src);
  if (other == nullptr || other->cfg_.endpoint != cfg_.endpoint ||
      other->creds_.access_key_id != creds_.access_key_id) {
    return MakeError(ErrorCode::kUnsupported,
                     "s3: server-side copy needs the same endpoint "
                     "and credentials");
  }
  CVC_ASSIGN_OR_RETURN(Location from, other->Locate(src_path));
  CVC_ASSIGN_OR_RETURN(Location to, Locate(dst_path));
  if (from.key.empty() || to.key.empty()) {
    return MakeError(ErrorCode::kIsDir, "s3: copy: a bucket is not an object");
  }
  HttpHeaders src_headers;
  CVC_ASSIGN_OR_RETURN(ObjectInfo info, other->HeadObject(ctx, from, src_path, &src_headers));
  CVC_RETURN_IF_ERROR(EnsureBucket(ctx, to.bucket));
  if (info.size > cfg_.copy_cutoff) {
    std::vector<Header> create = CarriedHeaders(src_headers, "");
    // The copy's ETag will not be an MD5: keep the MD5 as rclone's metadata.
    if (!src_headers.Has("x-amz-meta-md5chksum") && info.hashes.count(HashType::kMd5) != 0) {
      create.emplace_back("x-amz-meta-md5chksum",
                          Base64Encode(HexDecode(info.hashes[HashType::kMd5])));
    }
    CVC_RETURN_IF_ERROR(CopyMultipart(ctx, from, to, info.size, std::move(create)));
    info.version.clear();  // the copy's ETag is not known here
  } else {
    CVC_ASSIGN_OR_RETURN(info.version, CopyObject(ctx, from, to, {}));
  }
  info.path = dst_path;
  return info;
}

Status S3Remote::SetModTime(const Context& ctx, const std::string& path, TimePoint mtime) {
  CVC_ASSIGN_OR_RETURN(Location loc, Locate(path));
  if (loc.key.empty()) {
    return MakeError(ErrorCode::kIsDir, "s3: " + display_ + ": " + path + " is a directory");
  }
  HttpHeaders headers;
  CVC_ASSIGN_OR_RETURN(ObjectInfo info, HeadObject(ctx, loc, path, &headers));
  // Copy onto itself, replacing the metadata: every other x-amz-meta-* and the content headers
  // are carried over. CopyObject handles up to 5 GiB; above, a multipart copy.
  std::vector<Header> meta = CarriedHeaders(headers, "x-amz-meta-mtime");
  meta.emplace_back("x-amz-meta-mtime", FormatMtime(mtime));
  if (info.size > std::min(cfg_.copy_cutoff, kMaxSinglePut)) {
    return CopyMultipart(ctx, loc, loc, info.size, std::move(meta));
  }
  meta.emplace_back("x-amz-metadata-directive", "REPLACE");
  CVC_RETURN_IF_ERROR(CopyObject(ctx, loc, loc, meta));
  return Ok();
}

}  // namespace cvclone::s3::impl
