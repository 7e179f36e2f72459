// Multipart upload of a stream: parts are read one after another into buffers of a bounded pool
// and uploaded `concurrency` at a time, each with its Content-MD5; the upload is completed only
// when every part succeeded and the stream had the expected size, and aborted otherwise
// (failure, cancel, size mismatch). The S3 requests themselves are made by a MultipartTarget
// (the remote), so this file knows no HTTP.
//
// Resuming: given an earlier unfinished upload of the same key and its listed parts, every part
// is still read and hashed, but a part the upload already holds (same number, same size, ETag
// equal to the part's MD5) is not sent again; a part it does not hold, or holds with other
// bytes, is sent (a part uploaded again under its number replaces the old one), and Complete
// names exactly the parts of this stream with the ETags checked here. When the stream's first
// part is not the upload's first part (another file, or crypt's fresh nonce) nothing of the
// upload is of use: it is aborted and a new one is created.
//
// Memory: at most concurrency + 1 buffers of part_size bytes at any time.
// Threads: UploadMultipart blocks; it calls target methods from up to `concurrency` threads at
// once (the target must allow that) and reads `src` from the calling thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/s3/xml.hpp"
#include "core/context.hpp"
#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone::s3 {

// The requests of one multipart upload to one key. Errors carry their retry class; the target
// does its own per-request retries.
class MultipartTarget {
 public:
  virtual ~MultipartTarget() = default;
  // CreateMultipartUpload: the upload id.
  virtual Result<std::string> Create(const Context& ctx) = 0;
  // UploadPart: the part's ETag (quotes stripped). md5_base64 is the Content-MD5 of data.
  virtual Result<std::string> UploadPart(const Context& ctx, const std::string& upload_id,
                                         int part_number, std::string_view data,
                                         const std::string& md5_base64) = 0;
  // CompleteMultipartUpload: the object's ETag (quotes stripped); "" when the answer has none
  // (Ceph RGW 16 answers an empty <ETag>).
  virtual Result<std::string> Complete(const Context& ctx, const std::string& upload_id,
                                       const std::vector<CompletedPart>& parts) = 0;
  // HEAD of the completed object: its ETag (quotes stripped).
  virtual Result<std::string> HeadEtag(const Context& ctx) = 0;
  // Deletes the completed object (its final ETag check failed). Called with a context of its own.
  virtual Status RemoveCompleted(const Context& ctx) = 0;
  // AbortMultipartUpload. Called with a context of its own (not the caller's, which may be
  // cancelled), bounded by a deadline.
  virtual Status Abort(const Context& ctx, const std::string& upload_id) = 0;
};

// An earlier unfinished upload to continue: its id and the parts ListParts gave.
struct ResumeFrom {
  std::string upload_id;
  std::vector<ListedPart> parts;
};

struct MultipartParams {
  int64_t part_size = int64_t{5} << 20;
  int concurrency = 4;
  int64_t expected_size = -1;  // bytes src must yield; -1: unknown (then up to 10,000 parts)
  // Compare each part's ETag with its MD5 (true unless the ETag is not an MD5, e.g. SSE-KMS).
  // Without it nothing is resumed: a listed part cannot be known to hold the same bytes.
  bool check_part_etags = true;
  // Continue this upload instead of creating one (see the top of this file).
  std::optional<ResumeFrom> resume;
  // On failure leave the upload as it is (parts in flight are let finish, nothing is aborted),
  // for a later run to resume. A completed object that fails its ETag check is still removed.
  bool leave_on_error = false;
};

struct MultipartOutcome {
  int64_t size = 0;
  int parts = 0;
  std::string md5_hex;  // of the whole object, lower-case hex
  std::string etag;     // as returned by Complete
  std::string upload_id;
  int parts_reused = 0;    // parts of a resumed upload that were not sent again
  bool restarted = false;  // a resume was offered but the upload was aborted and created anew
};

// Uploads src (to EOF) as a multipart upload. Fails with src's error, kCancelled, kIo on a size
// mismatch with expected_size, kCorrupt when a part's ETag is not its MD5; the upload is then
// aborted (an abort failure is logged, the first error is returned) unless leave_on_error. The
// object's ETag is Complete's, or the HEAD's when Complete gave none; when it is neither the
// multipart ETag ("<md5 of part md5s>-N") nor the whole MD5 the completed object is removed and
// the result is kCorrupt.
Result<MultipartOutcome> UploadMultipart(const Context& ctx, MultipartTarget& target, Reader& src,
                                         const MultipartParams& params);

// Raw (16-byte) MD5 of data.
std::string Md5Raw(std::string_view data);
// Standard base64 (with padding) of raw bytes.
std::string Base64Encode(std::string_view raw);
// Raw bytes of standard base64 (with padding: at most two "=", at the end only); "" if
// malformed.
std::string Base64Decode(std::string_view text);
// Reads src into buf until `want` bytes or EOF (buf is resized to what was read); checks ctx
// before each read (kCancelled / kTimeout). Returns the byte count, or src's error.
Result<size_t> ReadFull(const Context& ctx, Reader& src, std::string& buf, size_t want);
// Raw bytes of lower-case or upper-case hex; "" if text is not even-length hex.
std::string HexDecode(std::string_view text);
// Lower-case hex of raw bytes.
std::string ToHex(std::string_view raw);

}  // namespace cvclone::s3
