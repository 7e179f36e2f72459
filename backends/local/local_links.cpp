#include "backends/local/local_links.hpp"

#include <fcntl.h>
#include <linux/limits.h>
#include <unistd.h>

#include <cerrno>

#include "core/io.hpp"

namespace cvclone::local {

bool IsLinkObject(std::string_view path) {
  const size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return name.size() > kLinkSuffix.size() && name.ends_with(kLinkSuffix);
}

std::string LinkName(std::string_view object_name) {
  return std::string(object_name.substr(0, object_name.size() - kLinkSuffix.size()));
}

Result<struct stat> StatLink(int dir_fd, const std::string& name, const std::string& shown) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(errno, "stat", shown);
  }
  if (!S_ISLNK(st.st_mode)) {
    return MakeError(ErrorCode::kNotFound, "local: " + shown + ": not a symbolic link");
  }
  return st;
}

Result<std::string> ReadLinkTarget(int dir_fd, const std::string& name, const std::string& shown) {
  std::string target(PATH_MAX, '\0');
  const ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
  if (n < 0) {
    if (errno == EINVAL) {
      return MakeError(ErrorCode::kNotFound, "local: " + shown + ": not a symbolic link");
    }
    return ErrnoError(errno, "read link", shown);
  }
  target.resize(static_cast<size_t>(n));
  return target;
}

Result<std::string> ReadLinkSource(const Context& ctx, Reader& src, const PutOptions& opts,
                                   HashSet verifiable, const std::string& shown) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  auto read = ReadAll(src, PATH_MAX);
  if (!read) {
    if (read.error().code() != ErrorCode::kInvalidArgument) {
      return Propagate(read.error(), "local: put " + shown);
    }
    return MakeError(ErrorCode::kInvalidArgument,
                     "local: put " + shown + ": too long for a symbolic link's target");
  }
  const std::string& target = *read;
  if (opts.size >= 0 && static_cast<int64_t>(target.size()) != opts.size) {
    return MakeError(ErrorCode::kCorrupt,
                     "local: put " + shown + ": size mismatch: expected " +
                         std::to_string(opts.size) + " bytes, got " + std::to_string(target.size()),
                     RetryClass::kRetryable);
  }
  HashSet verify;
  for (const auto& [type, value] : opts.hashes) {
    if (!value.empty() && verifiable.Has(type)) verify.Add(type);
  }
  for (const auto& [type, got] : HashBytes(AsBytes(target), verify)) {
    if (got != opts.hashes.at(type)) {
      return MakeError(ErrorCode::kCorrupt,
                       "local: put " + shown + ": " + HashName(type) + " mismatch",
                       RetryClass::kRetryable);
    }
  }
  if (target.empty() || target.size() >= PATH_MAX || target.find('\0') != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "local: put " + shown +
                         ": not a symbolic link's target (empty, too long "
                         "or holding a NUL byte)");
  }
  return target;
}

Result<struct stat> WriteLink(int dir_fd, const std::string& name, const std::string& target,
                              const TimePoint* mtime, const std::string& shown) {
  std::string tmp;
  for (int attempt = 0;; ++attempt) {
    tmp = TemporaryName(name);
    if (::symlinkat(target.c_str(), dir_fd, tmp.c_str()) == 0) break;
    if (errno != EEXIST || attempt >= 10) return ErrnoError(errno, "make link", shown);
  }
  auto fail = [&](Unexpected<Error> error) -> Unexpected<Error> {
    ::unlinkat(dir_fd, tmp.c_str(), 0);
    return error;
  };
  if (mtime != nullptr) {
    struct timespec times[2] = {ToTimespec(*mtime), ToTimespec(*mtime)};
    if (::utimensat(dir_fd, tmp.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return fail(ErrnoError(errno, "set mtime of", shown));
    }
  }
  if (::renameat(dir_fd, tmp.c_str(), dir_fd, name.c_str()) != 0) {
    if (errno == EISDIR) {
      return fail(MakeError(ErrorCode::kIsDir, "local: " + shown + ": a directory is in the way"));
    }
    return fail(ErrnoError(errno, "rename to", shown));
  }
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(errno, "stat", shown);
  }
  return st;
}

}  // namespace cvclone::local
