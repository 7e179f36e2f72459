// The multipart uploads cvclone started on this machine and has not completed or aborted yet,
// remembered between runs so that the next upload of the same key can resume its own upload, or
// abort it, without touching anyone else's. S3 cannot tell: ListMultipartUploads and ListParts
// do not return an upload's metadata.
//
// One small file per upload in a folder (StateDir()/uploads, mode 0700), written before the
// upload's first part is sent and removed once it is completed or aborted. A file holds the
// endpoint, bucket, key, upload id, part size, a digest of the upload's metadata headers, when
// it started, and the host and process that is sending it; no credentials. Writes are atomic
// (temporary file, fsync, rename), so a killed process leaves either the old record or the new.
//
// Failures of the journal itself (an unwritable folder) never fail an upload: the upload is then
// simply not resumable, which one NOTICE per process says.
//
// Threads: every method may be called from any number of threads at once, and several
// processes may share the folder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone::s3 {

struct JournalEntry {
  std::string endpoint;  // "http://127.0.0.1:7480" (no user information)
  std::string bucket;
  std::string key;
  std::string upload_id;
  int64_t part_size = 0;
  std::string headers_digest;  // HeadersDigest of the CreateMultipartUpload headers
  TimePoint started{};         // when the upload was created (local clock, whole seconds)
  std::string host;            // gethostname() of the process sending it
  int64_t pid = 0;             // that process
};

class UploadJournal {
 public:
  // folder: where the records are kept; "" or a relative path disables the journal (no
  // record is written, Find finds nothing).
  explicit UploadJournal(std::string folder);

  bool enabled() const { return !folder_.empty(); }
  const std::string& folder() const { return folder_; }

  // Writes (or replaces) the record of e.upload_id, with this host and process as its sender.
  // The folder and its parents are created (mode 0700) as needed.
  Status Add(JournalEntry e) const;
  // Removes the record of that upload; Ok if there is none.
  Status Remove(const std::string& endpoint, const std::string& bucket, const std::string& key,
                const std::string& upload_id) const;
  // The records of uploads to endpoint/bucket/key, newest first; unreadable or foreign files
  // are skipped.
  std::vector<JournalEntry> Find(const std::string& endpoint, const std::string& bucket,
                                 const std::string& key) const;
  // Every record of uploads to endpoint/bucket.
  std::vector<JournalEntry> FindBucket(const std::string& endpoint,
                                       const std::string& bucket) const;

  // Claims a recorded upload for this process: false if it is being sent right now, by a
  // process of this host that is still running (for this process: held and not released), or
  // by another host (never ours to decide). A claim lasts until Release.
  static bool Claim(const JournalEntry& e);
  // Marks an upload this process has just created as being sent by it, until Release.
  static void Hold(const std::string& upload_id);
  static void Release(const std::string& upload_id);
  // Whether Claim would refuse e (without claiming it).
  static bool InUse(const JournalEntry& e);

 private:
  std::string folder_;
};

// A digest (SHA-256, hex) of header names (lower-cased) and values, in any order: two uploads
// with the same digest store the same metadata.
std::string HeadersDigest(const std::vector<std::pair<std::string, std::string>>& headers);

// A record's text, and the record of a text (kCorrupt when malformed). For tests.
std::string FormatJournalEntry(const JournalEntry& e);
Result<JournalEntry> ParseJournalEntry(const std::string& text);

}  // namespace cvclone::s3
