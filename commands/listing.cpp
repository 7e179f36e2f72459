#include "commands/listing.hpp"

#include <fmt/format.h>

#include <utility>

#include "crypt/crypt_remote.hpp"

namespace cvclone {

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    auto c = static_cast<unsigned char>(ch);
    if (c == 0xC2 && i + 1 < s.size()) {
      auto next = static_cast<unsigned char>(s[i + 1]);
      if (next >= 0x80 && next <= 0x9F) {
        out += fmt::format("\\u{:04x}", next);
        ++i;
        continue;
      }
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

std::string MimeTypeOf(const ObjectInfo& info) {
  if (info.is_dir) return "inode/directory";
  static const std::pair<const char*, const char*> kTypes[] = {
      {".txt", "text/plain; charset=utf-8"}, {".html", "text/html; charset=utf-8"},
      {".csv", "text/csv; charset=utf-8"},   {".md", "text/markdown; charset=utf-8"},
      {".json", "application/json"},         {".pdf", "application/pdf"},
      {".jpg", "image/jpeg"},                {".jpeg", "image/jpeg"},
      {".png", "image/png"},                 {".gif", "image/gif"},
      {".zip", "application/zip"},           {".tar", "application/x-tar"},
      {".gz", "application/gzip"},
  };
  const std::string name = BaseName(info.path);
  size_t dot = name.rfind('.');
  if (dot != std::string::npos) {
    std::string ext = name.substr(dot);
    for (auto& [e, type] : kTypes) {
      if (ext == e) return type;
    }
  }
  return "application/octet-stream";
}

Result<std::string> EncryptedPathOf(const Remote& remote, const ObjectInfo& info) {
  const crypt::CryptView* view = crypt::AsCrypt(remote);
  if (view == nullptr) {
    return MakeError(ErrorCode::kUnsupported,
                     remote.Name() + " is not a crypt remote: it has no encrypted names");
  }
  return info.is_dir ? view->Names().EncryptDirPath(info.path)
                     : view->Names().EncryptPath(info.path);
}

Result<std::string> ListedHash(const Context& ctx, Remote& remote, const ObjectInfo& info,
                               HashType type) {
  if (info.is_dir) return std::string();
  auto it = info.hashes.find(type);
  if (it != info.hashes.end() && !it->second.empty()) return it->second;
  return remote.Hash(ctx, info.path, type);
}

}  // namespace cvclone
