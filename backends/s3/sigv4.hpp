// AWS Signature Version 4 for S3: a pure function of its inputs (no network, no clock, no
// globals), so it is tested against AWS's published vectors byte for byte.
//
// S3 rules applied (they differ from the generic SigV4 service rules):
//  - the path is NOT normalised ("//a/./b" stays as given) and is URI-encoded exactly once, with
//    '/' kept; callers pass the decoded path and send the encoded form that CanonicalUri returns;
//  - query parameter names and values are decoded on input and encoded strictly (RFC 3986
//    unreserved kept, everything else %XX upper-case, '/' encoded too), sorted by encoded name then
//    encoded value; a parameter without a value is written "name=";
//  - header names are lower-cased, values trimmed with inner runs of whitespace collapsed to one
//    space, duplicate names joined with ',' in the order given; sorted by name;
//  - a session token is signed (x-amz-security-token header, or X-Amz-Security-Token parameter for
//    presigned URLs).
//
// Secrets: no function here puts a secret key, a signing key or a session token into an error
// message. The signing key and signature are derived values; the session token does appear in the
// request by design (header or query parameter), never in errors.
//
// Thread-safety: all functions are reentrant.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace cvclone::s3 {

// The x-amz-content-sha256 / payload line value when the body is not hashed.
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// The payload value for aws-chunked uploads signed chunk by chunk.
inline constexpr std::string_view kStreamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
// Hex SHA-256 of the empty string.
inline constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
// Bounds of X-Amz-Expires for presigned URLs (seconds; 7 days at most).
inline constexpr int64_t kMinPresignExpires = 1;
inline constexpr int64_t kMaxPresignExpires = 604800;

using Header = std::pair<std::string, std::string>;      // name, value
using QueryParam = std::pair<std::string, std::string>;  // decoded name, decoded value
using SigningKey = std::array<unsigned char, 32>;

// Percent-encodes s per AWS's rules: A-Z a-z 0-9 - . _ ~ are kept, every other byte becomes %XX
// (upper-case hex); '/' is kept unless encode_slash. Bytes are encoded as given (UTF-8 in, UTF-8
// octets out); no input is ever decoded first, so "%" becomes "%25".
std::string UriEncode(std::string_view s, bool encode_slash);

// The canonical URI of a decoded S3 path: UriEncode(path, false), "/" for an empty path.
std::string CanonicalUri(std::string_view path);

// Lower-case hex SHA-256 of data.
std::string HexSha256(std::string_view data);
// Lower-case hex of bytes.
std::string HexEncode(const unsigned char* data, size_t size);

// "YYYYMMDDTHHMMSSZ" of a UTC time.
std::string AmzDate(std::chrono::sys_seconds time);

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: none
};

// What is signed. Every header listed is signed unless signed_headers restricts them.
struct SigningRequest {
  std::string method;                // "GET", "PUT", ...
  std::string path = "/";            // decoded, starting with '/': "/bucket/key with space"
  std::vector<QueryParam> query;     // decoded, any order, duplicates allowed
  std::vector<Header> headers;       // any case, any order; must include Host
  // Lower-case names of the headers to sign; empty: all of `headers` (plus those the signer
  // adds). Host is always signed.
  std::vector<std::string> signed_headers;
  // Hex SHA-256 of the body, kUnsignedPayload or kStreamingPayload. Empty: kUnsignedPayload for
  // presigned URLs; an error for header signing (S3 needs x-amz-content-sha256 to match it, and
  // the caller sends that header).
  std::string payload_hash;
};

struct SigningParams {
  std::string region;          // e.g. "us-east-1"
  std::string service = "s3";
  std::chrono::sys_seconds time;  // the request time (x-amz-date)
};

// Intermediate values are exposed for tests and for debugging signature mismatches.
struct SignedRequest {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-date"
  std::string signature;       // lower-case hex
  std::string authorization;   // value of the Authorization header
  // Headers the signer added and the caller must send too: x-amz-date (unless given) and
  // x-amz-security-token (when the credentials carry a token and it was not given).
  std::vector<Header> added_headers;
};

struct PresignedRequest {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
  // The complete encoded query string, X-Amz-Signature last: append to CanonicalUri(path) + "?".
  std::string query;
  // endpoint + CanonicalUri(path) + "?" + query (endpoint as given to Presign, e.g.
  // "https://bucket.s3.amazonaws.com").
  std::string url;
};

// The signing key: HMAC chain "AWS4"+secret → date (YYYYMMDD) → region → service → "aws4_request".
SigningKey DeriveSigningKey(std::string_view secret, std::string_view date,
                            std::string_view region, std::string_view service);

// Signs request for an Authorization header. Fails with kInvalidArgument on missing or malformed
// inputs (empty method/region/key, path not starting with '/', no Host header, a header value with
// CR/LF, a malformed payload hash); the message never includes the secret or token.
Result<SignedRequest> SignRequest(const SigningRequest& request, const Credentials& credentials,
                                  const SigningParams& params);

// Query-string authentication (a presigned URL) valid for expires_seconds
// (kMinPresignExpires..kMaxPresignExpires, else kInvalidArgument). X-Amz-* parameters already in
// request.query are an error.
Result<PresignedRequest> PresignRequest(const SigningRequest& request,
                                        const Credentials& credentials,
                                        const SigningParams& params, int64_t expires_seconds,
                                        std::string_view endpoint);

// Signature of one aws-chunked chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), chained from
// previous_signature (the seed signature for the first chunk).
std::string ChunkSignature(const SigningKey& key, std::chrono::sys_seconds time,
                           std::string_view scope, std::string_view previous_signature,
                           std::string_view chunk_sha256_hex);

// "YYYYMMDD/region/service/aws4_request".
std::string CredentialScope(std::chrono::sys_seconds time, std::string_view region,
                            std::string_view service);

}  // namespace cvclone::s3
