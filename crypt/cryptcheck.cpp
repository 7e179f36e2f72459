#include "crypt/cryptcheck.hpp"

#include <algorithm>
#include <vector>

#include "core/io.hpp"
#include "core/log.hpp"
#include "crypt/data.hpp"

namespace cvclone::crypt {
namespace {

// A read-only view of a remote whose only hash is `hash`, computed by hash_fn. Listings carry
// no hashes, so the check engine asks Hash() for each file.
class HashView : public Remote {
 public:
  using HashFn = std::function<Result<std::string>(const Context&, const std::string&)>;

  HashView(Remote& base, HashType hash, HashFn hash_fn)
      : base_(base), hash_(hash), hash_fn_(std::move(hash_fn)) {
    features_ = base.GetFeatures();
    features_.hashes = HashSet{hash};
    features_.slow_hash = true;
    features_.server_side_copy = features_.server_side_move = false;
    features_.purge = features_.set_modtime = false;
  }

  std::string Type() const override { return base_.Type(); }
  std::string Name() const override { return base_.Name(); }
  const Features& GetFeatures() const override { return features_; }

  Result<std::vector<ObjectInfo>> List(const Context& ctx, const std::string& dir) override {
    CVC_ASSIGN_OR_RETURN(std::vector<ObjectInfo> entries, base_.List(ctx, dir));
    for (ObjectInfo& e : entries) e.hashes.clear();
    return entries;
  }
  Result<ObjectInfo> Stat(const Context& ctx, const std::string& path) override {
    CVC_ASSIGN_OR_RETURN(ObjectInfo info, base_.Stat(ctx, path));
    info.hashes.clear();
    return info;
  }
  Result<std::unique_ptr<Reader>> Open(const Context& ctx, const std::string& path,
                                       int64_t offset, int64_t count) override {
    return base_.Open(ctx, path, offset, count);
  }
  Result<std::string> Hash(const Context& ctx, const std::string& path, HashType type) override {
    if (type != hash_) return Remote::Hash(ctx, path, type);
    return hash_fn_(ctx, path);
  }
  Result<ObjectInfo> Put(const Context&, const std::string& path, Reader&,
                         const PutOptions&) override {
    return ReadOnly(path);
  }
  Status Delete(const Context&, const std::string& path) override { return ReadOnly(path); }
  Status Mkdir(const Context&, const std::string& dir) override { return ReadOnly(dir); }
  Status Rmdir(const Context&, const std::string& dir) override { return ReadOnly(dir); }

 private:
  Unexpected<Error> ReadOnly(const std::string& path) const {
    return MakeError(ErrorCode::kUnsupported, "cryptcheck: " + path + ": read-only view");
  }

  Remote& base_;
  HashType hash_;
  HashFn hash_fn_;
  Features features_;
};

}  // namespace

Result<std::string> ReencryptedHash(const Context& ctx, const CryptView& crypt,
                                    const std::string& path, Reader& plaintext, HashType type) {
  const std::string context = "crypt: " + path;
  auto enc = crypt.Names().EncryptPath(path);
  if (!enc) return Propagate(enc.error(), context);
  auto head = crypt.Inner().Open(ctx, *enc, 0, kHeaderSize);
  if (!head) return Propagate(head.error(), context);
  auto nonce = ReadHeader(**head);
  if (!nonce) return Propagate(nonce.error(), context);
  if (std::all_of(nonce->begin(), nonce->end(), [](uint8_t b) { return b == 0; })) {
    log::ErrorAt(path, "the encrypted file's nonce is all zeros");
  }
  // The plaintext is a file or an object: it may be read on the pipeline thread.
  EncryptingReader encrypting(crypt.Key(), plaintext, *nonce, /*pipelined=*/true);
  auto sums = HashReader(ctx, encrypting, HashSet{type});
  if (!sums) return Propagate(sums.error(), context);
  return (*sums)[type];
}

Result<CryptCheckPair> MakeCryptCheckPair(Remote& src, Remote& crypt) {
  const CryptView* view = AsCrypt(crypt);
  if (view == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cryptcheck: " + crypt.Name() + " is not a crypt remote");
  }
  const HashType hash = view->Inner().GetFeatures().hashes.First();
  if (hash == HashType::kNone) {
    return MakeError(ErrorCode::kUnsupported, "cryptcheck: " + view->Inner().Name() +
                                                  " (the remote under " + crypt.Name() +
                                                  ") has no hash to compare with");
  }
  CryptCheckPair pair;
  pair.hash = hash;
  pair.src = std::make_unique<HashView>(
      src, hash, [&src, view, hash](const Context& ctx, const std::string& path) -> Result<std::string> {
        CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> plain, src.Open(ctx, path, 0, -1));
        return ReencryptedHash(ctx, *view, path, *plain, hash);
      });
  pair.dst = std::make_unique<HashView>(
      crypt, hash, [view, hash](const Context& ctx, const std::string& path) -> Result<std::string> {
        auto enc = view->Names().EncryptPath(path);
        if (!enc) return Propagate(enc.error(), "crypt: " + path);
        auto h = view->Inner().Hash(ctx, *enc, hash);
        if (!h) return Propagate(h.error(), "crypt: " + path);
        return h;
      });
  return pair;
}

}  // namespace cvclone::crypt
