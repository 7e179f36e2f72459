// Serving a Vfs as a FUSE filesystem (libfuse 3, high-level API).
#pragma once

#include <chrono>
#include <functional>
#include <stop_token>
#include <string>

#include "core/error.hpp"
#include "core/vfs/vfs.hpp"

namespace cvclone {

struct FuseOptions {
  std::string mountpoint;
  std::string fsname;  // shown in /proc/mounts
  bool read_only = false;
  bool allow_other = false;
  bool allow_non_empty = false;
  bool default_permissions = false;
  unsigned uid = 0;
  unsigned gid = 0;
  unsigned umask = 022;
  std::chrono::duration<double> attr_timeout{1.0};
};

// Checks the mount point (exists, is a directory, is empty unless allow_non_empty) and
// /dev/fuse; one error saying what is wrong (kDirNotFound, kUsage, kUnsupported).
Status CheckMountpoint(const FuseOptions& options);

// Mounts vfs at options.mountpoint and serves it until it is unmounted (fusermount3 -u) or stop
// is requested (then it unmounts itself, lazily). on_ready runs once the mount is in place.
// Dirty files are not flushed here: the caller calls vfs.Shutdown() after this returns.
Status ServeFuse(vfs::Vfs& vfs, const FuseOptions& options, std::stop_token stop,
                 const std::function<void()>& on_ready);

}  // namespace cvclone
