#include "backends/local/local_direct.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "backends/local/local_fs.hpp"

namespace cvclone::local {

namespace {

// O_DIRECT wants buffers, offsets and lengths aligned to the logical block size; 4096 covers
// both 512-byte and 4 KiB devices.
constexpr size_t kAlign = 4096;
constexpr size_t kNone = static_cast<size_t>(-1);

bool SetDirect(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return false;
  const int want = on ? (flags | O_DIRECT) : (flags & ~O_DIRECT);
  return ::fcntl(fd, F_SETFL, want) == 0;
}

void FreeAligned(std::byte* p) { std::free(p); }

}  // namespace

std::unique_ptr<DirectWriter> DirectWriter::Start(int fd, std::string path) {
  if (!SetDirect(fd, true)) return nullptr;
  return std::unique_ptr<DirectWriter>(new DirectWriter(fd, std::move(path)));
}

DirectWriter::DirectWriter(int fd, std::string path)
    : fd_(fd),
      path_(std::move(path)),
      memory_(static_cast<std::byte*>(std::aligned_alloc(kAlign, kBlockSize * kBlocks)),
              FreeAligned) {
  if (memory_ == nullptr) throw std::bad_alloc();
  for (size_t i = 0; i < kBlocks; ++i) blocks_.push_back(Block{memory_.get() + i * kBlockSize});
  for (size_t i = 1; i < kBlocks; ++i) free_.push_back(i);
  thread_ = std::thread([this] { Run(); });
}

DirectWriter::~DirectWriter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    // What is still queued is not wanted any more (the file is being discarded).
    for (const auto& entry : queue_) free_.push_back(entry.first);
    queue_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DirectWriter::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopped and drained
    const auto [index, offset] = queue_.front();
    queue_.pop_front();
    const bool failed = !error_.has_value();
    lock.unlock();
    Status st = failed ? Ok() : WriteBlock(blocks_[index].data, blocks_[index].fill, offset);
    lock.lock();
    if (!st && error_) error_ = std::move(st);
    blocks_[index].fill = 0;
    free_.push_back(index);
    cv_.notify_all();
  }
}

Status DirectWriter::WriteBlock(const std::byte* data, size_t size, int64_t offset) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd_, data, size, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      // A filesystem that took the flag but not the write: go on through the page cache.
      if (errno == EINVAL && direct_ && SetDirect(fd_, false)) {
        direct_ = false;
        continue;
      }
      return ErrnoError(errno, "write", path_);
    }
    data += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return Ok();
}

Result<std::span<std::byte>> DirectWriter::Buffer() {
  if (current_ == kNone) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !free_.empty() || !error_; });
    if (!error_) return Propagate(error_.error());
    current_ = free_.back();
    free_.pop_back();
  }
  Block& b = blocks_[current_];
  return std::span<std::byte>(b.data + b.fill, kBlockSize - b.fill);
}

void DirectWriter::Commit(size_t n) {
  Block& b = blocks_[current_];
  b.fill += n;
  if (b.fill < kBlockSize) return;
  {
    std::lock_guard lock(mu_);
    queue_.emplace_back(current_, offset_);
  }
  cv_.notify_all();
  offset_ += static_cast<int64_t>(kBlockSize);
  current_ = kNone;
}

Status DirectWriter::Finish() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();  // the thread drains the queue before it stops
  if (!error_) return error_;
  if (current_ == kNone || blocks_[current_].fill == 0) return Ok();
  const Block& b = blocks_[current_];
  const size_t whole = b.fill / kAlign * kAlign;
  CVC_RETURN_IF_ERROR(WriteBlock(b.data, whole, offset_));
  if (whole == b.fill) return Ok();
  if (direct_ && !SetDirect(fd_, false)) return ErrnoError(errno, "fcntl", path_);
  direct_ = false;
  return WriteBlock(b.data + whole, b.fill - whole, offset_ + static_cast<int64_t>(whole));
}

}  // namespace cvclone::local
