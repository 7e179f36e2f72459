// The crypt wrapper remote (`type = crypt`): encrypts names and contents, byte-compatible with
// rclone's crypt, over any inner remote.
//
// Contract beyond core/remote.hpp:
// - Paths given to and returned by this remote are plaintext; the inner remote sees only
//   encrypted names (names.hpp) and encrypted contents (data.hpp).
// - List decrypts names and reports sizes from DecryptedSize(inner size) without reading data
//   (an impossible size is listed as 0 with a NOTICE, as rclone). An entry whose name does not
//   decrypt is skipped with one NOTICE naming it, or fails the listing with kCorrupt when
//   strict_names is set.
// - Open reads only the chunks the range needs (plus the 32-byte header for a range that does
//   not start at 0). Decryption errors are kCorrupt naming the file ("crypt: PATH: failed to
//   authenticate decrypted block: wrong password or corrupted data").
// - Put encrypts streaming with a fresh random nonce; when the inner remote has a fast hash the
//   ciphertext is hashed on the way and checked against the stored object (mismatch: the object
//   is deleted, kCorrupt).
// - Features are the inner remote's, without hashes. Copy/Move are server-side only between
//   crypt remotes with the same keys and name options whose inner remotes can copy.
#pragma once

#include <memory>
#include <string>

#include "core/error.hpp"
#include "core/registry.hpp"
#include "core/remote.hpp"
#include "crypt/keys.hpp"
#include "crypt/names.hpp"

namespace cvclone {

// Registers backend "crypt" (wrapper). Called from backends/all.cpp.
void RegisterCryptBackend(Registry& registry);

namespace crypt {

// Revealed settings of one crypt remote.
struct CryptConfig {
  std::string password;   // plaintext; must not be empty
  std::string password2;  // plaintext salt; "" → the built-in salt
  NameOptions names;
  bool strict_names = false;
};

// Resolves the options of a crypt remote: `password` (obscured; else `password_command`'s
// standard output without trailing newlines; else $CVCLONE_CRYPT_PASSWORD in clear text),
// `password2` (obscured), filename_encryption, directory_name_encryption, filename_encoding,
// suffix ("none" → ""), strict_names. kConfig naming the option on bad values; kConfig
// "crypt: password is empty" when no password is found.
Result<CryptConfig> CryptConfigFromOptions(const Options& options);

// A crypt remote over `inner` (owned). Derives the keys (scrypt, tens of milliseconds).
Result<std::unique_ptr<Remote>> NewCryptRemote(std::unique_ptr<Remote> inner,
                                               const std::string& display_name,
                                               const CryptConfig& config);
// As above with keys already derived from config (saves the scrypt run).
Result<std::unique_ptr<Remote>> NewCryptRemote(std::unique_ptr<Remote> inner,
                                               const std::string& display_name,
                                               const CryptConfig& config, const CryptKeys& keys);

}  // namespace crypt
}  // namespace cvclone
