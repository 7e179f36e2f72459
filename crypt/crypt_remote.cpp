#include "crypt/crypt_remote.hpp"

#include <optional>

#include "core/io.hpp"
#include "core/log.hpp"
#include "crypt/data.hpp"
#include "crypt/keys.hpp"
#include "crypt/secret.hpp"

namespace cvclone::crypt {
namespace {

// Adds "crypt: PATH: " to the errors of a decrypting reader, so they name the file.
class NamingReader : public Reader {
 public:
  NamingReader(std::unique_ptr<Reader> inner, std::string context,
               std::optional<ObjectInfo> opened = std::nullopt)
      : inner_(std::move(inner)), context_(std::move(context)), opened_(std::move(opened)) {}
  Result<size_t> Read(std::span<std::byte> buf) override {
    auto r = inner_->Read(buf);
    if (!r) return Propagate(r.error(), context_);
    return r;
  }
  const ObjectInfo* OpenedInfo() const override { return opened_ ? &*opened_ : nullptr; }
  std::string Version() const override { return inner_->Version(); }

 private:
  std::unique_ptr<Reader> inner_;
  std::string context_;
  std::optional<ObjectInfo> opened_;  // the plaintext info of the whole object, if known
};

// Adds "crypt: PATH: " to the errors of a decrypting random reader, as NamingReader.
class NamingRandomReader : public RandomReader {
 public:
  NamingRandomReader(std::unique_ptr<RandomReader> inner, std::string context)
      : inner_(std::move(inner)), context_(std::move(context)) {}
  Result<size_t> ReadAt(std::span<std::byte> buf, int64_t offset) override {
    auto r = inner_->ReadAt(buf, offset);
    if (!r) return Propagate(r.error(), context_);
    return r;
  }

 private:
  std::unique_ptr<RandomReader> inner_;
  std::string context_;
};

// Whether to encrypt a source of this size on a background thread: only for sources whose size
// is known (files, remote objects; not a stream such as rcat's stdin, which may block) and
// longer than what is sealed before the pipeline starts anyway.
bool Pipelined(int64_t size) {
  return size > static_cast<int64_t>(kPipelineAfterChunks * kChunkSize);
}

class CryptRemote : public Remote, public CryptView {
 public:
  CryptRemote(std::unique_ptr<Remote> inner, std::string name, LockedKeys keys,
              const CryptConfig& config)
      : inner_(std::move(inner)), name_(std::move(name)), keys_(std::move(keys)),
        names_(keys_.get(), config.names), strict_names_(config.strict_names) {
    features_ = WrapFeatures(OwnFeatures(), inner_->GetFeatures());
  }

  // What crypt does itself: it passes copies, moves, purges, modtimes, batches, cleanups on to
  // the inner remote, and an inner Put's verification covers the ciphertext it was given. No
  // hash (the inner one is the ciphertext's), no public link (it would serve ciphertext), and
  // no multi-thread downloads into it (they would not pay for the encryption's single stream).
  static Features OwnFeatures() {
    Features f;
    f.server_side_copy = true;
    f.server_side_move = true;
    f.purge = true;
    f.set_modtime = true;
    f.empty_dirs = true;
    f.verifies_puts = true;
    f.batch_commit = true;
    f.cleanup = true;
    return f;
  }

  Remote& Inner() const override { return *inner_; }
  const NameCipher& Names() const override { return names_; }
  const DataKey& Key() const override { return keys_->data_key; }

  std::string Type() const override { return "crypt"; }
  std::string Name() const override { return name_; }
  const Features& GetFeatures() const override { return features_; }
  // Stored where the inner remote's root is; the bytes there mean something else.
  StorageLocation StorageRoot() const override {
    StorageLocation at = inner_->StorageRoot();
    at.view = at.view.empty() ? "crypt" : "crypt(" + at.view + ")";
    return at;
  }

  Result<std::vector<ObjectInfo>> List(const Context& ctx, const std::string& dir) override;
  Result<ObjectInfo> Stat(const Context& ctx, const std::string& path) override;
  Result<std::unique_ptr<Reader>> Open(const Context& ctx, const std::string& path,
                                       int64_t offset, int64_t count) override;
  Result<std::unique_ptr<Reader>> OpenListed(const Context& ctx, const ObjectInfo& listed) override;
  // The header is read once; each read then fetches only the chunks it touches.
  Result<std::unique_ptr<RandomReader>> OpenRandom(const Context& ctx,
                                                   const std::string& path) override;
  Result<ObjectInfo> Put(const Context& ctx, const std::string& path, Reader& src,
                         const PutOptions& opts) override;

  Status Delete(const Context& ctx, const std::string& path) override {
    CVC_ASSIGN_OR_RETURN(std::string enc, EncFile(path));
    auto s = inner_->Delete(ctx, enc);
    if (!s) return DirInstead(ctx, path, enc, s.error());
    return s;
  }
  Status Mkdir(const Context& ctx, const std::string& dir) override {
    CVC_ASSIGN_OR_RETURN(std::string enc, EncDir(dir));
    CVC_RETURN_IF_ERROR(CheckNoObjectOnPath(ctx, dir));
    return inner_->Mkdir(ctx, enc);
  }
  Status Rmdir(const Context& ctx, const std::string& dir) override {
    CVC_ASSIGN_OR_RETURN(std::string enc, EncDir(dir));
    return inner_->Rmdir(ctx, enc);
  }
  Status Purge(const Context& ctx, const std::string& dir) override {
    CVC_ASSIGN_OR_RETURN(std::string enc, EncDir(dir));
    return inner_->Purge(ctx, enc);
  }
  Status SetModTime(const Context& ctx, const std::string& path, TimePoint mtime) override {
    CVC_ASSIGN_OR_RETURN(std::string enc, EncFile(path));
    return inner_->SetModTime(ctx, enc, mtime);
  }
  // What interrupted uploads left is the inner remote's (encrypted names, as its listing).
  Status Cleanup(const Context& ctx, const std::string& dir, std::chrono::seconds max_age,
                 bool dry_run) override {
    CVC_ASSIGN_OR_RETURN(std::string enc, EncDir(dir));
    return inner_->Cleanup(ctx, enc, max_age, dry_run);
  }
  Result<ObjectInfo> Copy(const Context& ctx, Remote& src, const std::string& src_path,
                          const std::string& dst_path) override {
    return ServerSide(ctx, src, src_path, dst_path, false);
  }
  Result<ObjectInfo> Move(const Context& ctx, Remote& src, const std::string& src_path,
                          const std::string& dst_path) override {
    return ServerSide(ctx, src, src_path, dst_path, true);
  }
  void StartBatch(BatchFailure on_failure) override {
    // Failures name the inner (encrypted) path: report the plaintext one.
    inner_->StartBatch([this, on_failure = std::move(on_failure)](const std::string& enc,
                                                                  const Error& error) {
      auto plain = names_.DecryptPath(enc);
      on_failure(plain ? *plain : enc, error);
    });
  }
  Status FinishBatch(const Context& ctx) override { return inner_->FinishBatch(ctx); }

 private:
  Result<std::string> EncFile(const std::string& path) const {
    if (path.empty()) return MakeError(ErrorCode::kIsDir, name_ + ": the root is a directory");
    CVC_RETURN_IF_ERROR(ValidatePath(path));
    return names_.EncryptPath(path);
  }
  Result<std::string> EncDir(const std::string& dir) const {
    if (dir.empty()) return std::string();
    CVC_RETURN_IF_ERROR(ValidatePath(dir));
    return names_.EncryptDirPath(dir);
  }
  // A kNotFound for a file path becomes kIsDir when a directory has that name (its encrypted
  // name can differ from the file's: off mode, plain directory names). Other errors pass.
  Unexpected<Error> DirInstead(const Context& ctx, const std::string& path,
                               const std::string& enc_file, const Error& error);
  // When files and directories are named differently inside, an object "a" does not block
  // "a/b" there; this checks it for the crypt view (kNotDir).
  Status CheckNoObjectOnPath(const Context& ctx, const std::string& dir);
  // Plaintext info for an inner object or directory (plain_path already decrypted).
  ObjectInfo PlainInfo(const ObjectInfo& inner, const std::string& plain_path) const;
  // Decrypts a whole encrypted object from its start; `opened` is the inner stream.
  Result<std::unique_ptr<Reader>> DecryptWhole(const std::string& path,
                                               std::unique_ptr<Reader> opened);
  bool SameCipher(const CryptRemote& other) const;
  Result<ObjectInfo> ServerSide(const Context& ctx, Remote& src, const std::string& src_path,
                                const std::string& dst_path, bool move);
  Status VerifyUpload(const Context& ctx, const std::string& enc, const ObjectInfo& stored,
                      const HashingReader& hashed);

  std::unique_ptr<Remote> inner_;
  std::string name_;
  LockedKeys keys_;
  NameCipher names_;
  bool strict_names_;
  Features features_;
};

ObjectInfo CryptRemote::PlainInfo(const ObjectInfo& inner, const std::string& plain_path) const {
  ObjectInfo out = inner;
  out.path = plain_path;
  out.hashes.clear();
  if (inner.is_dir || inner.size < 0) return out;
  auto size = DecryptedSize(inner.size);
  if (!size) {
    log::Notice("{}: {}: {}", name_, plain_path, size.error().message());
    out.size = 0;
  } else {
    out.size = *size;
  }
  return out;
}

Result<std::vector<ObjectInfo>> CryptRemote::List(const Context& ctx, const std::string& dir) {
  CVC_ASSIGN_OR_RETURN(std::string enc_dir, EncDir(dir));
  CVC_ASSIGN_OR_RETURN(std::vector<ObjectInfo> entries, inner_->List(ctx, enc_dir));
  std::vector<ObjectInfo> out;
  out.reserve(entries.size());
  for (const ObjectInfo& e : entries) {
    const std::string base = BaseName(e.path);
    auto plain = e.is_dir ? names_.DecryptDirPath(base) : names_.DecryptName(base);
    if (!plain) {
      if (strict_names_) return Propagate(plain.error(), name_ + ": list \"" + dir + "\"");
      log::Notice("{}: skipping undecryptable {} name: {}", name_,
                  e.is_dir ? "directory" : "file", plain.error().message());
      ctx.ReportSkipped(plain.error());
      continue;
    }
    out.push_back(PlainInfo(e, JoinPath(dir, *plain)));
  }
  return out;
}

Unexpected<Error> CryptRemote::DirInstead(const Context& ctx, const std::string& path,
                                          const std::string& enc_file, const Error& error) {
  if (error.code() != ErrorCode::kNotFound) return Propagate(error);
  auto enc_dir = EncDir(path);
  if (enc_dir && *enc_dir != enc_file) {
    auto dir = inner_->Stat(ctx, *enc_dir);
    if (!dir && dir.error().code() == ErrorCode::kIsDir) return Propagate(dir.error());
  }
  return Propagate(error);
}

Status CryptRemote::CheckNoObjectOnPath(const Context& ctx, const std::string& dir) {
  const NameOptions& o = names_.options();
  if (dir.empty() || (o.mode != NameMode::kOff && o.encrypt_dirs)) return Ok();
  for (size_t end = 0; end != std::string::npos;) {
    end = dir.find('/', end + 1);
    const std::string prefix = dir.substr(0, end);
    CVC_ASSIGN_OR_RETURN(std::string enc, EncFile(prefix));
    if (inner_->Stat(ctx, enc)) {
      return MakeError(ErrorCode::kNotDir, name_ + ": " + prefix + " is an object, not a directory");
    }
  }
  return Ok();
}

Result<ObjectInfo> CryptRemote::Stat(const Context& ctx, const std::string& path) {
  CVC_ASSIGN_OR_RETURN(std::string enc, EncFile(path));
  auto info = inner_->Stat(ctx, enc);
  if (!info) return DirInstead(ctx, path, enc, info.error());
  return PlainInfo(*info, path);
}

Result<std::unique_ptr<Reader>> CryptRemote::Open(const Context& ctx, const std::string& path,
                                                  int64_t offset, int64_t count) {
  CVC_ASSIGN_OR_RETURN(std::string enc, EncFile(path));
  const std::string context = "crypt: " + path;
  const ChunkRange range = MapRange(offset, count);
  if (range.count == 0) return std::unique_ptr<Reader>(std::make_unique<MemoryReader>(""));
  std::unique_ptr<Reader> src;
  Result<Nonce> nonce = Nonce{};
  if (range.first_chunk == 0) {
    // One request: the header, then the chunks from the start.
    const int64_t inner_count = range.count < 0 ? -1 : range.offset + range.count;
    auto opened = inner_->Open(ctx, enc, 0, inner_count);
    if (!opened) return DirInstead(ctx, path, enc, opened.error());
    if (offset == 0 && count < 0) return DecryptWhole(path, std::move(opened).value());
    src = std::move(opened).value();
    nonce = ReadHeader(*src);
  } else {
    // The header for the nonce, then only the chunks the range needs.
    auto head = inner_->Open(ctx, enc, 0, kHeaderSize);
    if (!head) return DirInstead(ctx, path, enc, head.error());
    nonce = ReadHeader(**head);
    if (nonce) {
      CVC_ASSIGN_OR_RETURN(src, inner_->Open(ctx, enc, range.offset, range.count));
    }
  }
  if (!nonce) return Propagate(nonce.error(), context);
  auto reader = std::make_unique<DecryptingReader>(keys_->data_key, std::move(src), *nonce,
                                                   range.first_chunk, range.discard, count);
  return std::unique_ptr<Reader>(std::make_unique<NamingReader>(std::move(reader), context));
}

Result<std::unique_ptr<RandomReader>> CryptRemote::OpenRandom(const Context& ctx,
                                                              const std::string& path) {
  CVC_ASSIGN_OR_RETURN(std::string enc, EncFile(path));
  const std::string context = "crypt: " + path;
  auto inner = inner_->OpenRandom(ctx, enc);
  if (!inner) return DirInstead(ctx, path, enc, inner.error());
  auto reader = DecryptingRandomReader::Open(keys_->data_key, std::move(inner).value());
  if (!reader) return Propagate(reader.error(), context);
  return std::unique_ptr<RandomReader>(
      std::make_unique<NamingRandomReader>(std::move(reader).value(), context));
}

Result<std::unique_ptr<Reader>> CryptRemote::OpenListed(const Context& ctx,
                                                        const ObjectInfo& listed) {
  CVC_ASSIGN_OR_RETURN(std::string enc, EncFile(listed.path));
  ObjectInfo inner_listed = listed;
  inner_listed.path = enc;
  inner_listed.hashes.clear();
  if (listed.size >= 0) {
    CVC_ASSIGN_OR_RETURN(inner_listed.size, EncryptedSize(listed.size));
  }
  auto opened = inner_->OpenListed(ctx, inner_listed);
  if (!opened) return DirInstead(ctx, listed.path, enc, opened.error());
  return DecryptWhole(listed.path, std::move(opened).value());
}

Result<std::unique_ptr<Reader>> CryptRemote::DecryptWhole(const std::string& path,
                                                          std::unique_ptr<Reader> opened) {
  const std::string context = "crypt: " + path;
  // What the inner stream reported about the whole object (S3: its GET's headers), as plaintext.
  std::optional<ObjectInfo> info;
  if (const ObjectInfo* inner_info = opened->OpenedInfo(); inner_info != nullptr) {
    info = PlainInfo(*inner_info, "");
  }
  auto reader = DecryptingReader::Open(keys_->data_key, std::move(opened));
  if (!reader) return Propagate(reader.error(), context);
  return std::unique_ptr<Reader>(
      std::make_unique<NamingReader>(std::move(reader).value(), context, std::move(info)));
}

Status CryptRemote::VerifyUpload(const Context& ctx, const std::string& enc,
                                 const ObjectInfo& stored, const HashingReader& hashed) {
  const HashType type = inner_->GetFeatures().hashes.First();
  const auto sums = hashed.Sums();
  auto mine = sums.find(type);
  if (mine == sums.end()) return Ok();
  std::string theirs;
  if (auto it = stored.hashes.find(type); it != stored.hashes.end()) {
    theirs = it->second;
  } else {
    auto h = inner_->Hash(ctx, enc, type);
    if (!h) return Ok();  // cannot tell: as rclone, an unknown hash skips the check
    theirs = *h;
  }
  if (theirs.empty() || theirs == mine->second) return Ok();
  (void)inner_->Delete(ctx, enc);
  return MakeError(ErrorCode::kCorrupt, std::string("corrupted on transfer: ") + HashName(type) +
                                            " encrypted hashes differ " + mine->second + " vs " +
                                            theirs);
}

Result<ObjectInfo> CryptRemote::Put(const Context& ctx, const std::string& path, Reader& src,
                                    const PutOptions& opts) {
  CVC_ASSIGN_OR_RETURN(std::string enc, EncFile(path));
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<EncryptingReader> encrypting,
                       EncryptingReader::Create(keys_->data_key, src, Pipelined(opts.size)));
  PutOptions inner_opts;
  inner_opts.mtime = opts.mtime;
  if (opts.size >= 0) {
    CVC_ASSIGN_OR_RETURN(inner_opts.size, EncryptedSize(opts.size));
  }
  const Features& inner_features = inner_->GetFeatures();
  // The ciphertext is hashed on the way and checked against the hash the inner remote reports
  // for what it stored. An inner remote that verifies its puts (S3: Content-MD5 computed from
  // this very stream, then the ETag) has done exactly that already: a second MD5 pass here
  // would cost a full pass of CPU over the data and could not disagree with it.
  const bool verify = !inner_features.slow_hash && !inner_features.verifies_puts &&
                      !inner_features.hashes.Empty();
  HashingReader hashed(*encrypting, verify ? HashSet{inner_features.hashes.First()} : HashSet{});
  CVC_ASSIGN_OR_RETURN(ObjectInfo stored, inner_->Put(ctx, enc, hashed, inner_opts));
  if (verify) CVC_RETURN_IF_ERROR(VerifyUpload(ctx, enc, stored, hashed));
  return PlainInfo(stored, path);
}

bool CryptRemote::SameCipher(const CryptRemote& other) const {
  const NameOptions& a = names_.options();
  const NameOptions& b = other.names_.options();
  return keys_->data_key == other.keys_->data_key && keys_->name_key == other.keys_->name_key &&
         keys_->name_tweak == other.keys_->name_tweak && a.mode == b.mode &&
         a.encrypt_dirs == b.encrypt_dirs && a.encoding == b.encoding && a.suffix == b.suffix;
}

Result<ObjectInfo> CryptRemote::ServerSide(const Context& ctx, Remote& src,
                                           const std::string& src_path,
                                           const std::string& dst_path, bool move) {
  auto* other = dynamic_cast<CryptRemote*>(&src);
  if (other == nullptr || !SameCipher(*other) ||
      !(move ? features_.server_side_move : features_.server_side_copy)) {
    return MakeError(ErrorCode::kUnsupported,
                     name_ + ": server-side " + (move ? "move" : "copy") + " from " + src.Name() +
                         " is not supported");
  }
  CVC_ASSIGN_OR_RETURN(std::string enc_src, other->EncFile(src_path));
  CVC_ASSIGN_OR_RETURN(std::string enc_dst, EncFile(dst_path));
  auto info = move ? inner_->Move(ctx, *other->inner_, enc_src, enc_dst)
                   : inner_->Copy(ctx, *other->inner_, enc_src, enc_dst);
  if (!info) return Propagate(info.error());
  return PlainInfo(*info, dst_path);
}

}  // namespace

const CryptView* AsCrypt(const Remote& remote) {
  return dynamic_cast<const CryptRemote*>(&remote);
}

Result<std::unique_ptr<Remote>> NewCryptRemote(std::unique_ptr<Remote> inner,
                                               const std::string& display_name,
                                               const CryptConfig& config) {
  CVC_ASSIGN_OR_RETURN(CryptKeys keys, DeriveKeys(config.password, config.password2));
  return NewCryptRemote(std::move(inner), display_name, config, keys);
}

Result<std::unique_ptr<Remote>> NewCryptRemote(std::unique_ptr<Remote> inner,
                                               const std::string& display_name,
                                               const CryptConfig& config, const CryptKeys& keys) {
  if (!inner) return MakeError(ErrorCode::kInternal, "crypt: no inner remote");
  CVC_ASSIGN_OR_RETURN(LockedKeys locked, LockedKeys::Create(keys));
  return std::unique_ptr<Remote>(
      std::make_unique<CryptRemote>(std::move(inner), display_name, std::move(locked), config));
}

}  // namespace cvclone::crypt
