// The WebDAV wire formats: multistatus answers as Apache mod_dav and Nextcloud write them,
// hrefs, percent-encoding, HTTP dates and rclone's `headers` option.
#include "backends/webdav/webdav_xml.hpp"

#include <doctest/doctest.h>

namespace cvclone::webdav {
namespace {

// As Apache httpd 2.4's mod_dav_fs answers a Depth 1 PROPFIND (prefixes "D:" and "lp1:").
constexpr const char* kApache = R"(<?xml version="1.0" encoding="utf-8"?>
<D:multistatus xmlns:D="DAV:" xmlns:ns1="http://owncloud.org/ns" xmlns:ns0="DAV:">
<D:response xmlns:lp1="DAV:" xmlns:lp2="http://apache.org/dav/props/">
<D:href>/dir/</D:href>
<D:propstat><D:prop><lp1:resourcetype><D:collection/></lp1:resourcetype>
<lp1:getlastmodified>Mon, 07 Dec 2026 01:14:02 GMT</lp1:getlastmodified>
<lp1:getetag>"1000-66200f0f22c9d"</lp1:getetag></D:prop>
<D:status>HTTP/1.1 200 OK</D:status></D:propstat>
<D:propstat><D:prop><lp1:getcontentlength/><ns1:checksums/></D:prop>
<D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>
</D:response>
<D:response xmlns:lp1="DAV:">
<D:href>/dir/a%20b%C3%BC.txt</D:href>
<D:propstat><D:prop><lp1:resourcetype/><lp1:getcontentlength>19690</lp1:getcontentlength>
<lp1:getlastmodified>Mon, 07 Dec 2026 01:14:03 GMT</lp1:getlastmodified>
<lp1:getetag>W/"4cea-66200f0f23"</lp1:getetag></D:prop>
<D:status>HTTP/1.1 200 OK</D:status></D:propstat>
</D:response>
<D:response><D:href>/dir/gone</D:href>
<D:propstat><D:prop/><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat></D:response>
</D:multistatus>)";

// As Nextcloud answers (prefix "d:", full URLs in href, oc:checksums).
constexpr const char* kNextcloud = R"(<?xml version="1.0"?>
<d:multistatus xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns">
<d:response><d:href>https://cloud.example/remote.php/dav/files/me/f.bin</d:href>
<d:propstat><d:prop><d:resourcetype/><d:getcontentlength>3</d:getcontentlength>
<d:getlastmodified>Sun, 06 Nov 1994 08:49:37 GMT</d:getlastmodified>
<oc:checksums><oc:checksum>SHA1:A9993E364706816ABA3E25717850C26C9CD0D89D MD5:900150983CD24FB0D6963F7D28E17F72</oc:checksum></oc:checksums>
</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
</d:multistatus>)";

TEST_CASE("webdav xml: Apache's multistatus: folders, files, decoded names, failed members left out") {
  auto parsed = ParseMultistatus(kApache);
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->size() == 2);
  const DavEntry& dir = (*parsed)[0];
  CHECK(dir.path == "/dir");
  CHECK(dir.is_dir);
  CHECK(dir.size == -1);
  CHECK(dir.etag == "1000-66200f0f22c9d");
  const DavEntry& file = (*parsed)[1];
  CHECK(file.path == "/dir/a b\xc3\xbc.txt");
  CHECK(!file.is_dir);
  CHECK(file.size == 19690);
  CHECK(file.etag == "4cea-66200f0f23");  // weak prefix and quotes removed
  CHECK(file.mtime == TimePoint(std::chrono::seconds(1796606043)));
}

TEST_CASE("webdav xml: Nextcloud's answer: full-URL hrefs and checksums") {
  auto parsed = ParseMultistatus(kNextcloud);
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->size() == 1);
  const DavEntry& e = (*parsed)[0];
  CHECK(e.path == "/remote.php/dav/files/me/f.bin");
  CHECK(e.size == 3);
  CHECK(e.mtime == TimePoint(std::chrono::seconds(784111777)));
  CHECK(e.hashes.at(HashType::kSha1) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(e.hashes.at(HashType::kMd5) == "900150983cd24fb0d6963f7d28e17f72");
}

TEST_CASE("webdav xml: malformed answers are retryable errors, never entries") {
  for (const char* bad : {"", "<D:multistatus xmlns:D=\"DAV:\">", "<html>502</html>",
                          "<x:multistatus xmlns:x=\"not-dav\"/>"}) {
    CAPTURE(bad);
    auto parsed = ParseMultistatus(bad);
    REQUIRE(!parsed.has_value());
    CHECK(parsed.error().retryable());
  }
}

TEST_CASE("webdav xml: hrefs, encoding and the headers option") {
  CHECK(HrefPath("/a%20b/").value() == "/a b");
  CHECK(HrefPath("http://h:1/x/y?q=1").value() == "/x/y");
  CHECK(HrefPath("https://h").value() == "/");
  CHECK(!HrefPath("/a%2").has_value());
  CHECK(!HrefPath("/a%zz").has_value());
  CHECK(!HrefPath("/a%00b").has_value());
  CHECK(EncodePath("/dir/a b#?%\xc3\xbc") == "/dir/a%20b%23%3F%25%C3%BC");
  CHECK(HrefPath(EncodePath("/x/../ y")).value() == "/x/../ y");
  auto h = ParseHeaderList("X-A,1,\"X-B\",\"a,\"\"b\"\"\"");
  REQUIRE(h.has_value());
  REQUIRE(h->size() == 2);
  CHECK((*h)[0] == std::pair<std::string, std::string>("X-A", "1"));
  CHECK((*h)[1] == std::pair<std::string, std::string>("X-B", "a,\"b\""));
  CHECK(ParseHeaderList("").value().empty());
  CHECK(!ParseHeaderList("X-A").has_value());
  CHECK(!ParseHeaderList(",v").has_value());
  CHECK(!ParseHeaderList("\"X-A,1").has_value());
}

}  // namespace
}  // namespace cvclone::webdav
