#include "backends/s3/s3_options.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace cvclone::s3 {
namespace {

Unexpected<Error> BadOption(const std::string& name, const std::string& why) {
  return MakeError(ErrorCode::kConfig, "s3: option " + name + ": " + why);
}

bool IsAwsProvider(const std::string& provider) {
  std::string p = provider;
  std::transform(p.begin(), p.end(), p.begin(), [](unsigned char c) { return std::tolower(c); });
  return p == "aws";
}

// "host[:port]" or "scheme://host[:port]" with no path; returns the endpoint with a scheme
// (https:// by default) and no trailing '/'.
Result<std::string> NormaliseEndpoint(std::string endpoint) {
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  if (endpoint.find("://") == std::string::npos) endpoint = "https://" + endpoint;
  if (endpoint.rfind("http://", 0) != 0 && endpoint.rfind("https://", 0) != 0) {
    return BadOption("endpoint", "\"" + endpoint + "\" must be http:// or https://");
  }
  const size_t host_start = endpoint.find("://") + 3;
  if (host_start >= endpoint.size() || endpoint.find('/', host_start) != std::string::npos) {
    return BadOption("endpoint", "\"" + endpoint + "\" must be a scheme and host, no path");
  }
  return endpoint;
}

Result<int> GetIntIn(const Options& options, const std::string& name, int fallback, int lo,
                     int hi) {
  CVC_ASSIGN_OR_RETURN(int64_t v, options.GetInt(name, fallback));
  if (v < lo || v > hi) {
    return BadOption(name, std::to_string(v) + " is out of range " + std::to_string(lo) + ".." +
                               std::to_string(hi));
  }
  return static_cast<int>(v);
}

Result<std::chrono::milliseconds> GetDuration(const Options& options, const std::string& name,
                                              std::chrono::milliseconds fallback) {
  auto v = options.Get(name);
  if (!v) return fallback;
  auto d = ParseDuration(*v);
  if (!d) return BadOption(name, d.error().message());
  return *d;
}

Status ParseSizes(const Options& options, S3Config& c) {
  CVC_ASSIGN_OR_RETURN(c.upload_cutoff, options.GetSize("upload_cutoff", c.upload_cutoff));
  CVC_ASSIGN_OR_RETURN(c.chunk_size, options.GetSize("chunk_size", c.chunk_size));
  CVC_ASSIGN_OR_RETURN(c.copy_cutoff, options.GetSize("copy_cutoff", c.copy_cutoff));
  if (c.upload_cutoff > kMaxSinglePut) return BadOption("upload_cutoff", "must be at most 5Gi");
  if (c.chunk_size < kMinChunkSize) return BadOption("chunk_size", "must be at least 5Mi");
  if (c.chunk_size > kMaxSinglePut) return BadOption("chunk_size", "must be at most 5Gi");
  if (c.copy_cutoff < kMinChunkSize || c.copy_cutoff > kMaxSinglePut) {
    return BadOption("copy_cutoff", "must be between 5Mi and 5Gi");
  }
  return Ok();
}

}  // namespace

std::vector<OptionSpec> S3OptionSpecs() {
  return {
      {.name = "provider",
       .help = "S3 provider: AWS, Other, Minio, Ceph, Wasabi, ...",
       .default_value = "AWS"},
      {.name = "env_auth",
       .help = "Take credentials from the environment (AWS_ACCESS_KEY_ID, AWS_PROFILE, "
               "~/.aws/credentials, ~/.aws/config) when access_key_id is empty",
       .default_value = "false"},
      {.name = "access_key_id", .help = "AWS access key ID"},
      {.name = "secret_access_key", .help = "AWS secret access key", .secret = true},
      {.name = "session_token", .help = "AWS session token", .secret = true},
      {.name = "profile",
       .help = "Profile in the AWS shared files, with env_auth (empty: "
               "$AWS_PROFILE, else default)"},
      {.name = "shared_credentials_file",
       .help = "AWS shared credentials file, with env_auth (empty: ~/.aws/credentials)"},
      {.name = "region", .help = "Region to sign requests for", .default_value = "us-east-1"},
      {.name = "endpoint",
       .help = "Endpoint for the S3 API (empty: AWS's for the region); http:// or https://"},
      {.name = "location_constraint",
       .help = "Location constraint when creating buckets (empty: none, i.e. us-east-1)"},
      {.name = "force_path_style",
       .help = "Path-style URLs (empty: virtual-hosted for AWS without a custom endpoint, "
               "path style otherwise)"},
      {.name = "acl", .help = "Canned ACL for new objects and buckets (e.g. private)"},
      {.name = "storage_class", .help = "Storage class for new objects (e.g. STANDARD_IA)"},
      {.name = "server_side_encryption", .help = "Server-side encryption (AES256 or aws:kms)"},
      {.name = "upload_cutoff",
       .help = "Above this size uploads are multipart",
       .default_value = "200Mi"},
      {.name = "chunk_size",
       .help = "Multipart part size (raised so that no upload needs more than 10,000 parts)",
       .default_value = "5Mi"},
      {.name = "upload_concurrency",
       .help = "Parts of one multipart upload sent at once",
       .default_value = "4"},
      {.name = "copy_cutoff",
       .help = "Above this size server-side copies are multipart",
       .default_value = "4.6Gi"},
      {.name = "list_chunk", .help = "Keys per listing request (1..1000)", .default_value = "1000"},
      {.name = "list_version",
       .help = "ListObjects version: 1, 2 or 0 for auto (2)",
       .default_value = "0"},
      {.name = "no_check_bucket",
       .help = "Do not check or create the bucket before uploads",
       .default_value = "false"},
      {.name = "disable_checksum",
       .help = "Do not store the MD5 of multipart uploads in X-Amz-Meta-Md5chksum",
       .default_value = "false"},
      {.name = "leave_parts_on_error",
       .help = "Do not abort a failed or interrupted multipart upload: the next upload of the "
               "same file resumes it (cvclone cleanup removes what is left)",
       .default_value = "false"},
      {.name = "use_server_modtime",
       .help = "Listings give the upload time (LastModified) as the mtime, as rclone's "
               "--use-server-modtime (mtimes are then the upload times; precision 1 s)",
       .default_value = "false"},
      {.name = "exact_modtime",
       .help = "Read every listed object's modtime metadata with one HEAD each, as rclone does: "
               "slower, for when the listing's upload time must not be trusted",
       .default_value = "false"},
      {.name = "low_level_retries",
       .help = "Attempts per request for retryable failures",
       .default_value = "10"},
      {.name = "connect_timeout",
       .help = "Connection timeout (e.g. 10s, 1m)",
       .default_value = "1m"},
      {.name = "timeout",
       .help = "Idle timeout: fail a transfer that moves nothing this long",
       .default_value = "5m"},
  };
}

Result<S3Config> ParseS3Config(const Options& options) {
  S3Config c;
  c.provider = options.GetOr("provider", c.provider);
  CVC_ASSIGN_OR_RETURN(c.env_auth, options.GetBool("env_auth", false));
  c.region = options.GetOr("region", c.region);
  c.location_constraint = options.GetOr("location_constraint", "");
  c.acl = options.GetOr("acl", "");
  c.storage_class = options.GetOr("storage_class", "");
  c.server_side_encryption = options.GetOr("server_side_encryption", "");
  if (auto endpoint = options.Get("endpoint")) {
    CVC_ASSIGN_OR_RETURN(c.endpoint, NormaliseEndpoint(*endpoint));
    c.endpoint_is_custom = true;
  } else {
    c.endpoint = "https://s3." + c.region + ".amazonaws.com";
  }
  const bool default_path_style = !(IsAwsProvider(c.provider) && !c.endpoint_is_custom);
  CVC_ASSIGN_OR_RETURN(c.path_style, options.GetBool("force_path_style", default_path_style));
  CVC_RETURN_IF_ERROR(ParseSizes(options, c));
  CVC_ASSIGN_OR_RETURN(c.upload_concurrency, GetIntIn(options, "upload_concurrency", 4, 1, 64));
  CVC_ASSIGN_OR_RETURN(c.list_chunk, GetIntIn(options, "list_chunk", 1000, 1, 1000));
  CVC_ASSIGN_OR_RETURN(c.list_version, GetIntIn(options, "list_version", 0, 0, 2));
  if (c.list_version == 0) c.list_version = 2;
  CVC_ASSIGN_OR_RETURN(c.no_check_bucket, options.GetBool("no_check_bucket", false));
  CVC_ASSIGN_OR_RETURN(c.disable_checksum, options.GetBool("disable_checksum", false));
  CVC_ASSIGN_OR_RETURN(c.leave_parts_on_error, options.GetBool("leave_parts_on_error", false));
  CVC_ASSIGN_OR_RETURN(c.use_server_modtime, options.GetBool("use_server_modtime", false));
  CVC_ASSIGN_OR_RETURN(c.exact_modtime, options.GetBool("exact_modtime", false));
  CVC_ASSIGN_OR_RETURN(c.low_level_retries, GetIntIn(options, "low_level_retries", 10, 1, 1000));
  CVC_ASSIGN_OR_RETURN(c.connect_timeout,
                       GetDuration(options, "connect_timeout", c.connect_timeout));
  CVC_ASSIGN_OR_RETURN(c.timeout, GetDuration(options, "timeout", c.timeout));
  return c;
}

Result<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  auto bad = [&] {
    return MakeError(ErrorCode::kInvalidArgument,
                     "\"" + text + "\" is not a duration (examples: 30s, 1m30s, 500ms)");
  };
  if (text.empty()) return bad();
  constexpr double kMaxMs = static_cast<double>(kMaxDuration.count());
  double total_ms = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  while (p < end) {
    double number = 0;
    auto [next, ec] = std::from_chars(p, end, number);
    // from_chars also reads "inf" and "nan"; !(number >= 0) refuses NaN as well.
    if (ec != std::errc() || !(number >= 0) || std::isinf(number)) return bad();
    p = next;
    std::string unit;
    while (p < end && std::isalpha(static_cast<unsigned char>(*p))) unit += *p++;
    double scale = 0;
    if (unit.empty() && p == end && total_ms == 0)
      scale = 1000;  // plain seconds
    else if (unit == "ms")
      scale = 1;
    else if (unit == "s")
      scale = 1000;
    else if (unit == "m")
      scale = 60'000;
    else if (unit == "h")
      scale = 3'600'000;
    else
      return bad();
    total_ms += number * scale;
    // Checked before the conversion below: a double beyond int64_t converts undefined.
    if (!(total_ms <= kMaxMs)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "\"" + text + "\" is out of range (at most 100 years)");
    }
  }
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms));
}

int64_t PartSizeFor(int64_t configured, int64_t size) {
  int64_t part = std::max(configured, kMinChunkSize);
  if (size < 0 || size <= part * kMaxParts) return part;
  constexpr int64_t kMiB = int64_t{1} << 20;
  const int64_t needed = (size + kMaxParts - 1) / kMaxParts;
  return (needed + kMiB - 1) / kMiB * kMiB;
}

std::string FormatMtime(TimePoint t) {
  const int64_t ns = t.time_since_epoch().count();
  // Whole seconds and fraction separately, so that the earliest TimePoint (whose negation
  // does not fit in int64_t) is written too.
  const int64_t secs = ns / 1'000'000'000;
  const int64_t frac = ns % 1'000'000'000;
  std::string out = (ns < 0 ? "-" : "") + std::to_string(secs < 0 ? -secs : secs);
  if (frac == 0) return out;
  std::string digits = std::to_string(frac < 0 ? -frac : frac);
  digits.insert(0, 9 - digits.size(), '0');
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  return out + "." + digits;
}

Result<TimePoint> ParseMtime(const std::string& text) {
  auto bad = [&] {
    return MakeError(ErrorCode::kInvalidArgument, "bad mtime metadata \"" + text + "\"");
  };
  size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) i = 1;
  const size_t dot = text.find('.', i);
  const std::string whole = text.substr(i, dot == std::string::npos ? std::string::npos : dot - i);
  std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 12) return bad();
  auto all_digits = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
  };
  if (!all_digits(whole) || !all_digits(frac)) return bad();
  if (frac.size() > 9) frac.resize(9);  // finer than nanoseconds: truncated
  frac.append(9 - frac.size(), '0');
  // At most 12 and 9 digits: these fit; the sum may not fit in a TimePoint.
  const int64_t secs = std::stoll(whole);
  const int64_t nanos = std::stoll(frac);
  auto t = negative ? TimeFromUnix(-secs, -nanos) : TimeFromUnix(secs, nanos);
  if (!t) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        "mtime metadata \"" + text + "\" is out of range (times from 1677-09-21 to 2262-04-11)");
  }
  return *t;
}

}  // namespace cvclone::s3
