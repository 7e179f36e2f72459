// hashsum HASH, md5sum, sha1sum, sha256sum: "hash  path" lines as md5sum(1), rclone's format.
// The hash comes from the remote (Remote::Hash: stored, or read from the data where the remote
// computes it), or from the downloaded bytes with --download, which works for any remote (crypt:
// the plaintext's hash).
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "core/io.hpp"

namespace cvclone {
namespace {

constexpr HashType kHashsumTypes[] = {HashType::kMd5, HashType::kSha1, HashType::kSha256};

// "Supported hashes are:" and one "  * name" line per type, as `rclone hashsum` without HASH.
std::string SupportedHashes() {
  std::string out = "Supported hashes are:\n";
  for (HashType t : kHashsumTypes) out += fmt::format("  * {}\n", HashName(t));
  return out;
}

// Hex digits to rclone's --base64 form: URL-safe base64 with padding.
std::string HexToBase64Url(std::string_view hex) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string raw;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    raw += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  std::string out;
  for (size_t i = 0; i < raw.size(); i += 3) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(raw[i])) << 16;
    if (i + 1 < raw.size()) v |= static_cast<uint32_t>(static_cast<unsigned char>(raw[i + 1])) << 8;
    if (i + 2 < raw.size()) v |= static_cast<unsigned char>(raw[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < raw.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < raw.size() ? kAlphabet[v & 63] : '=';
  }
  return out;
}

// Digest length in hex digits (the column width of an empty hash).
size_t HexWidth(HashType type) {
  switch (type) {
    case HashType::kMd5: return 32;
    case HashType::kSha1: return 40;
    case HashType::kSha256: return 64;
    case HashType::kNone: break;
  }
  return 0;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

Status PrintHashes(const Invocation& inv, HashType type, const std::string& remote_string) {
  CVC_ASSIGN_OR_RETURN(Filter filter, MakeFilter(inv));
  CVC_ASSIGN_OR_RETURN(Target target, OpenTarget(inv, remote_string));
  const bool download = inv.flags.Bool("download");
  const bool base64 = inv.flags.Bool("base64");
  if (!download && !target.remote->GetFeatures().hashes.Has(type)) {
    return MakeError(ErrorCode::kUnsupported,
                     fmt::format("{} has no {} hashes: hash type not supported (--download "
                                 "hashes the downloaded content)",
                                 target.remote->Name(), HashName(type)));
  }
  // --output-file: the lines go to that file (created or truncated), as rclone.
  std::unique_ptr<std::FILE, FileCloser> out_file;
  if (const std::string path = inv.flags.Get("output-file"); !path.empty()) {
    out_file.reset(std::fopen(path.c_str(), "w"));
    if (!out_file) {
      return MakeError(ErrorCode::kIo, fmt::format("failed to open output file \"{}\": {}", path,
                                                   std::strerror(errno)));
    }
  }
  const size_t width = base64 ? (HexWidth(type) / 2 + 2) / 3 * 4 : HexWidth(type);
  auto print = [&](const ObjectInfo& info) -> Status {
    std::string sum;
    if (download) {
      CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader,
                           target.remote->Open(inv.ctx, info.path));
      auto sums = HashReader(inv.ctx, *reader, HashSet{type});
      if (!sums) return Propagate(sums.error(), info.path);
      sum = (*sums)[type];
    } else {
      auto hash = target.remote->Hash(inv.ctx, info.path, type);
      if (!hash) return Propagate(hash.error(), info.path);
      sum = *hash;
    }
    if (base64 && !sum.empty()) sum = HexToBase64Url(sum);
    const std::string line = fmt::format("{:<{}}  {}\n", sum, width, ShownName(inv, info.path));
    if (out_file) {
      if (std::fwrite(line.data(), 1, line.size(), out_file.get()) != line.size()) {
        return MakeError(ErrorCode::kIo, "writing to --output-file failed");
      }
    } else {
      WriteStdout(line);
    }
    return Ok();
  };
  if (!target.file.empty()) {
    ObjectInfo info;
    info.path = target.file;
    CVC_RETURN_IF_ERROR(print(info));
  } else {
    CVC_RETURN_IF_ERROR(Walk(inv.ctx, *target.remote, "", true, false, &filter, print));
  }
  if (out_file && std::fflush(out_file.get()) != 0) {
    return MakeError(ErrorCode::kIo, "writing to --output-file failed");
  }
  return Ok();
}

std::vector<FlagSpec> HashFlags() {
  return {
      {"download", 0, FlagType::kBool, "",
       "Download the file and hash it locally (any remote, any hash)"},
      {"output-file", 0, FlagType::kString, "FILE",
       "Output hashsums to a file rather than the terminal"},
      {"base64", 0, FlagType::kBool, "", "Output base64 encoded hashsum"},
      RawNamesFlag(),
  };
}

Command MakeHashCommand(const std::string& name, HashType type) {
  Command c;
  c.name = name;
  c.short_help = fmt::format("Print the {} hash of every file in the path", HashName(type));
  c.usage = name + " REMOTE:PATH [flags]";
  c.long_help = fmt::format(
      "Prints \"hash  path\" for every file under the path, recursively, in the format of\n"
      "{}(1). The hash comes from the remote (read from the data where the remote does not\n"
      "store it); a remote that has no {} hashes (crypt; S3 for anything but md5) is an error\n"
      "unless --download, which hashes the downloaded content (for crypt: the plaintext).\n"
      "--base64 prints the hash in URL-safe base64, --output-file writes the lines to a file.\n\n"
      "Example:\n"
      "  cvclone {} backup:docs\n",
      name, HashName(type), name);
  c.flags = HashFlags();
  c.min_args = c.max_args = 1;
  c.run = [type](const Invocation& inv) { return PrintHashes(inv, type, inv.args[0]); };
  return c;
}

}  // namespace

Command MakeMd5sumCommand() { return MakeHashCommand("md5sum", HashType::kMd5); }
Command MakeSha1sumCommand() { return MakeHashCommand("sha1sum", HashType::kSha1); }
Command MakeSha256sumCommand() { return MakeHashCommand("sha256sum", HashType::kSha256); }

Command MakeHashsumCommand() {
  Command c;
  c.name = "hashsum";
  c.short_help = "Print the hash of every file in the path, for the hash named";
  c.usage = "hashsum [HASH REMOTE:PATH] [flags]";
  c.long_help =
      "Prints \"hash  path\" for every file under the path, recursively, in the format of\n"
      "md5sum(1), with the hash named (case-insensitive: md5, sha1 or SHA-1, sha256 or\n"
      "SHA-256). Without arguments, lists the supported hashes. A remote that cannot give the\n"
      "hash (crypt; S3 for anything but md5) is an error (\"hash type not supported\") unless\n"
      "--download, which hashes the downloaded content.\n\n"
      "Examples:\n"
      "  cvclone hashsum\n"
      "  cvclone hashsum sha256 ~/docs\n"
      "  cvclone hashsum SHA-1 secret: --download --output-file sums.txt\n";
  c.flags = HashFlags();
  c.min_args = 0;
  c.max_args = 2;
  c.run = [](const Invocation& inv) -> Status {
    if (inv.args.empty()) {
      WriteStdout(SupportedHashes());
      return Ok();
    }
    const HashType type = ParseHashName(inv.args[0]);
    if (type == HashType::kNone) {
      // As rclone: the list and a blank line on stdout, then the error (exit 1).
      WriteStdout(SupportedHashes() + "\n");
      return MakeError(ErrorCode::kUnsupported,
                       fmt::format("unknown hash type \"{}\"", inv.args[0]));
    }
    if (inv.args.size() < 2) {
      return MakeError(ErrorCode::kUsage,
                       "hashsum needs a REMOTE:PATH after the hash; see 'cvclone hashsum --help'");
    }
    return PrintHashes(inv, type, inv.args[1]);
  };
  return c;
}

}  // namespace cvclone
