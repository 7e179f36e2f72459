// MemoryRemote: an in-memory Remote implementing the whole contract (core/remote.hpp), for
// tests. Thread-safe: every method may be called from any number of threads. Type() is
// "memory"; server-side Copy/Move work between any two MemoryRemotes. Directories exist on
// their own (Mkdir) and implicitly as parents of objects. Features (hashes md5+sha1, set_modtime,
// copy/move/purge, mtime precision) can be changed with features() before use.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/remote.hpp"

namespace cvclone {

class MemoryRemote : public Remote {
 public:
  explicit MemoryRemote(std::string name = "memory");

  std::string Type() const override { return "memory"; }
  std::string Name() const override { return name_; }
  const Features& GetFeatures() const override { return features_; }
  // Not thread-safe: adjust before the remote is shared.
  Features& features() { return features_; }

  Result<std::vector<ObjectInfo>> List(const Context& ctx, const std::string& dir) override;
  Result<ObjectInfo> Stat(const Context& ctx, const std::string& path) override;
  Result<std::unique_ptr<Reader>> Open(const Context& ctx, const std::string& path,
                                       int64_t offset = 0, int64_t count = -1) override;
  Result<ObjectInfo> Put(const Context& ctx, const std::string& path, Reader& src,
                         const PutOptions& opts) override;
  Status Delete(const Context& ctx, const std::string& path) override;
  Status Mkdir(const Context& ctx, const std::string& dir) override;
  Status Rmdir(const Context& ctx, const std::string& dir) override;
  Status Purge(const Context& ctx, const std::string& dir) override;
  Result<ObjectInfo> Copy(const Context& ctx, Remote& src, const std::string& src_path,
                          const std::string& dst_path) override;
  Result<ObjectInfo> Move(const Context& ctx, Remote& src, const std::string& src_path,
                          const std::string& dst_path) override;
  Status SetModTime(const Context& ctx, const std::string& path, TimePoint mtime) override;
  Result<std::string> Hash(const Context& ctx, const std::string& path, HashType type) override;

  // Makes List() report every object as S3 does without a HEAD: mtime = upload_time and
  // mtime_is_upload_time set (Stat() and Put() stay exact); nullopt restores exact listings.
  void SetListedUploadTime(std::optional<TimePoint> upload_time);

  // Test helpers (thread-safe). SetFile stores data directly (creating parents).
  void SetFile(const std::string& path, const std::string& data, TimePoint mtime);
  std::optional<std::string> Contents(const std::string& path) const;
  // Every object path, sorted; and every directory path, sorted.
  std::vector<std::string> Files() const;
  std::vector<std::string> Dirs() const;
  // path → contents, for comparing whole trees.
  std::map<std::string, std::string> Snapshot() const;

 private:
  struct Entry {
    std::string data;
    TimePoint mtime;
    std::map<HashType, std::string> hashes;
  };
  ObjectInfo InfoLocked(const std::string& path, const Entry& e) const;
  bool DirExistsLocked(const std::string& dir) const;
  // Adds dir and its parents; kNotDir if an object is in the way.
  Status AddDirsLocked(const std::string& dir);
  void StoreLocked(const std::string& path, Entry e);
  Entry MakeEntry(std::string data, TimePoint mtime) const;

  std::string name_;
  Features features_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> files_;
  std::set<std::string> dirs_;  // excluding the root ""
  std::optional<TimePoint> listed_upload_time_;
};

}  // namespace cvclone
