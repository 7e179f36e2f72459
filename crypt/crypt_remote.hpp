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
//   crypt remotes with the same keys and name options whose inner remotes can copy. Cleanup is
//   the inner remote's, in the encrypted directory (its messages name encrypted keys).
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

// Resolves the options of a crypt remote. The password comes from the first of:
//   `password` (obscured, as rclone stores it);
//   `password_command`, run with /bin/sh -c: its standard output minus one trailing newline
//     (a non-zero exit or an empty output is kConfig naming the option, never the output);
//   $CVCLONE_CRYPT_PASSWORD (clear text);
//   with allow_prompt (the inline `crypt(inner)` form) and stdin a terminal: a prompt on
//     /dev/tty with echo off.
// The salt is `password2` (obscured), else $CVCLONE_CRYPT_PASSWORD2 (clear text), else the
// built-in salt. Then filename_encryption, directory_name_encryption, filename_encoding, suffix
// ("none" → ""), strict_names. Errors are kConfig naming the option: a value that does not
// reveal, a bad option value, an empty password ("crypt: password is empty"), and no password
// at all ("crypt: no password: set password_command, CVCLONE_CRYPT_PASSWORD or password in the
// config"). Secrets never enter a message.
Result<CryptConfig> CryptConfigFromOptions(const Options& options, bool allow_prompt = false);

// What cryptcheck and cryptdecode need from a crypt remote. Every remote NewCryptRemote makes
// implements it; find it with AsCrypt. Valid as long as the remote is; thread-safe.
class CryptView {
 public:
  virtual ~CryptView() = default;
  // The wrapped remote, rooted where the crypt remote's root is stored (encrypted paths).
  virtual Remote& Inner() const = 0;
  virtual const NameCipher& Names() const = 0;
  virtual const DataKey& Key() const = 0;
};

// The crypt view of remote, or nullptr when it is not a crypt remote.
const CryptView* AsCrypt(const Remote& remote);

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
