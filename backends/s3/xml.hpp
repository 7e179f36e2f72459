// S3's XML documents: parsing responses into structs (pugixml) and building request bodies, plus
// the mapping of an S3 error response to an Error.
//
// Parsers accept the namespace-qualified documents AWS sends and the unqualified ones of
// S3-compatible servers (element names are matched without any prefix). A body that is not
// well-formed XML, or whose root element is not the expected one, fails with kNetwork, retryable
// (a truncated body is the usual cause), the message naming the operation:
// "ListObjectsV2: malformed XML response: <pugixml's reason> at offset N".
// A 200 response that holds an <Error> document (CompleteMultipartUpload, CopyObject,
// UploadPartCopy may do this) fails with the error that document describes (see S3ErrorFromXml).
//
// Thread-safety: all functions are reentrant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/http/http.hpp"
#include "core/remote.hpp"

namespace cvclone::s3 {

// One <Contents> of a listing.
struct ListEntry {
  std::string key;            // url-decoded when the listing had EncodingType=url
  std::string last_modified;  // as sent: "2009-10-12T17:50:30.000Z"
  TimePoint mtime{};          // last_modified parsed (zero if absent, unparsable or out of range)
  std::string etag;           // surrounding quotes stripped: "fba9dede5f27731c9771645a39863328"
  int64_t size = 0;           // -1 when <Size> is not a byte count (a non-negative number)
  std::string storage_class;
};

// ListObjectsV2 and ListObjects (V1) results.
struct ListResult {
  std::vector<ListEntry> contents;
  std::vector<std::string> common_prefixes;  // "dir/" (url-decoded as keys are)
  bool is_truncated = false;
  std::string next_continuation_token;  // V2 (never url-decoded: it is opaque)
  std::string next_marker;              // V1 (url-decoded as keys are); may be absent
  int64_t key_count = -1;               // V2 KeyCount; -1 if absent
  std::string encoding_type;            // "url" or ""
};
// A listing page with more elements than this fails before it is parsed (kCorrupt, "... elements"):
// S3 sends at most 1000 entries of under 20 elements each, and a page of millions of empty
// elements would otherwise cost gigabytes of parsed nodes.
inline constexpr size_t kMaxListPageElements = 200'000;
Result<ListResult> ParseListObjects(std::string_view xml);

// ListAllMyBucketsResult.
struct BucketEntry {
  std::string name;
  std::string creation_date;  // as sent
  TimePoint created{};
};
Result<std::vector<BucketEntry>> ParseListBuckets(std::string_view xml);

// An <Error> document.
struct S3ErrorInfo {
  std::string code;  // "NoSuchKey"
  std::string message;
  std::string resource;
  std::string request_id;
};
// The error document in xml, or nullopt if xml is empty, not well-formed, or not an <Error>.
std::optional<S3ErrorInfo> ParseErrorXml(std::string_view xml);

// Whether an S3 error code calls for a retry: SlowDown, RequestTimeout, InternalError,
// ServiceUnavailable, Throttling, ThrottlingException, RequestLimitExceeded, TooManyRequests,
// RequestThrottled. RequestTimeTooSkewed is NOT (the clock must be fixed).
bool IsRetryableS3Code(std::string_view code);

// InitiateMultipartUploadResult: the UploadId (kNetwork retryable if missing/empty).
Result<std::string> ParseInitiateMultipartUpload(std::string_view xml);

// CompleteMultipartUploadResult: the ETag, quotes stripped. An <Error> document (sent with
// status 200) fails as S3ErrorFromXml("CompleteMultipartUpload", ...).
Result<std::string> ParseCompleteMultipartUpload(std::string_view xml);

// CopyObjectResult or CopyPartResult (either root accepted); <Error> as above.
struct CopyResult {
  std::string etag;  // quotes stripped
  std::string last_modified;
  TimePoint mtime{};
};
Result<CopyResult> ParseCopyResult(std::string_view xml);

// DeleteResult of DeleteObjects.
struct DeleteError {
  std::string key;
  std::string code;
  std::string message;
};
struct DeleteResult {
  std::vector<std::string> deleted;  // keys (empty in quiet mode)
  std::vector<DeleteError> errors;
};
Result<DeleteResult> ParseDeleteResult(std::string_view xml);

// One <Part> of a ListParts answer.
struct ListedPart {
  int part_number = 0;  // 0 when absent or not a number
  std::string etag;     // quotes stripped
  int64_t size = -1;    // -1 when absent or not a number
};
// ListPartsResult: one page of the parts of an unfinished multipart upload. Pages go on from
// NextPartNumberMarker while IsTruncated.
struct ListPartsResult {
  std::vector<ListedPart> parts;
  bool is_truncated = false;
  int next_part_number_marker = 0;  // 0 when absent or not a number
};
// Refused unparsed beyond kMaxListPageElements elements, as a listing page is.
Result<ListPartsResult> ParseListParts(std::string_view xml);

// One <Upload> of a ListMultipartUploads answer.
struct UploadEntry {
  std::string key;        // url-decoded when the answer had EncodingType=url
  std::string upload_id;
  std::string initiated;  // as sent: "2010-11-10T20:48:33.000Z"
  TimePoint initiated_time{};  // initiated parsed (zero if absent, unparsable or out of range)
};
// ListMultipartUploadsResult: one page of a bucket's unfinished multipart uploads. Pages go on
// from NextKeyMarker and NextUploadIdMarker while IsTruncated.
struct ListUploadsResult {
  std::vector<UploadEntry> uploads;
  bool is_truncated = false;
  std::string next_key_marker;        // url-decoded as keys are
  std::string next_upload_id_marker;  // never url-decoded: it is opaque
};
// Refused unparsed beyond kMaxListPageElements elements, as a listing page is.
Result<ListUploadsResult> ParseListMultipartUploads(std::string_view xml);

// Body of CompleteMultipartUpload. Parts must be given in ascending part number; ETags are
// written as given (quotes added if missing, since S3 expects the quoted form).
struct CompletedPart {
  int part_number = 0;
  std::string etag;
};
std::string BuildCompleteMultipartUpload(const std::vector<CompletedPart>& parts);

// Body of DeleteObjects: <Delete><Quiet>true</Quiet><Object><Key>..</Key></Object>...</Delete>.
// Keys are XML-escaped by pugixml; at most 1000 keys per request (the caller batches).
std::string BuildDeleteObjects(const std::vector<std::string>& keys, bool quiet);

// Parses S3's ISO 8601 timestamps ("2009-10-12T17:50:30.000Z", fraction optional, "Z" or
// "+00:00"). nullopt if malformed, or beyond what a TimePoint holds (see TimeFromUnix).
std::optional<TimePoint> ParseIso8601(std::string_view text);

// A key or value of a listing asked for with encoding-type=url, decoded ('+' is kept: S3
// encodes spaces as %20). A text with a malformed escape is kept whole, as sent.
std::string UrlDecode(std::string_view text);

// The error for a failed S3 response (status >= 300), naming op, bucket/key (or just the bucket
// when key is empty), the HTTP status and S3's error code and message:
//   "s3: GET bucket/key: 404 NoSuchKey: The specified key does not exist."
// Mapping (by S3 code, falling back to the status when the body has no error XML, e.g. HEAD):
//   NoSuchKey, NoSuchUpload, 404 with a key    → kNotFound
//   NoSuchBucket, 404 without a key            → kDirNotFound ("bucket not found")
//   SignatureDoesNotMatch                      → kAuth ("signature does not match: check
//                                                secret_access_key")
//   InvalidAccessKeyId                         → kAuth ("check access_key_id")
//   ExpiredToken, InvalidToken                 → kAuth
//   AccessDenied, other 403                    → kPermission
//   400 RequestTimeout, 429, 5xx except 501, IsRetryableS3Code → kNetwork, retryable
//   BucketAlreadyOwnedByYou, BucketAlreadyExists → kExists
//   BucketNotEmpty                             → kDirNotEmpty
//   NotImplemented, 501, MethodNotAllowed, 405 → kUnsupported
//   412 PreconditionFailed / 416 InvalidRange, EntityTooLarge/Small, InvalidPart(Order),
//   KeyTooLongError, InvalidArgument           → kInvalidArgument
//   AuthorizationHeaderMalformed, PermanentRedirect, 301 → kConfig ("check region / endpoint")
//   RequestTimeTooSkewed                       → kAuth ("the local clock is too far off")
//   anything else                              → kIo, not retryable
// Never includes a secret: only Code and Message are used (never StringToSign, CanonicalRequest
// or the signature elements of SignatureDoesNotMatch), Message truncated to 200 bytes. The
// Retry-After header is not part of the Error: read it with RetryAfterOf into the RetryHint.
Error S3ErrorFromResponse(const std::string& op, const std::string& bucket,
                          const std::string& key, const HttpResponse& response);
// The same from an already parsed error document (an <Error> in a 200 response: status is then
// taken as 200 and the code decides alone).
Error S3ErrorFromXml(const std::string& op, const std::string& bucket, const std::string& key,
                     long status, const S3ErrorInfo& info);

}  // namespace cvclone::s3
