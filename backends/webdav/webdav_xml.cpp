#include "backends/webdav/webdav_xml.hpp"

#include <pugixml.hpp>

#include <cctype>
#include <charconv>
#include <cstring>

#include "core/http/http.hpp"
#include "core/io.hpp"

namespace cvclone::webdav {
namespace {

constexpr std::string_view kDavNs = "DAV:";

// The element's local name when it is in the DAV: namespace (prefixes vary by server: "D:",
// "d:", a default namespace), else "".
std::string_view DavName(const pugi::xml_node& node) {
  std::string_view name = node.name();
  std::string_view prefix;
  if (const size_t colon = name.find(':'); colon != std::string_view::npos) {
    prefix = name.substr(0, colon);
    name = name.substr(colon + 1);
  }
  const std::string attr = prefix.empty() ? "xmlns" : "xmlns:" + std::string(prefix);
  for (pugi::xml_node n = node; n; n = n.parent()) {
    if (pugi::xml_attribute a = n.attribute(attr.c_str())) {
      return std::string_view(a.value()) == kDavNs ? name : std::string_view();
    }
  }
  return {};
}

// The local name, whatever the namespace (for oc:checksums and its children).
std::string_view LocalName(const pugi::xml_node& node) {
  std::string_view name = node.name();
  const size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node DavChild(const pugi::xml_node& node, std::string_view name) {
  for (pugi::xml_node c : node.children()) {
    if (c.type() == pugi::node_element && DavName(c) == name) return c;
  }
  return {};
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "SHA1:abc MD5:def" into hashes.
void ParseChecksums(std::string_view text, std::map<HashType, std::string>& hashes) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find_first_of(" \t\r\n", at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view item = text.substr(at, end - at);
    at = end + 1;
    const size_t colon = item.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string kind = Lower(std::string(item.substr(0, colon)));
    const std::string value = Lower(std::string(item.substr(colon + 1)));
    if (kind == "md5" && value.size() == 32) hashes[HashType::kMd5] = value;
    if (kind == "sha1" && value.size() == 40) hashes[HashType::kSha1] = value;
  }
}

bool StatusIsOk(const pugi::xml_node& propstat) {
  const std::string status = propstat ? Trim(DavChild(propstat, "status").text().get()) : "";
  // "HTTP/1.1 200 OK"
  const size_t sp = status.find(' ');
  return sp != std::string::npos && status.compare(sp + 1, 3, "200") == 0;
}

void ReadProps(const pugi::xml_node& prop, DavEntry& e) {
  for (pugi::xml_node p : prop.children()) {
    if (p.type() != pugi::node_element) continue;
    const std::string_view name = DavName(p);
    if (name == "resourcetype") {
      e.is_dir = static_cast<bool>(DavChild(p, "collection"));
    } else if (name == "getcontentlength") {
      const std::string v = Trim(p.text().get());
      int64_t n = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec == std::errc() && end == v.data() + v.size() && n >= 0) e.size = n;
    } else if (name == "getlastmodified") {
      if (auto t = ParseHttpDate(Trim(p.text().get()))) e.mtime = *t;
    } else if (name == "getetag") {
      std::string tag = Trim(p.text().get());
      if (tag.rfind("W/", 0) == 0) tag.erase(0, 2);
      if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"') tag = tag.substr(1, tag.size() - 2);
      e.etag = tag;
    } else if (name.empty() && LocalName(p) == "checksums") {
      for (pugi::xml_node c : p.children()) {
        if (LocalName(c) == "checksum") ParseChecksums(c.text().get(), e.hashes);
      }
    }
  }
}

}  // namespace

std::string PropfindBody() {
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
         "<d:propfind xmlns:d=\"DAV:\" xmlns:oc=\"http://owncloud.org/ns\">\n"
         " <d:prop><d:resourcetype/><d:getcontentlength/><d:getlastmodified/><d:getetag/>"
         "<oc:checksums/></d:prop>\n"
         "</d:propfind>\n";
}

Result<std::vector<DavEntry>> ParseMultistatus(std::string_view xml) {
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed) {
    return MakeError(ErrorCode::kNetwork,
                     std::string("webdav: malformed PROPFIND answer: ") + parsed.description(),
                     RetryClass::kRetryable);
  }
  const pugi::xml_node root = doc.document_element();
  if (DavName(root) != "multistatus") {
    return MakeError(ErrorCode::kNetwork, "webdav: a PROPFIND answer that is not a multistatus",
                     RetryClass::kRetryable);
  }
  std::vector<DavEntry> out;
  for (pugi::xml_node r : root.children()) {
    if (r.type() != pugi::node_element || DavName(r) != "response") continue;
    std::optional<std::string> path = HrefPath(Trim(DavChild(r, "href").text().get()));
    if (!path) continue;
    DavEntry e;
    e.path = *path;
    bool ok = false;
    for (pugi::xml_node ps : r.children()) {
      if (ps.type() != pugi::node_element || DavName(ps) != "propstat" || !StatusIsOk(ps)) continue;
      ok = true;
      ReadProps(DavChild(ps, "prop"), e);
    }
    if (ok) out.push_back(std::move(e));
  }
  return out;
}

std::optional<std::string> HrefPath(std::string_view href) {
  std::optional<std::string> out = PercentDecode(UrlPath(href));
  if (!out || out->find('\0') != std::string::npos) return std::nullopt;
  while (out->size() > 1 && out->back() == '/') out->pop_back();
  if (out->empty()) *out = "/";
  return out;
}

std::string EncodePath(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseHeaderList(std::string_view text) {
  std::vector<std::string> fields;
  std::string cur;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"' && cur.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(cur));
      cur.clear();
      was_quoted = false;
    } else {
      cur += c;
    }
  }
  if (quoted) return MakeError(ErrorCode::kConfig, "webdav: headers: an unterminated quote");
  if (!text.empty()) fields.push_back(std::move(cur));
  if (fields.size() % 2 != 0) {
    return MakeError(ErrorCode::kConfig,
                     "webdav: headers must be pairs \"Name,Value,...\" (an odd number of fields)");
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < fields.size(); i += 2) {
    if (fields[i].empty()) return MakeError(ErrorCode::kConfig, "webdav: headers: an empty name");
    out.emplace_back(fields[i], fields[i + 1]);
  }
  return out;
}

}  // namespace cvclone::webdav
