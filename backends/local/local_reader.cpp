#include "backends/local/local_reader.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace cvclone::local {

Result<size_t> FileReader::Read(std::span<std::byte> buf) {
  if (failed_) return MakeError(ErrorCode::kIo, "local: read " + path_ + ": earlier error");
  if (held_pos_ < held_len_) {
    const size_t n = std::min(buf.size(), held_len_ - held_pos_);
    std::memcpy(buf.data(), held_.get() + held_pos_, n);
    held_pos_ += n;
    return n;
  }
  const int64_t left = end_ - pos_;
  if (left <= 0 || buf.empty()) return size_t{0};
  if (held_ == nullptr && left <= kWholeMax && static_cast<int64_t>(buf.size()) < left) {
    held_ = std::make_unique_for_overwrite<std::byte[]>(static_cast<size_t>(left));
    CVC_ASSIGN_OR_RETURN(held_len_, Pread(std::span<std::byte>(held_.get(), left)));
    held_pos_ = 0;
    return Read(buf);
  }
  return Pread(buf.first(static_cast<size_t>(std::min<int64_t>(left, buf.size()))));
}

Result<size_t> FileReader::Pread(std::span<std::byte> buf) {
  for (;;) {
    ssize_t n = ::pread(fd_.get(), buf.data(), buf.size(), pos_);
    if (n >= 0) {
      pos_ += n;
      if (n == 0 || pos_ >= end_) CVC_RETURN_IF_ERROR(CheckUnchanged());
      return static_cast<size_t>(n);
    }
    if (errno == EINTR) continue;
    failed_ = true;
    return ErrnoError(errno, "read", path_);
  }
}

Status FileReader::CheckUnchanged() {
  struct stat now {};
  if (::fstat(fd_.get(), &now) != 0) {
    failed_ = true;
    return ErrnoError(errno, "stat", path_);
  }
  if (now.st_size == opened_.st_size && now.st_mtim.tv_sec == opened_.st_mtim.tv_sec &&
      now.st_mtim.tv_nsec == opened_.st_mtim.tv_nsec) {
    return Ok();
  }
  failed_ = true;
  return MakeError(ErrorCode::kCorrupt, "local: " + path_ + ": source file changed during copy",
                   RetryClass::kRetryable);
}

Result<size_t> FileRandomReader::ReadAt(std::span<std::byte> buf, int64_t offset) {
  if (offset < 0) {
    return MakeError(ErrorCode::kInvalidArgument, "local: read " + path_ + ": negative offset");
  }
  size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = ::pread(fd_.get(), buf.data() + done, buf.size() - done,
                        offset + static_cast<int64_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "read", path_);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

}  // namespace cvclone::local
