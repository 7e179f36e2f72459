// The local backend: a directory tree on a local filesystem.
//
// Contract beyond core/remote.hpp:
// - Every path is checked with ValidatePath (kInvalidArgument naming it); nothing is ever written
//   outside the root directory given to NewLocalRemote.
// - Put writes a file with no name yet (O_TMPFILE) in the target directory, or where the
//   filesystem cannot, a temporary `.<name>.<random>.cvclone-partial`; sets the mtime
//   (nanoseconds; a zero PutOptions::mtime leaves the time of writing), fsyncs it (unless
//   no_fsync) and links or renames it over the target (local::TempFile). On any failure or
//   cancel the file is removed; a killed process leaves no unnamed file behind. Listings never
//   show the named temporaries.
// - Batches (Features::batch_commit, only with fsync on): between StartBatch and FinishBatch,
//   Put and Copy write the file and queue it; a committer thread makes each group of queued
//   files durable with one syncfs() and then publishes them (local_batch.hpp).
//   A target never names a file whose data is not on disk, at one flush per group instead of
//   one fsync per file.
// - Symbolic links, devices, FIFOs and sockets are skipped in listings with a NOTICE log (as
//   rclone's default without --links/--copy-links); Stat/Open/Delete treat a symlink as missing.
// - Names that are not valid UTF-8 on disk are skipped in listings with a NOTICE log.
// - Features: server-side copy (copy_file_range, falling back to read/write) and move (rename,
//   falling back to copy+delete across filesystems), purge, set_modtime; hashes md5 and sha1
//   (computed by reading the file: slow_hash); mtime precision 1 ns.
// - errno is mapped: ENOENT → kNotFound/kDirNotFound, EACCES/EPERM → kPermission,
//   ENOSPC/EDQUOT → kNoSpace, others → kIo; messages name the operation and the path
//   ("local: open /x/y: permission denied").
#pragma once

#include <memory>
#include <string>

#include "core/error.hpp"
#include "core/registry.hpp"
#include "core/remote.hpp"

namespace cvclone {

// Registers the "local" backend (option: no_fsync). Defined in its own file (local_register.cpp) so
// that users of NewLocalRemote alone do not link the registry.
void RegisterLocalBackend(Registry& registry);

// A local remote rooted at `root` (a directory path, relative to the working directory or
// absolute; "" means "."). The root need not exist: List then fails with kDirNotFound and Put
// or Mkdir create it. A root that is a file is accepted; List then fails with kNotDir.
Result<std::unique_ptr<Remote>> NewLocalRemote(const std::string& root);
struct LocalOptions {
  // fsync each written file before renaming it into place, so that a completed transfer
  // survives a power cut. Off (option no_fsync) it is still atomic against a killed process,
  // and as fast as cp/rsync, which never fsync (see bench/RESULTS.md for the cost).
  bool fsync = true;
};

// As above, with the remote string to show in messages (Remote::Name()); "" means the root.
Result<std::unique_ptr<Remote>> NewLocalRemote(const std::string& root,
                                               const std::string& display_name,
                                               const LocalOptions& options = {});

}  // namespace cvclone
