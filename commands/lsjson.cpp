// lsjson: a JSON array of entries, as rclone's.
#include <fmt/format.h>

#include <string_view>

#include "commands/commands.hpp"
#include "commands/common.hpp"

namespace cvclone {
namespace {

// A JSON string. Besides what JSON requires (quote, backslash, U+0000-U+001F), DEL and the C1
// controls U+0080-U+009F (UTF-8 C2 80-C2 9F) are written as \u escapes too: the same string
// once parsed, and nothing a terminal acts on when the JSON itself is shown.
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

// A MIME type from the file extension (the common ones; application/octet-stream otherwise).
std::string MimeType(const std::string& name) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".txt", "text/plain; charset=utf-8"}, {".html", "text/html; charset=utf-8"},
      {".csv", "text/csv; charset=utf-8"},   {".md", "text/markdown; charset=utf-8"},
      {".json", "application/json"},         {".pdf", "application/pdf"},
      {".jpg", "image/jpeg"},                {".jpeg", "image/jpeg"},
      {".png", "image/png"},                 {".gif", "image/gif"},
      {".zip", "application/zip"},           {".tar", "application/x-tar"},
      {".gz", "application/gzip"},
  };
  size_t dot = name.rfind('.');
  if (dot != std::string::npos) {
    std::string ext = name.substr(dot);
    for (auto& [e, type] : kTypes) {
      if (ext == e) return type;
    }
  }
  return "application/octet-stream";
}

std::string EntryJson(const ObjectInfo& info) {
  std::string name = BaseName(info.path);
  return fmt::format(R"({{"Path":{},"Name":{},"Size":{},"MimeType":{},"ModTime":{},"IsDir":{}}})",
                     JsonQuote(info.path), JsonQuote(name), info.is_dir ? -1 : info.size,
                     JsonQuote(info.is_dir ? "inode/directory" : MimeType(name)),
                     JsonQuote(FormatRfc3339(info.mtime)), info.is_dir ? "true" : "false");
}

}  // namespace

Command MakeLsjsonCommand() {
  Command c;
  c.name = "lsjson";
  c.short_help = "List entries in the path as JSON";
  c.usage = "lsjson REMOTE:PATH [flags]";
  c.long_help =
      "Prints a JSON array with one object per entry: Path, Name, Size, MimeType, ModTime\n"
      "(RFC 3339, UTC, nanoseconds) and IsDir. Directly inside the path, or all levels\n"
      "with -R.\n\n"
      "Example:\n"
      "  cvclone lsjson -R backup:docs\n";
  c.flags = {{"recursive", 'R', FlagType::kBool, "", "Recurse into subdirectories"}};
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(Filter filter, MakeFilter(inv));
    CVC_ASSIGN_OR_RETURN(Target target, OpenTarget(inv, inv.args[0]));
    std::vector<std::string> entries;
    if (!target.file.empty()) {
      CVC_ASSIGN_OR_RETURN(ObjectInfo info, target.remote->Stat(inv.ctx, target.file));
      entries.push_back(EntryJson(info));
    } else {
      CVC_RETURN_IF_ERROR(Walk(inv.ctx, *target.remote, "", inv.flags.Bool("recursive"), true,
                               &filter, [&](const ObjectInfo& info) {
                                 entries.push_back(EntryJson(info));
                                 return Ok();
                               },
                               ListedMtime::kExact));
    }
    std::string out = "[\n";
    for (size_t i = 0; i < entries.size(); ++i) {
      out += entries[i] + (i + 1 < entries.size() ? ",\n" : "\n");
    }
    WriteStdout(out + "]\n");
    return Ok();
  };
  return c;
}

}  // namespace cvclone
