#include "backends/encfs/encfs_remote.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <set>

#include "backends/encfs/encfs_data.hpp"
#include "backends/encfs/encfs_names.hpp"
#include "core/io.hpp"
#include "core/log.hpp"

namespace cvclone::encfs {
namespace {

constexpr std::string_view kConfigName = ".encfs6.xml";
// How the local backend (-l/--links) and uploads made with it present a symbolic link.
constexpr std::string_view kLinkSuffix = ".rclonelink";
// A symlink's stored target is one encoded path: far below this.
constexpr size_t kMaxLinkObject = 64 * 1024;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A file's location in the volume: its stored path and the chain value after its last element.
struct Located {
  std::string stored;
  uint64_t iv = 0;
};

class EncfsRemote : public Remote {
 public:
  EncfsRemote(std::unique_ptr<Remote> inner, std::string name, std::string root,
              OpenedVolume volume, bool strict_names)
      : inner_(std::move(inner)),
        name_(std::move(name)),
        root_(std::move(root)),
        config_(std::move(volume.config)),
        layout_(DataLayout::From(config_)),
        names_(config_.name_alg, config_.chained_name_iv),
        sessions_(std::move(volume.volume_key)),
        strict_names_(strict_names) {
    Features own;  // a reader: no optional operation, nothing written
    own.read_only = true;
    features_ = WrapFeatures(own, inner_->GetFeatures());
  }

  std::string Type() const override { return "encfs"; }
  std::string Name() const override { return name_; }
  const Features& GetFeatures() const override { return features_; }
  StorageLocation StorageRoot() const override {
    StorageLocation at = inner_->StorageRoot();
    at.view = at.view.empty() ? "encfs" : "encfs(" + at.view + ")";
    return at;
  }

  Result<std::vector<ObjectInfo>> List(const Context& ctx, const std::string& dir) override;
  Result<ObjectInfo> Stat(const Context& ctx, const std::string& path) override;
  Result<std::unique_ptr<Reader>> Open(const Context& ctx, const std::string& path, int64_t offset,
                                       int64_t count) override;
  Result<std::unique_ptr<Reader>> OpenListed(const Context& ctx, const ObjectInfo& listed) override;

  Result<ObjectInfo> Put(const Context&, const std::string& path, Reader&,
                         const PutOptions&) override {
    return ReadOnly("write", path);
  }
  Status Delete(const Context&, const std::string& path) override {
    return ReadOnly("delete", path);
  }
  Status Mkdir(const Context&, const std::string& dir) override {
    return ReadOnly("make directory", dir);
  }
  Status Rmdir(const Context&, const std::string& dir) override {
    return ReadOnly("remove directory", dir);
  }
  Status Purge(const Context&, const std::string& dir) override { return ReadOnly("purge", dir); }
  Status SetModTime(const Context&, const std::string& path, TimePoint) override {
    return ReadOnly("set the modification time of", path);
  }
  Result<ObjectInfo> Copy(const Context&, Remote&, const std::string&,
                          const std::string& dst_path) override {
    return ReadOnly("copy to", dst_path);
  }
  Result<ObjectInfo> Move(const Context&, Remote&, const std::string&,
                          const std::string& dst_path) override {
    return ReadOnly("move to", dst_path);
  }
  Status Cleanup(const Context&, const std::string& dir, std::chrono::seconds, bool) override {
    return ReadOnly("clean up", dir);
  }

 private:
  Unexpected<Error> ReadOnly(const std::string& op, const std::string& path) const {
    return MakeError(ErrorCode::kPermission,
                     "encfs: " + name_ + " is read-only (encfs volumes are only read): cannot " +
                         op + " \"" + path + "\"",
                     RetryClass::kFatal);
  }
  // The stored path of a plaintext path (relative to this remote's root).
  Result<Located> Locate(CipherSession& s, const std::string& path) const;
  ObjectInfo PlainInfo(const ObjectInfo& inner, const std::string& plain_path) const;
  // Handles one undecodable stored name in dir: a NOTICE and skip, or (strict) the error.
  Status Undecodable(const Context& ctx, const std::string& dir, const std::string& stored,
                     const Error& why) const;
  // Reports a symlink entry (stored NAME.rclonelink) of dir, whose chain value is dir_iv.
  Status ReportLink(const Context& ctx, CipherSession& s, const std::string& dir, uint64_t dir_iv,
                    const ObjectInfo& entry) const;
  // A decrypting reader over `stored`, a stream of the stored file from its first byte.
  // stored_size: the stored file's size if known (a listing's), else -1.
  Result<std::unique_ptr<Reader>> FromStart(const std::string& path, const Located& at,
                                            std::unique_ptr<Reader> stored, int64_t offset,
                                            int64_t count, int64_t stored_size = -1);
  uint64_t ExternalIv(const Located& at) const { return config_.external_iv_chaining ? at.iv : 0; }
  Result<std::unique_ptr<CipherSession>> NewSession() const {
    return CipherSession::Create(sessions_.key());
  }
  // Reads the IV header from the start of a stored stream: nullopt for an empty file.
  Result<std::optional<uint64_t>> ReadFileIv(CipherSession& s, Reader& stored,
                                             const Located& at) const;
  // Whether this is the first report about `key`: a directory listed twice (the engine may)
  // gives one notice per skipped entry, not two.
  bool FirstReport(const std::string& key) const {
    std::lock_guard lock(reported_mu_);
    return reported_.insert(key).second;
  }

  std::unique_ptr<Remote> inner_;
  std::string name_;
  std::string root_;
  VolumeConfig config_;
  DataLayout layout_;
  NameCoder names_;
  mutable SessionPool sessions_;
  bool strict_names_;
  Features features_;
  mutable std::mutex reported_mu_;
  mutable std::set<std::string> reported_;
};

Result<Located> EncfsRemote::Locate(CipherSession& s, const std::string& path) const {
  if (!path.empty()) CVC_RETURN_IF_ERROR(ValidatePath(path));
  Located at;
  CVC_ASSIGN_OR_RETURN(at.stored, names_.EncodePath(s, JoinPath(root_, path), &at.iv));
  return at;
}

ObjectInfo EncfsRemote::PlainInfo(const ObjectInfo& inner, const std::string& plain_path) const {
  ObjectInfo out = inner;
  out.path = plain_path;
  out.hashes.clear();
  if (inner.is_dir || inner.size < 0) return out;
  auto size = layout_.PlainSize(inner.size);
  if (!size) {
    if (FirstReport("size\n" + plain_path)) {
      log::Notice("encfs: {}: {}", plain_path, size.error().message());
    }
    out.size = 0;
  } else {
    out.size = *size;
  }
  return out;
}

Status EncfsRemote::Undecodable(const Context& ctx, const std::string& dir,
                                const std::string& stored, const Error& why) const {
  const std::string where = dir.empty() ? "the top" : "\"" + dir + "\"";
  Error error(ErrorCode::kCorrupt, "encfs: " + name_ + ": stored name \"" + stored + "\" in " +
                                       where + " " + why.message());
  if (strict_names_) return Unexpected<Error>(error);
  ctx.ReportSkipped(error);
  if (FirstReport("name\n" + dir + "\n" + stored)) {
    log::Notice("{} (skipped; strict_names makes this an error)", error.message());
  }
  return Ok();
}

Status EncfsRemote::ReportLink(const Context& ctx, CipherSession& s, const std::string& dir,
                               uint64_t dir_iv, const ObjectInfo& entry) const {
  const std::string stored = BaseName(entry.path);
  const std::string stem = stored.substr(0, stored.size() - kLinkSuffix.size());
  auto plain = names_.Decode(s, stem, &dir_iv);
  if (!plain) return Undecodable(ctx, dir, stored, plain.error());
  const std::string path = JoinPath(dir, *plain);
  if (!FirstReport("link\n" + path)) return Ok();
  log::Notice("encfs: skipping symlink {} (symbolic links are not copied out of encfs volumes)",
              path);
  if (!log::Enabled(log::Level::kInfo)) return Ok();
  auto target = [&]() -> Result<std::string> {
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> r, inner_->Open(ctx, entry.path));
    CVC_ASSIGN_OR_RETURN(std::string text, ReadAll(*r, kMaxLinkObject));
    return names_.DecodeLinkTarget(s, text);
  }();
  if (target) {
    log::Info("encfs: symlink {} -> {}", path, *target);
  } else {
    log::Info("encfs: symlink {}: its target does not decode: {}", path, target.error().message());
  }
  return Ok();
}

Result<std::vector<ObjectInfo>> EncfsRemote::List(const Context& ctx, const std::string& dir) {
  CVC_ASSIGN_OR_RETURN(auto s, sessions_.Acquire());
  CVC_ASSIGN_OR_RETURN(Located at, Locate(*s, dir));
  auto entries = inner_->List(ctx, at.stored);
  if (!entries) return Propagate(entries.error(), "encfs: list \"" + dir + "\"");
  const bool volume_top = JoinPath(root_, dir).empty();
  std::vector<ObjectInfo> out;
  out.reserve(entries->size());
  for (const ObjectInfo& e : *entries) {
    const std::string stored = BaseName(e.path);
    if (volume_top && !e.is_dir && stored == kConfigName) continue;
    if (!e.is_dir && EndsWith(stored, kLinkSuffix)) {
      CVC_RETURN_IF_ERROR(ReportLink(ctx, *s, dir, at.iv, e));
      continue;
    }
    uint64_t iv = at.iv;
    auto plain = names_.Decode(*s, stored, &iv);
    if (!plain) {
      CVC_RETURN_IF_ERROR(Undecodable(ctx, dir, stored, plain.error()));
      continue;
    }
    out.push_back(PlainInfo(e, JoinPath(dir, *plain)));
  }
  return out;
}

Result<ObjectInfo> EncfsRemote::Stat(const Context& ctx, const std::string& path) {
  if (path.empty())
    return MakeError(ErrorCode::kIsDir, "encfs: " + name_ + ": the root is a directory");
  CVC_ASSIGN_OR_RETURN(auto s, sessions_.Acquire());
  CVC_ASSIGN_OR_RETURN(Located at, Locate(*s, path));
  auto info = inner_->Stat(ctx, at.stored);
  if (!info) return Propagate(info.error(), "encfs: " + path);
  return PlainInfo(*info, path);
}

Result<std::optional<uint64_t>> EncfsRemote::ReadFileIv(CipherSession& s, Reader& stored,
                                                        const Located& at) const {
  uint8_t header[kHeaderBytes];
  CVC_ASSIGN_OR_RETURN(
      size_t n,
      ReadFull(stored, std::span<std::byte>(reinterpret_cast<std::byte*>(header), sizeof header)));
  if (n == 0) return std::optional<uint64_t>();
  if (n < sizeof header) {
    return MakeError(ErrorCode::kCorrupt, "truncated file: " + std::to_string(n) +
                                              " bytes cannot hold the 8-byte IV header");
  }
  CVC_ASSIGN_OR_RETURN(uint64_t iv, DecodeFileIv(s, layout_, header, ExternalIv(at)));
  return std::optional<uint64_t>(iv);
}

Result<std::unique_ptr<Reader>> EncfsRemote::FromStart(const std::string& path, const Located& at,
                                                       std::unique_ptr<Reader> stored,
                                                       int64_t offset, int64_t count,
                                                       int64_t stored_size) {
  const std::string context = "encfs: " + path;
  CVC_ASSIGN_OR_RETURN(auto session, NewSession());
  uint64_t file_iv = 0;
  if (layout_.header > 0) {
    auto iv = ReadFileIv(*session, *stored, at);
    if (!iv) return Propagate(iv.error(), context);
    if (!iv->has_value()) return std::unique_ptr<Reader>(std::make_unique<MemoryReader>(""));
    file_iv = **iv;
  }
  const BlockRange range = MapRange(layout_, offset, count);
  const int64_t blocks_size =
      stored_size < 0 ? -1 : std::max<int64_t>(0, stored_size - layout_.header);
  return std::unique_ptr<Reader>(std::make_unique<DecryptingReader>(
      std::move(session), layout_, file_iv, std::move(stored), range, count, context, blocks_size));
}

Result<std::unique_ptr<Reader>> EncfsRemote::Open(const Context& ctx, const std::string& path,
                                                  int64_t offset, int64_t count) {
  if (path.empty())
    return MakeError(ErrorCode::kIsDir, "encfs: " + name_ + ": the root is a directory");
  const std::string context = "encfs: " + path;
  Located at;
  {
    CVC_ASSIGN_OR_RETURN(auto s, sessions_.Acquire());
    CVC_ASSIGN_OR_RETURN(at, Locate(*s, path));
  }
  if (count == 0) return std::unique_ptr<Reader>(std::make_unique<MemoryReader>(""));
  if (offset < 0) offset = 0;
  const BlockRange range = MapRange(layout_, offset, count);
  if (range.first_block == 0) {
    // One request: the header, then the blocks from the start.
    const int64_t stored_count = range.stored_count < 0 ? -1 : layout_.header + range.stored_count;
    auto opened = inner_->Open(ctx, at.stored, 0, stored_count);
    if (!opened) return Propagate(opened.error(), context);
    return FromStart(path, at, std::move(opened).value(), offset, count);
  }
  // The header for the file IV, then only the blocks the range needs.
  CVC_ASSIGN_OR_RETURN(auto session, NewSession());
  uint64_t file_iv = 0;
  if (layout_.header > 0) {
    auto head = inner_->Open(ctx, at.stored, 0, kHeaderBytes);
    if (!head) return Propagate(head.error(), context);
    auto iv = ReadFileIv(*session, **head, at);
    if (!iv) return Propagate(iv.error(), context);
    if (!iv->has_value()) return std::unique_ptr<Reader>(std::make_unique<MemoryReader>(""));
    file_iv = **iv;
  }
  auto body = inner_->Open(ctx, at.stored, range.stored_offset, range.stored_count);
  if (!body) return Propagate(body.error(), context);
  return std::unique_ptr<Reader>(std::make_unique<DecryptingReader>(
      std::move(session), layout_, file_iv, std::move(body).value(), range, count, context));
}

Result<std::unique_ptr<Reader>> EncfsRemote::OpenListed(const Context& ctx,
                                                        const ObjectInfo& listed) {
  if (listed.path.empty()) return Open(ctx, listed.path, 0, -1);
  Located at;
  {
    CVC_ASSIGN_OR_RETURN(auto s, sessions_.Acquire());
    CVC_ASSIGN_OR_RETURN(at, Locate(*s, listed.path));
  }
  ObjectInfo inner_listed = listed;
  inner_listed.path = at.stored;
  inner_listed.hashes.clear();
  if (listed.size >= 0) inner_listed.size = layout_.StoredSize(listed.size);
  auto opened = inner_->OpenListed(ctx, inner_listed);
  if (!opened) return Propagate(opened.error(), "encfs: " + listed.path);
  std::optional<ObjectInfo> info;
  if (const ObjectInfo* inner_info = (*opened)->OpenedInfo(); inner_info != nullptr) {
    info = PlainInfo(*inner_info, listed.path);
  }
  CVC_ASSIGN_OR_RETURN(
      std::unique_ptr<Reader> reader,
      FromStart(listed.path, at, std::move(opened).value(), 0, -1, inner_listed.size));
  if (info) {
    if (auto* d = dynamic_cast<DecryptingReader*>(reader.get()); d != nullptr) {
      d->SetOpenedInfo(std::move(*info));
    }
  }
  return reader;
}

}  // namespace

Result<OpenedVolume> OpenVolume(const std::string& config_text, const std::string& where,
                                const std::string& password) {
  CVC_ASSIGN_OR_RETURN(VolumeConfig config, ParseVolumeConfig(config_text, where));
  CVC_ASSIGN_OR_RETURN(KeyMaterial user_key, DeriveUserKey(password, config));
  auto volume_key = DecodeVolumeKey(user_key, config);
  if (!volume_key) {
    const Error& e = volume_key.error();
    if (e.code() == ErrorCode::kAuth) {
      return MakeError(
          ErrorCode::kAuth,
          "encfs: wrong password (the volume key's checksum in " + where + " does not match)",
          RetryClass::kFatal);
    }
    return Propagate(e);
  }
  return OpenedVolume{std::move(config), std::move(volume_key).value()};
}

Result<std::unique_ptr<Remote>> NewEncfsRemote(std::unique_ptr<Remote> inner,
                                               const std::string& display_name,
                                               const std::string& root, OpenedVolume volume,
                                               bool strict_names) {
  if (!inner) return MakeError(ErrorCode::kInternal, "encfs: no inner remote");
  if (!root.empty()) CVC_RETURN_IF_ERROR(ValidatePath(root));
  return std::unique_ptr<Remote>(std::make_unique<EncfsRemote>(std::move(inner), display_name, root,
                                                               std::move(volume), strict_names));
}

}  // namespace cvclone::encfs
