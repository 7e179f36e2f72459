// File and directory name encryption, byte-compatible with rclone's crypt (CRYPT-FORMAT.md §1.4).
//
// Paths are '/'-separated relative paths; each segment is transformed on its own, an empty
// segment stays empty. Version suffixes (-vYYYY-MM-DD-HHMMSS-mmm) on the last segment stay in
// clear text, as rclone does, except in a name that is nothing but a version and an extension
// ("-v2001-02-03-040506-789.txt"), which is encrypted whole so that it decrypts to itself.
// Thread-safe (const after construction).
#pragma once

#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "crypt/eme.hpp"
#include "crypt/keys.hpp"

namespace cvclone::crypt {

enum class NameMode { kStandard, kObfuscate, kOff };
enum class NameEncoding { kBase32, kBase64 };

// "standard" / "obfuscate" / "off" (case-insensitive), "" → standard; else kConfig.
Result<NameMode> ParseNameMode(const std::string& text);
// "base32" / "base64", "" → base32; "base32768" → kUnsupported; else kConfig.
Result<NameEncoding> ParseNameEncoding(const std::string& text);

struct NameOptions {
  NameMode mode = NameMode::kStandard;
  bool encrypt_dirs = true;  // directory_name_encryption
  NameEncoding encoding = NameEncoding::kBase32;
  std::string suffix = ".bin";  // only for kOff; the option value "none" means ""
};

class NameCipher {
 public:
  NameCipher(const CryptKeys& keys, NameOptions options);

  // One segment in standard or obfuscate mode, no version handling (rclone's encryptSegment /
  // obfuscateSegment). Standard: a segment longer than 2047 bytes → kInvalidArgument.
  Result<std::string> EncryptSegment(const std::string& segment) const;
  // Reverses EncryptSegment. Anything that is not valid ciphertext (bad encoding, length not a
  // multiple of 16, > 2048 bytes, bad padding) → kCorrupt with a message naming the segment. A
  // result that could not be a path segment (empty, "." , "..", containing '/' or NUL) is
  // kCorrupt too (rclone does not check this).
  Result<std::string> DecryptSegment(const std::string& segment) const;

  // A file path: in kOff mode the suffix is appended to the whole path; otherwise each segment
  // is encrypted (directories only if encrypt_dirs). rclone's EncryptFileName. A path that
  // DecryptPath would not give back is kInvalidArgument naming it: in kOff mode one that is only
  // a version suffix, in obfuscate mode a name whose obfuscated form ends like a version suffix.
  Result<std::string> EncryptPath(const std::string& path) const;
  // Reverses EncryptPath; kOff: a name without the suffix (or only the suffix) → kCorrupt.
  Result<std::string> DecryptPath(const std::string& path) const;
  // A directory path: unchanged in kOff mode or without encrypt_dirs. rclone's EncryptDirName.
  Result<std::string> EncryptDirPath(const std::string& path) const;
  Result<std::string> DecryptDirPath(const std::string& path) const;

  // A single file name (last segment) — EncryptPath/DecryptPath of a one-segment path.
  Result<std::string> EncryptName(const std::string& name) const { return EncryptPath(name); }
  Result<std::string> DecryptName(const std::string& name) const { return DecryptPath(name); }

  const NameOptions& options() const { return options_; }

 private:
  Result<std::string> TransformPath(const std::string& path, bool encrypt) const;
  // The last segment of a path, whose version suffix stays in clear.
  Result<std::string> EncryptLast(const std::string& name) const;
  Result<std::string> DecryptLast(const std::string& name) const;
  Result<std::string> EncryptStandard(const std::string& segment) const;
  Result<std::string> DecryptStandard(const std::string& segment) const;

  NameOptions options_;
  Eme eme_;
  NameTweak tweak_;
  int64_t name_key_sum_ = 0;
};

}  // namespace cvclone::crypt
