// Unfinished multipart uploads: the multipart target's requests (and its journal records),
// ListParts and ListMultipartUploads, taking up an earlier upload of the same key, and cleanup.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "backends/s3/s3_remote_impl.hpp"
#include "core/log.hpp"

namespace cvclone::s3::impl {
namespace {

constexpr char kPageSize[] = "1000";

// A journal that cannot be written costs only the resuming: said once per process.
void JournalFailed(const std::string& folder, const Error& error) {
  static std::once_flag once;
  std::call_once(once, [&] {
    log::Notice(
        "s3: cannot record multipart uploads in {}: {} (an interrupted upload will not "
        "be resumed)",
        folder, error.message());
  });
}

// A key or upload id from the server, for a message: a hostile one may be megabytes long.
std::string Shown(const std::string& s) {
  constexpr size_t kMax = 200;
  return s.size() <= kMax ? s : s.substr(0, kMax) + "...";
}

// The two largest units that are not zero: "1d", "3d4h", "1h30m", "4m10s", "0s".
std::string FormatAge(std::chrono::seconds age) {
  int64_t s = std::max<int64_t>(age.count(), 0);
  const std::pair<int64_t, const char*> units[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  std::string out;
  int shown = 0;
  for (const auto& [size, name] : units) {
    const int64_t n = s / size;
    s %= size;
    if (n > 0 && shown < 2) {
      out += std::to_string(n) + name;
      ++shown;
    } else if (shown > 0) {
      shown = 2;  // only adjacent units: "1d" rather than "1d5s"
    }
  }
  return out.empty() ? "0s" : out;
}

bool Stopped(const Error& e) {
  return e.code() == ErrorCode::kCancelled || e.code() == ErrorCode::kTimeout;
}

}  // namespace

// ---- the multipart target ----

KeyUpload::~KeyUpload() {
  for (const std::string& id : held_) UploadJournal::Release(id);
}

void KeyUpload::Journal(int64_t part_size) {
  journal_ = remote_.journal().enabled();
  part_size_ = part_size;
  digest_ = HeadersDigest(create_headers_);
}

JournalEntry KeyUpload::Record() const {
  return JournalEntry{.endpoint = remote_.config().endpoint,
                      .bucket = bucket_,
                      .key = key_,
                      .part_size = part_size_,
                      .headers_digest = digest_};
}

void KeyUpload::WriteRecord(const std::string& upload_id, TimePoint started) {
  JournalEntry e = Record();
  e.upload_id = upload_id;
  e.started = started;
  if (Status st = remote_.journal().Add(e); !st) {
    JournalFailed(remote_.journal().folder(), st.error());
  }
}

void KeyUpload::Adopt(const JournalEntry& e) {
  held_.push_back(e.upload_id);
  if (journal_) WriteRecord(e.upload_id, e.started);
}

void KeyUpload::Forget(const std::string& upload_id) {
  UploadJournal::Release(upload_id);
  held_.erase(std::remove(held_.begin(), held_.end(), upload_id), held_.end());
  if (!journal_) return;
  if (Status st = remote_.journal().Remove(remote_.config().endpoint, bucket_, key_, upload_id);
      !st) {
    JournalFailed(remote_.journal().folder(), st.error());
  }
}

Result<std::string> KeyUpload::Create(const Context& ctx) {
  Call call{.op = "CreateMultipartUpload",
            .method = "POST",
            .bucket = bucket_,
            .key = key_,
            .query = {{"uploads", ""}},
            .headers = create_headers_};
  CVC_ASSIGN_OR_RETURN(HttpResponse r, remote_.Send(ctx, std::move(call)));
  CVC_ASSIGN_OR_RETURN(std::string id, ParseInitiateMultipartUpload(r.body));
  if (journal_) {
    UploadJournal::Hold(id);
    held_.push_back(id);
    WriteRecord(id, std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
  }
  return id;
}

Result<std::string> KeyUpload::UploadPart(const Context& ctx, const std::string& upload_id,
                                          int number, std::string_view data,
                                          const std::string& md5) {
  Call call{.op = "UploadPart",
            .method = "PUT",
            .bucket = bucket_,
            .key = key_,
            .query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}},
            .headers = {{"Content-MD5", md5}},
            .body = data,
            .payload_hash = std::string(kUnsignedPayload),
            .prepare = [this](Call&) { remote_.CountUploadPart(); }};
  CVC_ASSIGN_OR_RETURN(HttpResponse r, remote_.Send(ctx, std::move(call)));
  return StripQuotes(r.headers.Get("ETag").value_or(""));
}

Result<std::string> KeyUpload::Complete(const Context& ctx, const std::string& upload_id,
                                        const std::vector<CompletedPart>& parts) {
  const std::string body = BuildCompleteMultipartUpload(parts);
  Call call{.op = "CompleteMultipartUpload",
            .method = "POST",
            .bucket = bucket_,
            .key = key_,
            .query = {{"uploadId", upload_id}},
            .body = body,
            .payload_hash = HexSha256(body)};
  call.headers.emplace_back("Content-Type", "application/xml");
  CVC_ASSIGN_OR_RETURN(HttpResponse r, remote_.Send(ctx, std::move(call)));
  CVC_ASSIGN_OR_RETURN(std::string etag, ParseCompleteMultipartUpload(r.body));
  Forget(upload_id);
  return etag;
}

Result<std::string> KeyUpload::HeadEtag(const Context& ctx) {
  Call call{.op = "HEAD", .method = "HEAD", .bucket = bucket_, .key = key_};
  CVC_ASSIGN_OR_RETURN(HttpResponse r, remote_.Send(ctx, std::move(call)));
  return StripQuotes(r.headers.Get("ETag").value_or(""));
}

Status KeyUpload::RemoveCompleted(const Context& ctx) {
  Call call{.op = "DELETE", .method = "DELETE", .bucket = bucket_, .key = key_, .accept = {404}};
  CVC_RETURN_IF_ERROR(remote_.Send(ctx, std::move(call)));
  return Ok();
}

Status KeyUpload::Abort(const Context& ctx, const std::string& upload_id) {
  Call call{.op = "AbortMultipartUpload",
            .method = "DELETE",
            .bucket = bucket_,
            .key = key_,
            .query = {{"uploadId", upload_id}},
            .accept = {404}};
  auto r = remote_.Send(ctx, std::move(call));
  // Gone, or a server that cannot abort uploads (nothing a later run could do either).
  if (r || r.error().code() == ErrorCode::kUnsupported) Forget(upload_id);
  if (!r) return Unexpected<Error>(r.error());
  return Ok();
}

// ---- listing unfinished uploads and their parts ----

Result<std::vector<ListedPart>> S3Remote::ListParts(const Context& ctx, const std::string& bucket,
                                                    const std::string& key,
                                                    const std::string& upload_id) {
  const std::string what = "s3: ListParts " + bucket + "/" + key;
  std::vector<ListedPart> out;
  int marker = 0;
  for (;;) {
    Call call{.op = "ListParts",
              .bucket = bucket,
              .key = key,
              .query = {{"max-parts", kPageSize}, {"uploadId", upload_id}}};
    if (marker > 0) call.query.emplace_back("part-number-marker", std::to_string(marker));
    CVC_ASSIGN_OR_RETURN(HttpResponse resp, Send(ctx, std::move(call)));
    auto page = ParseListParts(resp.body);
    if (!page) return Propagate(page.error(), what);
    // Part numbers ascend from one page to the next, 1..10000: a server that repeats or
    // reorders them is at fault, and a listing that would not end is refused.
    for (ListedPart& p : page->parts) {
      const int last = out.empty() ? 0 : out.back().part_number;
      if (p.part_number <= std::max(last, marker) || p.part_number > kMaxParts) {
        return MakeError(ErrorCode::kCorrupt, what + ": the server listed part " +
                                                  std::to_string(p.part_number) +
                                                  " out of order or out of range");
      }
      out.push_back(std::move(p));
    }
    if (!page->is_truncated) return out;
    if (page->next_part_number_marker <= marker) {
      return MakeError(ErrorCode::kCorrupt,
                       what + ": truncated listing without a later part number marker");
    }
    marker = page->next_part_number_marker;
  }
}

Status S3Remote::ListUploads(const Context& ctx, const std::string& bucket,
                             const std::string& prefix,
                             const std::function<Status(const UploadEntry&)>& each) {
  const std::string what =
      "s3: ListMultipartUploads " + bucket + (prefix.empty() ? "" : "/" + prefix);
  std::string key_marker, id_marker;
  // A listing that repeats its markers or gives a truncated page without an upload is a
  // server fault, not a big bucket.
  std::set<std::pair<std::string, std::string>> markers;
  for (;;) {
    Call call{.op = "ListMultipartUploads",
              .bucket = bucket,
              .query = {{"uploads", ""}, {"max-uploads", kPageSize}}};
    if (!prefix.empty()) call.query.emplace_back("prefix", prefix);
    if (!key_marker.empty()) call.query.emplace_back("key-marker", key_marker);
    if (!id_marker.empty()) call.query.emplace_back("upload-id-marker", id_marker);
    CVC_ASSIGN_OR_RETURN(HttpResponse resp, Send(ctx, std::move(call)));
    auto page = ParseListMultipartUploads(resp.body);
    if (!page) return Propagate(page.error(), what);
    for (const UploadEntry& u : page->uploads) {
      if (!u.key.starts_with(prefix) || u.upload_id.empty()) {
        return MakeError(ErrorCode::kCorrupt, what + ": the server listed an upload of \"" +
                                                  Shown(u.key) +
                                                  "\" not under the prefix, or without an id");
      }
      CVC_RETURN_IF_ERROR(each(u));
    }
    if (!page->is_truncated) return Ok();
    if (page->uploads.empty()) {
      return MakeError(ErrorCode::kCorrupt, what + ": truncated listing page without any upload");
    }
    key_marker = page->next_key_marker;
    id_marker = page->next_upload_id_marker;
    if (key_marker.empty()) {
      key_marker = page->uploads.back().key;
      id_marker = page->uploads.back().upload_id;
    }
    if (!markers.emplace(key_marker, id_marker).second) {
      return MakeError(ErrorCode::kCorrupt, what + ": the server repeated the markers \"" +
                                                Shown(key_marker) + "\", \"" + Shown(id_marker) +
                                                "\" (the listing would never end)");
    }
  }
}

// ---- an earlier upload of the same key ----

Result<std::optional<ResumeFrom>> S3Remote::TakeEarlierUpload(const Context& ctx,
                                                              const Location& loc,
                                                              KeyUpload& target,
                                                              const MultipartParams& params) {
  std::optional<ResumeFrom> resume;
  const JournalEntry ours = target.Record();
  const std::string where = loc.bucket + "/" + loc.key;
  for (const JournalEntry& e : journal_.Find(cfg_.endpoint, loc.bucket, loc.key)) {
    if (!UploadJournal::Claim(e)) continue;  // a running process is sending it
    std::string why;
    if (resume) {
      why = "a newer one is resumed";
    } else if (!params.check_part_etags) {
      why = "its parts cannot be checked (their ETags are not MD5s)";
    } else if (e.part_size != params.part_size) {
      why = "its part size differs";
    } else if (e.headers_digest != ours.headers_digest) {
      why = "its metadata differs";
    }
    if (why.empty()) {
      auto parts = ListParts(ctx, loc.bucket, loc.key, e.upload_id);
      if (parts) {
        target.Adopt(e);
        resume = ResumeFrom{.upload_id = e.upload_id, .parts = std::move(*parts)};
        continue;
      }
      if (parts.error().code() == ErrorCode::kNotFound) {
        target.Forget(e.upload_id);  // completed or aborted meanwhile
        continue;
      }
      if (Stopped(parts.error())) {
        UploadJournal::Release(e.upload_id);
        return Unexpected<Error>(parts.error());
      }
      why = "its parts cannot be listed: " + parts.error().message();
    }
    log::Info("s3: {}: aborting the unfinished upload {} of an earlier run: {}", where,
              Shown(e.upload_id), why);
    if (Status st = target.Abort(ctx, e.upload_id); !st) {
      UploadJournal::Release(e.upload_id);
      if (Stopped(st.error())) return Unexpected<Error>(st.error());
      // A server that cannot abort uploads (its record is dropped): nothing to warn about.
      const std::string what = fmt::format("s3: {}: could not abort the unfinished upload {}: {}",
                                           where, Shown(e.upload_id), st.error().message());
      if (st.error().code() == ErrorCode::kUnsupported) {
        log::Info("{}", what);
      } else {
        log::Notice("{}", what);
      }
    }
  }
  return resume;
}

// ---- cleanup ----

Status S3Remote::Cleanup(const Context& ctx, const std::string& dir, std::chrono::seconds max_age,
                         bool dry_run) {
  CVC_ASSIGN_OR_RETURN(Location loc, Locate(dir));
  if (!loc.bucket.empty()) {
    return CleanupBucket(ctx, loc.bucket, loc.key.empty() ? "" : loc.key + "/", max_age, dry_run);
  }
  CVC_ASSIGN_OR_RETURN(std::vector<ObjectInfo> buckets, ListBuckets(ctx));
  Status first = Ok();
  for (const ObjectInfo& b : buckets) {
    Status st = CleanupBucket(ctx, b.path, "", max_age, dry_run);
    if (!st && Stopped(st.error())) return st;
    if (!st && first) first = st;
  }
  return first;
}

Status S3Remote::CleanupBucket(const Context& ctx, const std::string& bucket,
                               const std::string& prefix, std::chrono::seconds max_age,
                               bool dry_run) {
  const std::string where = bucket + (prefix.empty() ? "" : "/" + prefix);
  log::Info("s3: {}: cleaning up unfinished multipart uploads started at least {} ago", where,
            FormatAge(max_age));
  std::map<std::string, JournalEntry> recorded;  // this machine's records, by upload id
  for (JournalEntry& e : journal_.FindBucket(cfg_.endpoint, bucket)) {
    if (e.key.starts_with(prefix)) recorded.emplace(e.upload_id, std::move(e));
  }
  std::set<std::string> listed;  // recorded uploads the server still has
  const auto now = std::chrono::system_clock::now();
  Status first = Ok();
  int aborted = 0;
  Status listing = ListUploads(ctx, bucket, prefix, [&](const UploadEntry& u) -> Status {
    const auto record = recorded.find(u.upload_id);
    if (record != recorded.end()) listed.insert(u.upload_id);
    if (u.initiated_time == TimePoint{}) {
      log::Notice("s3: {}/{}: skipping the unfinished upload {}: no valid start time (\"{}\")",
                  bucket, Shown(u.key), Shown(u.upload_id), Shown(u.initiated));
      return Ok();
    }
    const auto age = std::chrono::floor<std::chrono::seconds>(now - u.initiated_time);
    const std::string what =
        fmt::format("unfinished upload {} of {}/{} (started {}, {} ago)", Shown(u.upload_id),
                    bucket, Shown(u.key), Shown(u.initiated), FormatAge(age));
    if (age < max_age) {
      log::Debug("s3: keeping the {}", what);
      return Ok();
    }
    if (record != recorded.end() && UploadJournal::InUse(record->second)) {
      log::Notice("s3: keeping the {}: cvclone process {} is still sending it", what,
                  record->second.pid);
      return Ok();
    }
    if (dry_run) {
      log::Notice("s3: {}: Skipped abort as --dry-run is set", what);
      return Ok();
    }
    Call call{.op = "AbortMultipartUpload",
              .method = "DELETE",
              .bucket = bucket,
              .key = u.key,
              .query = {{"uploadId", u.upload_id}},
              .accept = {404}};
    auto r = Send(ctx, std::move(call));
    if (!r) {
      if (Stopped(r.error())) return Unexpected<Error>(r.error());
      log::Error("s3: could not abort the {}: {}", what, r.error().message());
      if (first) first = Unexpected<Error>(r.error());
      return Ok();
    }
    (void)journal_.Remove(cfg_.endpoint, bucket, u.key, u.upload_id);
    log::Info("s3: aborted the {}", what);
    ++aborted;
    return Ok();
  });
  CVC_RETURN_IF_ERROR(listing);
  // Records of uploads the server no longer has (completed, or aborted by someone else).
  for (const auto& [id, e] : recorded) {
    if (!dry_run && !listed.contains(id) && !UploadJournal::InUse(e)) {
      (void)journal_.Remove(cfg_.endpoint, bucket, e.key, id);
    }
  }
  if (aborted > 0) log::Info("s3: {}: aborted {} unfinished uploads", where, aborted);
  return first;
}

}  // namespace cvclone::s3::impl
