// The s3 backend: a Remote over Amazon S3 and S3-compatible servers (rclone's option names, see
// s3_options.hpp).
//
// Contract beyond core/remote.hpp:
// - Root "bucket/dir" (leading/trailing '/' ignored); root "" lists buckets as directories, and
//   its first path segment is then the bucket.
// - Directories exist only as key prefixes (Features::empty_dirs = false): Mkdir inside a bucket
//   only makes sure the bucket exists; List of a prefix with nothing under it is kDirNotFound
//   (except a bucket's root, which lists empty); Rmdir inside a bucket is kDirNotEmpty if
//   anything is under the prefix, else kDirNotFound (nothing to remove). At a bucket's root,
//   Mkdir creates the bucket (with the location constraint) and Rmdir deletes it.
// - Keys that are not clean relative paths (e.g. "../x", "a//b", a trailing '/' directory
//   marker) are skipped in listings with a NOTICE: they can never be written outside a local
//   destination.
// - Modification times are stored in X-Amz-Meta-Mtime (decimal seconds, rclone's format); Stat()
//   reads it exactly (precision 1 ns). Listings make one request per list_chunk keys and no HEAD:
//   an object's mtime is its LastModified (the upload time) with ObjectInfo::mtime_is_upload_time
//   set. With exact_modtime, listings HEAD each object (8 at a time) for the exact mtime, as
//   rclone does; with use_server_modtime, LastModified is taken as the mtime itself (not flagged;
//   precision 1 s). Neither flag is set for directories.
// - Buckets are checked (and created if missing) once per remote before the first upload; a
//   non-retryable failure to do so is remembered and returned for every later upload into it.
// - Put: a single PutObject with Content-MD5 and x-amz-content-sha256: UNSIGNED-PAYLOAD for a
//   known size up to upload_cutoff: up to chunk_size (and, for an unknown size, up to one part)
//   read into memory first; above chunk_size streamed from the source when its MD5 is known
//   beforehand (PutOptions::hashes, or one reading pass through PutOptions::reopen), the MD5
//   computed again on the way: a source that changed fails with a retryable kCorrupt before the
//   body is complete (a per-request retry reads the data again through reopen); without either,
//   multipart. So memory stays bounded by the part size. The returned ETag must equal the MD5,
//   else the object is deleted and Put fails with kCorrupt. Above upload_cutoff: multipart
//   (multipart.hpp), with X-Amz-Meta-Md5chksum set from PutOptions::hashes when given, else
//   added after completion by a metadata-replacing copy (objects up to 5 GiB; unless
//   disable_checksum).
// - Unfinished multipart uploads: each upload records itself in a journal on this machine
//   (multipart_journal.hpp) before its first part, and its Create sets X-Amz-Meta-Cvclone-Upload
//   (so its object carries it too). The next multipart upload of the same key takes up what an
//   earlier run left (killed, or its abort failed, or leave_parts_on_error) and that no running
//   process is sending: the newest such upload whose part size and metadata are this upload's is
//   resumed (its parts listed; a part it holds with the same size and MD5 is read and hashed but
//   not sent again; if its first part differs it is aborted and a new upload created); every
//   other one is aborted. Uploads this machine did not record (another client's) are never
//   touched by an upload, only by Cleanup: it aborts every unfinished upload under the directory
//   started at least max_age ago (ListMultipartUploads, paged, with a listing's limits), except
//   those a running process of this machine is sending, and drops the records of uploads the
//   server no longer has.
// - PublicLink: a presigned GET URL (SigV4 query authentication) valid for `expire` (1 s to
//   7 days, else kInvalidArgument); the object must exist (kNotFound, kIsDir). With anonymous
//   credentials, the plain URL (a public bucket's).
// - Hash(md5): a single-part object's ETag, else X-Amz-Meta-Md5chksum, else "".
// - Copy: server-side within the same endpoint and access key (CopyObject; multipart
//   UploadPartCopy above copy_cutoff); kUnsupported for any other remote. No Move.
// - Errors name the operation, bucket/key, HTTP status and S3 error code, never a secret.
//   Retryable failures (5xx, SlowDown, RequestTimeout, network errors) are retried per request
//   low_level_retries times with backoff and jitter, honouring Retry-After.
#pragma once

#include <memory>
#include <string>

#include "core/context.hpp"
#include "core/error.hpp"
#include "core/registry.hpp"
#include "core/remote.hpp"

namespace cvclone {

// Registers the "s3" backend with all its options (s3_register.cpp).
void RegisterS3Backend(Registry& registry);

namespace s3 {

// Makes an S3 remote from resolved options. Fails with kConfig on bad options or credentials.
// Makes no request.
Result<std::unique_ptr<Remote>> NewS3Remote(const std::string& display_name,
                                            const std::string& root, const Options& options);

// Test hook: how many UploadPart requests (retries included) remote has sent since it was made;
// -1 if it is not an s3 remote.
int64_t UploadPartRequests(const Remote& remote);

}  // namespace s3
}  // namespace cvclone
