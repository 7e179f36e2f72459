// What the listing commands (lsf, lsjson) share: JSON strings, MIME types, encrypted names, and
// the hashes of a listed entry, all as rclone 1.60 shows them.
#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone {

// A JSON string. Besides what JSON requires (quote, backslash, U+0000-U+001F), DEL and the C1
// controls U+0080-U+009F (UTF-8 C2 80-C2 9F) are written as \u escapes too: the same string
// once parsed, and nothing a terminal acts on when the JSON itself is shown.
std::string JsonQuote(std::string_view s);

// The MIME type rclone shows for an entry: "inode/directory" for a directory, else from the file
// extension (the common ones; application/octet-stream otherwise).
std::string MimeTypeOf(const ObjectInfo& info);

// The entry's path as stored under a crypt remote's root (rclone's "encrypted name": directories
// encrypted as directory names, files as file names). kUnsupported when remote is not crypt.
Result<std::string> EncryptedPathOf(const Remote& remote, const ObjectInfo& info);

// The entry's hash of the given type: what the listing carried, else Remote::Hash. "" for a
// directory or when the remote cannot tell; errors as Remote::Hash's (kUnsupported for a type
// the remote has not).
Result<std::string> ListedHash(const Context& ctx, Remote& remote, const ObjectInfo& info,
                               HashType type);

}  // namespace cvclone
