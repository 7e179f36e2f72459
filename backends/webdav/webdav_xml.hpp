// The WebDAV wire formats the webdav backend reads and writes: PROPFIND multistatus answers
// (RFC 4918 section 14.16, parsed with pugixml), href paths and their percent-encoding, and
// HTTP dates (RFC 9110 section 5.6.7). Pure functions, unit-tested without a server.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone::webdav {

// One <response> of a multistatus answer, with the properties its 200 <propstat> gave.
struct DavEntry {
  std::string path;  // the href's path, percent-decoded, without a trailing '/'
  bool is_dir = false;
  int64_t size = -1;       // getcontentlength; -1 when absent
  TimePoint mtime{};       // getlastmodified; the epoch when absent or malformed
  std::string etag;        // getetag, quotes and a weak "W/" prefix removed
  // oc:checksums (ownCloud, Nextcloud): "SHA1:<hex> MD5:<hex> ...", lower-cased hex.
  std::map<HashType, std::string> hashes;
};

// The body of a PROPFIND that asks for what DavEntry holds.
std::string PropfindBody();

// Parses a 207 Multi-Status body. kNetwork (retryable: a page cut short is fetched again) when
// it is not well-formed XML or not a DAV:multistatus; responses without a 200 propstat are
// left out (a 404 for one member says nothing about the rest).
Result<std::vector<DavEntry>> ParseMultistatus(std::string_view xml);

// The path of an href: "http://h:1/a%20b/" and "/a%20b/" both give "/a b" (decoded; a trailing
// '/' removed, "/" for the root). nullopt when it holds a NUL or an invalid %-escape.
std::optional<std::string> HrefPath(std::string_view href);

// Percent-encodes a decoded path for a URL: every byte but unreserved characters (RFC 3986
// section 2.3) and '/' becomes %XX.
std::string EncodePath(std::string_view path);

// rclone's `headers` option: "Name,Value,Name2,Value2" (CSV: a field may be quoted, "" for a
// quote inside). kConfig on an odd number of fields or an empty name.
Result<std::vector<std::pair<std::string, std::string>>> ParseHeaderList(std::string_view text);

}  // namespace cvclone::webdav
