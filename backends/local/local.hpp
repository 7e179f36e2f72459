// The local backend: a directory tree on a local filesystem.
//
// Contract beyond core/remote.hpp:
// - Every path is checked with ValidatePath (kInvalidArgument naming it); nothing is ever written
//   outside the root directory given to NewLocalRemote, unless through a symbolic link the user
//   chose to follow (copy_links).
// - Symbolic links (LocalOptions): the root, as given, is followed (the user named it). Below
//   it, by default, no operation follows a link: a link on the way of a write (Put, Copy, Move,
//   Mkdir, Delete, Rmdir, SetModTime, Purge) fails that operation with kNotDir "local:
//   <root>/<path> is a symbolic link; not writing through it (use -L/--copy-links to follow
//   links)", and Put, Copy or Move onto a link fails with kExists instead of replacing it; on
//   the way of a read a link counts as missing. Every folder is opened from the root's
//   descriptor without following links (local_path.hpp) and written relative to the
//   descriptor it got, so no link put in meanwhile redirects a write. The root's descriptor is
//   opened once and kept until this remote removes the root (Rmdir or Purge of ""): a root
//   that someone else replaces meanwhile is not seen. copy_links follows links everywhere: a
//   write onto a link goes to its target, Delete removes the link itself, a dangling link in a
//   listing fails that listing. links maps a link NAME to the object NAME.rclonelink whose
//   content is its target (local_links.hpp); Copy and Move of such an object are left to the
//   caller (kUnsupported). Purge never removes anything through a link.
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
// - Symbolic links (unless copy_links or links; a NOTICE unless skip_links), devices, FIFOs and
//   sockets are skipped in listings with a NOTICE log, as rclone's; Stat/Open/Delete treat a
//   symlink as missing. With one_file_system, folders on another filesystem than the root's
//   are left out of listings (an INFO log).
// - Names that are not valid UTF-8 on disk are skipped in listings with a NOTICE log.
// - A name below the root that holds a control character is not created (Put, Copy, Move,
//   Mkdir: kInvalidArgument) unless LocalOptions::allow_control_characters.
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

// Registers the "local" backend (options: no_fsync, copy_links, links, skip_links,
// one_file_system, allow_control_characters). Defined in its own file (local_register.cpp) so
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
  // Symbolic links below the root (rclone's options and flags). With none of the first two a
  // link is skipped in listings with a NOTICE (none with skip_links), and no write goes through
  // or replaces one. The root itself is always followed: the user named it.
  // -L, --copy-links: follow links, reading and writing, as if their targets were there.
  bool copy_links = false;
  // -l, --links: a link is the file NAME.rclonelink whose content is the link's target (no
  // newline); putting such a file makes the link NAME. Not with copy_links.
  bool links = false;
  // --skip-links: no NOTICE for a skipped link.
  bool skip_links = false;
  // -x, --one-file-system: listings leave out folders on another filesystem than the root's.
  bool one_file_system = false;
  // Create files and folders whose names (below the root) hold a control character (C0, DEL,
  // C1; core/printable.hpp). Off (the default, option allow_control_characters), Put, Copy,
  // Move and Mkdir refuse such a name with kInvalidArgument naming it escaped: a key such as
  // "x\x1b[31m" from another remote would otherwise become a file that acts on the terminal of
  // whoever lists the folder. Such files that exist are listed, read and deleted as any other.
  bool allow_control_characters = false;
};

// As above, with the remote string to show in messages (Remote::Name()); "" means the root.
// links with copy_links → kUsage "can't use -l/--links with -L/--copy-links".
Result<std::unique_ptr<Remote>> NewLocalRemote(const std::string& root,
                                               const std::string& display_name,
                                               const LocalOptions& options = {});

}  // namespace cvclone
