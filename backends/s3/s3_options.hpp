// The s3 backend's options (rclone's names) and their parsed, validated form.
//
// Empty values mean "default", as in rclone. Parsing never puts a secret into an error message.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/registry.hpp"
#include "core/remote.hpp"

namespace cvclone::s3 {

// S3 limits (AWS): parts are numbered 1..10000, each 5 MiB..5 GiB except the last; a single
// PutObject or CopyObject handles at most 5 GiB.
inline constexpr int64_t kMaxParts = 10'000;
inline constexpr int64_t kMinChunkSize = int64_t{5} << 20;
inline constexpr int64_t kMaxSinglePut = int64_t{5} << 30;

struct S3Config {
  std::string provider = "AWS";  // "AWS", "Other", "Minio", ...
  bool env_auth = false;
  std::string region = "us-east-1";
  // Scheme, host and optional port, no trailing '/': "https://s3.ca-central-1.amazonaws.com".
  std::string endpoint;
  bool endpoint_is_custom = false;  // given by the user (not derived from the region)
  std::string location_constraint;
  bool path_style = true;  // "https://host/bucket/key" rather than "https://bucket.host/key"
  std::string acl;
  std::string storage_class;
  std::string server_side_encryption;
  int64_t upload_cutoff = int64_t{200} << 20;
  int64_t chunk_size = kMinChunkSize;
  int upload_concurrency = 4;
  int64_t copy_cutoff = 4'939'212'390;  // 4.6 GiB, rclone's default (CopyObject allows 5 GiB)
  int list_chunk = 1000;
  int list_version = 2;  // 1 or 2 (0 / empty: auto, i.e. 2)
  bool no_check_bucket = false;
  bool disable_checksum = false;
  // A failed or interrupted multipart upload is left as it is (not aborted), for the next upload
  // of the same key to resume; as rclone's leave_parts_on_error.
  bool leave_parts_on_error = false;
  // Listings take the mtime from LastModified instead of one HEAD per object (X-Amz-Meta-Mtime),
  // like rclone's --use-server-modtime.
  bool use_server_modtime = false;
  // Listings read every object's X-Amz-Meta-Mtime with one HEAD each (as rclone does) instead of
  // giving LastModified flagged as ObjectInfo::mtime_is_upload_time. Ignored with
  // use_server_modtime.
  bool exact_modtime = false;
  int low_level_retries = 10;
  std::chrono::milliseconds connect_timeout{60'000};
  std::chrono::milliseconds timeout{300'000};  // idle: no byte moved for this long
};

// Every option the backend accepts, with help and defaults; secret_access_key and session_token
// are marked secret.
std::vector<OptionSpec> S3OptionSpecs();

// Parses and validates the options (kConfig naming the option on a bad value). Credentials are
// not resolved here (see credentials.hpp).
Result<S3Config> ParseS3Config(const Options& options);

// The longest duration ParseDuration accepts: 100 years, so that any duration can be added to
// a clock's time without overflow.
inline constexpr std::chrono::milliseconds kMaxDuration{int64_t{100} * 365 * 24 * 3600 * 1000};

// Parses a duration as rclone writes them: "30s", "1m30s", "500ms", "2h", or plain seconds;
// kInvalidArgument for anything else, a negative, infinite or NaN number, or a total beyond
// kMaxDuration.
Result<std::chrono::milliseconds> ParseDuration(const std::string& text);

// The part size for an upload of `size` bytes (-1: unknown): `configured`, raised (to a multiple
// of 1 MiB) so that the upload needs at most kMaxParts parts.
int64_t PartSizeFor(int64_t configured, int64_t size);

// X-Amz-Meta-Mtime as rclone writes it: decimal Unix seconds with up to 9 fractional digits,
// trailing zeros (and a bare '.') trimmed: "1614834367.123456789", "1614834367.5", "1614834367".
std::string FormatMtime(TimePoint t);
// Parses such a value (also accepts an exponent-free float with fewer digits, or a negative
// value); kInvalidArgument otherwise, also for a value beyond what a TimePoint holds ("out of
// range": a year after 2262 or before 1677).
Result<TimePoint> ParseMtime(const std::string& text);

}  // namespace cvclone::s3
