#include "backends/s3/s3_remote.hpp"

#include <algorithm>
#include <ctime>

#include "backends/s3/s3_remote_impl.hpp"

namespace cvclone::s3 {
namespace impl {

std::string StripQuotes(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

bool IsMd5Hex(const std::string& s) {
  return s.size() == 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

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

S3Remote::Address S3Remote::AddressOf(const std::string& bucket, const std::string& key) const {
  // A bucket name with dots cannot be a TLS host name under a wildcard certificate: path style.
  const bool dotted = scheme_ == "https" && bucket.find('.') != std::string::npos;
  if (bucket.empty() || cfg_.path_style || dotted) {
    std::string path = bucket.empty() ? "/" : "/" + bucket + "/" + key;
    if (!bucket.empty() && key.empty()) path.pop_back();  // "/bucket"
    return Address{host_, path};
  }
  return Address{bucket + "." + host_, "/" + key};
}

Result<HttpResponse> S3Remote::Attempt(const Context& ctx, const Call& call, RetryHint& hint) {
  if (call.method != "GET" && call.method != "HEAD") {
    std::lock_guard lock(prefetch_mu_);
    prefetched_.clear();
    ++prefetch_generation_;
  }
  const auto [host, path] = AddressOf(call.bucket, call.key);
  std::string url = scheme_ + "://" + host + CanonicalUri(path);
  for (size_t i = 0; i < call.query.size(); ++i) {
    url += (i == 0 ? "?" : "&") + UriEncode(call.query[i].first, true) + "=" +
           UriEncode(call.query[i].second, true);
  }
  HttpRequest req;
  req.method = call.method;
  req.url = url;
  req.body = call.body;
  req.body_reader = call.body_reader;
  req.body_length = call.body_length;
  req.sink = call.sink;
  req.on_headers = call.on_headers;
  req.headers = call.headers;
  req.headers.emplace_back("Host", host);
  if (!creds_.anonymous) {
    const bool no_body = call.body.empty() && call.body_reader == nullptr;
    const std::string payload = !call.payload_hash.empty() ? call.payload_hash
                                : no_body                  ? std::string(kEmptySha256)
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

}  // namespace impl

int64_t UploadPartRequests(const Remote& remote) {
  const auto* s3 = dynamic_cast<const impl::S3Remote*>(&remote);
  return s3 != nullptr ? s3->UploadPartRequests() : -1;
}

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
  return std::unique_ptr<Remote>(
      std::make_unique<impl::S3Remote>(display_name, std::move(cfg), std::move(auth.credentials),
                                       std::move(bucket), std::move(prefix)));
}

}  // namespace cvclone::s3
