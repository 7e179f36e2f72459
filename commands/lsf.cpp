// lsf: one line per entry, fields chosen by --format, for scripts (rclone 1.60's lsf). Names are
// shown escaped unless --raw-names (which a script that needs the exact bytes passes).
#include <fmt/format.h>

#include <string_view>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "commands/listing.hpp"
#include "core/log.hpp"

namespace cvclone {
namespace {

constexpr std::string_view kFormatChars = "pstiomeTh";

struct LsfOptions {
  std::string format = "p";
  std::string separator = ";";
  bool csv = false;
  bool absolute = false;
  bool dir_slash = true;
  HashType hash = HashType::kMd5;
};

Result<LsfOptions> ParseLsfOptions(const Invocation& inv) {
  LsfOptions o;
  o.format = inv.flags.Get("format", "p");
  o.csv = inv.flags.Bool("csv");
  o.separator = inv.flags.Get("separator", o.csv ? "," : ";");
  o.absolute = inv.flags.Bool("absolute");
  o.dir_slash = inv.flags.Get("dir-slash", "true") == "true";
  for (char ch : o.format) {
    if (ch == 'M') {
      return MakeError(ErrorCode::kUnsupported,
                       "format character 'M' (metadata) is not supported: cvclone keeps no "
                       "metadata beyond size and modification time");
    }
    if (kFormatChars.find(ch) == std::string_view::npos) {
      return MakeError(ErrorCode::kUnsupported, fmt::format("unknown format character '{}'", ch));
    }
  }
  if (inv.flags.Has("hash")) {
    o.hash = ParseHashName(inv.flags.Get("hash"));
    if (o.hash == HashType::kNone) {
      return MakeError(ErrorCode::kUsage,
                       fmt::format("invalid argument \"{}\" for \"--hash\" flag: unknown hash type "
                                   "\"{}\"; see 'cvclone lsf --help'",
                                   inv.flags.Get("hash"), inv.flags.Get("hash")));
    }
  }
  if (o.csv && o.separator.size() != 1) {
    return MakeError(ErrorCode::kUsage, "--csv needs a one-character --separator");
  }
  return o;
}

// A field as Go's encoding/csv writes it: quoted (quotes doubled) when it holds the separator,
// a quote, CR or LF, or starts with a space or tab.
std::string CsvField(const std::string& field, char sep) {
  bool quote = !field.empty() && (field[0] == ' ' || field[0] == '\t' || field == "\\.");
  for (char c : field) quote = quote || c == sep || c == '"' || c == '\r' || c == '\n';
  if (!quote) return field;
  std::string out = "\"";
  for (char c : field) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

class LsfPrinter {
 public:
  LsfPrinter(const Invocation& inv, Remote& remote, LsfOptions opts)
      : inv_(inv), remote_(remote), opts_(std::move(opts)) {}

  Status Print(const ObjectInfo& info) {
    if (info.is_dir && inv_.flags.Bool("files-only")) return Ok();
    if (!info.is_dir && inv_.flags.Bool("dirs-only")) return Ok();
    std::string line;
    for (size_t i = 0; i < opts_.format.size(); ++i) {
      CVC_ASSIGN_OR_RETURN(std::string field, Field(opts_.format[i], info));
      if (i > 0) line += opts_.separator;
      line += opts_.csv ? CsvField(field, opts_.separator[0]) : field;
    }
    WriteStdout(line + "\n");
    return Ok();
  }

 private:
  Result<std::string> Field(char ch, const ObjectInfo& info) {
    switch (ch) {
      case 'p': {
        std::string p = ShownName(inv_, info.path);
        if (opts_.absolute) p = "/" + p;
        if (info.is_dir && opts_.dir_slash) p += "/";
        return p;
      }
      case 's': return std::to_string(info.is_dir ? -1 : info.size);
      case 't': return FormatLocalTime(info.mtime, false);
      case 'm': return MimeTypeOf(info);
      case 'e': {
        // The last segment only, as rclone (lsjson's EncryptedPath has the whole path).
        CVC_ASSIGN_OR_RETURN(std::string e, EncryptedPathOf(remote_, info));
        return BaseName(e) + (info.is_dir && opts_.dir_slash ? "/" : "");
      }
      case 'h': {
        auto h = ListedHash(inv_.ctx, remote_, info, opts_.hash);
        if (h) return *h;
        // As rclone: logged, the field left empty, the listing goes on.
        if (h.error().code() == ErrorCode::kUnsupported) {
          log::ErrorAt(info.path, "Failed to read hash: hash type not supported");
        } else {
          log::ErrorAt(info.path, "Failed to read hash: {}", h.error().message());
        }
        return std::string();
      }
      case 'T': return info.is_dir ? std::string() : info.tier;
      default: return std::string();  // i, o: cvclone's backends have no IDs
    }
  }

  const Invocation& inv_;
  Remote& remote_;
  LsfOptions opts_;
};

}  // namespace

Command MakeLsfCommand() {
  Command c;
  c.name = "lsf";
  c.short_help = "List files and directories in a form easy to parse";
  c.usage = "lsf REMOTE:PATH [flags]";
  c.long_help =
      "Lists the entries directly inside the path, one per line; directories end in '/'.\n"
      "With -R, all levels, as paths relative to the given path.\n\n"
      "--format chooses the fields, in order, joined by --separator (default \";\"):\n"
      "  p - path\n"
      "  s - size (-1 for directories)\n"
      "  t - modification time (local time, \"2006-01-02 15:04:05\")\n"
      "  h - hash (md5 unless --hash; empty for directories and where the remote has none)\n"
      "  i - ID of object (always empty: no cvclone backend has IDs)\n"
      "  o - Original ID of underlying object (always empty)\n"
      "  m - MimeType of object if known\n"
      "  e - encrypted name, the last segment (crypt remotes only)\n"
      "  T - tier of storage if known, e.g. \"STANDARD\" (S3's storage class)\n"
      "--csv quotes fields as CSV does (separator \",\" unless given).\n\n"
      "Examples:\n"
      "  cvclone lsf -R backup:docs\n"
      "  letters/\n"
      "  letters/letter-1.txt\n"
      "  cvclone lsf -R --hash MD5 --format hp --separator \"  \" --files-only backup:docs\n"
      "  cvclone lsf --absolute --files-only --max-age 1d ~/docs > new_files\n\n"
      "Control characters in names (ESC, tab, newline, ...) are printed escaped (\\x1b, \\t,\n"
      "\\n), so that a name cannot act on the terminal; --raw-names prints names exactly, for a\n"
      "script that reads them from a pipe (a newline in a name then splits its line).\n";
  c.flags = {{"recursive", 'R', FlagType::kBool, "", "Recurse into the listing"},
             {"format", 'F', FlagType::kString, "FORMAT",
              "Output format: p s t h i o m e T, see above (default \"p\")"},
             {"separator", 's', FlagType::kString, "SEP",
              "Separator for the items in the format (default \";\")"},
             {"files-only", 0, FlagType::kBool, "", "Only list files"},
             {"dirs-only", 0, FlagType::kBool, "", "Only list directories"},
             {"absolute", 0, FlagType::kBool, "", "Put a leading / in front of path names"},
             {"dir-slash", 'd', FlagType::kBool, "",
              "Append a slash to directory names (default true; --dir-slash=false)"},
             {"hash", 0, FlagType::kString, "HASH",
              "Use this hash when h is used in the format: md5, sha1, sha256 (default md5)"},
             {"csv", 0, FlagType::kBool, "", "Output in CSV format"},
             RawNamesFlag()};
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(LsfOptions opts, ParseLsfOptions(inv));
    CVC_ASSIGN_OR_RETURN(Filter filter, MakeFilter(inv));
    CVC_ASSIGN_OR_RETURN(Target target, OpenTarget(inv, inv.args[0]));
    const bool mtimes = opts.format.find('t') != std::string::npos;
    LsfPrinter printer(inv, *target.remote, std::move(opts));
    if (!target.file.empty()) {
      CVC_ASSIGN_OR_RETURN(ObjectInfo info, target.remote->Stat(inv.ctx, target.file));
      return printer.Print(info);
    }
    return Walk(inv.ctx, *target.remote, "", inv.flags.Bool("recursive"), true, &filter,
                [&](const ObjectInfo& info) { return printer.Print(info); },
                mtimes ? ListedMtime::kExact : ListedMtime::kAsListed);
  };
  return c;
}

}  // namespace cvclone
