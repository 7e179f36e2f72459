#include "backends/s3/sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace cvclone::s3 {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// Trims and collapses inner runs of spaces/tabs to one space.
std::string NormalizeHeaderValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool pending_space = false;
  for (char c : v) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::array<unsigned char, 32> Hmac(std::string_view key, std::string_view data) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return out;
}

std::string_view AsView(const std::array<unsigned char, 32>& bytes) {
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

bool HasHeader(const std::vector<Header>& headers, std::string_view lower_name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const Header& h) { return ToLower(h.first) == lower_name; });
}

bool IsValidPayloadHash(std::string_view hash) {
  if (hash == kUnsignedPayload || hash.starts_with("STREAMING-")) return true;
  return hash.size() == 64 && std::all_of(hash.begin(), hash.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Checks what both signing forms need. Messages name the field, never a secret's value.
Status ValidateCommon(const SigningRequest& request, const Credentials& credentials,
                      const SigningParams& params) {
  auto invalid = [](const std::string& what) {
    return MakeError(ErrorCode::kInvalidArgument, "sigv4: " + what);
  };
  if (request.method.empty()) return invalid("empty HTTP method");
  if (!request.path.starts_with('/')) return invalid("path does not start with '/'");
  if (params.region.empty()) return invalid("empty region");
  if (params.service.empty()) return invalid("empty service");
  if (credentials.access_key_id.empty()) return invalid("empty access key id");
  if (credentials.secret_access_key.empty()) return invalid("empty secret access key");
  if (!HasHeader(request.headers, "host")) return invalid("no Host header");
  for (const Header& h : request.headers) {
    if (h.first.empty() || h.first.find_first_of(" \t\r\n:") != std::string::npos) {
      return invalid("malformed header name");
    }
    if (h.second.find_first_of("\r\n") != std::string::npos) {
      return invalid("header " + ToLower(h.first) + " contains a line break");
    }
  }
  if (credentials.session_token.find_first_of("\r\n") != std::string::npos) {
    return invalid("session token contains a line break");
  }
  return Ok();
}

std::string CanonicalQuery(const std::vector<QueryParam>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const QueryParam& p : query) {
    encoded.emplace_back(UriEncode(p.first, true), UriEncode(p.second, true));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

struct CanonicalHeaderBlock {
  std::string block;           // "name:value\n" per signed header
  std::string signed_headers;  // "a;b;c"
};

// Headers the signer always signs when present, whatever signed_headers says.
bool AlwaysSigned(const std::string& lower_name) {
  return lower_name == "host" || lower_name == "x-amz-date" ||
         lower_name == "x-amz-security-token" || lower_name == "x-amz-content-sha256";
}

CanonicalHeaderBlock CanonicalHeaders(const std::vector<Header>& headers,
                                      const std::vector<std::string>& only) {
  std::set<std::string> wanted;
  for (const std::string& name : only) wanted.insert(ToLower(name));
  std::map<std::string, std::string> merged;  // sorted by lower-case name
  for (const Header& h : headers) {
    std::string name = ToLower(h.first);
    if (!wanted.empty() && !wanted.contains(name) && !AlwaysSigned(name)) continue;
    std::string value = NormalizeHeaderValue(h.second);
    auto [it, inserted] = merged.emplace(name, value);
    if (!inserted) it->second += "," + value;
  }
  CanonicalHeaderBlock out;
  for (const auto& [name, value] : merged) {
    out.block += name + ":" + value + "\n";
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    out.signed_headers += name;
  }
  return out;
}

std::string BuildCanonicalRequest(const std::string& method, const std::string& path,
                                  const std::string& query, const CanonicalHeaderBlock& headers,
                                  std::string_view payload_hash) {
  std::string creq = method + "\n" + CanonicalUri(path) + "\n" + query + "\n" + headers.block +
                     "\n" + headers.signed_headers + "\n";
  creq += payload_hash;
  return creq;
}

std::string BuildStringToSign(std::chrono::sys_seconds time, const std::string& scope,
                              const std::string& canonical_request) {
  return std::string(kAlgorithm) + "\n" + AmzDate(time) + "\n" + scope + "\n" +
         HexSha256(canonical_request);
}

std::string Sign(const Credentials& credentials, const SigningParams& params,
                 const std::string& string_to_sign) {
  std::string date = AmzDate(params.time).substr(0, 8);
  SigningKey key =
      DeriveSigningKey(credentials.secret_access_key, date, params.region, params.service);
  auto sig = Hmac(AsView(key), string_to_sign);
  return HexEncode(sig.data(), sig.size());
}

}  // namespace

std::string UriEncode(std::string_view s, bool encode_slash) {
  std::string out;
  out.reserve(s.size() * 3 / 2);
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (c == '/' && !encode_slash)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHexUpper[c >> 4]);
      out.push_back(kHexUpper[c & 0xf]);
    }
  }
  return out;
}

std::string CanonicalUri(std::string_view path) {
  if (path.empty()) return "/";
  return UriEncode(path, false);
}

std::string HexEncode(const unsigned char* data, size_t size) {
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kHexDigits[data[i] >> 4]);
    out.push_back(kHexDigits[data[i] & 0xf]);
  }
  return out;
}

std::string HexSha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  return HexEncode(digest, len);
}

std::string AmzDate(std::chrono::sys_seconds time) {
  auto day = std::chrono::floor<std::chrono::days>(time);
  std::chrono::year_month_day ymd(day);
  std::chrono::hh_mm_ss hms(time - day);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string CredentialScope(std::chrono::sys_seconds time, std::string_view region,
                            std::string_view service) {
  std::string scope = AmzDate(time).substr(0, 8);
  scope += "/";
  scope += region;
  scope += "/";
  scope += service;
  scope += "/aws4_request";
  return scope;
}

SigningKey DeriveSigningKey(std::string_view secret, std::string_view date,
                            std::string_view region, std::string_view service) {
  std::string k_secret = "AWS4";
  k_secret += secret;
  auto k_date = Hmac(k_secret, date);
  std::fill(k_secret.begin(), k_secret.end(), '\0');
  auto k_region = Hmac(AsView(k_date), region);
  auto k_service = Hmac(AsView(k_region), service);
  return Hmac(AsView(k_service), "aws4_request");
}

Result<SignedRequest> SignRequest(const SigningRequest& request, const Credentials& credentials,
                                  const SigningParams& params) {
  CVC_RETURN_IF_ERROR(ValidateCommon(request, credentials, params));
  if (!IsValidPayloadHash(request.payload_hash)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "sigv4: payload hash is neither hex SHA-256 nor UNSIGNED-PAYLOAD");
  }
  SignedRequest out;
  std::vector<Header> headers = request.headers;
  if (!HasHeader(headers, "x-amz-date")) {
    out.added_headers.emplace_back("x-amz-date", AmzDate(params.time));
  }
  if (!credentials.session_token.empty() && !HasHeader(headers, "x-amz-security-token")) {
    out.added_headers.emplace_back("x-amz-security-token", credentials.session_token);
  }
  headers.insert(headers.end(), out.added_headers.begin(), out.added_headers.end());

  CanonicalHeaderBlock canonical = CanonicalHeaders(headers, request.signed_headers);
  std::string scope = CredentialScope(params.time, params.region, params.service);
  out.canonical_request = BuildCanonicalRequest(request.method, request.path,
                                                CanonicalQuery(request.query), canonical,
                                                request.payload_hash);
  out.string_to_sign = BuildStringToSign(params.time, scope, out.canonical_request);
  out.signature = Sign(credentials, params, out.string_to_sign);
  out.signed_headers = canonical.signed_headers;
  out.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
                      scope + ", SignedHeaders=" + out.signed_headers +
                      ", Signature=" + out.signature;
  return out;
}

Result<PresignedRequest> PresignRequest(const SigningRequest& request,
                                        const Credentials& credentials,
                                        const SigningParams& params, int64_t expires_seconds,
                                        std::string_view endpoint) {
  CVC_RETURN_IF_ERROR(ValidateCommon(request, credentials, params));
  if (expires_seconds < kMinPresignExpires || expires_seconds > kMaxPresignExpires) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "sigv4: presigned URL expiry must be 1..604800 seconds, got " +
                         std::to_string(expires_seconds));
  }
  std::string_view payload = request.payload_hash.empty() ? kUnsignedPayload
                                                          : std::string_view(request.payload_hash);
  if (!IsValidPayloadHash(payload)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "sigv4: payload hash is neither hex SHA-256 nor UNSIGNED-PAYLOAD");
  }
  for (const QueryParam& p : request.query) {
    if (ToLower(p.first).starts_with("x-amz-")) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "sigv4: query parameter " + p.first + " is reserved for presigning");
    }
  }
  CanonicalHeaderBlock canonical = CanonicalHeaders(request.headers, request.signed_headers);
  std::string scope = CredentialScope(params.time, params.region, params.service);
  std::vector<QueryParam> query = request.query;
  query.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
  query.emplace_back("X-Amz-Credential", credentials.access_key_id + "/" + scope);
  query.emplace_back("X-Amz-Date", AmzDate(params.time));
  query.emplace_back("X-Amz-Expires", std::to_string(expires_seconds));
  if (!credentials.session_token.empty()) {
    query.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  query.emplace_back("X-Amz-SignedHeaders", canonical.signed_headers);

  PresignedRequest out;
  std::string canonical_query = CanonicalQuery(query);
  out.canonical_request =
      BuildCanonicalRequest(request.method, request.path, canonical_query, canonical, payload);
  out.string_to_sign = BuildStringToSign(params.time, scope, out.canonical_request);
  out.signature = Sign(credentials, params, out.string_to_sign);
  out.query = canonical_query + "&X-Amz-Signature=" + out.signature;
  out.url = std::string(endpoint) + CanonicalUri(request.path) + "?" + out.query;
  return out;
}

std::string ChunkSignature(const SigningKey& key, std::chrono::sys_seconds time,
                           std::string_view scope, std::string_view previous_signature,
                           std::string_view chunk_sha256_hex) {
  std::string sts = "AWS4-HMAC-SHA256-PAYLOAD\n" + AmzDate(time) + "\n";
  sts += scope;
  sts += "\n";
  sts += previous_signature;
  sts += "\n";
  sts += kEmptySha256;
  sts += "\n";
  sts += chunk_sha256_hex;
  auto sig = Hmac(AsView(key), sts);
  return HexEncode(sig.data(), sig.size());
}

}  // namespace cvclone::s3
