// Vfs data paths without a cache file: ranged reads from the remote, and the streaming writer of
// --vfs-cache-mode off.
#include <algorithm>
#include <cstring>

#include "core/io.hpp"
#include "core/log.hpp"
#include "core/vfs/vfs_impl.hpp"
#include "core/vfs/vfs_stream.hpp"

namespace cvclone::vfs {
namespace {

// A forward jump up to this far reads and drops the bytes in between instead of opening a new
// ranged stream (one round trip costs more than this many bytes on most links).
constexpr int64_t kMaxSkip = int64_t{256} << 10;
// The pipe of a streaming write holds at most this much.
constexpr size_t kPipeLimit = size_t{8} << 20;

// A read after a seek goes through the handle's RandomReader, opened once: it reads only the
// bytes asked for (crypt: only the chunks they touch, the header read once), and a local file
// stays open between reads. Its end becomes the stream position, so a read that continues it is
// sequential.
Result<size_t> ReadAfterSeek(Remote& remote, const Context& ctx, Handle& h,
                             std::span<std::byte> buf, int64_t offset) {
  if (!h.random) {
    auto opened = remote.OpenRandom(ctx, h.path);
    if (!opened) return Unexpected<Error>(Logged(opened.error(), "reading", h.path));
    h.random = std::move(opened).value();
  }
  auto n = h.random->ReadAt(buf, offset);
  if (!n) {
    h.random.reset();  // the next read opens the object again
    return Unexpected<Error>(Logged(n.error(), "reading", h.path));
  }
  h.stream_pos = offset + static_cast<int64_t>(*n);
  h.stream_done = true;
  return *n;
}

}  // namespace

// A read at the stream's position continues it; a read after a seek is a positioned read
// (ReadAfterSeek). A read that continues where the last one ended, with no stream open, opens a
// stream for the next chunk (each twice the last, from --vfs-read-chunk-size).
Result<size_t> Vfs::Impl::ReadRemote(Handle& h, std::span<std::byte> buf, int64_t offset) {
  std::lock_guard hl(h.mu);
  if (offset >= h.size || buf.empty()) return size_t{0};
  buf = buf.first(static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(buf.size()),
                                                        h.size - offset)));
  if (h.stream && offset > h.stream_pos && offset - h.stream_pos <= kMaxSkip && !h.stream_done) {
    std::vector<std::byte> drop(static_cast<size_t>(offset - h.stream_pos));
    auto n = ReadFull(*h.stream, drop);
    if (n && *n == drop.size()) {
      h.stream_pos = offset;
    } else {
      h.stream.reset();
    }
  }
  const bool sequential = h.stream_pos == offset;
  if (h.stream && (!sequential || h.stream_done)) h.stream.reset();
  if (!sequential) return ReadAfterSeek(*remote, ctx, h, buf, offset);
  size_t done = 0;
  bool fresh = false;
  while (done < buf.size()) {
    if (!h.stream) {
      const int64_t at = offset + static_cast<int64_t>(done);
      const int64_t count = std::max(static_cast<int64_t>(buf.size() - done), h.next_chunk);
      h.next_chunk = std::min<int64_t>(h.next_chunk * 2, int64_t{1} << 40);
      auto opened = remote->Open(ctx, h.path, at, count);
      if (!opened) return Unexpected<Error>(Logged(opened.error(), "reading", h.path));
      h.stream = std::move(opened).value();
      h.stream_pos = at;
      h.stream_done = false;
      fresh = true;
    }
    auto n = ReadFull(*h.stream, buf.subspan(done));
    if (!n) {
      h.stream.reset();
      return Unexpected<Error>(Logged(n.error(), "reading", h.path));
    }
    done += *n;
    h.stream_pos += static_cast<int64_t>(*n);
    if (done < buf.size()) {
      h.stream_done = true;
      if (fresh && *n == 0) break;  // the object is shorter than it was
      h.stream.reset();
      fresh = false;
    }
  }
  return done;
}

// ---- StreamWriter ----

class StreamWriter::PipeReader : public Reader {
 public:
  explicit PipeReader(StreamWriter& w) : w_(w) {}
  Result<size_t> Read(std::span<std::byte> buf) override {
    std::unique_lock lock(w_.mu_);
    w_.cv_.wait(lock, [&] { return !w_.queue_.empty() || w_.closed_; });
    if (w_.queue_.empty()) return size_t{0};
    size_t done = 0;
    while (done < buf.size() && !w_.queue_.empty()) {
      std::vector<std::byte>& front = w_.queue_.front();
      const size_t n = std::min(buf.size() - done, front.size() - offset_);
      std::memcpy(buf.data() + done, front.data() + offset_, n);
      done += n;
      offset_ += n;
      if (offset_ == front.size()) {
        w_.queued_ -= front.size();
        w_.queue_.pop_front();
        offset_ = 0;
      }
    }
    w_.cv_.notify_all();
    return done;
  }

 private:
  StreamWriter& w_;
  size_t offset_ = 0;
};

StreamWriter::StreamWriter(Remote& remote, const Context& ctx, std::string path)
    : remote_(remote), ctx_(ctx), path_(std::move(path)) {
  ctx_.stop = abandon_.get_token();
  thread_ = std::thread([this] { Run(); });
}

StreamWriter::~StreamWriter() {
  if (!finished_) abandon_.request_stop();
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void StreamWriter::Run() {
  PipeReader pipe(*this);
  ContextReader checked(ctx_, pipe);
  PutOptions opts;
  opts.mtime = std::chrono::time_point_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now());
  Result<ObjectInfo> r = remote_.Put(ctx_, path_, checked, opts);
  std::lock_guard lock(mu_);
  result_ = std::move(r);
  reader_gone_ = true;
  cv_.notify_all();
}

Result<size_t> StreamWriter::Write(std::span<const std::byte> data, int64_t offset) {
  std::unique_lock lock(mu_);
  if (closed_) return MakeError(ErrorCode::kInvalidArgument, "file already closed: " + path_);
  if (offset != written_) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "with --vfs-cache-mode off a file must be written sequentially: " + path_);
  }
  cv_.wait(lock, [&] { return queued_ < kPipeLimit || reader_gone_; });
  if (reader_gone_) {
    return result_ ? MakeError(ErrorCode::kIo, "upload ended early: " + path_)
                   : Unexpected<Error>(result_.error());
  }
  queue_.emplace_back(data.begin(), data.end());
  queued_ += data.size();
  written_ += static_cast<int64_t>(data.size());
  cv_.notify_all();
  return data.size();
}

Status StreamWriter::Truncate(int64_t size) {
  std::lock_guard lock(mu_);
  if (size == written_) return Ok();
  return MakeError(ErrorCode::kPermission,
                   "with --vfs-cache-mode off a file being written cannot be truncated: " + path_);
}

Result<ObjectInfo> StreamWriter::Finish() {
  std::unique_lock lock(mu_);
  if (!closed_) {
    closed_ = true;
    cv_.notify_all();
  }
  cv_.wait(lock, [&] { return reader_gone_; });
  finished_ = true;
  return result_;
}

}  // namespace cvclone::vfs
