#include "backends/s3/s3_remote.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include "backends/s3/credentials.hpp"
#include "backends/s3/http.hpp"
#include "backends/s3/multipart.hpp"
#include "backends/s3/s3_options.hpp"
#include "backends/s3/sigv4.hpp"
#include "backends/s3/xml.hpp"
#include "core/io.hpp"
#include "core/log.hpp"

namespace cvclone::s3 {
namespace {

using std::chrono::milliseconds;

constexpr int kListHeadConcurrency = 8;
constexpr size_t kDeleteBatch = 1000;
constexpr size_t kDownloadQueueBytes = size_t{4} << 20;

std::string StripQuotes(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

bool IsMd5Hex(const std::string& s) {
  return s.size() == 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// "Wed, 21 Oct 2015 07:28:00 GMT".
TimePoint ParseHttpDate(const std::string& text) {
  std::tm tm{};
  if (strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) return TimePoint{};
  return TimePoint(std::chrono::seconds(timegm(&tm)));
}

// One S3 request. `prepare` (optional) runs before each attempt and may change the request
// (a resumed download moves its Range).
struct Call {
  std::string op;  // for messages: "PUT", "ListObjectsV2", ...
  std::string method = "GET";
  std::string bucket;
  std::string key;
  std::vector<QueryParam> query;
  std::vector<Header> headers;
  std::string_view body;
  std::string payload_hash;  // empty: SHA-256 of an empty body, else UNSIGNED-PAYLOAD
  BodySink sink;
  std::vector<long> accept;  // non-2xx statuses returned as responses, not errors
  std::function<void(Call&)> prepare;
};

class S3Remote;

// Streams a GetObject from a producer thread through a bounded queue; resumes with a new Range
// after a retryable failure part-way.
class DownloadReader : public Reader {
 public:
  DownloadReader(S3Remote& remote, std::string bucket, std::string key, int64_t offset,
                 int64_t count, const Context& ctx);
  ~DownloadReader() override;
  // Starts the transfer and waits for its first byte, its end or its failure.
  Status Start();
  Result<size_t> Read(std::span<std::byte> buf) override;

 private:
  void Produce();
  Status Push(std::span<const std::byte> data);

  S3Remote& remote_;
  std::string bucket_, key_;
  int64_t next_, end_;  // next byte to fetch; end (exclusive) or -1
  Context ctx_;
  std::stop_source stop_;
  std::optional<std::stop_callback<std::function<void()>>> link_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_;
  size_t queued_ = 0;
  bool started_ = false, done_ = false, closed_ = false;
  std::optional<Error> error_;
  std::string current_;
  size_t current_pos_ = 0;
  std::jthread thread_;
};

class S3Remote : public Remote {
 public:
  S3Remote(std::string display, S3Config cfg, AwsCredentials creds, std::string bucket,
           std::string prefix)
      : display_(std::move(display)),
        cfg_(std::move(cfg)),
        creds_(std::move(creds)),
        bucket_(std::move(bucket)),
        prefix_(std::move(prefix)),
        http_(MakeHttpOptions(cfg_)) {
    retry_.max_attempts = cfg_.low_level_retries;
    features_.server_side_copy = true;
    features_.purge = true;
    features_.set_modtime = true;
    features_.empty_dirs = false;
    features_.hashes = HashSet{HashType::kMd5};
    features_.mtime_precision = cfg_.use_server_modtime
                                    ? std::chrono::nanoseconds(std::chrono::seconds(1))
                                    : std::chrono::nanoseconds(1);
    const size_t scheme_end = cfg_.endpoint.find("://");
    scheme_ = cfg_.endpoint.substr(0, scheme_end);
    host_ = cfg_.endpoint.substr(scheme_end + 3);
  }

  std::string Type() const override { return "s3"; }
  std::string Name() const override { return display_; }
  const Features& GetFeatures() const override { return features_; }

  Result<std::vector<ObjectInfo>> List(const Context& ctx, const std::string& dir) override;
  Result<ObjectInfo> Stat(const Context& ctx, const std::string& path) override;
  Result<std::unique_ptr<Reader>> Open(const Context& ctx, const std::string& path, int64_t offset,
                                       int64_t count) override;
  Result<ObjectInfo> Put(const Context& ctx, const std::string& path, Reader& src,
                         const PutOptions& opts) override;
  Status Delete(const Context& ctx, const std::string& path) override;
  Status Mkdir(const Context& ctx, const std::string& dir) override;
  Status Rmdir(const Context& ctx, const std::string& dir) override;
  Status Purge(const Context& ctx, const std::string& dir) override;
  Result<ObjectInfo> Copy(const Context& ctx, Remote& src, const std::string& src_path,
                          const std::string& dst_path) override;
  Status SetModTime(const Context& ctx, const std::string& path, TimePoint mtime) override;
  Result<std::string> Hash(const Context& ctx, const std::string& path, HashType type) override;

  // The request layer, also used by the download reader and the multipart target.
  Result<HttpResponse> Send(const Context& ctx, Call call);
  const S3Config& config() const { return cfg_; }
  // Headers every new object gets: ACL, storage class, encryption.
  void AddObjectHeaders(std::vector<Header>& headers) const;

 private:
  struct Location {
    std::string bucket;
    std::string key;  // "" for a bucket itself
  };

  static HttpOptions MakeHttpOptions(const S3Config& cfg) {
    HttpOptions o = DefaultHttpOptions();
    o.connect_timeout = cfg.connect_timeout;
    o.idle_timeout = cfg.timeout;
    return o;
  }

  Result<Location> Locate(const std::string& path) const;
  Result<HttpResponse> Attempt(const Context& ctx, const Call& call, RetryHint& hint);
  Result<std::vector<ObjectInfo>> ListBuckets(const Context& ctx);
  // Lists under loc.key + "/" page by page (recursive: no delimiter). first_key_only: one
  // request for at most one key (an existence check).
  Status ListPages(const Context& ctx, const Location& loc, bool recursive, bool first_key_only,
                   const std::function<Status(const ListResult&)>& page);
  Status FillMtimes(const Context& ctx, const Location& dir, std::vector<ObjectInfo>& entries);
  // HEAD of an object: its info (path set from `path`), or kNotFound / kIsDir.
  Result<ObjectInfo> HeadObject(const Context& ctx, const Location& loc, const std::string& path,
                                HttpHeaders* headers_out = nullptr);
  Result<bool> PrefixHasKeys(const Context& ctx, const std::string& bucket,
                             const std::string& prefix);
  Status NotFoundOrIsDir(const Context& ctx, const Location& loc, const std::string& path);
  Status EnsureBucket(const Context& ctx, const std::string& bucket);
  Status CreateBucket(const Context& ctx, const std::string& bucket);
  Status DeleteBucket(const Context& ctx, const std::string& bucket);
  Result<ObjectInfo> PutSingle(const Context& ctx, const Location& loc, const std::string& path,
                               std::string data, const PutOptions& opts);
  Result<ObjectInfo> PutMultipart(const Context& ctx, const Location& loc, const std::string& path,
                                  Reader& src, const PutOptions& opts);
  Status CopyObject(const Context& ctx, const Location& src, const Location& dst,
                    const std::vector<Header>& extra);
  // UploadPartCopy in parts of copy_cutoff; `create` holds the new object's metadata.
  Status CopyMultipart(const Context& ctx, const Location& src, const Location& dst, int64_t size,
                       std::vector<Header> create);
  Status DeleteKeys(const Context& ctx, const std::string& bucket,
                    const std::vector<std::string>& keys);

  std::string display_;
  S3Config cfg_;
  AwsCredentials creds_;
  std::string bucket_;  // "" when the root lists buckets
  std::string prefix_;  // key prefix inside the bucket, no leading/trailing '/'
  std::string scheme_, host_;
  HttpClient http_;
  RetryPolicy retry_;
  Features features_;
  std::mutex bucket_mu_;
  std::mutex bucket_create_mu_;  // held across EnsureBucket's HEAD and create
  std::set<std::string> buckets_ok_;
};

// ---- the request layer ----

void S3Remote::AddObjectHeaders(std::vector<Header>& headers) const {
  if (!cfg_.acl.empty()) headers.emplace_back("x-amz-acl", cfg_.acl);
  if (!cfg_.storage_class.empty()) headers.emplace_back("x-amz-storage-class", cfg_.storage_class);
  if (!cfg_.server_side_encryption.empty()) {
    headers.emplace_back("x-amz-server-side-encryption", cfg_.server_side_encryption);
  }
}

Result<HttpResponse> S3Remote::Send(const Context& ctx, Call call) {
  std::function<Result<HttpResponse>(int, RetryHint&)> op = [&](int, RetryHint& hint) {
    if (call.prepare) call.prepare(call);
    return Attempt(ctx, call, hint);
  };
  return WithRetries<HttpResponse>(ctx, retry_, op);
}

Result<HttpResponse> S3Remote::Attempt(const Context& ctx, const Call& call, RetryHint& hint) {
  std::string host = host_;
  std::string path;
  // A bucket name with dots cannot be a TLS host name under a wildcard certificate: path style.
  const bool dotted = scheme_ == "https" && call.bucket.find('.') != std::string::npos;
  if (call.bucket.empty() || cfg_.path_style || dotted) {
    path = call.bucket.empty() ? "/" : "/" + call.bucket + "/" + call.key;
    if (!call.bucket.empty() && call.key.empty()) path.pop_back();  // "/bucket"
  } else {
    host = call.bucket + "." + host_;
    path = "/" + call.key;
  }
  std::string url = scheme_ + "://" + host + CanonicalUri(path);
  for (size_t i = 0; i < call.query.size(); ++i) {
    url += (i == 0 ? "?" : "&") + UriEncode(call.query[i].first, true) + "=" +
           UriEncode(call.query[i].second, true);
  }
  HttpRequest req;
  req.method = call.method;
  req.url = url;
  req.body = call.body;
  req.sink = call.sink;
  req.headers = call.headers;
  req.headers.emplace_back("Host", host);
  if (!creds_.anonymous) {
    const std::string payload = !call.payload_hash.empty() ? call.payload_hash
                                : call.body.empty()        ? std::string(kEmptySha256)
                                                           : std::string(kUnsignedPayload);
    req.headers.emplace_back("x-amz-content-sha256", payload);
    SigningRequest sreq{.method = call.method,
                        .path = path,
                        .query = call.query,
                        .headers = req.headers,
                        .signed_headers = {},
                        .payload_hash = payload};
    SigningParams params{
        .region = cfg_.region,
        .service = "s3",
        .time = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())};
    CVC_ASSIGN_OR_RETURN(SignedRequest signed_req, SignRequest(sreq, creds_.ForSigning(), params));
    for (const Header& h : signed_req.added_headers) req.headers.push_back(h);
    req.headers.emplace_back("Authorization", signed_req.authorization);
  }
  const std::string where = call.key.empty() ? call.bucket : call.bucket + "/" + call.key;
  auto resp = http_.Perform(ctx, req);
  if (!resp) return Propagate(resp.error(), "s3: " + call.op + " " + where);
  if (resp->status < 300 ||
      std::find(call.accept.begin(), call.accept.end(), resp->status) != call.accept.end()) {
    return resp;
  }
  hint.retry_after = RetryAfterOf(*resp);
  return Unexpected<Error>(S3ErrorFromResponse(call.op, call.bucket, call.key, *resp));
}

Result<S3Remote::Location> S3Remote::Locate(const std::string& path) const {
  if (!path.empty()) CVC_RETURN_IF_ERROR(ValidatePath(path));
  if (!bucket_.empty()) return Location{bucket_, JoinPath(prefix_, path)};
  const size_t slash = path.find('/');
  if (slash == std::string::npos) return Location{path, ""};
  return Location{path.substr(0, slash), path.substr(slash + 1)};
}

// ---- listing ----

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
  if (!cfg_.use_server_modtime) CVC_RETURN_IF_ERROR(FillMtimes(ctx, loc, out));
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

// ---- objects ----

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
  ObjectInfo info{.path = path};
  const auto& h = resp.headers;
  const std::string length = h.Get("Content-Length").value_or("");
  if (std::from_chars(length.data(), length.data() + length.size(), info.size).ec != std::errc()) {
    info.size = -1;
  }
  info.mtime = ParseHttpDate(h.Get("Last-Modified").value_or(""));
  if (auto m = h.Get("x-amz-meta-mtime")) {
    if (auto t = ParseMtime(*m)) info.mtime = *t;
  }
  const std::string etag = StripQuotes(h.Get("ETag").value_or(""));
  if (IsMd5Hex(etag)) {
    info.hashes[HashType::kMd5] = etag;
  } else if (auto sum = h.Get("x-amz-meta-md5chksum")) {
    const std::string raw = Base64Decode(*sum);
    if (raw.size() == 16) info.hashes[HashType::kMd5] = ToHex(raw);
  }
  if (headers_out != nullptr) *headers_out = resp.headers;
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

// ---- buckets and directories ----

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
  }
  CVC_ASSIGN_OR_RETURN(
      HttpResponse r,
      Send(ctx, Call{.op = "HeadBucket", .method = "HEAD", .bucket = bucket, .accept = {404}}));
  if (r.status == 404) CVC_RETURN_IF_ERROR(CreateBucket(ctx, bucket));
  std::lock_guard lock(bucket_mu_);
  buckets_ok_.insert(bucket);
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

// ---- uploads ----

// Metadata headers of a new object.
std::vector<Header> MetaHeaders(const PutOptions& opts) {
  std::vector<Header> h;
  h.emplace_back("Content-Type", "application/octet-stream");
  if (opts.mtime != TimePoint{}) h.emplace_back("x-amz-meta-mtime", FormatMtime(opts.mtime));
  return h;
}

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

class KeyUpload : public MultipartTarget {
 public:
  KeyUpload(S3Remote& remote, std::string bucket, std::string key, std::vector<Header> create)
      : remote_(remote),
        bucket_(std::move(bucket)),
        key_(std::move(key)),
        create_headers_(std::move(create)) {}

  Result<std::string> Create(const Context& ctx) override {
    Call call{.op = "CreateMultipartUpload",
              .method = "POST",
              .bucket = bucket_,
              .key = key_,
              .query = {{"uploads", ""}},
              .headers = create_headers_};
    CVC_ASSIGN_OR_RETURN(HttpResponse r, remote_.Send(ctx, std::move(call)));
    return ParseInitiateMultipartUpload(r.body);
  }
  Result<std::string> UploadPart(const Context& ctx, const std::string& upload_id, int number,
                                 std::string_view data, const std::string& md5) override {
    Call call{.op = "UploadPart",
              .method = "PUT",
              .bucket = bucket_,
              .key = key_,
              .query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}},
              .headers = {{"Content-MD5", md5}},
              .body = data,
              .payload_hash = std::string(kUnsignedPayload)};
    CVC_ASSIGN_OR_RETURN(HttpResponse r, remote_.Send(ctx, std::move(call)));
    return StripQuotes(r.headers.Get("ETag").value_or(""));
  }
  Result<std::string> Complete(const Context& ctx, const std::string& upload_id,
                               const std::vector<CompletedPart>& parts) override {
    const std::string body = BuildCompleteMultipartUpload(parts);
    Call call{.op = "CompleteMultipartUpload",
              .method = "POST",
              .bucket = bucket_,
              .key = key_,
              .query = {{"uploadId", upload_id}},
              .body = body,
              .payload_hash = HexSha256(body)};
    call.headers.emplace_back("Content-Type", "application/xml");
    CVC_ASSIGN_OR_RETURN(HttpResponse r, remote_.Send(ctx, std::move(call)));
    return ParseCompleteMultipartUpload(r.body);
  }
  Status Abort(const Context& ctx, const std::string& upload_id) override {
    Call call{.op = "AbortMultipartUpload",
              .method = "DELETE",
              .bucket = bucket_,
              .key = key_,
              .query = {{"uploadId", upload_id}},
              .accept = {404}};
    CVC_RETURN_IF_ERROR(remote_.Send(ctx, std::move(call)));
    return Ok();
  }

 private:
  S3Remote& remote_;
  std::string bucket_, key_;
  std::vector<Header> create_headers_;
};

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

// ---- server-side copies and metadata ----

// The headers of a HEAD answer that a metadata-replacing copy must carry over: x-amz-meta-*
// (except `skip`) and the content headers.
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

Status S3Remote::CopyObject(const Context& ctx, const Location& src, const Location& dst,
                            const std::vector<Header>& extra) {
  Call call{
      .op = "CopyObject", .method = "PUT", .bucket = dst.bucket, .key = dst.key, .headers = extra};
  call.headers.emplace_back("x-amz-copy-source",
                            UriEncode("/" + src.bucket + "/" + src.key, false));
  AddObjectHeaders(call.headers);
  CVC_ASSIGN_OR_RETURN(HttpResponse r, Send(ctx, std::move(call)));
  CVC_RETURN_IF_ERROR(ParseCopyResult(r.body));
  return Ok();
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
  } else {
    CVC_RETURN_IF_ERROR(CopyObject(ctx, from, to, {}));
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
  return CopyObject(ctx, loc, loc, meta);
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
  cv_.wait(lock, [&] { return closed_ || queued_ < kDownloadQueueBytes; });
  if (closed_) return MakeError(ErrorCode::kCancelled, "download closed");
  chunks_.emplace_back(reinterpret_cast<const char*>(data.data()), data.size());
  queued_ += data.size();
  next_ += static_cast<int64_t>(data.size());
  started_ = true;
  cv_.notify_all();
  return Ok();
}

void DownloadReader::Produce() {
  Call call{.op = "GET", .bucket = bucket_, .key = key_, .accept = {416}};
  call.sink = [this](std::span<const std::byte> data) { return Push(data); };
  call.prepare = [this](Call& c) {
    std::lock_guard lock(mu_);
    c.headers.clear();
    if (next_ > 0 || end_ >= 0) {
      c.headers.emplace_back("Range", "bytes=" + std::to_string(next_) + "-" +
                                          (end_ >= 0 ? std::to_string(end_ - 1) : ""));
    }
  };
  auto r = remote_.Send(ctx_, std::move(call));
  std::lock_guard lock(mu_);
  if (!r) {
    error_ = r.error();
  } else if (r->status == 416 && started_) {
    error_ = Error(ErrorCode::kIo, "s3: GET " + bucket_ + "/" + key_ + ": object shrank");
  }
  done_ = true;  // 416 before any byte: the offset is at or past the end, an empty stream
  cv_.notify_all();
}

Result<size_t> DownloadReader::Read(std::span<std::byte> buf) {
  if (buf.empty()) return size_t{0};
  while (current_pos_ >= current_.size()) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !chunks_.empty() || done_; });
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

}  // namespace

Result<std::unique_ptr<Remote>> NewS3Remote(const std::string& display_name,
                                            const std::string& root, const Options& options) {
  CVC_ASSIGN_OR_RETURN(S3Config cfg, ParseS3Config(options));
  CVC_ASSIGN_OR_RETURN(ResolvedAuth auth, ResolveCredentials(options));
  if (!options.Get("region") && !auth.profile_region.empty()) {
    Options with_region = options;
    with_region.Set("region", auth.profile_region);
    CVC_ASSIGN_OR_RETURN(cfg, ParseS3Config(with_region));
  }
  std::string r = root;
  while (!r.empty() && r.front() == '/') r.erase(0, 1);
  while (!r.empty() && r.back() == '/') r.pop_back();
  if (!r.empty()) {
    if (Status st = ValidatePath(r); !st) {
      return MakeError(ErrorCode::kConfig,
                       "s3: bad root \"" + root + "\": " + st.error().message());
    }
  }
  const size_t slash = r.find('/');
  std::string bucket = r.substr(0, slash);
  std::string prefix = slash == std::string::npos ? "" : r.substr(slash + 1);
  return std::unique_ptr<Remote>(std::make_unique<S3Remote>(display_name, std::move(cfg),
                                                            std::move(auth.credentials),
                                                            std::move(bucket), std::move(prefix)));
}

}  // namespace cvclone::s3
