// Internals of the s3 backend's remote, shared by its implementation files (s3_remote.cpp: the
// request layer and construction; s3_list.cpp; s3_object.cpp: HEAD, GET, DELETE; s3_bucket.cpp:
// buckets, directories, purge; s3_put.cpp; s3_copy.cpp; multipart_uploads.cpp: unfinished
// uploads: the multipart target, resuming, cleanup). Not for use outside backends/s3: the
// public face is s3_remote.hpp, whose header comment is the contract.
#pragma once

#include <atomic>
#include <cstdlib>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "backends/s3/credentials.hpp"
#include "backends/s3/multipart.hpp"
#include "backends/s3/multipart_journal.hpp"
#include "backends/s3/s3_options.hpp"
#include "backends/s3/s3_remote.hpp"
#include "backends/s3/sigv4.hpp"
#include "backends/s3/xml.hpp"
#include "core/context.hpp"
#include "core/error.hpp"
#include "core/http/http.hpp"
#include "core/remote.hpp"
#include "core/state_dir.hpp"

namespace cvclone::s3::impl {

// Metadata every multipart upload cvclone creates carries (and so its object): the mark of an
// upload of ours for anyone looking at it. Which uploads this machine left unfinished is known
// from the journal (multipart_journal.hpp), since S3 lists no metadata of unfinished uploads.
inline constexpr char kUploadMarkHeader[] = "x-amz-meta-cvclone-upload";

// An ETag without its surrounding quotes.
std::string StripQuotes(std::string s);
// Whether s is 32 lower-case hex digits (a single-part ETag is the object's MD5).
bool IsMd5Hex(const std::string& s);
// Metadata headers of a new object (s3_put.cpp).
std::vector<Header> MetaHeaders(const PutOptions& opts);
// The headers of a HEAD answer that a metadata-replacing copy must carry over: x-amz-meta-*
// (except `skip`) and the content headers (s3_copy.cpp).
std::vector<Header> CarriedHeaders(const HttpHeaders& headers, const std::string& skip);

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
  // Or a streamed body of body_length bytes (see HttpRequest::body_reader); one attempt only,
  // as a Reader cannot be rewound.
  Reader* body_reader = nullptr;
  int64_t body_length = 0;
  std::string payload_hash;  // empty: SHA-256 of an empty body, else UNSIGNED-PAYLOAD
  BodySink sink;
  std::function<void(const HttpHeaders&)> on_headers;  // see HttpRequest::on_headers
  std::vector<long> accept;  // non-2xx statuses returned as responses, not errors
  std::function<void(Call&)> prepare;
};

class S3Remote;
class KeyUpload;

// An object's info from HEAD or GET response headers: size (Content-Length), mtime
// (X-Amz-Meta-Mtime, else Last-Modified), MD5 (ETag if it is one, else X-Amz-Meta-Md5chksum).
ObjectInfo InfoFromHeaders(const std::string& path, const HttpHeaders& headers);

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
  // From the GET's headers when the whole object is read (no range), else nullptr.
  const ObjectInfo* OpenedInfo() const override { return opened_ ? &*opened_ : nullptr; }
  // The ETag of the first answer; every later attempt (a resumed range) asks for that version
  // only (If-Match), and fails as "changed during the download" when the object was replaced.
  std::string Version() const override {
    std::lock_guard lock(mu_);
    return etag_;
  }

 private:
  void Produce();
  Status Push(std::span<const std::byte> data);

  S3Remote& remote_;
  std::string bucket_, key_;
  int64_t next_, end_;  // next byte to fetch; end (exclusive) or -1
  Context ctx_;
  std::stop_source stop_;
  std::optional<std::stop_callback<std::function<void()>>> link_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_;
  size_t queued_ = 0;
  bool started_ = false, done_ = false, closed_ = false;
  std::optional<Error> error_;
  std::string current_;
  size_t current_pos_ = 0;
  // While Read waits with nothing queued: its buffer, which Push fills directly, and the bytes
  // put there so far. Push clears want_ when the buffer is full.
  std::span<std::byte>* want_ = nullptr;
  size_t got_ = 0;
  std::optional<ObjectInfo> opened_;  // set before the first byte is queued (under mu_)
  std::string etag_;                   // of the first answer (under mu_)
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
        http_(MakeHttpOptions(cfg_)),
        journal_(StateDir() + "/uploads") {
    retry_.max_attempts = cfg_.low_level_retries;
    features_.server_side_copy = true;
    features_.purge = true;
    features_.set_modtime = true;
    features_.empty_dirs = false;
    features_.hashes = HashSet{HashType::kMd5};
    features_.public_link = true;
    features_.network = true;
    features_.verifies_puts = true;  // Content-MD5 on every PUT/part, ETags checked
    features_.cleanup = true;
    features_.listed_mtime_is_upload_time = !cfg_.use_server_modtime && !cfg_.exact_modtime;
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
  // The endpoint is the store; bucket and prefix the place in it.
  StorageLocation StorageRoot() const override {
    std::string path = bucket_;
    if (!prefix_.empty()) path += "/" + prefix_;
    while (!path.empty() && path.back() == '/') path.pop_back();
    return {.storage = "s3 " + cfg_.endpoint, .path = path, .view = ""};
  }

  Result<std::vector<ObjectInfo>> List(const Context& ctx, const std::string& dir) override;
  Result<ObjectInfo> Stat(const Context& ctx, const std::string& path) override;
  Result<std::unique_ptr<Reader>> OpenListed(const Context& ctx, const ObjectInfo& listed) override;
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
  Result<std::string> PublicLink(const Context& ctx, const std::string& path,
                                 std::chrono::seconds expire) override;
  Status Cleanup(const Context& ctx, const std::string& dir, std::chrono::seconds max_age,
                 bool dry_run) override;

  // The request layer, also used by the download reader and the multipart target.
  Result<HttpResponse> Send(const Context& ctx, Call call);
  const S3Config& config() const { return cfg_; }
  const UploadJournal& journal() const { return journal_; }
  // Every part of an unfinished upload, page by page (kNotFound: no such upload).
  Result<std::vector<ListedPart>> ListParts(const Context& ctx, const std::string& bucket,
                                            const std::string& key, const std::string& upload_id);
  // Test hook: UploadPart requests made through this remote (each retry counted once more).
  void CountUploadPart() { ++upload_part_requests_; }
  int64_t UploadPartRequests() const { return upload_part_requests_.load(); }
  // Headers every new object gets: ACL, storage class, encryption.
  void AddObjectHeaders(std::vector<Header>& headers) const;

 private:
  struct Location {
    std::string bucket;
    std::string key;  // "" for a bucket itself
  };

  static HttpOptions MakeHttpOptions(const S3Config& cfg) {
    HttpOptions o;
    // As the AWS CLI and SDKs: a CA bundle for TLS verification from the environment.
    const char* bundle = std::getenv("AWS_CA_BUNDLE");
    if (bundle != nullptr && *bundle != '\0') o.ca_bundle = bundle;
    // Presigned URLs carry their signature (and a session token) in the query string.
    o.secret_query_params = {"X-Amz-Signature", "Signature", "X-Amz-Security-Token"};
    o.connect_timeout = cfg.connect_timeout;
    o.idle_timeout = cfg.timeout;
    return o;
  }

  struct Address {
    std::string host;
    std::string path;  // decoded, for signing: "/bucket/key" (path style) or "/key"
  };

  Result<Location> Locate(const std::string& path) const;
  // Where a request for bucket/key goes: virtual-hosted or path style.
  Address AddressOf(const std::string& bucket, const std::string& key) const;
  Result<HttpResponse> Attempt(const Context& ctx, const Call& call, RetryHint& hint);
  Result<std::vector<ObjectInfo>> ListBuckets(const Context& ctx);
  // Lists under loc.key + "/" page by page (recursive: no delimiter). first_key_only: one
  // request for at most one key (an existence check).
  // One listing page, parsed; a page that does not parse is fetched again (a few times).
  Result<ListResult> FetchListPage(const Context& ctx, const Call& call, const std::string& what);
  Status ListPages(const Context& ctx, const Location& loc, bool recursive, bool first_key_only,
                   const std::function<Status(const ListResult&)>& page);
  Status FillMtimes(const Context& ctx, const Location& dir, std::vector<ObjectInfo>& entries);
  // One delimiter listing of dir (the entries directly in it).
  Result<std::vector<ObjectInfo>> ListOneLevel(const Context& ctx, const Location& loc,
                                               const std::string& dir);
  // The first listing of a remote: the tree under dir in one recursive listing, at most
  // kPrefetchPages pages (nullopt beyond: too large, list level by level). Returns dir's
  // entries and keeps every subdirectory's for the List() calls of a walk that follow.
  Result<std::optional<std::vector<ObjectInfo>>> ListTree(const Context& ctx,
                                                          const Location& loc,
                                                          const std::string& dir);
  // A subdirectory listing kept by ListTree, taken once; nullopt if none.
  std::optional<std::vector<ObjectInfo>> TakePrefetched(const std::string& dir);
  // HEAD of an object: its info (path set from `path`), or kNotFound / kIsDir.
  Result<ObjectInfo> HeadObject(const Context& ctx, const Location& loc, const std::string& path,
                                HttpHeaders* headers_out = nullptr);
  Result<bool> PrefixHasKeys(const Context& ctx, const std::string& bucket,
                             const std::string& prefix);
  Status NotFoundOrIsDir(const Context& ctx, const Location& loc, const std::string& path);
  Status EnsureBucket(const Context& ctx, const std::string& bucket);
  // HEAD of the bucket, and CreateBucket if it is missing.
  Status CheckOrCreateBucket(const Context& ctx, const std::string& bucket);
  Status CreateBucket(const Context& ctx, const std::string& bucket);
  Status DeleteBucket(const Context& ctx, const std::string& bucket);
  Result<ObjectInfo> PutSingle(const Context& ctx, const Location& loc, const std::string& path,
                               std::string data, const PutOptions& opts);
  // A single PutObject streamed from src (opts.size bytes) with Content-MD5 md5_hex; a retry
  // reads the data again through opts.reopen (no retry without it).
  Result<ObjectInfo> PutStreamed(const Context& ctx, const Location& loc, const std::string& path,
                                 Reader& src, const PutOptions& opts, const std::string& md5_hex);
  // After a single PUT: Ok if the ETag is md5_hex (or not an MD5), else deletes the object and
  // fails with kCorrupt.
  Status CheckSingleEtag(const Location& loc, const HttpResponse& r, const std::string& md5_hex);
  Result<ObjectInfo> PutMultipart(const Context& ctx, const Location& loc, const std::string& path,
                                  Reader& src, const PutOptions& opts);
  // The journal's unfinished uploads of loc that no running process is sending: the newest one
  // that can be resumed with these params (claimed for target, its parts listed), if any; every
  // other is aborted. An upload the server no longer has is forgotten.
  Result<std::optional<ResumeFrom>> TakeEarlierUpload(const Context& ctx, const Location& loc,
                                                      KeyUpload& target,
                                                      const MultipartParams& params);
  // Every unfinished upload in bucket under prefix, page by page.
  Status ListUploads(const Context& ctx, const std::string& bucket, const std::string& prefix,
                     const std::function<Status(const UploadEntry&)>& each);
  Status CleanupBucket(const Context& ctx, const std::string& bucket, const std::string& prefix,
                       std::chrono::seconds max_age, bool dry_run);
  // A server-side copy of up to 5 GiB; the new object's ETag.
  Result<std::string> CopyObject(const Context& ctx, const Location& src, const Location& dst,
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
  UploadJournal journal_;
  std::atomic<int64_t> upload_part_requests_{0};
  RetryPolicy retry_;
  Features features_;
  std::mutex bucket_mu_;
  std::mutex bucket_create_mu_;  // held across EnsureBucket's HEAD and create
  // Listings taken ahead by ListTree, dir → entries; dropped by any request that changes
  // something (Attempt with a method other than GET/HEAD), so they are never stale for us.
  std::mutex prefetch_mu_;
  std::map<std::string, std::vector<ObjectInfo>> prefetched_;
  bool tree_listed_ = false;  // ListTree is tried once per remote
  uint64_t prefetch_generation_ = 0;  // counts the clears: a listing older than one is dropped
  std::set<std::string> buckets_ok_;
  // Buckets whose check or creation failed with a non-retryable error (not retried per file).
  std::map<std::string, Error> buckets_failed_;
};

// The requests of one multipart upload (or multipart copy) to one key. With Journal(), the
// uploads it creates are recorded in the remote's journal before their first part is sent, and
// their records removed once they are completed or aborted (or the server cannot abort them);
// an upload that is left stays recorded, for a later run to resume or abort.
class KeyUpload : public MultipartTarget {
 public:
  KeyUpload(S3Remote& remote, std::string bucket, std::string key, std::vector<Header> create)
      : remote_(remote),
        bucket_(std::move(bucket)),
        key_(std::move(key)),
        create_headers_(std::move(create)) {}
  // Releases the uploads this process held (multipart_journal.hpp).
  ~KeyUpload() override;
  KeyUpload(const KeyUpload&) = delete;
  KeyUpload& operator=(const KeyUpload&) = delete;

  // Records the uploads it creates, with this part size and a digest of the Create headers.
  void Journal(int64_t part_size);
  // The record an upload of this target would have (upload id and times not set).
  JournalEntry Record() const;
  // Takes over an earlier upload of ours, claimed by this process: its record now names this
  // process, and is released with this target.
  void Adopt(const JournalEntry& e);
  // Forgets an earlier upload: its record is removed, its claim released.
  void Forget(const std::string& upload_id);

  Result<std::string> Create(const Context& ctx) override;
  Result<std::string> UploadPart(const Context& ctx, const std::string& upload_id, int number,
                                 std::string_view data, const std::string& md5) override;
  Result<std::string> Complete(const Context& ctx, const std::string& upload_id,
                               const std::vector<CompletedPart>& parts) override;
  Result<std::string> HeadEtag(const Context& ctx) override;
  Status RemoveCompleted(const Context& ctx) override;
  Status Abort(const Context& ctx, const std::string& upload_id) override;

 private:
  void WriteRecord(const std::string& upload_id, TimePoint started);

  S3Remote& remote_;
  std::string bucket_, key_;
  std::vector<Header> create_headers_;
  bool journal_ = false;
  int64_t part_size_ = 0;
  std::string digest_;
  std::vector<std::string> held_;  // upload ids this process holds or claimed
};

}  // namespace cvclone::s3::impl
