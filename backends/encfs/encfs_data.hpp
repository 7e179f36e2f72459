// encfs file contents (ENCFS-FORMAT.md §4): an optional 8-byte IV header, then blocks of
// block_size bytes, each decrypted on its own (full blocks CBC, the final partial block stream
// mode), each optionally starting with a MAC header.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/encfs/encfs_cipher.hpp"
#include "backends/encfs/encfs_config.hpp"
#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone::encfs {

inline constexpr int64_t kHeaderBytes = 8;
// How many stored bytes a DecryptingReader reads at once (rounded down to whole blocks): one
// request per block would cost a system call (or more) per kilobyte. Less for a stream known to
// be shorter: most files of a tree are far smaller, and a buffer of this size for each would
// cost more to allocate than to fill.
inline constexpr size_t kReadAhead = 256 * 1024;

// The shape of a volume's files, from its config.
struct DataLayout {
  int64_t header = 0;      // 8 with unique IVs, else 0
  int64_t block = 0;       // stored bytes per block
  int64_t mac_header = 0;  // MAC + random bytes at the start of each block
  int mac_bytes = 0;
  bool allow_holes = false;
  bool plain = false;  // contents not encrypted (plainData)

  static DataLayout From(const VolumeConfig& config);
  int64_t data_per_block() const { return block - mac_header; }

  // The plaintext size of a stored file of stored_size bytes, computed without reading it.
  // kCorrupt ("truncated ...") for a size no encfs file can have: a partial IV header, or a final
  // block too short to hold any data after its MAC header.
  Result<int64_t> PlainSize(int64_t stored_size) const;
  // The inverse (for a plaintext size a listing gave).
  int64_t StoredSize(int64_t plain_size) const;
};

// Which stored bytes a plaintext range needs: whole blocks from first_block, `discard` bytes of
// the first block's data dropped. count -1 means to the end.
struct BlockRange {
  int64_t first_block = 0;
  int64_t discard = 0;
  int64_t stored_offset = 0;  // where first_block starts in the stored file
  int64_t stored_count = -1;  // -1: to the end
};
BlockRange MapRange(const DataLayout& layout, int64_t offset, int64_t count);

// The file IV of a file: the 8-byte header stream-decoded with the external IV (the file's
// chain value with external IV chaining, else 0), read as BE. kInternal only when OpenSSL fails.
Result<uint64_t> DecodeFileIv(CipherSession& s, const DataLayout& layout,
                              const uint8_t (&header)[kHeaderBytes], uint64_t external_iv);

// Decrypts one stored block in place and returns how many data bytes it holds (they then start
// at buf.data() + layout.mac_header). kCorrupt "block N: ..." when the MAC does not match or the
// block is too short to hold data (a truncated file).
Result<size_t> DecodeBlock(CipherSession& s, const DataLayout& layout, uint64_t file_iv,
                           int64_t block_number, std::span<uint8_t> buf);

// A stream of plaintext from a stored stream that starts at range.stored_offset. Reads whole
// blocks, several per read of the stored stream (memory: kReadAhead bytes, at least one block;
// less when range.stored_count, else stored_size, says the stream is shorter), and decodes each
// as its data is asked for. stored_size: the stored bytes from range.stored_offset to the end
// of the file, if known (-1 if not); only a hint, the stream may be longer or shorter. Yields
// at most `count` bytes (-1: all). Errors are kCorrupt or the inner stream's, prefixed with
// `context` ("encfs: PATH").
class DecryptingReader : public Reader {
 public:
  DecryptingReader(std::unique_ptr<CipherSession> session, const DataLayout& layout,
                   uint64_t file_iv, std::unique_ptr<Reader> stored, const BlockRange& range,
                   int64_t count, std::string context, int64_t stored_size = -1);

  Result<size_t> Read(std::span<std::byte> buf) override;
  std::string Version() const override { return stored_->Version(); }
  // What the stored stream reported, translated to plaintext by the caller (whole-object opens).
  const ObjectInfo* OpenedInfo() const override { return opened_ ? &*opened_ : nullptr; }
  void SetOpenedInfo(ObjectInfo info) { opened_ = std::move(info); }

 private:
  Status NextBlock();

  std::unique_ptr<CipherSession> session_;
  DataLayout layout_;
  uint64_t file_iv_;
  std::unique_ptr<Reader> stored_;
  int64_t block_number_;
  int64_t discard_;
  int64_t remaining_;  // -1: unlimited
  std::string context_;
  // Stored bytes read ahead: [0, filled_) of buf_, whole blocks except a final partial one.
  // Not zeroed: only bytes read into it are used.
  std::unique_ptr<uint8_t[]> buf_;
  size_t buf_size_;
  size_t filled_ = 0;
  size_t next_block_ = 0;  // where the next undecoded block starts in buf_
  bool stored_done_ = false;  // the stored stream has ended
  size_t pos_ = 0;  // next data byte of the current block in buf_
  size_t end_ = 0;  // end of that block's data in buf_
  bool eof_ = false;
  std::optional<Error> error_;
  std::optional<ObjectInfo> opened_;
};

}  // namespace cvclone::encfs
