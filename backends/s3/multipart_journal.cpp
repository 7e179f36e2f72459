#include "backends/s3/multipart_journal.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>
#include <set>

#include "backends/s3/sigv4.hpp"
#include "backends/s3/xml.hpp"
#include "core/state_dir.hpp"

namespace cvclone::s3 {
namespace {

constexpr char kMagic[] = "cvclone multipart upload 1";
constexpr size_t kMaxRecordBytes = 64 << 10;

bool ToInt64(std::string_view s, int64_t* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

const std::string& HostName() {
  static const std::string name = [] {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) return std::string("unknown");
    return std::string(buf);
  }();
  return name;
}

// An endpoint without any user information ("scheme://user:pass@host" → "scheme://host").
std::string WithoutUserInfo(const std::string& endpoint) {
  const size_t scheme_end = endpoint.find("://");
  const size_t start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const size_t at = endpoint.find('@', start);
  if (at == std::string::npos || endpoint.find('/', start) < at) return endpoint;
  return endpoint.substr(0, start) + endpoint.substr(at + 1);
}

std::string KeyPrefix(const std::string& endpoint, const std::string& bucket,
                      const std::string& key) {
  return HexSha256(WithoutUserInfo(endpoint) + "\n" + bucket + "\n" + key).substr(0, 32);
}

std::string FileName(const JournalEntry& e) {
  return KeyPrefix(e.endpoint, e.bucket, e.key) + "-" + HexSha256(e.upload_id).substr(0, 16);
}

bool ProcessRunning(int64_t pid) {
  if (pid <= 0 || pid != static_cast<pid_t>(pid)) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// Creates path and its missing parents with mode 0700.
Status MakeFolders(const std::string& path) {
  for (size_t at = path.find('/', 1);; at = path.find('/', at + 1)) {
    const std::string part = at == std::string::npos ? path : path.substr(0, at);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) {
      return MakeError(ErrorCode::kIo, "mkdir " + part + ": " + std::strerror(errno));
    }
    if (at == std::string::npos) return Ok();
  }
}

Result<std::string> ReadSmallFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return MakeError(ErrorCode::kIo, "open " + path + ": " + std::strerror(errno));
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxRecordBytes) break;
  }
  ::close(fd);
  return out;
}

Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError(ErrorCode::kIo, "write " + path + ": " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Ok();
}

std::mutex claims_mu;
std::set<std::string>& Claims() {
  static std::set<std::string> claims;
  return claims;
}

bool InUseLocked(const JournalEntry& e) {
  if (e.host != HostName() || Claims().contains(e.upload_id)) return true;
  return e.pid != ::getpid() && ProcessRunning(e.pid);
}

}  // namespace

std::string HeadersDigest(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::vector<std::string> lines;
  for (const auto& [name, value] : headers) {
    std::string n = name;
    std::transform(n.begin(), n.end(), n.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    lines.push_back(EscapeStateField(n) + ":" + EscapeStateField(value));
  }
  std::sort(lines.begin(), lines.end());
  std::string all;
  for (const std::string& l : lines) all += l + "\n";
  return HexSha256(all);
}

std::string FormatJournalEntry(const JournalEntry& e) {
  const int64_t started =
      std::chrono::duration_cast<std::chrono::seconds>(e.started.time_since_epoch()).count();
  std::string out = std::string(kMagic) + "\n";
  out += "endpoint " + EscapeStateField(WithoutUserInfo(e.endpoint)) + "\n";
  out += "bucket " + EscapeStateField(e.bucket) + "\n";
  out += "key " + EscapeStateField(e.key) + "\n";
  out += "upload_id " + EscapeStateField(e.upload_id) + "\n";
  out += "part_size " + std::to_string(e.part_size) + "\n";
  out += "headers " + EscapeStateField(e.headers_digest) + "\n";
  out += "started " + std::to_string(started) + "\n";
  out += "host " + EscapeStateField(e.host) + "\n";
  out += "pid " + std::to_string(e.pid) + "\n";
  return out;
}

Result<JournalEntry> ParseJournalEntry(const std::string& text) {
  auto bad = [](const std::string& why) {
    return MakeError(ErrorCode::kCorrupt, "multipart upload record: " + why);
  };
  JournalEntry e;
  std::set<std::string> seen;
  size_t pos = 0;
  bool first = true;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) return bad("no newline at the end");
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (first) {
      if (line != kMagic) return bad("not a record");
      first = false;
      continue;
    }
    const size_t space = line.find(' ');
    if (space == std::string::npos) return bad("a line without a value");
    const std::string name = line.substr(0, space);
    const std::string value = UrlDecode(line.substr(space + 1));
    if (!seen.insert(name).second) return bad("field " + name + " twice");
    int64_t n = 0;
    if (name == "endpoint") {
      e.endpoint = value;
    } else if (name == "bucket") {
      e.bucket = value;
    } else if (name == "key") {
      e.key = value;
    } else if (name == "upload_id") {
      e.upload_id = value;
    } else if (name == "headers") {
      e.headers_digest = value;
    } else if (name == "host") {
      e.host = value;
    } else if (name == "part_size" || name == "started" || name == "pid") {
      if (!ToInt64(value, &n)) return bad("field " + name + " is not a number");
      if (name == "part_size") e.part_size = n;
      if (name == "pid") e.pid = n;
      if (name == "started") {
        if (n < 0 || n > int64_t{9'000'000'000}) return bad("started out of range");
        e.started = TimePoint(std::chrono::seconds(n));
      }
    }  // unknown fields: a later version's, ignored
  }
  if (first) return bad("empty");
  for (const char* required : {"endpoint", "bucket", "key", "upload_id", "part_size", "pid"}) {
    if (!seen.contains(required)) return bad(std::string("no field ") + required);
  }
  if (e.upload_id.empty() || e.bucket.empty()) return bad("empty bucket or upload id");
  return e;
}

UploadJournal::UploadJournal(std::string folder) : folder_(std::move(folder)) {
  if (folder_.empty() || folder_.front() != '/') folder_.clear();
  while (folder_.size() > 1 && folder_.back() == '/') folder_.pop_back();
}

Status UploadJournal::Add(JournalEntry e) const {
  if (!enabled()) return Ok();
  e.endpoint = WithoutUserInfo(e.endpoint);
  e.host = HostName();
  e.pid = ::getpid();
  CVC_RETURN_IF_ERROR(MakeFolders(folder_));
  static std::atomic<uint64_t> counter{0};
  const std::string name = FileName(e);
  const std::string path = folder_ + "/" + name;
  const std::string tmp = folder_ + "/.tmp-" + name + "-" + std::to_string(::getpid()) + "-" +
                          std::to_string(counter++);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return MakeError(ErrorCode::kIo, "create " + tmp + ": " + std::strerror(errno));
  Status written = WriteAll(fd, FormatJournalEntry(e), tmp);
  if (written && ::fsync(fd) != 0) {
    written = MakeError(ErrorCode::kIo, "fsync " + tmp + ": " + std::strerror(errno));
  }
  ::close(fd);
  if (written && ::rename(tmp.c_str(), path.c_str()) != 0) {
    written = MakeError(ErrorCode::kIo, "rename to " + path + ": " + std::strerror(errno));
  }
  if (!written) ::unlink(tmp.c_str());
  return written;
}

Status UploadJournal::Remove(const std::string& endpoint, const std::string& bucket,
                             const std::string& key, const std::string& upload_id) const {
  if (!enabled()) return Ok();
  JournalEntry e{.endpoint = endpoint, .bucket = bucket, .key = key, .upload_id = upload_id};
  const std::string path = folder_ + "/" + FileName(e);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return MakeError(ErrorCode::kIo, "remove " + path + ": " + std::strerror(errno));
  }
  return Ok();
}

namespace {

// The records in folder whose file names start with prefix and that `keep` accepts.
template <typename Keep>
std::vector<JournalEntry> Scan(const std::string& folder, const std::string& prefix, Keep&& keep) {
  std::vector<JournalEntry> out;
  DIR* dir = ::opendir(folder.c_str());
  if (dir == nullptr) return out;
  while (const dirent* d = ::readdir(dir)) {
    const std::string name = d->d_name;
    if (name.empty() || name.front() == '.' || !name.starts_with(prefix)) continue;
    auto text = ReadSmallFile(folder + "/" + name);
    if (!text) continue;
    auto e = ParseJournalEntry(*text);
    if (e && keep(*e)) out.push_back(std::move(*e));
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(), [](const JournalEntry& a, const JournalEntry& b) {
    return a.started != b.started ? a.started > b.started : a.upload_id < b.upload_id;
  });
  return out;
}

}  // namespace

std::vector<JournalEntry> UploadJournal::Find(const std::string& endpoint,
                                              const std::string& bucket,
                                              const std::string& key) const {
  if (!enabled()) return {};
  const std::string plain = WithoutUserInfo(endpoint);
  return Scan(folder_, KeyPrefix(endpoint, bucket, key) + "-", [&](const JournalEntry& e) {
    return e.endpoint == plain && e.bucket == bucket && e.key == key;
  });
}

std::vector<JournalEntry> UploadJournal::FindBucket(const std::string& endpoint,
                                                    const std::string& bucket) const {
  if (!enabled()) return {};
  const std::string plain = WithoutUserInfo(endpoint);
  return Scan(folder_, "",
              [&](const JournalEntry& e) { return e.endpoint == plain && e.bucket == bucket; });
}

bool UploadJournal::Claim(const JournalEntry& e) {
  std::lock_guard lock(claims_mu);
  if (InUseLocked(e)) return false;
  Claims().insert(e.upload_id);
  return true;
}

void UploadJournal::Hold(const std::string& upload_id) {
  std::lock_guard lock(claims_mu);
  Claims().insert(upload_id);
}

void UploadJournal::Release(const std::string& upload_id) {
  std::lock_guard lock(claims_mu);
  Claims().erase(upload_id);
}

bool UploadJournal::InUse(const JournalEntry& e) {
  std::lock_guard lock(claims_mu);
  return InUseLocked(e);
}

}  // namespace cvclone::s3
