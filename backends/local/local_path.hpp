// Reaching a folder below a local remote's root without going through a symbolic link the user
// did not choose to follow. Every folder is opened from the root's descriptor (openat2 with
// RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH, or one component at a time with O_NOFOLLOW where the
// kernel has no openat2), and the caller then works relative to the descriptor it got: what was
// checked is what is written to, with no window between the two in which a link could be put in.
// The root itself, as the user named it, is followed like any path given on a command line.
#pragma once

#include <fcntl.h>

#include <string>

#include "backends/local/local_fs.hpp"
#include "core/error.hpp"

namespace cvclone::local {

// How OpenBeneath treats what it meets on the way.
struct Walk {
  // Follow symbolic links (the user asked: -L/--copy-links), wherever they point.
  bool follow = false;
  // Create missing folders (mode 0777 & ~umask) on the way.
  bool create = false;
  // Without follow, a link on the way is an error (kNotDir, LinkInTheWay) when writing; when
  // reading it counts as missing, as links are not listed either.
  bool writing = false;
  // The code for a missing folder (kDirNotFound for a listing, kNotFound for an object's).
  ErrorCode missing = ErrorCode::kDirNotFound;
  // The operation named in messages ("local: <op> <path>: ...").
  const char* op = "open";
};

// root + "/" + rel as shown in messages ("dst/sub"); root itself for an empty rel.
std::string JoinRoot(const std::string& root, const std::string& rel);

// Opens the root directory with `flags` (O_PATH, or O_RDONLY to read its entries; O_DIRECTORY
// and O_CLOEXEC are added). A missing root is walk.missing, or is created with its parents when
// walk.create. A root that is not a directory is kNotDir.
Result<Fd> OpenRoot(const std::string& root, const Walk& walk, int flags = O_PATH);

// Opens the folder `rel` (a validated relative path; "" is the root itself: a new descriptor of
// root_fd, reopened with flags) below root_fd (the root opened by OpenRoot; `root` is its path
// for messages) with `flags` as above. Errors name the path: a missing folder is walk.missing
// (unless created), a file on the way is kNotDir "a file is in the way", a link is as Walk says.
Result<Fd> OpenBeneath(int root_fd, const std::string& root, const std::string& rel,
                       const Walk& walk, int flags = O_PATH);

// The common case of opening the file `rel` (a validated relative path) below root_fd, in one
// openat2 that follows no link and stays beneath root_fd; flags as for open(2). An invalid Fd
// when that does not open it (a link on the way, a missing file, a kernel without openat2): the
// caller then takes OpenBeneath and openat, which name the cause.
Fd OpenFileBeneath(int root_fd, const std::string& rel, int flags);

// The error for a write that meets the link at `shown`: kNotDir, "local: <shown> is a symbolic
// link; not writing through it (use -L/--copy-links to follow links)".
Unexpected<Error> LinkInTheWay(const std::string& shown);

// For tests: false makes OpenBeneath walk one component at a time, as on a kernel without
// openat2. Default true.
void UseOpenat2(bool on);

}  // namespace cvclone::local
