// File contents in rclone's crypt format (CRYPT-FORMAT.md §1.3):
//   "RCLONE\0\0" ‖ nonce N0 (24) ‖ secretbox(chunk0, N0) ‖ secretbox(chunk1, N0+1) ‖ …
// with 64 KiB plaintext chunks, each sealed with XSalsa20-Poly1305 (libsodium
// crypto_secretbox_easy: 16-byte tag, then ciphertext). An empty file is the header only.
//
// Readers here are pull streams (core/remote.hpp): an EncryptingReader for uploads and a
// DecryptingReader for downloads, each holding at most two chunk buffers; and a
// DecryptingRandomReader for positioned reads (a mount's reads after a seek). None names the file
// in its errors; that is the caller's job. Like every Reader, one thread at a time.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "core/remote.hpp"
#include "crypt/keys.hpp"
#include "crypt/pipeline.hpp"

namespace cvclone::crypt {

constexpr size_t kMagicSize = 8;
constexpr size_t kNonceSize = 24;
constexpr size_t kHeaderSize = kMagicSize + kNonceSize;  // 32
constexpr size_t kChunkSize = 64 * 1024;                 // plaintext bytes per chunk
constexpr size_t kChunkOverhead = 16;                    // Poly1305 tag
constexpr size_t kEncryptedChunkSize = kChunkSize + kChunkOverhead;  // 65552
extern const std::array<uint8_t, kMagicSize> kFileMagic;              // "RCLONE\0\0"

using Nonce = std::array<uint8_t, kNonceSize>;

// Initialises libsodium once per process (thread-safe). kInternal if it cannot.
Status InitSodium();
// A fresh nonce from libsodium's randombytes_buf.
Result<Nonce> RandomNonce();
// Adds 1 / `n` to the nonce as a 192-bit little-endian integer, wrapping at 2^192.
void NonceIncrement(Nonce& nonce);
void NonceAdd(Nonce& nonce, uint64_t n);

// Ciphertext size for a plaintext of n bytes. kInvalidArgument if n < 0.
Result<int64_t> EncryptedSize(int64_t n);
// Plaintext size for a ciphertext of m bytes. kCorrupt "file is too short to be encrypted" for
// m < 32, "file has truncated block header" when the last chunk holds 1..16 bytes.
Result<int64_t> DecryptedSize(int64_t m);

// Which part of the ciphertext a plaintext range needs: whole chunks, from first_chunk on.
struct ChunkRange {
  int64_t offset = kHeaderSize;  // underlying offset of first_chunk
  int64_t count = -1;            // underlying bytes to read; -1 to the end
  uint64_t first_chunk = 0;      // its nonce is N0 + first_chunk
  size_t discard = 0;            // plaintext bytes to drop from first_chunk
};
// For plaintext [offset, offset+count) (count -1: to the end; offset < 0 counts as 0).
ChunkRange MapRange(int64_t offset, int64_t count);

// The 32-byte header for a nonce.
std::array<uint8_t, kHeaderSize> MakeHeader(const Nonce& nonce);
// Reads the 32-byte header from src and returns N0. kCorrupt "file is too short to be
// encrypted" on a short stream, "not an encrypted file - bad magic string" on a bad magic; the
// reader's own errors pass through.
Result<Nonce> ReadHeader(Reader& src);

// Chunks handled in the calling thread before a pipelined reader starts its workers (so small
// files never pay for threads), and chunks per pipeline batch.
constexpr size_t kPipelineAfterChunks = 16;
constexpr size_t kBatchChunks = 16;

// Encrypts a plaintext stream: yields the header, then the sealed chunks. The source must outlive
// this reader. Errors from the source are passed on (sticky).
//
// Pipelined: after the first kPipelineAfterChunks chunks, the reader starts a BatchPipeline (one
// worker per core, at most depth() batches of kBatchChunks chunks ahead of Read, about 4 MiB on
// two cores): the workers take turns reading the source a batch at a time and seal their batches
// in place concurrently, so sealing runs on every core and overlaps the consumer's I/O. The source
// is then read from the workers (one thread at a time still), and destroying the reader waits for
// a source Read in progress: use it only with sources that do not block indefinitely (files, not
// a terminal). The output is the same bytes either way.
class EncryptingReader : public Reader {
 public:
  // With a given initial nonce (tests, cryptcheck re-encryption).
  EncryptingReader(const DataKey& key, Reader& src, const Nonce& nonce, bool pipelined = false);
  // With a random nonce.
  static Result<std::unique_ptr<EncryptingReader>> Create(const DataKey& key, Reader& src,
                                                          bool pipelined = false);

  Result<size_t> Read(std::span<std::byte> buf) override;
  std::string Version() const override { return src_->Version(); }
  const Nonce& nonce() const { return initial_nonce_; }

 private:
  // Reads up to one chunk of plaintext; returns its size (0 at end of stream).
  Result<size_t> ReadPlainChunk();
  void Seal(size_t n, uint8_t* out);
  // Pipeline stages: reads up to kBatchChunks plaintext chunks into b, each where its sealed form
  // goes; seals them in place.
  void ReadBatch(Batch& b);
  void SealBatch(Batch& b, uint64_t index) const;
  // Read() once the pipeline runs; `written` bytes of buf are already filled.
  Result<size_t> ReadBatches(std::span<std::byte> buf, size_t written);

  WipedDataKey key_;  // first: destroyed after the pipeline has stopped
  Reader* src_;
  Nonce initial_nonce_;
  Nonce nonce_;
  std::vector<uint8_t> plain_;
  std::vector<uint8_t> out_;  // pending output (the header, or a sealed chunk)
  size_t out_pos_ = 0;
  size_t out_len_ = 0;
  bool src_done_ = false;
  std::optional<Error> error_;
  bool pipelined_;
  uint64_t chunks_ = 0;  // sealed in the calling thread
  Nonce batch_nonce_;    // the nonce of the pipeline's first chunk
  Batch* batch_ = nullptr;
  size_t batch_pos_ = 0;
  std::unique_ptr<BatchPipeline> pipeline_;  // last: stopped first on destruction
};

// Decrypts a ciphertext stream. Errors: kCorrupt "file has truncated block header" for a last
// chunk of ≤16 bytes, kCorrupt "failed to authenticate decrypted block: wrong password or
// corrupted data" when a chunk fails authentication; the source's errors pass through. Errors
// are sticky. After the first kPipelineAfterChunks chunks of a long read, the source is read and
// the chunks opened in place on the pipeline's workers ahead of Read (as EncryptingReader's
// pipeline; the owned source must not block indefinitely).
class DecryptingReader : public Reader {
 public:
  // src yields ciphertext from the start of chunk first_chunk (after the header when 0), whose
  // nonce is initial_nonce + first_chunk (see MapRange). The first `discard` plaintext bytes are
  // dropped and at most `limit` bytes (-1: no limit) are returned.
  DecryptingReader(const DataKey& key, std::unique_ptr<Reader> src, const Nonce& initial_nonce,
                   uint64_t first_chunk = 0, size_t discard = 0, int64_t limit = -1);
  // Reads and checks the header from src (see ReadHeader), then decrypts from chunk 0.
  static Result<std::unique_ptr<DecryptingReader>> Open(const DataKey& key,
                                                        std::unique_ptr<Reader> src,
                                                        int64_t limit = -1);

  Result<size_t> Read(std::span<std::byte> buf) override;

 private:
  // Reads and opens the next chunk into `out` (capacity ≥ kChunkSize); returns its plaintext
  // size, 0 at end of stream.
  Result<size_t> NextChunk(uint8_t* out);
  Unexpected<Error> Fail(Error e);
  // Pipeline stages: reads up to kBatchChunks ciphertext chunks into b; opens them in place.
  void ReadBatch(Batch& b);
  void OpenBatch(Batch& b, uint64_t index) const;
  Result<size_t> ReadBatches(std::span<std::byte> buf, size_t want);

  WipedDataKey key_;  // first: destroyed after the pipeline has stopped
  std::unique_ptr<Reader> src_;
  Nonce nonce_;
  size_t discard_;
  int64_t limit_;
  std::vector<uint8_t> cipher_;
  std::vector<uint8_t> plain_;
  size_t plain_pos_ = 0;
  size_t plain_len_ = 0;
  bool done_ = false;
  std::optional<Error> error_;
  uint64_t chunks_ = 0;  // opened in the calling thread
  Nonce batch_nonce_;    // the nonce of the pipeline's first chunk
  Batch* batch_ = nullptr;
  size_t batch_pos_ = 0;
  std::unique_ptr<BatchPipeline> pipeline_;  // last: stopped first on destruction
};

// Positioned reads of the plaintext of an encrypted object, given positioned reads of its
// ciphertext (src, the whole object from its header on). A read fetches only the chunks it
// touches (one src read per kBatchChunks chunks) and authenticates each of them whole (Poly1305
// over the chunk's ciphertext) before any of its bytes is returned; it then decrypts only the
// bytes asked for (XSalsa20 from the keystream block that covers them), since a 4 KiB read of a
// 64 KiB chunk need not pay for the other 60 KiB. The chunks of the last read are kept
// (authenticated ciphertext, at most kBatchChunks), so the next read of one of them costs no I/O.
// Errors, not sticky: kCorrupt "file has truncated block header" when a touched last chunk holds
// 1..16 bytes, "failed to authenticate decrypted block: ..." when a touched chunk fails
// authentication (no byte of that read is returned); src's errors pass through. An object cut
// at a chunk boundary reads as a shorter one (as with DecryptingReader: the caller knows the
// size it expects).
class DecryptingRandomReader : public RandomReader {
 public:
  // nonce: the object's initial nonce (its header, see ReadHeader).
  DecryptingRandomReader(const DataKey& key, std::unique_ptr<RandomReader> src, const Nonce& nonce);
  // Reads and checks the header through src (errors as ReadHeader's).
  static Result<std::unique_ptr<DecryptingRandomReader>> Open(const DataKey& key,
                                                              std::unique_ptr<RandomReader> src);

  Result<size_t> ReadAt(std::span<std::byte> buf, int64_t offset) override;

 private:
  // Reads chunks [first, first + count) (fewer at the end of the object) and authenticates
  // them; they become the held chunks. On error nothing is held.
  Status Load(uint64_t first, size_t count);
  bool Holds(uint64_t index) const {
    return index >= held_first_ && index - held_first_ < held_count_;
  }
  // Plaintext bytes of held chunk `index`.
  size_t PlainSize(uint64_t index) const;
  // Decrypts plaintext bytes [from, from + n) of held chunk `index` into out.
  void DecryptPart(uint64_t index, size_t from, size_t n, uint8_t* out) const;

  WipedDataKey key_;
  std::unique_ptr<RandomReader> src_;
  Nonce nonce_;
  // The held chunks' ciphertext, each at a kEncryptedChunkSize stride.
  std::vector<uint8_t> cipher_;
  uint64_t held_first_ = 0;
  uint64_t held_count_ = 0;
  size_t held_len_ = 0;  // ciphertext bytes held
  std::optional<Error> init_error_;
};

}  // namespace cvclone::crypt
