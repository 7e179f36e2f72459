#include "crypt/data.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "core/io.hpp"

namespace cvclone::crypt {

const std::array<uint8_t, kMagicSize> kFileMagic = {'R', 'C', 'L', 'O', 'N', 'E', 0, 0};

static_assert(crypto_secretbox_NONCEBYTES == kNonceSize);
static_assert(crypto_secretbox_MACBYTES == kChunkOverhead);
static_assert(crypto_secretbox_KEYBYTES == kDataKeySize);

namespace {

constexpr int64_t kChunk = static_cast<int64_t>(kChunkSize);
constexpr int64_t kEncChunk = static_cast<int64_t>(kEncryptedChunkSize);
constexpr int64_t kHeader = static_cast<int64_t>(kHeaderSize);

Unexpected<Error> AuthError() {
  return MakeError(ErrorCode::kCorrupt,
                   "failed to authenticate decrypted block: wrong password or corrupted data");
}

Unexpected<Error> TruncatedError() {
  return MakeError(ErrorCode::kCorrupt, "file has truncated block header");
}

Unexpected<Error> TooShortError() {
  return MakeError(ErrorCode::kCorrupt, "file is too short to be encrypted");
}

// Reads until `len` bytes or end of stream; returns how many were read.
Result<size_t> ReadFull(Reader& src, uint8_t* dst, size_t len) {
  return cvclone::ReadFull(src, std::as_writable_bytes(std::span(dst, len)));
}

}  // namespace

Status InitSodium() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] { ok = sodium_init() >= 0; });
  if (!ok) return MakeError(ErrorCode::kInternal, "crypt: libsodium failed to initialise");
  return Ok();
}

Result<Nonce> RandomNonce() {
  CVC_RETURN_IF_ERROR(InitSodium());
  Nonce n;
  randombytes_buf(n.data(), n.size());
  return n;
}

void NonceIncrement(Nonce& nonce) {
  for (uint8_t& b : nonce) {
    if (++b != 0) return;
  }
}

void NonceAdd(Nonce& nonce, uint64_t n) {
  uint64_t carry = 0;
  for (size_t i = 0; i < 8; ++i) {
    const uint64_t sum = nonce[i] + (n & 0xff) + carry;
    nonce[i] = static_cast<uint8_t>(sum);
    carry = sum >> 8;
    n >>= 8;
  }
  for (size_t i = 8; i < nonce.size() && carry; ++i) {
    const uint64_t sum = nonce[i] + carry;
    nonce[i] = static_cast<uint8_t>(sum);
    carry = sum >> 8;
  }
}

Result<int64_t> EncryptedSize(int64_t n) {
  if (n < 0) return MakeError(ErrorCode::kInvalidArgument, "crypt: negative size");
  const int64_t rest = n % kChunk;
  return kHeader + (n / kChunk) * kEncChunk + (rest ? rest + static_cast<int64_t>(kChunkOverhead) : 0);
}

Result<int64_t> DecryptedSize(int64_t m) {
  if (m < kHeader) return TooShortError();
  m -= kHeader;
  const int64_t rest = m % kEncChunk;
  if (rest != 0 && rest <= static_cast<int64_t>(kChunkOverhead)) return TruncatedError();
  return (m / kEncChunk) * kChunk + (rest ? rest - static_cast<int64_t>(kChunkOverhead) : 0);
}

ChunkRange MapRange(int64_t offset, int64_t count) {
  offset = std::max<int64_t>(offset, 0);
  ChunkRange r;
  r.first_chunk = static_cast<uint64_t>(offset / kChunk);
  r.discard = static_cast<size_t>(offset % kChunk);
  r.offset = kHeader + static_cast<int64_t>(r.first_chunk) * kEncChunk;
  if (count == 0) {
    r.count = 0;
  } else if (count > 0) {
    const int64_t chunks = (static_cast<int64_t>(r.discard) + count + kChunk - 1) / kChunk;
    r.count = chunks * kEncChunk;
  }
  return r;
}

std::array<uint8_t, kHeaderSize> MakeHeader(const Nonce& nonce) {
  std::array<uint8_t, kHeaderSize> h;
  std::copy(kFileMagic.begin(), kFileMagic.end(), h.begin());
  std::copy(nonce.begin(), nonce.end(), h.begin() + kMagicSize);
  return h;
}

Result<Nonce> ReadHeader(Reader& src) {
  std::array<uint8_t, kHeaderSize> h;
  CVC_ASSIGN_OR_RETURN(size_t n, ReadFull(src, h.data(), h.size()));
  if (n < kHeaderSize) return TooShortError();
  if (!std::equal(kFileMagic.begin(), kFileMagic.end(), h.begin())) {
    return MakeError(ErrorCode::kCorrupt, "not an encrypted file - bad magic string");
  }
  Nonce nonce;
  std::copy(h.begin() + kMagicSize, h.end(), nonce.begin());
  return nonce;
}

// ---- EncryptingReader ----

EncryptingReader::EncryptingReader(const DataKey& key, Reader& src, const Nonce& nonce,
                                   bool pipelined)
    : key_(key), src_(&src), initial_nonce_(nonce), nonce_(nonce), plain_(kChunkSize),
      out_(kEncryptedChunkSize), pipelined_(pipelined) {
  if (auto s = InitSodium(); !s) error_ = s.error();
  const auto header = MakeHeader(nonce);
  std::copy(header.begin(), header.end(), out_.begin());
  out_len_ = header.size();
}

Result<std::unique_ptr<EncryptingReader>> EncryptingReader::Create(const DataKey& key,
                                                                   Reader& src, bool pipelined) {
  CVC_ASSIGN_OR_RETURN(Nonce nonce, RandomNonce());
  return std::make_unique<EncryptingReader>(key, src, nonce, pipelined);
}

Result<size_t> EncryptingReader::ReadPlainChunk() {
  CVC_ASSIGN_OR_RETURN(size_t n, ReadFull(*src_, plain_.data(), plain_.size()));
  if (n < plain_.size()) src_done_ = true;  // a short chunk is the last one
  return n;
}

void EncryptingReader::Seal(size_t n, uint8_t* out) {
  crypto_secretbox_easy(out, plain_.data(), n, nonce_.data(), key_.data());
  NonceIncrement(nonce_);
}

// Pipelined batches hold chunks at a stride of kEncryptedChunkSize. Encrypting: plaintext chunk i
// is read to i·kEncryptedChunkSize + kChunkOverhead and sealed in place, its tag written just
// before it, so the batch is the ciphertext, contiguous. Decrypting: ciphertext chunk i is read
// (contiguously) to i·kEncryptedChunkSize and opened in place; its plaintext stays after the tag.
// libsodium supports in-place operation (c == m), so a batch buffer serves both forms.

void EncryptingReader::ReadBatch(Batch& b) {
  b.data.resize(kBatchChunks * kEncryptedChunkSize);
  for (size_t i = 0; i < kBatchChunks && !b.last; ++i) {
    auto n = ReadFull(*src_, b.data.data() + i * kEncryptedChunkSize + kChunkOverhead, kChunkSize);
    if (!n) {
      b.error = n.error();
      return;
    }
    if (*n > 0) b.len += *n + kChunkOverhead;
    if (*n < kChunkSize) b.last = true;
  }
}

void EncryptingReader::SealBatch(Batch& b, uint64_t index) const {
  Nonce nonce = batch_nonce_;
  NonceAdd(nonce, index * kBatchChunks);
  for (size_t at = 0; at < b.len; at += kEncryptedChunkSize) {
    uint8_t* tag = b.data.data() + at;
    uint8_t* text = tag + kChunkOverhead;
    const size_t n = std::min(kEncryptedChunkSize, b.len - at) - kChunkOverhead;
    crypto_secretbox_detached(text, tag, text, n, nonce.data(), key_.data());
    NonceIncrement(nonce);
  }
}

Result<size_t> EncryptingReader::ReadBatches(std::span<std::byte> buf, size_t written) {
  if (!pipeline_) {
    batch_nonce_ = nonce_;
    pipeline_ = std::make_unique<BatchPipeline>([this](Batch& b) { ReadBatch(b); },
                                                [this](Batch& b, uint64_t i) { SealBatch(b, i); });
  }
  auto* dst = reinterpret_cast<uint8_t*>(buf.data());
  while (written < buf.size()) {
    if (batch_ != nullptr && batch_pos_ < batch_->len) {
      const size_t n = std::min(batch_->len - batch_pos_, buf.size() - written);
      std::memcpy(dst + written, batch_->data.data() + batch_pos_, n);
      batch_pos_ += n;
      written += n;
      continue;
    }
    if (batch_ != nullptr && batch_->error) {
      src_done_ = true;
      error_ = *batch_->error;
      if (written > 0) return written;  // report the error on the next call
      return Unexpected<Error>(*error_);
    }
    if (batch_ != nullptr && batch_->last) {
      src_done_ = true;
      break;
    }
    batch_ = &pipeline_->Next();
    batch_pos_ = 0;
  }
  return written;
}

Result<size_t> EncryptingReader::Read(std::span<std::byte> buf) {
  if (error_) return Unexpected<Error>(*error_);
  auto* dst = reinterpret_cast<uint8_t*>(buf.data());
  size_t written = 0;
  while (written < buf.size()) {
    if (out_pos_ < out_len_) {
      const size_t n = std::min(out_len_ - out_pos_, buf.size() - written);
      std::memcpy(dst + written, out_.data() + out_pos_, n);
      out_pos_ += n;
      written += n;
      continue;
    }
    if (src_done_) break;
    if (pipeline_ || (pipelined_ && chunks_ >= kPipelineAfterChunks)) {
      return ReadBatches(buf, written);
    }
    ++chunks_;
    auto n = ReadPlainChunk();
    if (!n) {
      error_ = n.error();
      if (written > 0) return written;  // report the error on the next call
      return Unexpected<Error>(*error_);
    }
    if (*n == 0) break;
    if (buf.size() - written >= *n + kChunkOverhead) {  // seal straight into the caller's buffer
      Seal(*n, dst + written);
      written += *n + kChunkOverhead;
    } else {
      Seal(*n, out_.data());
      out_pos_ = 0;
      out_len_ = *n + kChunkOverhead;
    }
  }
  return written;
}

// ---- DecryptingReader ----

DecryptingReader::DecryptingReader(const DataKey& key, std::unique_ptr<Reader> src,
                                   const Nonce& initial_nonce, uint64_t first_chunk,
                                   size_t discard, int64_t limit)
    : key_(key), src_(std::move(src)), nonce_(initial_nonce), discard_(discard), limit_(limit),
      cipher_(kEncryptedChunkSize), plain_(kChunkSize) {
  if (auto s = InitSodium(); !s) error_ = s.error();
  NonceAdd(nonce_, first_chunk);
}

Result<std::unique_ptr<DecryptingReader>> DecryptingReader::Open(const DataKey& key,
                                                                 std::unique_ptr<Reader> src,
                                                                 int64_t limit) {
  CVC_ASSIGN_OR_RETURN(Nonce nonce, ReadHeader(*src));
  return std::make_unique<DecryptingReader>(key, std::move(src), nonce, 0, 0, limit);
}

Unexpected<Error> DecryptingReader::Fail(Error e) {
  error_ = e;
  return Unexpected<Error>(std::move(e));
}

Result<size_t> DecryptingReader::NextChunk(uint8_t* out) {
  CVC_ASSIGN_OR_RETURN(size_t n, ReadFull(*src_, cipher_.data(), cipher_.size()));
  if (n == 0) return size_t{0};
  if (n <= kChunkOverhead) return TruncatedError();
  if (crypto_secretbox_open_easy(out, cipher_.data(), n, nonce_.data(), key_.data()) != 0) {
    return AuthError();
  }
  NonceIncrement(nonce_);
  return n - kChunkOverhead;
}

void DecryptingReader::ReadBatch(Batch& b) {
  b.data.resize(kBatchChunks * kEncryptedChunkSize);
  auto got = ReadFull(*src_, b.data.data(), b.data.size());
  if (!got) {
    b.error = got.error();
    return;
  }
  b.len = *got;  // ciphertext bytes until OpenBatch
  b.last = *got < b.data.size();
}

void DecryptingReader::OpenBatch(Batch& b, uint64_t index) const {
  Nonce nonce = batch_nonce_;
  NonceAdd(nonce, index * kBatchChunks);
  const size_t cipher_len = b.len;
  b.len = 0;  // now plaintext bytes: every chunk opened so far
  for (size_t at = 0; at < cipher_len; at += kEncryptedChunkSize) {
    const size_t n = std::min(kEncryptedChunkSize, cipher_len - at);
    if (n <= kChunkOverhead) {
      b.error = TruncatedError().error();
      return;
    }
    uint8_t* tag = b.data.data() + at;
    uint8_t* text = tag + kChunkOverhead;
    if (crypto_secretbox_open_detached(text, text, tag, n - kChunkOverhead, nonce.data(),
                                       key_.data()) != 0) {
      b.error = AuthError().error();
      return;
    }
    NonceIncrement(nonce);
    b.len += n - kChunkOverhead;
  }
}

namespace {

// Copies plaintext bytes [pos, pos + n) of an opened batch to dst, skipping the tags.
void CopyOpened(const uint8_t* data, size_t pos, uint8_t* dst, size_t n) {
  while (n > 0) {
    const size_t offset = pos % kChunkSize;
    const size_t take = std::min(n, kChunkSize - offset);
    std::memcpy(dst, data + (pos / kChunkSize) * kEncryptedChunkSize + kChunkOverhead + offset,
                take);
    dst += take;
    pos += take;
    n -= take;
  }
}

}  // namespace

Result<size_t> DecryptingReader::ReadBatches(std::span<std::byte> buf, size_t want) {
  if (!pipeline_) {
    batch_nonce_ = nonce_;
    pipeline_ = std::make_unique<BatchPipeline>([this](Batch& b) { ReadBatch(b); },
                                                [this](Batch& b, uint64_t i) { OpenBatch(b, i); });
  }
  auto* dst = reinterpret_cast<uint8_t*>(buf.data());
  size_t written = 0;
  while (written < want) {
    if (batch_ != nullptr && batch_pos_ < batch_->len) {
      const size_t n = std::min(want - written, batch_->len - batch_pos_);
      CopyOpened(batch_->data.data(), batch_pos_, dst + written, n);
      batch_pos_ += n;
      written += n;
      continue;
    }
    if (batch_ != nullptr && batch_->error) {
      if (written > 0) break;  // the error sticks: reported by the next call
      return Fail(*batch_->error);
    }
    if (batch_ != nullptr && batch_->last) {
      done_ = true;
      break;
    }
    batch_ = &pipeline_->Next();
    batch_pos_ = 0;
  }
  if (limit_ >= 0) limit_ -= static_cast<int64_t>(written);
  return written;
}

Result<size_t> DecryptingReader::Read(std::span<std::byte> buf) {
  if (error_) return Unexpected<Error>(*error_);
  auto* dst = reinterpret_cast<uint8_t*>(buf.data());
  size_t want = buf.size();
  if (limit_ >= 0) want = static_cast<size_t>(std::min<int64_t>(limit_, static_cast<int64_t>(want)));
  if (want > 0 && plain_pos_ == plain_len_ &&
      (pipeline_ || (!done_ && discard_ == 0 && chunks_ >= kPipelineAfterChunks))) {
    return ReadBatches(buf, want);
  }
  while (plain_pos_ == plain_len_ && !done_ && want > 0) {
    ++chunks_;
    // Whole chunk straight into the caller's buffer when nothing needs trimming.
    const bool direct = discard_ == 0 && want >= kChunkSize;
    auto n = NextChunk(direct ? dst : plain_.data());
    if (!n) return Fail(n.error());
    if (*n < kChunkSize) done_ = true;  // a short (or empty) chunk is the last one
    if (direct) {
      if (limit_ >= 0) limit_ -= static_cast<int64_t>(*n);
      return *n;
    }
    plain_pos_ = std::min(discard_, *n);
    discard_ -= plain_pos_;
    plain_len_ = *n;
  }
  const size_t n = std::min(want, plain_len_ - plain_pos_);
  std::memcpy(dst, plain_.data() + plain_pos_, n);
  plain_pos_ += n;
  if (limit_ >= 0) limit_ -= static_cast<int64_t>(n);
  return n;
}

// ---- DecryptingRandomReader ----

DecryptingRandomReader::DecryptingRandomReader(const DataKey& key,
                                               std::unique_ptr<RandomReader> src,
                                               const Nonce& nonce)
    : key_(key), src_(std::move(src)), nonce_(nonce) {
  if (auto s = InitSodium(); !s) init_error_ = s.error();
}

Result<std::unique_ptr<DecryptingRandomReader>> DecryptingRandomReader::Open(
    const DataKey& key, std::unique_ptr<RandomReader> src) {
  std::array<uint8_t, kHeaderSize> h;
  CVC_ASSIGN_OR_RETURN(size_t n, src->ReadAt(std::as_writable_bytes(std::span(h)), 0));
  MemoryReader header(std::string(reinterpret_cast<const char*>(h.data()), n));
  CVC_ASSIGN_OR_RETURN(Nonce nonce, ReadHeader(header));
  return std::make_unique<DecryptingRandomReader>(key, std::move(src), nonce);
}

Status DecryptingRandomReader::Load(uint64_t first, size_t count) {
  held_count_ = 0;
  held_len_ = 0;
  cipher_.resize(count * kEncryptedChunkSize);
  const int64_t at = kHeader + static_cast<int64_t>(first) * kEncChunk;
  CVC_ASSIGN_OR_RETURN(size_t n, src_->ReadAt(std::as_writable_bytes(std::span(cipher_)), at));
  const size_t rest = n % kEncryptedChunkSize;
  if (rest != 0 && rest <= kChunkOverhead) return TruncatedError();
  Nonce nonce = nonce_;
  NonceAdd(nonce, first);
  std::array<uint8_t, crypto_onetimeauth_poly1305_KEYBYTES> mac_key;
  for (size_t pos = 0; pos < n; pos += kEncryptedChunkSize) {
    const size_t len = std::min(kEncryptedChunkSize, n - pos);
    // secretbox: the first 32 keystream bytes are the chunk's one-time Poly1305 key.
    crypto_stream_xsalsa20(mac_key.data(), mac_key.size(), nonce.data(), key_.data());
    const uint8_t* tag = cipher_.data() + pos;
    const int bad = crypto_onetimeauth_poly1305_verify(tag, tag + kChunkOverhead,
                                                       len - kChunkOverhead, mac_key.data());
    sodium_memzero(mac_key.data(), mac_key.size());
    if (bad != 0) return AuthError();
    NonceIncrement(nonce);
  }
  held_first_ = first;
  held_count_ = (n + kEncryptedChunkSize - 1) / kEncryptedChunkSize;
  held_len_ = n;
  return Ok();
}

size_t DecryptingRandomReader::PlainSize(uint64_t index) const {
  const size_t pos = static_cast<size_t>(index - held_first_) * kEncryptedChunkSize;
  return std::min(kEncryptedChunkSize, held_len_ - pos) - kChunkOverhead;
}

void DecryptingRandomReader::DecryptPart(uint64_t index, size_t from, size_t n,
                                         uint8_t* out) const {
  constexpr size_t kBlock = 64;        // XSalsa20 keystream block
  constexpr size_t kMacKeyBytes = 32;  // keystream bytes before the message's
  Nonce nonce = nonce_;
  NonceAdd(nonce, index);
  const uint8_t* in = cipher_.data() +
                      static_cast<size_t>(index - held_first_) * kEncryptedChunkSize +
                      kChunkOverhead + from;
  size_t stream_pos = kMacKeyBytes + from;
  if (const size_t pad = stream_pos % kBlock; pad != 0) {  // up to the next block boundary
    const size_t head = std::min(n, kBlock - pad);
    std::array<uint8_t, kBlock> block{};
    std::memcpy(block.data() + pad, in, head);
    crypto_stream_xsalsa20_xor_ic(block.data(), block.data(), pad + head, nonce.data(),
                                  stream_pos / kBlock, key_.data());
    std::memcpy(out, block.data() + pad, head);
    sodium_memzero(block.data(), block.size());
    in += head;
    out += head;
    n -= head;
    stream_pos += head;
  }
  if (n > 0) {
    crypto_stream_xsalsa20_xor_ic(out, in, n, nonce.data(), stream_pos / kBlock, key_.data());
  }
}

Result<size_t> DecryptingRandomReader::ReadAt(std::span<std::byte> buf, int64_t offset) {
  if (init_error_) return Unexpected<Error>(*init_error_);
  if (offset < 0) return MakeError(ErrorCode::kInvalidArgument, "crypt: negative offset");
  auto* dst = reinterpret_cast<uint8_t*>(buf.data());
  size_t done = 0;
  while (done < buf.size()) {
    const int64_t pos = offset + static_cast<int64_t>(done);
    const auto index = static_cast<uint64_t>(pos / kChunk);
    const auto within = static_cast<size_t>(pos % kChunk);
    if (!Holds(index)) {
      const auto last =
          static_cast<uint64_t>((pos + static_cast<int64_t>(buf.size() - done) - 1) / kChunk);
      CVC_RETURN_IF_ERROR(
          Load(index, static_cast<size_t>(std::min<uint64_t>(last - index + 1, kBatchChunks))));
      if (!Holds(index)) break;  // past the end
    }
    const size_t plain = PlainSize(index);
    if (within >= plain) break;
    const size_t n = std::min(buf.size() - done, plain - within);
    DecryptPart(index, within, n, dst + done);
    done += n;
    if (plain < kChunkSize) break;  // the last chunk
  }
  return done;
}

}  // namespace cvclone::crypt
