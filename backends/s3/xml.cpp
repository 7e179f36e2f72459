#include "backends/s3/xml.hpp"

#include <pugixml.hpp>

#include <charconv>
#include <sstream>

#include "backends/s3/s3_options.hpp"
#include "core/http/http.hpp"
#include "core/io.hpp"

namespace cvclone::s3 {
namespace {

constexpr char kS3Namespace[] = "http://s3.amazonaws.com/doc/2006-03-01/";
constexpr size_t kMaxMessageBytes = 200;

// An element's name without any namespace prefix.
std::string_view LocalName(const pugi::xml_node& node) {
  std::string_view name = node.name();
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node Child(const pugi::xml_node& node, std::string_view name) {
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && LocalName(c) == name) return c;
  }
  return {};
}

std::string Text(const pugi::xml_node& node, std::string_view name) {
  return Child(node, name).child_value();
}

template <typename F>
void ForEachChild(const pugi::xml_node& node, std::string_view name, F&& f) {
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && LocalName(c) == name) f(c);
  }
}

int64_t ToInt(std::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// A size: the whole of s a non-negative decimal number, else -1 (unknown) so that a server's
// "-5" never becomes a negative size.
int64_t ByteCount(std::string_view s) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) return -1;
  return v;
}

std::string StripQuotes(std::string s) {
  // AWS sends the quotes as-is or as &quot; (decoded by the parser); both end up here.
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

Error Malformed(std::string_view op, const std::string& why) {
  return Error(ErrorCode::kNetwork, std::string(op) + ": malformed XML response: " + why,
               RetryClass::kRetryable);
}

// Parses xml and returns its root element, which must be one of `roots`. An <Error> root becomes
// the error it describes.
Result<pugi::xml_node> Root(pugi::xml_document& doc, std::string_view xml, std::string_view op,
                            std::initializer_list<std::string_view> roots) {
  // parse_ws_pcdata: text of blanks only is kept, since a key may be " " (pugixml drops it by
  // default, and the object would be listed as "").
  pugi::xml_parse_result parsed =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata);
  if (!parsed) {
    return Unexpected<Error>(Malformed(op, std::string(parsed.description()) + " at offset " +
                                               std::to_string(parsed.offset)));
  }
  pugi::xml_node root = doc.document_element();
  std::string_view name = LocalName(root);
  for (std::string_view r : roots) {
    if (name == r) return root;
  }
  if (name == "Error") {
    S3ErrorInfo info{Text(root, "Code"), Text(root, "Message"), Text(root, "Resource"),
                     Text(root, "RequestId")};
    return Unexpected<Error>(S3ErrorFromXml(std::string(op), "", "", 200, info));
  }
  return Unexpected<Error>(Malformed(op, "unexpected root element <" + std::string(name) + ">"));
}

std::string Truncated(std::string s) {
  if (s.size() > kMaxMessageBytes) s = s.substr(0, kMaxMessageBytes) + "...";
  return s;
}

std::string Subject(const std::string& bucket, const std::string& key) {
  if (bucket.empty()) return key;
  return key.empty() ? bucket : bucket + "/" + key;
}

std::string SaveCompact(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw | pugi::format_no_declaration);
  return out.str();
}

}  // namespace

std::optional<TimePoint> ParseIso8601(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00)
  auto digits = [&](size_t pos, size_t n, int* out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  int y, mo, d, h, mi, sec;
  if (s.size() < 20 || !digits(0, 4, &y) || s[4] != '-' || !digits(5, 2, &mo) || s[7] != '-' ||
      !digits(8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !digits(11, 2, &h) || s[13] != ':' || !digits(14, 2, &mi) || s[16] != ':' ||
      !digits(17, 2, &sec)) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int64_t scale = 100'000'000;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      nanos += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  std::string_view zone = s.substr(pos);
  if (zone != "Z" && zone != "z" && zone != "+00:00" && zone != "-00:00") return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month(mo),
                                  std::chrono::day(d)};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  // In seconds first (years 0..9999 fit easily): nanoseconds hold only 1677..2262.
  const std::chrono::sys_seconds day = std::chrono::sys_days(ymd);
  const int64_t seconds =
      day.time_since_epoch().count() + int64_t{h} * 3600 + int64_t{mi} * 60 + sec;
  return TimeFromUnix(seconds, nanos);
}

std::string UrlDecode(std::string_view text) {
  return PercentDecode(text).value_or(std::string(text));
}

namespace {

// Elements counted by their start tags ('<' not followed by '/', '?' or '!'), before the parser
// builds a node for each.
Status CheckPageSize(std::string_view xml, std::string_view op) {
  size_t elements = 0;
  for (size_t at = xml.find('<'); at != std::string_view::npos; at = xml.find('<', at + 1)) {
    const char next = at + 1 < xml.size() ? xml[at + 1] : '\0';
    if (next != '/' && next != '?' && next != '!' && ++elements > kMaxListPageElements) {
      return MakeError(ErrorCode::kCorrupt, std::string(op) + ": a listing page of more than " +
                                                std::to_string(kMaxListPageElements) +
                                                " elements (" + std::to_string(xml.size()) +
                                                " bytes): no S3 listing page is that large");
    }
  }
  return Ok();
}

// A decimal number of at most 9 digits (part numbers, markers), else `absent`.
int SmallInt(std::string_view s, int absent) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.size() > 9 || v < 0) return absent;
  return v;
}

}  // namespace

Result<ListResult> ParseListObjects(std::string_view xml) {
  CVC_RETURN_IF_ERROR(CheckPageSize(xml, "ListObjects"));
  pugi::xml_document doc;
  CVC_ASSIGN_OR_RETURN(pugi::xml_node root, Root(doc, xml, "ListObjects", {"ListBucketResult"}));
  ListResult out;
  out.encoding_type = Text(root, "EncodingType");
  const bool decode = out.encoding_type == "url";
  auto key = [&](std::string s) { return decode ? UrlDecode(s) : s; };
  out.is_truncated = Text(root, "IsTruncated") == "true";
  out.next_continuation_token = Text(root, "NextContinuationToken");
  out.next_marker = key(Text(root, "NextMarker"));
  if (Child(root, "KeyCount")) out.key_count = ToInt(Text(root, "KeyCount"));
  ForEachChild(root, "Contents", [&](const pugi::xml_node& c) {
    ListEntry e;
    e.key = key(Text(c, "Key"));
    e.last_modified = Text(c, "LastModified");
    e.mtime = ParseIso8601(e.last_modified).value_or(TimePoint{});
    e.etag = StripQuotes(Text(c, "ETag"));
    e.size = ByteCount(Text(c, "Size"));
    e.storage_class = Text(c, "StorageClass");
    out.contents.push_back(std::move(e));
  });
  ForEachChild(root, "CommonPrefixes", [&](const pugi::xml_node& c) {
    out.common_prefixes.push_back(key(Text(c, "Prefix")));
  });
  return out;
}

Result<std::vector<BucketEntry>> ParseListBuckets(std::string_view xml) {
  pugi::xml_document doc;
  CVC_ASSIGN_OR_RETURN(pugi::xml_node root,
                       Root(doc, xml, "ListBuckets", {"ListAllMyBucketsResult"}));
  std::vector<BucketEntry> out;
  ForEachChild(Child(root, "Buckets"), "Bucket", [&](const pugi::xml_node& b) {
    BucketEntry e;
    e.name = Text(b, "Name");
    e.creation_date = Text(b, "CreationDate");
    e.created = ParseIso8601(e.creation_date).value_or(TimePoint{});
    out.push_back(std::move(e));
  });
  return out;
}

std::optional<S3ErrorInfo> ParseErrorXml(std::string_view xml) {
  if (xml.empty()) return std::nullopt;
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) return std::nullopt;
  pugi::xml_node root = doc.document_element();
  if (LocalName(root) != "Error") return std::nullopt;
  return S3ErrorInfo{Text(root, "Code"), Text(root, "Message"), Text(root, "Resource"),
                     Text(root, "RequestId")};
}

Result<std::string> ParseInitiateMultipartUpload(std::string_view xml) {
  constexpr std::string_view kOp = "CreateMultipartUpload";
  pugi::xml_document doc;
  CVC_ASSIGN_OR_RETURN(pugi::xml_node root, Root(doc, xml, kOp, {"InitiateMultipartUploadResult"}));
  std::string id = Text(root, "UploadId");
  if (id.empty()) return Unexpected<Error>(Malformed(kOp, "no UploadId"));
  return id;
}

Result<std::string> ParseCompleteMultipartUpload(std::string_view xml) {
  pugi::xml_document doc;
  CVC_ASSIGN_OR_RETURN(pugi::xml_node root, Root(doc, xml, "CompleteMultipartUpload",
                                                 {"CompleteMultipartUploadResult"}));
  return StripQuotes(Text(root, "ETag"));
}

Result<CopyResult> ParseCopyResult(std::string_view xml) {
  pugi::xml_document doc;
  CVC_ASSIGN_OR_RETURN(pugi::xml_node root,
                       Root(doc, xml, "CopyObject", {"CopyObjectResult", "CopyPartResult"}));
  CopyResult out;
  out.etag = StripQuotes(Text(root, "ETag"));
  out.last_modified = Text(root, "LastModified");
  out.mtime = ParseIso8601(out.last_modified).value_or(TimePoint{});
  return out;
}

Result<DeleteResult> ParseDeleteResult(std::string_view xml) {
  pugi::xml_document doc;
  CVC_ASSIGN_OR_RETURN(pugi::xml_node root, Root(doc, xml, "DeleteObjects", {"DeleteResult"}));
  DeleteResult out;
  ForEachChild(root, "Deleted",
               [&](const pugi::xml_node& d) { out.deleted.push_back(Text(d, "Key")); });
  ForEachChild(root, "Error", [&](const pugi::xml_node& e) {
    out.errors.push_back({Text(e, "Key"), Text(e, "Code"), Text(e, "Message")});
  });
  return out;
}

Result<ListPartsResult> ParseListParts(std::string_view xml) {
  constexpr std::string_view kOp = "ListParts";
  CVC_RETURN_IF_ERROR(CheckPageSize(xml, kOp));
  pugi::xml_document doc;
  CVC_ASSIGN_OR_RETURN(pugi::xml_node root, Root(doc, xml, kOp, {"ListPartsResult"}));
  ListPartsResult out;
  out.is_truncated = Text(root, "IsTruncated") == "true";
  out.next_part_number_marker = SmallInt(Text(root, "NextPartNumberMarker"), 0);
  ForEachChild(root, "Part", [&](const pugi::xml_node& p) {
    ListedPart part;
    part.part_number = SmallInt(Text(p, "PartNumber"), 0);
    part.etag = StripQuotes(Text(p, "ETag"));
    part.size = ByteCount(Text(p, "Size"));
    out.parts.push_back(std::move(part));
  });
  return out;
}

Result<ListUploadsResult> ParseListMultipartUploads(std::string_view xml) {
  constexpr std::string_view kOp = "ListMultipartUploads";
  CVC_RETURN_IF_ERROR(CheckPageSize(xml, kOp));
  pugi::xml_document doc;
  CVC_ASSIGN_OR_RETURN(pugi::xml_node root, Root(doc, xml, kOp, {"ListMultipartUploadsResult"}));
  const bool decode = Text(root, "EncodingType") == "url";
  auto key = [&](std::string s) { return decode ? UrlDecode(s) : s; };
  ListUploadsResult out;
  out.is_truncated = Text(root, "IsTruncated") == "true";
  out.next_key_marker = key(Text(root, "NextKeyMarker"));
  out.next_upload_id_marker = Text(root, "NextUploadIdMarker");
  ForEachChild(root, "Upload", [&](const pugi::xml_node& u) {
    UploadEntry e;
    e.key = key(Text(u, "Key"));
    e.upload_id = Text(u, "UploadId");
    e.initiated = Text(u, "Initiated");
    e.initiated_time = ParseIso8601(e.initiated).value_or(TimePoint{});
    out.uploads.push_back(std::move(e));
  });
  return out;
}

std::string BuildCompleteMultipartUpload(const std::vector<CompletedPart>& parts) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("CompleteMultipartUpload");
  root.append_attribute("xmlns") = kS3Namespace;
  for (const CompletedPart& p : parts) {
    pugi::xml_node part = root.append_child("Part");
    part.append_child("PartNumber").text() = p.part_number;
    std::string etag = p.etag;
    if (etag.empty() || etag.front() != '"') etag = "\"" + etag + "\"";
    part.append_child("ETag").text() = etag.c_str();
  }
  return SaveCompact(doc);
}

std::string BuildDeleteObjects(const std::vector<std::string>& keys, bool quiet) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("Delete");
  root.append_attribute("xmlns") = kS3Namespace;
  if (quiet) root.append_child("Quiet").text() = "true";
  for (const std::string& key : keys) {
    root.append_child("Object").append_child("Key").text() = key.c_str();
  }
  // pugixml writes a CR in text raw, and the server's parser would read it as LF (XML's
  // line-end normalisation), naming another key; a character reference survives. Keys are the
  // only text here that can hold a CR.
  std::string body = SaveCompact(doc);
  for (size_t pos = 0; (pos = body.find('\r', pos)) != std::string::npos; pos += 5) {
    body.replace(pos, 1, "&#13;");
  }
  return body;
}

Error S3ErrorFromXml(const std::string& op, const std::string& bucket, const std::string& key,
                     long status, const S3ErrorInfo& info) {
  const std::string& code = info.code;
  std::string prefix = "s3: " + op;
  std::string subject = Subject(bucket, key);
  if (!subject.empty()) prefix += " " + subject;
  // The code is the server's text too: shortened like the message, so that a hostile or broken
  // server cannot make an error line of any length.
  prefix += ": " + std::to_string(status) + (code.empty() ? "" : " " + Truncated(code));
  auto make = [&](ErrorCode ec, const std::string& what, RetryClass retry = RetryClass::kNoRetry) {
    return Error(ec, prefix + ": " + what, retry);
  };
  std::string message = Truncated(info.message);
  if (message.empty()) message = status >= 300 ? "request failed" : "error in a 200 response";

  if (code == "NoSuchKey" || (code.empty() && status == 404 && !key.empty())) {
    return make(ErrorCode::kNotFound, "object not found");
  }
  if (code == "NoSuchUpload") return make(ErrorCode::kNotFound, "upload not found");
  if (code == "NoSuchBucket" || (code.empty() && status == 404)) {
    return make(ErrorCode::kDirNotFound, "bucket not found");
  }
  if (code == "SignatureDoesNotMatch") {
    return make(ErrorCode::kAuth, "signature does not match: check secret_access_key");
  }
  if (code == "InvalidAccessKeyId") {
    return make(ErrorCode::kAuth, "unknown access key: check access_key_id");
  }
  if (code == "ExpiredToken" || code == "InvalidToken" || code == "TokenRefreshRequired") {
    return make(ErrorCode::kAuth, "session token rejected: " + message);
  }
  if (code == "AccessDenied" || code == "AllAccessDisabled" || (code.empty() && status == 403)) {
    return make(ErrorCode::kPermission, "access denied");
  }
  if (code == "AuthorizationHeaderMalformed" || code == "PermanentRedirect" ||
      (code.empty() && status == 301)) {
    return make(ErrorCode::kConfig, message + " (check region / endpoint)");
  }
  if (code == "RequestTimeTooSkewed") {
    return make(ErrorCode::kAuth, "the local clock is too far off: " + message);
  }
  if (IsRetryableS3Code(code) || IsRetryableStatus(status)) {
    return make(ErrorCode::kNetwork, message, RetryClass::kRetryable);
  }
  if (code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists") {
    return make(ErrorCode::kExists, message);
  }
  if (code == "BucketNotEmpty") return make(ErrorCode::kDirNotEmpty, "bucket not empty");
  if (code == "NotImplemented" || status == 501 || code == "MethodNotAllowed" || status == 405) {
    return make(ErrorCode::kUnsupported, message);
  }
  if (code == "PreconditionFailed" || code == "InvalidRange" || status == 412 || status == 416) {
    return make(ErrorCode::kInvalidArgument, message);
  }
  if (code == "EntityTooLarge" || code == "EntityTooSmall" || code == "InvalidPart" ||
      code == "InvalidPartOrder" || code == "KeyTooLongError" || code == "InvalidArgument") {
    return make(ErrorCode::kInvalidArgument, message);
  }
  return make(ErrorCode::kIo, message);
}

bool IsRetryableS3Code(std::string_view code) {
  for (std::string_view c : {"SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable",
                             "Throttling", "ThrottlingException", "RequestLimitExceeded",
                             "TooManyRequests", "RequestThrottled"}) {
    if (code == c) return true;
  }
  return false;
}

Error S3ErrorFromResponse(const std::string& op, const std::string& bucket,
                          const std::string& key, const HttpResponse& response) {
  S3ErrorInfo info = ParseErrorXml(response.body).value_or(S3ErrorInfo{});
  return S3ErrorFromXml(op, bucket, key, response.status, info);
}

}  // namespace cvclone::s3
