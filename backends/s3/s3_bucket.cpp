#include <algorithm>
#include <mutex>

#include "backends/s3/s3_remote_impl.hpp"
#include "core/io.hpp"
#include "core/log.hpp"

namespace cvclone::s3::impl {

namespace {
constexpr size_t kDeleteBatch = 1000;
}  // namespace

Status S3Remote::EnsureBucket(const Context& ctx, const std::string& bucket) {
  if (cfg_.no_check_bucket) return Ok();
  {
    std::lock_guard lock(bucket_mu_);
    if (buckets_ok_.count(bucket) != 0) return Ok();
  }
  // One check-and-create at a time: concurrent transfers into a new bucket would otherwise all
  // see 404 and race to create it, and the losers get 409 BucketAlreadyExists.
  std::lock_guard create_lock(bucket_create_mu_);
  {
    std::lock_guard lock(bucket_mu_);
    if (buckets_ok_.count(bucket) != 0) return Ok();
    if (auto failed = buckets_failed_.find(bucket); failed != buckets_failed_.end()) {
      return Unexpected<Error>(failed->second);
    }
  }
  Status st = CheckOrCreateBucket(ctx, bucket);
  std::lock_guard lock(bucket_mu_);
  if (st) {
    buckets_ok_.insert(bucket);
  } else if (!st.error().retryable() && st.error().code() != ErrorCode::kCancelled &&
             st.error().code() != ErrorCode::kTimeout) {
    // Denied, invalid name, owned by someone else...: asking again for every file of a run
    // would only repeat the same answer.
    buckets_failed_.emplace(bucket, st.error());
  }
  return st;
}

Status S3Remote::CheckOrCreateBucket(const Context& ctx, const std::string& bucket) {
  CVC_ASSIGN_OR_RETURN(
      HttpResponse r,
      Send(ctx, Call{.op = "HeadBucket", .method = "HEAD", .bucket = bucket, .accept = {404}}));
  if (r.status == 404) return CreateBucket(ctx, bucket);
  return Ok();
}

Status S3Remote::CreateBucket(const Context& ctx, const std::string& bucket) {
  std::string constraint = cfg_.location_constraint;
  if (constraint.empty() && !cfg_.endpoint_is_custom && cfg_.region != "us-east-1") {
    constraint = cfg_.region;  // AWS: a bucket outside us-east-1 needs its region named
  }
  std::string body;
  if (!constraint.empty()) {
    body =
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>" +
        constraint +
        "</LocationConstraint>"
        "</CreateBucketConfiguration>";
  }
  Call call{.op = "CreateBucket",
            .method = "PUT",
            .bucket = bucket,
            .body = body,
            .payload_hash = HexSha256(body),
            .accept = {409}};
  if (!cfg_.acl.empty()) call.headers.emplace_back("x-amz-acl", cfg_.acl);
  CVC_ASSIGN_OR_RETURN(HttpResponse r, Send(ctx, std::move(call)));
  if (r.status == 409) {
    auto info = ParseErrorXml(r.body);
    if (!info || info->code != "BucketAlreadyOwnedByYou") {
      return Unexpected<Error>(S3ErrorFromResponse("CreateBucket", bucket, "", r));
    }
  }
  std::lock_guard lock(bucket_mu_);
  buckets_ok_.insert(bucket);
  return Ok();
}

Status S3Remote::DeleteBucket(const Context& ctx, const std::string& bucket) {
  CVC_RETURN_IF_ERROR(Send(ctx, Call{.op = "DeleteBucket", .method = "DELETE", .bucket = bucket}));
  std::lock_guard lock(bucket_mu_);
  buckets_ok_.erase(bucket);
  return Ok();
}

Status S3Remote::Mkdir(const Context& ctx, const std::string& dir) {
  CVC_ASSIGN_OR_RETURN(Location loc, Locate(dir));
  if (loc.bucket.empty()) return Ok();  // the list of buckets always exists
  if (loc.key.empty() && !cfg_.no_check_bucket) {
    {
      std::lock_guard lock(bucket_mu_);
      if (buckets_ok_.count(loc.bucket) != 0) return Ok();
    }
    return CreateBucket(ctx, loc.bucket);
  }
  return EnsureBucket(ctx, loc.bucket);
}

Status S3Remote::Rmdir(const Context& ctx, const std::string& dir) {
  CVC_ASSIGN_OR_RETURN(Location loc, Locate(dir));
  if (loc.bucket.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "s3: cannot remove the list of buckets");
  }
  if (loc.key.empty()) return DeleteBucket(ctx, loc.bucket);
  CVC_ASSIGN_OR_RETURN(bool any, PrefixHasKeys(ctx, loc.bucket, loc.key));
  if (any) {
    return MakeError(ErrorCode::kDirNotEmpty, "s3: " + display_ + ": directory not empty: " + dir);
  }
  return MakeError(ErrorCode::kDirNotFound, "s3: " + display_ + ": directory not found: " + dir);
}

Status S3Remote::DeleteKeys(const Context& ctx, const std::string& bucket,
                            const std::vector<std::string>& keys) {
  const std::string body = BuildDeleteObjects(keys, true);
  Call call{.op = "DeleteObjects",
            .method = "POST",
            .bucket = bucket,
            .query = {{"delete", ""}},
            .body = body,
            .payload_hash = HexSha256(body)};
  call.headers.emplace_back("Content-MD5", Base64Encode(Md5Raw(body)));
  call.headers.emplace_back("Content-Type", "application/xml");
  CVC_ASSIGN_OR_RETURN(HttpResponse r, Send(ctx, std::move(call)));
  CVC_ASSIGN_OR_RETURN(DeleteResult result, ParseDeleteResult(r.body));
  if (!result.errors.empty()) {
    const DeleteError& e = result.errors.front();
    return MakeError(ErrorCode::kIo, "s3: DeleteObjects " + bucket + "/" + e.key + ": " + e.code +
                                         ": " + e.message + " (" +
                                         std::to_string(result.errors.size()) + " failed)");
  }
  return Ok();
}

Status S3Remote::Purge(const Context& ctx, const std::string& dir) {
  CVC_ASSIGN_OR_RETURN(Location loc, Locate(dir));
  if (loc.bucket.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "s3: cannot purge the list of buckets");
  }
  std::vector<std::string> batch;
  bool any = false;
  CVC_RETURN_IF_ERROR(ListPages(ctx, loc, true, false, [&](const ListResult& r) -> Status {
    for (const ListEntry& e : r.contents) {
      any = true;
      batch.push_back(e.key);
      if (batch.size() == kDeleteBatch) {
        CVC_RETURN_IF_ERROR(DeleteKeys(ctx, loc.bucket, batch));
        batch.clear();
      }
    }
    return Ok();
  }));
  if (!batch.empty()) CVC_RETURN_IF_ERROR(DeleteKeys(ctx, loc.bucket, batch));
  if (loc.key.empty()) return DeleteBucket(ctx, loc.bucket);  // a bucket's root: remove it too
  if (!any) {
    return MakeError(ErrorCode::kDirNotFound, "s3: " + display_ + ": directory not found: " + dir);
  }
  return Ok();
}

}  // namespace cvclone::s3::impl
