#include "backends/s3/multipart.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <future>
#include <map>
#include <stop_token>
#include <utility>

#include "backends/s3/s3_options.hpp"
#include "core/io.hpp"
#include "core/log.hpp"

namespace cvclone::s3 {

std::string Md5Raw(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Base64Encode(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()),
                                static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string HexDecode(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (text.size() % 2 != 0) return "";
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    const int hi = nibble(text[i]);
    const int lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return "";
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string ToHex(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string Base64Decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return "";
  // Padding: at most two '=', only at the very end. EVP_DecodeBlock counts them as zero bits, so
  // they are taken off its count here; checked first, so that "====" cannot make it negative.
  const size_t last = text.find_last_not_of('=');
  if (last == std::string_view::npos) return "";
  const size_t pad = text.size() - 1 - last;
  if (pad > 2 || text.find('=') <= last) return "";
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) != out.size()) return "";
  out.resize(out.size() - pad);
  return out;
}

Result<size_t> ReadFull(const Context& ctx, Reader& src, std::string& buf, size_t want) {
  buf.resize(want);
  CVC_ASSIGN_OR_RETURN(size_t got, cvclone::ReadFull(ctx, src, AsWritableBytes(buf)));
  buf.resize(got);
  return got;
}

namespace {

struct PartDone {
  std::string etag;
  std::string md5_raw;
};

struct InFlight {
  int number = 0;
  std::string buffer;
  std::future<Result<PartDone>> result;
};

// A part of the object: sent now, or held by the resumed upload already.
struct DonePart {
  int number = 0;
  std::string etag;
  std::string md5_raw;
};

class Uploader {
 public:
  Uploader(const Context& ctx, MultipartTarget& target, Reader& src, const MultipartParams& p)
      : target_(target),
        src_(src),
        params_(p),
        whole_md5_(HashSet{HashType::kMd5}),
        link_(ctx.stop, [this] { stop_.request_stop(); }) {
    inner_.stop = stop_.get_token();
    inner_.deadline = ctx.deadline;
  }

  Result<MultipartOutcome> Run() {
    if (params_.resume) {
      upload_id_ = params_.resume->upload_id;
      for (const ListedPart& p : params_.resume->parts) listed_[p.part_number] = p;
      resuming_ = true;
    } else {
      CVC_ASSIGN_OR_RETURN(upload_id_, target_.Create(inner_));
    }
    auto result = UploadAll();
    if (!result) {
      // Left for a later run: the parts in flight may finish (a stop request still stops them).
      if (!params_.leave_on_error || completed_upload_) stop_.request_stop();
      Drain();
      if (completed_upload_) {
        RemoveCompleted();
      } else if (!params_.leave_on_error) {
        Abort(upload_id_);
      }
      return Propagate(result.error());
    }
    return result;
  }

 private:
  Result<MultipartOutcome> UploadAll() {
    int64_t total = 0;
    for (int number = 1;; ++number) {
      // Buffers keep their full size from part to part: a resize would zero them again.
      std::string buf = TakeBuffer();
      if (buf.size() < static_cast<size_t>(params_.part_size)) {
        buf.resize(static_cast<size_t>(params_.part_size));
      }
      CVC_ASSIGN_OR_RETURN(size_t n, cvclone::ReadFull(inner_, src_, AsWritableBytes(buf)));
      total += static_cast<int64_t>(n);
      if (params_.expected_size >= 0 && total > params_.expected_size) {
        return MakeError(ErrorCode::kIo, "source yielded more than the expected " +
                                             std::to_string(params_.expected_size) + " bytes");
      }
      // A last empty part is only sent when the whole object is empty.
      if (n == 0 && number > 1) break;
      if (number > kMaxParts) {
        return MakeError(ErrorCode::kInvalidArgument, "upload needs more than 10000 parts");
      }
      const std::string_view data(buf.data(), n);
      whole_md5_.Update(data);
      std::string md5_raw;
      if (resuming_) {
        md5_raw = Md5Raw(data);
        if (Holds(number, data.size(), md5_raw)) {
          done_.push_back({.number = number, .etag = ToHex(md5_raw), .md5_raw = md5_raw});
          ++reused_;
          free_.push_back(std::move(buf));
          if (n < static_cast<size_t>(params_.part_size)) break;
          continue;
        }
        if (number == 1) CVC_RETURN_IF_ERROR(StartAgain());
      }
      CVC_RETURN_IF_ERROR(Launch(number, std::move(buf), n, std::move(md5_raw)));
      if (n < static_cast<size_t>(params_.part_size)) break;
    }
    if (params_.expected_size >= 0 && total != params_.expected_size) {
      return MakeError(ErrorCode::kIo, "source yielded " + std::to_string(total) +
                                           " bytes, expected " +
                                           std::to_string(params_.expected_size));
    }
    while (!in_flight_.empty()) CVC_RETURN_IF_ERROR(FinishOldest());
    CVC_RETURN_IF_ERROR(inner_.Check());
    return Complete(total);
  }

  // Every part is done: completes the upload with them, in part order.
  Result<MultipartOutcome> Complete(int64_t total) {
    std::sort(done_.begin(), done_.end(),
              [](const DonePart& a, const DonePart& b) { return a.number < b.number; });
    std::vector<CompletedPart> parts;
    for (const DonePart& p : done_) {
      parts.push_back({.part_number = p.number, .etag = p.etag});
      part_md5s_ += p.md5_raw;
    }
    CVC_ASSIGN_OR_RETURN(std::string etag, target_.Complete(inner_, upload_id_, parts));
    completed_upload_ = true;
    if (etag.empty()) {
      CVC_ASSIGN_OR_RETURN(etag, target_.HeadEtag(inner_));
    }
    MultipartOutcome out{.size = total,
                         .parts = static_cast<int>(parts.size()),
                         .md5_hex = whole_md5_.Finish()[HashType::kMd5],
                         .etag = etag,
                         .upload_id = upload_id_,
                         .parts_reused = reused_,
                         .restarted = restarted_};
    CVC_RETURN_IF_ERROR(CheckFinalEtag(out));
    return out;
  }

  // Whether the resumed upload holds this part with these bytes. Without ETag checks nothing can
  // be known to match.
  bool Holds(int number, size_t size, const std::string& md5_raw) const {
    if (!params_.check_part_etags) return false;
    auto it = listed_.find(number);
    return it != listed_.end() && it->second.size == static_cast<int64_t>(size) &&
           it->second.etag == ToHex(md5_raw);
  }

  // The resumed upload does not start as this stream does: it is of no use.
  Status StartAgain() {
    Abort(upload_id_);
    resuming_ = false;
    restarted_ = true;
    listed_.clear();
    upload_id_.clear();
    CVC_ASSIGN_OR_RETURN(upload_id_, target_.Create(inner_));
    return Ok();
  }

  Status Launch(int number, std::string buf, size_t size, std::string md5_raw) {
    while (static_cast<int>(in_flight_.size()) >= params_.concurrency) {
      CVC_RETURN_IF_ERROR(FinishOldest());
    }
    InFlight f;
    f.number = number;
    f.buffer = std::move(buf);
    // The buffer's heap storage does not move with it.
    const std::string_view data(f.buffer.data(), size);
    f.result = std::async(
        std::launch::async, [this, number, data, md5 = std::move(md5_raw)]() -> Result<PartDone> {
          PartDone done{.etag = "", .md5_raw = md5.empty() ? Md5Raw(data) : md5};
          CVC_ASSIGN_OR_RETURN(done.etag, target_.UploadPart(inner_, upload_id_, number, data,
                                                             Base64Encode(done.md5_raw)));
          return done;
        });
    in_flight_.push_back(std::move(f));
    return Ok();
  }

  Status FinishOldest() {
    InFlight f = std::move(in_flight_.front());
    in_flight_.pop_front();
    Result<PartDone> done = f.result.get();
    free_.push_back(std::move(f.buffer));
    if (!done) return Propagate(done.error(), "part " + std::to_string(f.number));
    if (params_.check_part_etags && done->etag != ToHex(done->md5_raw)) {
      return MakeError(ErrorCode::kCorrupt, "part " + std::to_string(f.number) + ": ETag " +
                                                done->etag + " is not the part's MD5 " +
                                                ToHex(done->md5_raw));
    }
    done_.push_back({.number = f.number, .etag = done->etag, .md5_raw = done->md5_raw});
    return Ok();
  }

  // AWS answers "<md5 of the parts' raw md5s>-<parts>"; some servers the whole MD5.
  Status CheckFinalEtag(const MultipartOutcome& out) const {
    if (!params_.check_part_etags) return Ok();
    const std::string multipart = ToHex(Md5Raw(part_md5s_)) + "-" + std::to_string(out.parts);
    if (out.etag == multipart || out.etag == out.md5_hex) return Ok();
    return MakeError(ErrorCode::kCorrupt, "multipart ETag " + out.etag + " is neither " +
                                              multipart + " nor the MD5 " + out.md5_hex);
  }

  std::string TakeBuffer() {
    if (free_.empty()) return std::string();
    std::string b = std::move(free_.back());
    free_.pop_back();
    return b;
  }

  void Drain() {
    while (!in_flight_.empty()) {
      (void)in_flight_.front().result.get();
      in_flight_.pop_front();
    }
  }

  void Abort(const std::string& upload_id) {
    if (upload_id.empty()) return;
    Context abort_ctx;
    abort_ctx.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    if (Status st = target_.Abort(abort_ctx, upload_id); !st) {
      log::Error("multipart upload {}: abort failed: {}", upload_id, st.error().message());
    }
  }

  // An object that failed its final check must not stay under its name: nothing (no MD5
  // metadata, a possibly wrong body) would show that it is not the source.
  void RemoveCompleted() {
    Context ctx;
    ctx.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    if (Status st = target_.RemoveCompleted(ctx); !st) {
      log::Error("multipart upload {}: removing the completed object failed: {}", upload_id_,
                 st.error().message());
    }
  }

  MultipartTarget& target_;
  Reader& src_;
  MultipartParams params_;
  Hasher whole_md5_;
  std::stop_source stop_;
  std::stop_callback<std::function<void()>> link_;
  Context inner_;
  std::string upload_id_;
  bool completed_upload_ = false;
  bool resuming_ = false;  // upload_id_ is the resumed upload, listed_ its parts
  bool restarted_ = false;
  std::map<int, ListedPart> listed_;
  int reused_ = 0;
  std::deque<InFlight> in_flight_;
  std::vector<std::string> free_;
  std::vector<DonePart> done_;
  std::string part_md5s_;
};

}  // namespace

Result<MultipartOutcome> UploadMultipart(const Context& ctx, MultipartTarget& target, Reader& src,
                                         const MultipartParams& params) {
  Uploader uploader(ctx, target, src, params);
  return uploader.Run();
}

}  // namespace cvclone::s3
