// Symbolic links as files, for the local backend's links option (rclone's -l/--links): the link
// NAME is the object NAME.rclonelink whose content is the link's target, without a newline,
// the format rclone reads and writes. Every call works in a folder opened by the caller
// (local_path.hpp) and never follows the link itself.
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>

#include "backends/local/local_fs.hpp"
#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone::local {

inline constexpr std::string_view kLinkSuffix = ".rclonelink";

// Whether an object path names a link under the links option: its last segment ends in
// kLinkSuffix with something before it.
bool IsLinkObject(std::string_view path);

// The link name for such an object path's last segment ("a.rclonelink" → "a").
std::string LinkName(std::string_view object_name);

// lstat of the link `name` in the folder dir_fd (its st_size is the target's length). Anything
// that is not a link, or nothing, is kNotFound; `shown` names it in messages.
Result<struct stat> StatLink(int dir_fd, const std::string& name, const std::string& shown);

// The target of the link `name` in dir_fd: the object's content.
Result<std::string> ReadLinkTarget(int dir_fd, const std::string& name, const std::string& shown);

// Reads a link's target from a put's source: a non-empty text of fewer than PATH_MAX bytes
// without NUL, of opts.size bytes if known and with the hashes opts gives (kCorrupt, retryable,
// otherwise); kInvalidArgument for a content that cannot be a target.
Result<std::string> ReadLinkSource(const Context& ctx, Reader& src, const PutOptions& opts,
                                   HashSet verifiable, const std::string& shown);

// Makes `name` in dir_fd a link to target with the given mtime (unless null), atomically: the
// link is made under a temporary name and renamed over a file or link there. A directory there
// is kIsDir. Returns the link's lstat.
Result<struct stat> WriteLink(int dir_fd, const std::string& name, const std::string& target,
                              const TimePoint* mtime, const std::string& shown);

}  // namespace cvclone::local
