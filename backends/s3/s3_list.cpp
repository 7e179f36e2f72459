#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "backends/s3/s3_remote_impl.hpp"
#include "core/io.hpp"
#include "core/log.hpp"

namespace cvclone::s3::impl {

namespace {
constexpr int kListHeadConcurrency = 8;
// The first listing of a remote lists the whole tree below it at once when it fits in this many
// pages (list_chunk keys each: 10,000 by default): a walk of a tree of that size then costs
// those requests instead of one or more per directory. Larger trees are listed level by level.
constexpr int kPrefetchPages = 10;

// A key or token from the server, for a message: a hostile one may be megabytes long.
std::string Shown(const std::string& s) {
  constexpr size_t kMax = 200;
  return s.size() <= kMax ? s : s.substr(0, kMax) + "...";
}
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

// Attempts at a listing page that answers but does not parse (each one's request is retried
// as usual): a damaged answer is rare and passes on a second try; a server that always sends one
// (or one over the limits) should fail quickly.
constexpr int kListPageAttempts = 3;

Result<ListResult> S3Remote::FetchListPage(const Context& ctx, const Call& call,
                                           const std::string& what) {
  // A page that does not parse (cut short, garbled on the way) is asked for again, like any
  // failed request (whose own retries Send makes).
  for (int attempt = 1;; ++attempt) {
    CVC_ASSIGN_OR_RETURN(HttpResponse resp, Send(ctx, call));
    auto parsed = ParseListObjects(resp.body);
    if (parsed) return parsed;
    if (attempt >= std::min(retry_.max_attempts, kListPageAttempts)) {
      return Propagate(parsed.error(), what);
    }
    log::Debug("{}: the page did not parse, asking again: {}", what, parsed.error().message());
    CVC_RETURN_IF_ERROR(InterruptibleSleep(ctx, BackoffDelay(retry_, attempt, RetryHint{})));
  }
}

Status S3Remote::ListPages(const Context& ctx, const Location& loc, bool recursive,
                           bool first_key_only,
                           const std::function<Status(const ListResult&)>& page) {
  const int max_keys = first_key_only ? 1 : cfg_.list_chunk;
  const std::string prefix = loc.key.empty() ? "" : loc.key + "/";
  const bool v2 = cfg_.list_version != 1;
  const std::string what = "s3: " + std::string(v2 ? "ListObjectsV2" : "ListObjects") + " " +
                           loc.bucket + (prefix.empty() ? "" : "/" + prefix);
  std::string token;  // continuation token (V2) or marker (V1)
  // A listing that goes on without progress (a token seen before, or a truncated page with no
  // key and no prefix the page before did not have) is a server fault, not a big bucket.
  std::set<std::string> tokens;
  std::set<std::string> last_prefixes;  // of the page before
  for (;;) {
    Call call{.op = v2 ? "ListObjectsV2" : "ListObjects", .bucket = loc.bucket};
    if (!recursive) call.query.emplace_back("delimiter", "/");
    call.query.emplace_back("max-keys", std::to_string(max_keys));
    call.query.emplace_back("prefix", prefix);
    if (v2) call.query.emplace_back("list-type", "2");
    if (!token.empty()) call.query.emplace_back(v2 ? "continuation-token" : "marker", token);
    CVC_ASSIGN_OR_RETURN(const ListResult result, FetchListPage(ctx, call, what));
    for (const ListEntry& e : result.contents) {
      if (!e.key.starts_with(prefix)) {
        return MakeError(ErrorCode::kCorrupt, what + ": the server listed key \"" + Shown(e.key) +
                                                  "\", not under the prefix");
      }
    }
    bool new_prefix = false;
    std::set<std::string> page_prefixes;
    for (const std::string& p : result.common_prefixes) {
      if (!p.starts_with(prefix)) {
        return MakeError(ErrorCode::kCorrupt, what + ": the server listed prefix \"" + Shown(p) +
                                                  "\", not under the prefix");
      }
      if (!last_prefixes.contains(p)) new_prefix = true;
      page_prefixes.insert(p);
    }
    last_prefixes = std::move(page_prefixes);
    CVC_RETURN_IF_ERROR(page(result));
    if (!result.is_truncated || first_key_only) return Ok();
    if (result.contents.empty() && !new_prefix) {
      return MakeError(ErrorCode::kCorrupt,
                       what + ": truncated listing page without any new key or prefix");
    }
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
      return MakeError(ErrorCode::kIo, what + ": truncated listing without a continuation");
    }
    if (!tokens.insert(token).second) {
      return MakeError(ErrorCode::kCorrupt, what + ": the server repeated the continuation \"" +
                                                Shown(token) + "\" (the listing would never end)");
    }
  }
}

Result<std::vector<ObjectInfo>> S3Remote::List(const Context& ctx, const std::string& dir) {
  CVC_ASSIGN_OR_RETURN(Location loc, Locate(dir));
  if (loc.bucket.empty()) return ListBuckets(ctx);
  std::vector<ObjectInfo> out;
  if (auto kept = TakePrefetched(dir)) {
    out = std::move(*kept);
  } else {
    std::optional<std::vector<ObjectInfo>> tree;
    if (!cfg_.exact_modtime) {
      CVC_ASSIGN_OR_RETURN(tree, ListTree(ctx, loc, dir));
    }
    if (tree) {
      out = std::move(*tree);
    } else {
      CVC_ASSIGN_OR_RETURN(out, ListOneLevel(ctx, loc, dir));
    }
  }
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

namespace {

// The info of a listed object at path.
ObjectInfo ObjectEntry(const std::string& path, const ListEntry& e) {
  ObjectInfo info{.path = path, .size = e.size, .is_dir = false, .mtime = e.mtime};
  if (IsMd5Hex(e.etag)) info.hashes[HashType::kMd5] = e.etag;
  info.version = e.etag;
  info.tier = e.storage_class.empty() ? "STANDARD" : e.storage_class;
  return info;
}

}  // namespace

Result<std::vector<ObjectInfo>> S3Remote::ListOneLevel(const Context& ctx, const Location& loc,
                                                       const std::string& dir) {
  const std::string prefix = loc.key.empty() ? "" : loc.key + "/";
  std::vector<ObjectInfo> out;
  auto add = [&](const std::string& full, bool is_dir, const ListEntry* e) {
    // ListPages checked that every key and prefix starts with prefix.
    std::string name = full.substr(prefix.size());
    if (is_dir && !name.empty() && name.back() == '/') name.pop_back();
    if (name.empty()) return;  // a "dir/" marker object
    const std::string path = JoinPath(dir, name);
    if (!ValidatePath(path)) {
      log::Notice("s3: {}: skipping key \"{}\" that is not a clean path", display_, full);
      return;
    }
    out.push_back(is_dir ? ObjectInfo{.path = path, .size = 0, .is_dir = true}
                         : ObjectEntry(path, *e));
  };
  CVC_RETURN_IF_ERROR(ListPages(ctx, loc, false, false, [&](const ListResult& r) -> Status {
    for (const ListEntry& e : r.contents) add(e.key, false, &e);
    for (const std::string& p : r.common_prefixes) add(p, true, nullptr);
    return Ok();
  }));
  return out;
}

Result<std::optional<std::vector<ObjectInfo>>> S3Remote::ListTree(const Context& ctx,
                                                                  const Location& loc,
                                                                  const std::string& dir) {
  uint64_t generation = 0;
  {
    std::lock_guard lock(prefetch_mu_);
    if (tree_listed_) return std::optional<std::vector<ObjectInfo>>();
    tree_listed_ = true;
    generation = prefetch_generation_;
  }
  const std::string prefix = loc.key.empty() ? "" : loc.key + "/";
  std::map<std::string, std::vector<ObjectInfo>> tree;  // directory → its entries
  std::set<std::string> dirs;                            // directories already entered
  int pages = 0;
  bool too_big = false;
  Status listed = ListPages(ctx, loc, true, false, [&](const ListResult& r) -> Status {
    if (++pages > kPrefetchPages) {
      too_big = true;
      return MakeError(ErrorCode::kCancelled, "too large to list at once");
    }
    for (const ListEntry& e : r.contents) {
      // ListPages checked that every key starts with prefix.
      std::string rel = e.key.substr(prefix.size());
      const bool marker = !rel.empty() && rel.back() == '/';  // a "dir/" marker object
      if (marker) rel.pop_back();
      if (rel.empty()) continue;
      const std::string path = JoinPath(dir, rel);
      if (!ValidatePath(path)) {
        log::Notice("s3: {}: skipping key \"{}\" that is not a clean path", display_, e.key);
        continue;
      }
      // Every directory between dir and the key appears in its parent's listing once.
      for (std::string d = marker ? path : ParentPath(path); d != dir && dirs.insert(d).second;
           d = ParentPath(d)) {
        tree[ParentPath(d)].push_back(ObjectInfo{.path = d, .size = 0, .is_dir = true});
      }
      if (!marker) tree[ParentPath(path)].push_back(ObjectEntry(path, e));
    }
    return Ok();
  });
  if (too_big) return std::optional<std::vector<ObjectInfo>>();
  CVC_RETURN_IF_ERROR(listed);
  std::vector<ObjectInfo> out;
  if (auto it = tree.find(dir); it != tree.end()) {
    out = std::move(it->second);
    tree.erase(it);
  }
  std::lock_guard lock(prefetch_mu_);
  if (generation == prefetch_generation_) prefetched_ = std::move(tree);
  return std::optional<std::vector<ObjectInfo>>(std::move(out));
}

std::optional<std::vector<ObjectInfo>> S3Remote::TakePrefetched(const std::string& dir) {
  std::lock_guard lock(prefetch_mu_);
  auto it = prefetched_.find(dir);
  if (it == prefetched_.end()) return std::nullopt;
  std::vector<ObjectInfo> entries = std::move(it->second);
  prefetched_.erase(it);
  return entries;
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
