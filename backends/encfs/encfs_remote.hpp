// The encfs wrapper remote (`type = encfs`): reads a volume written by encfs 1.9.5 over any inner
// remote, read-only.
//
// Contract beyond core/remote.hpp:
// - The inner remote is rooted at the volume's top (where encfs keeps `.encfs6.xml`); paths
//   given to and returned by this remote are plaintext, relative to `root` inside the volume.
// - List decodes names with the chain of the directory's full path; sizes come from the stored
//   sizes (DataLayout::PlainSize) and mtimes from the inner listing, without reading data. A
//   size no encfs file can have is listed as 0 with a NOTICE naming the file (reading it then
//   fails). `.encfs6.xml` at the volume's top is not listed. A stored name that does not decode
//   is skipped with one NOTICE naming it and saying why, or fails the listing with kCorrupt when
//   strict_names is set. Symlinks (inner objects NAME.rclonelink, as the local backend's
//   -l/--links and uploads made with it present them) are skipped with a NOTICE naming their
//   plaintext path; with -v their decrypted target is logged too.
// - Stat and Open encode the path forward (no listing). Open reads only the blocks the range
//   needs (plus the 8-byte IV header once). A MAC that does not match, a truncated file or a
//   failing inner read is an error naming the plaintext path ("encfs: PATH: block N: ...").
// - Every write (Put, Delete, Mkdir, Rmdir, Purge, SetModTime, Copy, Move, Cleanup) fails with
//   kPermission "encfs: NAME is read-only" and RetryClass::kFatal, so a run stops at the first.
// - Features are the inner remote's read side: no hashes, no server-side operations; read_only
//   is set, so the engine refuses a copy, sync or move into the volume before it starts.
#pragma once

#include <memory>
#include <string>

#include "backends/encfs/encfs_cipher.hpp"
#include "backends/encfs/encfs_config.hpp"
#include "core/error.hpp"
#include "core/registry.hpp"
#include "core/remote.hpp"

namespace cvclone {

// Registers backend "encfs" (wrapper). Called from backends/all.cpp.
void RegisterEncfsBackend(Registry& registry);

namespace encfs {

// What a volume needs once opened: its config and the decoded volume key.
struct OpenedVolume {
  VolumeConfig config;
  KeyMaterial volume_key;
};

// Parses config_text (`where` names it in errors), derives the user key from password and
// decodes the volume key. Errors: those of ParseVolumeConfig; kAuth "wrong password" (fatal).
Result<OpenedVolume> OpenVolume(const std::string& config_text, const std::string& where,
                                const std::string& password);

// An encfs remote over `inner` (owned, rooted at the volume's top) showing the plaintext tree
// under `root` (a clean relative path, "" for the whole volume).
Result<std::unique_ptr<Remote>> NewEncfsRemote(std::unique_ptr<Remote> inner,
                                               const std::string& display_name,
                                               const std::string& root, OpenedVolume volume,
                                               bool strict_names);

}  // namespace encfs
}  // namespace cvclone
