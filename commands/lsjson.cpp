// lsjson: a JSON array of entries, as rclone 1.60's (field names, order and omissions).
#include <fmt/format.h>

#include <string_view>
#include <utility>
#include <vector>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "commands/listing.hpp"
#include "core/log.hpp"

namespace cvclone {
namespace {

struct LsjsonOptions {
  bool modtime = true;
  bool mimetype = true;
  bool encrypted = false;
  std::vector<HashType> hashes;  // sorted by name, as rclone's "Hashes" object
};

Result<LsjsonOptions> ParseLsjsonOptions(const Invocation& inv, const Remote& remote) {
  LsjsonOptions o;
  o.modtime = !inv.flags.Bool("no-modtime");
  o.mimetype = !inv.flags.Bool("no-mimetype");
  o.encrypted = inv.flags.Bool("encrypted");
  const std::vector<std::string> named = inv.flags.All("hash-type");
  if (!named.empty()) {
    HashSet set;
    for (const std::string& name : named) {
      HashType t = ParseHashName(name);
      if (t == HashType::kNone) {
        return MakeError(ErrorCode::kUnsupported, fmt::format("unknown hash type \"{}\"", name));
      }
      set.Add(t);
    }
    for (HashType t : {HashType::kMd5, HashType::kSha1, HashType::kSha256}) {
      if (set.Has(t)) o.hashes.push_back(t);
    }
  } else if (inv.flags.Bool("hash")) {
    for (HashType t : {HashType::kMd5, HashType::kSha1, HashType::kSha256}) {
      if (remote.GetFeatures().hashes.Has(t)) o.hashes.push_back(t);
    }
  }
  return o;
}

// One entry's fields in rclone's order: (name, JSON value); "Hashes" last, as its own pairs.
struct EntryFields {
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<std::pair<std::string, std::string>> hashes;
  std::vector<std::pair<std::string, std::string>> after_hashes;  // in rclone's order: Tier

  // One line, as in rclone's listing array.
  std::string Compact() const {
    std::string out = Members(fields);
    if (!hashes.empty()) out += R"(,"Hashes":{)" + Members(hashes) + "}";
    if (!after_hashes.empty()) out += "," + Members(after_hashes);
    return "{" + out + "}";
  }
  static std::string Members(const std::vector<std::pair<std::string, std::string>>& pairs) {
    std::string out;
    for (const auto& [k, v] : pairs) {
      out += fmt::format("{}{}:{}", out.empty() ? "" : ",", JsonQuote(k), v);
    }
    return out;
  }
  // Go's json.MarshalIndent with a tab, as rclone's --stat.
  std::string Indented() const {
    std::vector<std::string> members;
    for (const auto& [k, v] : fields) members.push_back(fmt::format("\t{}: {}", JsonQuote(k), v));
    if (!hashes.empty()) {
      std::string h = "\t\"Hashes\": {\n";
      for (size_t i = 0; i < hashes.size(); ++i) {
        h += fmt::format("\t\t{}: {}{}\n", JsonQuote(hashes[i].first), hashes[i].second,
                         i + 1 < hashes.size() ? "," : "");
      }
      members.push_back(h + "\t}");
    }
    for (const auto& [k, v] : after_hashes) {
      members.push_back(fmt::format("\t{}: {}", JsonQuote(k), v));
    }
    std::string out = "{\n";
    for (size_t i = 0; i < members.size(); ++i) {
      out += members[i] + (i + 1 < members.size() ? ",\n" : "\n");
    }
    return out + "}";
  }
};

Result<EntryFields> Entry(const Invocation& inv, Remote& remote, const LsjsonOptions& o,
                          const ObjectInfo& info) {
  EntryFields e;
  e.fields.emplace_back("Path", JsonQuote(info.path));
  e.fields.emplace_back("Name", JsonQuote(BaseName(info.path)));
  if (o.encrypted) {
    CVC_ASSIGN_OR_RETURN(std::string enc, EncryptedPathOf(remote, info));
    e.fields.emplace_back("EncryptedPath", JsonQuote(enc));
    e.fields.emplace_back("Encrypted", JsonQuote(BaseName(enc)));
  }
  e.fields.emplace_back("Size", std::to_string(info.is_dir ? -1 : info.size));
  if (o.mimetype) e.fields.emplace_back("MimeType", JsonQuote(MimeTypeOf(info)));
  e.fields.emplace_back("ModTime",
                        JsonQuote(o.modtime ? FormatRfc3339(info.mtime) : std::string()));
  e.fields.emplace_back("IsDir", info.is_dir ? "true" : "false");
  for (HashType t : info.is_dir ? std::vector<HashType>() : o.hashes) {
    auto h = ListedHash(inv.ctx, remote, info, t);
    if (!h) {
      // As rclone: logged, left out, the listing goes on.
      log::ErrorAt(info.path, "Failed to read hash: {}",
                   h.error().code() == ErrorCode::kUnsupported ? "hash type not supported"
                                                                : h.error().message());
      continue;
    }
    if (!h->empty()) e.hashes.emplace_back(HashName(t), JsonQuote(*h));
  }
  if (!info.is_dir && !info.tier.empty()) e.after_hashes.emplace_back("Tier", JsonQuote(info.tier));
  return e;
}

}  // namespace

Command MakeLsjsonCommand() {
  Command c;
  c.name = "lsjson";
  c.short_help = "List entries in the path as JSON";
  c.usage = "lsjson REMOTE:PATH [flags]";
  c.long_help =
      "Prints a JSON array with one object per entry: Path, Name, Size, MimeType, ModTime\n"
      "(RFC 3339, UTC, nanoseconds) and IsDir, and with --hash a \"Hashes\" object (every\n"
      "hash the remote has, or those of --hash-type). Directly inside the path, or all levels\n"
      "with -R. --no-modtime leaves ModTime empty and --no-mimetype leaves MimeType out, which\n"
      "saves a request per object on S3. --encrypted adds EncryptedPath and Encrypted (crypt).\n"
      "--stat prints only the object for the path itself.\n\n"
      "Examples:\n"
      "  cvclone lsjson -R backup:docs\n"
      "  cvclone lsjson -R --files-only --hash-type sha256 ~/docs\n";
  c.flags = {{"recursive", 'R', FlagType::kBool, "", "Recurse into the listing"},
             {"hash", 0, FlagType::kBool, "", "Include hashes in the output (may take longer)"},
             {"hash-type", 0, FlagType::kList, "HASH",
              "Show only this hash type (may be repeated; implies --hash)"},
             {"files-only", 0, FlagType::kBool, "", "Show only files in the listing"},
             {"dirs-only", 0, FlagType::kBool, "", "Show only directories in the listing"},
             {"no-modtime", 0, FlagType::kBool, "",
              "Don't read the modification time (can speed things up)"},
             {"no-mimetype", 0, FlagType::kBool, "",
              "Don't read the mime type (can speed things up)"},
             {"encrypted", 0, FlagType::kBool, "", "Show the encrypted names"},
             {"stat", 0, FlagType::kBool, "", "Just return the info for the pointed to file"}};
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(Filter filter, MakeFilter(inv));
    CVC_ASSIGN_OR_RETURN(Target target, OpenTarget(inv, inv.args[0]));
    CVC_ASSIGN_OR_RETURN(LsjsonOptions opts, ParseLsjsonOptions(inv, *target.remote));
    const bool files_only = inv.flags.Bool("files-only");
    const bool dirs_only = inv.flags.Bool("dirs-only");
    if (inv.flags.Bool("stat")) {
      ObjectInfo info;
      if (target.file.empty()) {
        info.is_dir = true;  // the root itself, as rclone's {"Path":"","IsDir":true}
      } else {
        CVC_ASSIGN_OR_RETURN(info, target.remote->Stat(inv.ctx, target.file));
      }
      CVC_ASSIGN_OR_RETURN(EntryFields e, Entry(inv, *target.remote, opts, info));
      WriteStdout(e.Indented() + "\n");
      return Ok();
    }
    std::vector<std::string> entries;
    auto add = [&](const ObjectInfo& info) -> Status {
      if ((info.is_dir && files_only) || (!info.is_dir && dirs_only)) return Ok();
      CVC_ASSIGN_OR_RETURN(EntryFields e, Entry(inv, *target.remote, opts, info));
      entries.push_back(e.Compact());
      return Ok();
    };
    if (!target.file.empty()) {
      CVC_ASSIGN_OR_RETURN(ObjectInfo info, target.remote->Stat(inv.ctx, target.file));
      CVC_RETURN_IF_ERROR(add(info));
    } else {
      CVC_RETURN_IF_ERROR(Walk(inv.ctx, *target.remote, "", inv.flags.Bool("recursive"), true,
                               &filter, add,
                               opts.modtime ? ListedMtime::kExact : ListedMtime::kAsListed));
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
