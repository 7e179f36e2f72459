#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "backends/s3/s3_remote_impl.hpp"
#include "core/io.hpp"
#include "core/log.hpp"

namespace cvclone::s3::impl {

namespace {
constexpr int kListHeadConcurrency = 8;
}  // namespace

Result<std::vector<ObjectInfo>> S3Remote::ListBuckets(const Context& ctx) {
  CVC_ASSIGN_OR_RETURN(HttpResponse resp, Send(ctx, Call{.op = "ListBuckets"}));
  CVC_ASSIGN_OR_RETURN(std::vector<BucketEntry> buckets, ParseListBuckets(resp.body));
  std::vector<ObjectInfo> out;
  for (const BucketEntry& b : buckets) {
    out.push_back(ObjectInfo{.path = b.name, .size = 0, .is_dir = true, .mtime = b.created});
  }
  return out;
}

Status S3Remote::ListPages(const Context& ctx, const Location& loc, bool recursive,
                           bool first_key_only,
                           const std::function<Status(const ListResult&)>& page) {
  const int max_keys = first_key_only ? 1 : cfg_.list_chunk;
  const std::string prefix = loc.key.empty() ? "" : loc.key + "/";
  const bool v2 = cfg_.list_version != 1;
  std::string token;  // continuation token (V2) or marker (V1)
  for (;;) {
    Call call{.op = v2 ? "ListObjectsV2" : "ListObjects", .bucket = loc.bucket};
    if (!recursive) call.query.emplace_back("delimiter", "/");
    call.query.emplace_back("max-keys", std::to_string(max_keys));
    call.query.emplace_back("prefix", prefix);
    if (v2) call.query.emplace_back("list-type", "2");
    if (!token.empty()) call.query.emplace_back(v2 ? "continuation-token" : "marker", token);
    CVC_ASSIGN_OR_RETURN(HttpResponse resp, Send(ctx, std::move(call)));
    CVC_ASSIGN_OR_RETURN(ListResult result, ParseListObjects(resp.body));
    CVC_RETURN_IF_ERROR(page(result));
    if (!result.is_truncated || first_key_only) return Ok();
    if (v2) {
      token = result.next_continuation_token;
    } else {
      token = result.next_marker;
      if (token.empty() && !result.contents.empty()) token = result.contents.back().key;
      if (!result.common_prefixes.empty()) {
        token = std::max(token, result.common_prefixes.back());
      }
    }
    if (token.empty()) {
      return MakeError(ErrorCode::kIo, "s3: " + std::string(v2 ? "ListObjectsV2" : "ListObjects") +
                                           " " + loc.bucket +
                                           ": truncated listing without a "
                                           "continuation");
    }
  }
}

Result<std::vector<ObjectInfo>> S3Remote::List(const Context& ctx, const std::string& dir) {
  CVC_ASSIGN_OR_RETURN(Location loc, Locate(dir));
  if (loc.bucket.empty()) return ListBuckets(ctx);
  const std::string prefix = loc.key.empty() ? "" : loc.key + "/";
  std::vector<ObjectInfo> out;
  auto add = [&](const std::string& full, bool is_dir, const ListEntry* e) {
    std::string name = full.substr(prefix.size());
    if (is_dir && !name.empty() && name.back() == '/') name.pop_back();
    if (name.empty()) return;  // a "dir/" marker object
    const std::string path = JoinPath(dir, name);
    if (!ValidatePath(path)) {
      log::Notice("s3: {}: skipping key \"{}\" that is not a clean path", display_, full);
      return;
    }
    ObjectInfo info{.path = path, .size = is_dir ? 0 : e->size, .is_dir = is_dir};
    if (e != nullptr) {
      info.mtime = e->mtime;
      if (IsMd5Hex(e->etag)) info.hashes[HashType::kMd5] = e->etag;
    }
    out.push_back(std::move(info));
  };
  CVC_RETURN_IF_ERROR(ListPages(ctx, loc, false, false, [&](const ListResult& r) -> Status {
    for (const ListEntry& e : r.contents) add(e.key, false, &e);
    for (const std::string& p : r.common_prefixes) add(p, true, nullptr);
    return Ok();
  }));
  if (out.empty() && !loc.key.empty()) {
    return MakeError(ErrorCode::kDirNotFound, "s3: " + display_ + ": directory not found: " + dir);
  }
  if (cfg_.use_server_modtime) return out;  // LastModified is the mtime then
  if (cfg_.exact_modtime) {
    CVC_RETURN_IF_ERROR(FillMtimes(ctx, loc, out));
    return out;
  }
  // Default: no request per object. The listing's LastModified stands in for the mtime and is
  // flagged, so that the engine compares soundly and asks Stat() where it needs the exact one.
  for (ObjectInfo& e : out) e.mtime_is_upload_time = !e.is_dir;
  return out;
}

// One HEAD per object, kListHeadConcurrency at a time, for X-Amz-Meta-Mtime (and Md5chksum).
Status S3Remote::FillMtimes(const Context& ctx, const Location& dir,
                            std::vector<ObjectInfo>& entries) {
  std::vector<size_t> objects;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i].is_dir) objects.push_back(i);
  }
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::optional<Error> first_error;
  auto worker = [&] {
    for (size_t n = next++; n < objects.size(); n = next++) {
      ObjectInfo& e = entries[objects[n]];
      const Location loc{dir.bucket, JoinPath(dir.key, BaseName(e.path))};
      auto head = HeadObject(ctx, loc, e.path);
      if (head) {
        e.mtime = head->mtime;
        e.hashes = head->hashes;
      } else if (head.error().code() != ErrorCode::kNotFound) {
        std::lock_guard lock(mu);
        if (!first_error) first_error = head.error();
        return;
      }
    }
  };
  {
    std::vector<std::jthread> threads;
    const size_t n = std::min<size_t>(kListHeadConcurrency, objects.size());
    for (size_t i = 1; i < n; ++i) threads.emplace_back(worker);
    if (n > 0) worker();
  }
  if (first_error) return Unexpected<Error>(*first_error);
  return Ok();
}

}  // namespace cvclone::s3::impl
