// Fuzzes the S3 XML layer (backends/s3/xml): every response parser on any body either parses or
// fails with an error (never a crash, never unbounded work), an error document becomes an Error
// whose message stays short, and the request bodies we build carry keys through XML unchanged.
#include <pugixml.hpp>
#include <string>
#include <vector>

#include "backends/s3/xml.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace cvclone::s3 {
namespace {

// Whether S3 can take key in an XML request body at all: XML 1.0 has no way to write NUL or
// the other C0 controls except tab, LF and CR.
bool XmlKey(const std::string& key) {
  for (unsigned char c : key) {
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
  }
  return true;
}

void CheckDeleteBody(const std::vector<std::string>& keys) {
  const std::string body = BuildDeleteObjects(keys, /*quiet=*/true);
  // As a server reads it: text of blanks only is text.
  pugi::xml_document doc;
  FUZZ_CHECK(doc.load_buffer(body.data(), body.size(), pugi::parse_default | pugi::parse_ws_pcdata),
             fuzz::Printable(body));
  std::vector<std::string> back;
  for (pugi::xml_node o = doc.document_element().child("Object"); o; o = o.next_sibling("Object")) {
    back.emplace_back(o.child("Key").child_value());
  }
  FUZZ_CHECK(back.size() == keys.size(), fuzz::Printable(body));
  for (size_t i = 0; i < keys.size(); ++i) {
    FUZZ_CHECK(back[i] == keys[i], "key " + std::to_string(i) + " \"" + fuzz::Printable(keys[i]) +
                                       "\" came back as \"" + fuzz::Printable(back[i]) + "\"");
  }
}

}  // namespace
}  // namespace cvclone::s3

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cvclone;
  using namespace cvclone::s3;
  const std::string xml = fuzz::AsString(data, size);

  if (auto list = ParseListObjects(xml)) {
    FUZZ_CHECK(list->contents.size() + list->common_prefixes.size() <= kMaxListPageElements,
               std::to_string(list->contents.size()));
    for (const ListEntry& e : list->contents) FUZZ_CHECK(e.size >= -1, std::to_string(e.size));
  } else {
    FUZZ_CHECK(!list.error().message().empty(), "an error without a message");
  }
  (void)ParseListBuckets(xml);
  (void)ParseInitiateMultipartUpload(xml);
  (void)ParseCompleteMultipartUpload(xml);
  (void)ParseCopyResult(xml);
  (void)ParseDeleteResult(xml);
  if (auto parts = ParseListParts(xml)) {
    FUZZ_CHECK(parts->parts.size() <= kMaxListPageElements, std::to_string(parts->parts.size()));
    FUZZ_CHECK(parts->next_part_number_marker >= 0, "");
    for (const auto& part : parts->parts) {
      FUZZ_CHECK(part.part_number >= 0 && part.size >= -1, std::to_string(part.size));
    }
  }
  if (auto uploads = ParseListMultipartUploads(xml)) {
    FUZZ_CHECK(uploads->uploads.size() <= kMaxListPageElements, "");
  }

  // An error answer: its message names the operation and keeps S3's Message short.
  const auto info = ParseErrorXml(xml);
  for (long status : {200L, 301L, 403L, 404L, 416L, 500L, 503L}) {
    HttpResponse response;
    response.status = status;
    response.body = xml;
    const Error e = S3ErrorFromResponse("GET", "bucket", "key", response);
    const size_t code_size = info ? info->code.size() : 0;
    FUZZ_CHECK(e.message().rfind("s3: GET bucket/key: ", 0) == 0, e.message());
    FUZZ_CHECK(e.message().size() <= 300 + code_size, fuzz::Printable(e.message()));
  }

  // DeleteObjects bodies: the keys (NUL-separated in the input) come back out of the XML.
  std::vector<std::string> keys;
  size_t start = 0;
  while (start <= xml.size() && keys.size() < 50) {
    size_t nul = xml.find('\0', start);
    if (nul == std::string::npos) nul = xml.size();
    keys.push_back(xml.substr(start, nul - start));
    start = nul + 1;
  }
  bool all_ok = true;
  for (const std::string& k : keys) all_ok = all_ok && XmlKey(k);
  if (all_ok) CheckDeleteBody(keys);
  return 0;
}
