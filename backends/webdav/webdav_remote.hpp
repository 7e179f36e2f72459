// The webdav backend: a Remote over a WebDAV server (Apache httpd's mod_dav, Nextcloud,
// ownCloud, ...), with rclone's option names. The contract is core/remote.hpp's; what WebDAV
// adds or cannot do:
//
// - Listings are PROPFIND Depth 1, one request per directory; Stat is PROPFIND Depth 0.
// - Reads are ranged GETs of at most 8 MiB each; every range after the first carries If-Match
//   with the ETag of the first answer, so a stream never mixes two versions of an object, and a
//   200 to a ranged request (other than one from byte 0 that fits in the range) is an error.
// - Put is one PUT of exactly the object's bytes (the server writes it to a temporary file and
//   renames it on success: Apache's mod_dav_fs, Nextcloud); the parent collections are made
//   first (MKCOL). The stored object is then read back with PROPFIND Depth 0: a size other than
//   the one sent is kCorrupt, a missing object an error, never a success.
// - Modification times: vendor nextcloud and owncloud store the source's mtime (X-OC-Mtime,
//   whole seconds) and list SHA1/MD5 checksums; vendor "other" stores neither, so a listing's
//   mtime is the upload time (ObjectInfo::mtime_is_upload_time, with the ETag as the version,
//   as S3's), and the engine knows which version it stored from which source.
// - Delete refuses a directory (kIsDir) instead of letting DELETE remove a whole collection;
//   Rmdir refuses a non-empty one. Copy and Move are server-side (COPY, MOVE with Overwrite)
//   within one server.
// - Errors: 401 kAuth, 403 kPermission, 404 kNotFound / kDirNotFound, 507 kNoSpace, 429 and
//   5xx retried with backoff (Retry-After honoured). Messages name the path, never a password or
//   token.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/registry.hpp"
#include "core/remote.hpp"

namespace cvclone {

namespace webdav {

std::vector<OptionSpec> WebdavOptionSpecs();

// root: the path below the url's ("" for the url itself). kConfig for a missing or malformed url,
// an unknown vendor, a bearer_token_command that fails, malformed headers.
Result<std::unique_ptr<Remote>> NewWebdavRemote(const std::string& display_name,
                                                const std::string& root, const Options& options);

}  // namespace webdav

void RegisterWebdavBackend(Registry& registry);

}  // namespace cvclone
