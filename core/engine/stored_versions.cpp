#include "core/engine/stored_versions.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/io.hpp"
#include "core/log.hpp"
#include "core/state_dir.hpp"

namespace cvclone {
namespace {

// Superseded lines allowed beyond the live ones before Compact rewrites the file.
constexpr size_t kCompactSlack = 1000;
// Records are appended in batches of about this many bytes (and when the run ends): a write(2)
// per uploaded object, made under the lock, held up the transfer threads. A batch lost with a
// killed process only costs a Stat() per object on the next run.
constexpr size_t kFlushBytes = 64 << 10;

template <typename T>
bool ParseNumber(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::unique_ptr<StoredVersions> StoredVersions::ForDestination(const Remote& dst, bool read_only) {
  if (!dst.GetFeatures().listed_mtime_is_upload_time) return nullptr;
  const StorageLocation at = dst.StorageRoot();
  if (at.storage.empty()) return nullptr;
  Hasher hasher(HashSet{HashType::kSha1});
  hasher.Update(at.storage + "\n" + at.path + "\n" + at.view);
  const std::string name = hasher.Finish()[HashType::kSha1];
  return std::make_unique<StoredVersions>(StateDir() + "/stored/" + name, read_only);
}

StoredVersions::StoredVersions(std::string path, bool read_only)
    : path_(std::move(path)), read_only_(read_only) {
  Load();
}

StoredVersions::~StoredVersions() {
  std::lock_guard lock(mu_);
  FlushLocked();
  if (fd_ >= 0) ::close(fd_);
}

void StoredVersions::FlushLocked() {
  if (pending_.empty() || read_only_ || append_failed_) return;
  if (fd_ < 0) {
    std::error_code ec;
    std::filesystem::path parent = std::filesystem::path(path_).parent_path();
    std::filesystem::create_directories(parent, ec);
    ::chmod(parent.c_str(), 0700);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  }
  if (fd_ < 0 || !WriteAll(fd_, pending_)) {
    log::Debug("cannot record stored versions in {}: {}", path_, std::strerror(errno));
    append_failed_ = true;
  }
  pending_.clear();
}

void StoredVersions::Load() {
  std::ifstream in(path_, std::ios::binary);
  if (!in.is_open()) return;  // none yet
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no '\n': a line torn by a crash
    ++lines_;
    // version size mtime path
    std::string_view rest = line;
    std::string_view fields[4];
    bool ok = true;
    for (int i = 0; i < 3 && ok; ++i) {
      const size_t space = rest.find(' ');
      ok = space != std::string_view::npos;
      if (ok) {
        fields[i] = rest.substr(0, space);
        rest.remove_prefix(space + 1);
      }
    }
    fields[3] = rest;
    Record r;
    int64_t ns = 0;
    auto version = ok ? UnescapeStateField(fields[0]) : std::nullopt;
    auto path = ok ? UnescapeStateField(fields[3]) : std::nullopt;
    if (!version || !path || version->empty() || !ParseNumber(fields[1], r.size) ||
        !ParseNumber(fields[2], ns)) {
      continue;
    }
    r.version = std::move(*version);
    r.mtime = TimePoint(std::chrono::nanoseconds(ns));
    records_[std::move(*path)] = std::move(r);
  }
}

std::string StoredVersions::FormatLine(const std::string& path, const Record& r) {
  return EscapeStateField(r.version) + " " + std::to_string(r.size) + " " +
         std::to_string(r.mtime.time_since_epoch().count()) + " " + EscapeStateField(path) + "\n";
}

std::optional<TimePoint> StoredVersions::SourceMtime(const ObjectInfo& d) const {
  if (d.version.empty()) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = records_.find(d.path);
  if (it == records_.end() || it->second.version != d.version || it->second.size != d.size) {
    return std::nullopt;
  }
  return it->second.mtime;
}

void StoredVersions::Remember(const std::string& path, const std::string& version, int64_t size,
                              TimePoint mtime) {
  if (version.empty() || size < 0) return;
  Record r{version, size, mtime};
  const std::string line = FormatLine(path, r);
  std::lock_guard lock(mu_);
  records_[path] = std::move(r);
  if (read_only_ || append_failed_) return;
  pending_ += line;
  ++lines_;
  if (pending_.size() >= kFlushBytes) FlushLocked();
}

void StoredVersions::Compact() {
  std::lock_guard lock(mu_);
  FlushLocked();
  if (read_only_ || lines_ <= 2 * records_.size() + kCompactSlack) return;
  std::string text;
  for (const auto& [path, r] : records_) text += FormatLine(path, r);
  const std::string tmp = path_ + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const bool written = fd >= 0 && WriteAll(fd, text);
  if (fd >= 0) ::close(fd);
  if (!written || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    log::Debug("cannot compact {}: {}", path_, std::strerror(errno));
    ::unlink(tmp.c_str());
    return;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;  // the old file is gone: the next Remember appends to the new one
  lines_ = records_.size();
}

size_t StoredVersions::size() const {
  std::lock_guard lock(mu_);
  return records_.size();
}

}  // namespace cvclone
