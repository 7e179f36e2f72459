// encfs name coding (ENCFS-FORMAT.md §3): one path element at a time, optionally chained so that
// a name's encryption depends on all its parents; symlink targets.
//
// Every function takes the CipherSession of the volume key to use (sessions are per thread).
// Decoding is strict: a name is accepted only in the exact form encfs writes (its text is the
// canonical encoding of its bytes, its padding is 1..16 bytes of one value, its checksum
// matches), so a decoded name always encodes back to the stored one and paths can be encoded
// forward instead of listed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "backends/encfs/encfs_cipher.hpp"
#include "backends/encfs/encfs_config.hpp"
#include "core/error.hpp"

namespace cvclone::encfs {

class NameCoder {
 public:
  NameCoder(NameAlg alg, bool chained) : alg_(alg), chained_(chained) {}

  NameAlg alg() const { return alg_; }
  bool chained() const { return chained_; }

  // Decodes one stored name in a directory whose chain value is *iv (0 at the root); on success
  // *iv becomes the chain for that entry's children (unchanged without chaining). kCorrupt with
  // the reason (not the name: callers name it) when the name is not a valid encfs name, and when
  // it decodes to a name no path may hold: empty, "." or "..", holding '/' or NUL, or not UTF-8.
  Result<std::string> Decode(CipherSession& s, std::string_view stored, uint64_t* iv) const;
  // Encodes one plaintext name (non-empty, no '/') the same way.
  Result<std::string> Encode(CipherSession& s, std::string_view plain, uint64_t* iv) const;

  // Encodes a clean relative path ("" → ""), element by element from the root; *iv ends as the
  // chain value after its last element (0 without chaining: also what encfs then uses as the
  // external IV).
  Result<std::string> EncodePath(CipherSession& s, std::string_view path, uint64_t* iv) const;

  // Decodes a symlink's stored target: "+" then one unchained name for an absolute target, else
  // '/'-separated names chained from the root ("." and ".." kept). kCorrupt when any element
  // does not decode.
  Result<std::string> DecodeLinkTarget(CipherSession& s, std::string_view stored) const;

 private:
  Result<std::string> DecodeRaw(CipherSession& s, std::string_view stored, uint64_t* iv) const;
  Result<std::string> DecodeBlock(CipherSession& s, std::string raw, uint64_t* iv) const;
  Result<std::string> DecodeStream(CipherSession& s, std::string raw, uint64_t* iv) const;

  NameAlg alg_;
  bool chained_;
};

// encfs's text codings, exposed for tests: bytes to 6-bit (",-0-9A-Za-z") or 5-bit ("A-Z2-7")
// symbols, least significant bits first. Decoding fails with kCorrupt (the reason, not the text)
// on a character outside the alphabet and on text that is not the canonical encoding of its
// bytes (a symbol too many, or non-zero fill bits).
std::string EncodeText(std::string_view bytes, bool base32);
Result<std::string> DecodeText(std::string_view text, bool base32);

}  // namespace cvclone::encfs
