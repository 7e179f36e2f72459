// What cvclone remembers of the objects it stored on a destination whose listing gives the time
// an object was stored instead of its modification time (S3: the mtime is in metadata that only
// a HEAD returns). For each path: which stored version (the ETag) holds the bytes of which source
// file (size, and mtime when it was opened). A later run then tells "unchanged since we stored
// it" from the listing alone, exactly: no HEAD per object, and no reliance on clocks (a server
// clock minutes ahead, a file edited while it was uploaded, or restored with an older mtime all
// compare as changed, where "stored after the file's mtime" said unchanged).
//
// Kept in one file per destination root under StateDir()/stored/: each record is a line
// appended (in batches, and when the object is destroyed) once it is learnt, the last line for
// a path wins, a torn or malformed line is ignored. A lost or stale record costs one Stat() (the record is only used when the listed
// version is the recorded one); it never makes a changed file look unchanged.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/remote.hpp"

namespace cvclone {

class StoredVersions {
 public:
  // The records of dst's root, when dst's listings give upload times
  // (Features::listed_mtime_is_upload_time) and it names its storage; nullptr otherwise.
  // read_only (--dry-run): records are used but none are written. A state file that cannot be
  // read or created is logged at DEBUG and costs Stat()s, never an error.
  static std::unique_ptr<StoredVersions> ForDestination(const Remote& dst, bool read_only);

  // Opens (reading it) or starts the file at path.
  StoredVersions(std::string path, bool read_only);
  ~StoredVersions();
  StoredVersions(const StoredVersions&) = delete;
  StoredVersions& operator=(const StoredVersions&) = delete;

  // The source mtime whose bytes the listed object d holds: when the record for d.path has d's
  // version and size. nullopt otherwise (no record, another version, no version listed).
  std::optional<TimePoint> SourceMtime(const ObjectInfo& d) const;

  // Records that path now holds version, made from a source of size bytes with mtime (as it was
  // when opened). Ignored without a version. Used at once; written to the file in batches.
  void Remember(const std::string& path, const std::string& version, int64_t size,
                TimePoint mtime);

  // Rewrites the file with one line per path when superseded lines outnumber the live ones
  // (atomically: a temporary file renamed over it). Called once at the end of a run.
  void Compact();

  size_t size() const;

 private:
  struct Record {
    std::string version;
    int64_t size = -1;
    TimePoint mtime{};
  };
  void Load();
  // Appends the pending lines to the file (opened, and its folder made, on first use).
  void FlushLocked();
  static std::string FormatLine(const std::string& path, const Record& r);

  const std::string path_;
  const bool read_only_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Record> records_;
  size_t lines_ = 0;      // lines in the file (live and superseded)
  std::string pending_;   // lines not yet appended
  int fd_ = -1;           // append descriptor, opened on the first flush
  bool append_failed_ = false;
};

}  // namespace cvclone
