// cryptcheck: checks plaintext files against a crypt remote without downloading them
// (rclone's cmd/cryptcheck; CRYPT-FORMAT.md §1.7). For each file present on both sides, the
// 32-byte header of the encrypted object is read for its nonce, the source plaintext is
// re-encrypted with that nonce while hashing the ciphertext with the inner remote's hash type,
// and that hash is compared with the inner remote's hash of the stored object.
//
// The comparison is RunCheck's (core/engine): MakeCryptCheckPair returns two views whose only
// common hash is the ciphertext hash, so check's march, difference reports ("N differences
// found") and missing-file handling apply unchanged.
#pragma once

#include <memory>
#include <string>

#include "core/context.hpp"
#include "core/error.hpp"
#include "core/remote.hpp"
#include "crypt/crypt_remote.hpp"

namespace cvclone::crypt {

// The inner-remote hash (type) of the ciphertext that `plaintext` gives when encrypted with the
// nonce of the stored object at plaintext `path` of `crypt`. Reads only the object's header.
// Errors name the path: kNotFound, kCorrupt ("not an encrypted file - bad magic string", "file
// is too short to be encrypted"), the readers' errors. An all-zero nonce is logged as an error.
Result<std::string> ReencryptedHash(const Context& ctx, const CryptView& crypt,
                                    const std::string& path, Reader& plaintext, HashType type);

struct CryptCheckPair {
  // Lists/stats/opens as `src`; Hash(path, hash) = ReencryptedHash of the file.
  std::unique_ptr<Remote> src;
  // Lists/stats/opens as the crypt remote; Hash(path, hash) = the inner remote's hash of the
  // encrypted object.
  std::unique_ptr<Remote> dst;
  HashType hash = HashType::kNone;
};

// Views over src (plaintext) and crypt (a crypt remote); both must outlive the result.
// kInvalidArgument when crypt is not a crypt remote; kUnsupported when its inner remote has no
// hash to compare with.
Result<CryptCheckPair> MakeCryptCheckPair(Remote& src, Remote& crypt);

}  // namespace cvclone::crypt
