#include "backends/encfs/encfs_data.hpp"

#include <algorithm>
#include <cstring>

#include "core/io.hpp"

namespace cvclone::encfs {
namespace {

bool AllZero(std::span<const uint8_t> b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
}

// A DecryptingReader's buffer: whole blocks, kReadAhead bytes or fewer when the stream is known
// to be shorter (known: its stored bytes, -1 if unknown), at least one block.
size_t ReadAheadBytes(const DataLayout& layout, int64_t known) {
  const size_t block = static_cast<size_t>(layout.block);
  size_t blocks = std::max<size_t>(1, kReadAhead / block);
  if (known >= 0) {
    blocks = std::clamp<size_t>((static_cast<size_t>(known) + block - 1) / block, 1, blocks);
  }
  return blocks * block;
}

Unexpected<Error> BlockError(int64_t block_number, const std::string& what) {
  return MakeError(ErrorCode::kCorrupt, "block " + std::to_string(block_number) + ": " + what);
}

}  // namespace

DataLayout DataLayout::From(const VolumeConfig& config) {
  DataLayout l;
  l.header = config.unique_iv ? kHeaderBytes : 0;
  l.block = config.block_size;
  l.mac_header = config.mac_header();
  l.mac_bytes = config.mac_bytes;
  l.allow_holes = config.allow_holes;
  l.plain = config.plain_data;
  return l;
}

Result<int64_t> DataLayout::PlainSize(int64_t stored_size) const {
  if (stored_size <= 0) return int64_t{0};
  int64_t s = stored_size;
  if (header > 0) {
    if (s < header) {
      return MakeError(ErrorCode::kCorrupt, "truncated file: " + std::to_string(stored_size) +
                                                " bytes cannot hold the 8-byte IV header");
    }
    s -= header;
  }
  if (mac_header > 0 && s > 0) {
    const int64_t blocks = (s + block - 1) / block;
    const int64_t last = s - (blocks - 1) * block;
    if (last <= mac_header) {
      return MakeError(ErrorCode::kCorrupt, "truncated file: its last block of " +
                                                std::to_string(last) +
                                                " bytes holds no data after its MAC header");
    }
    s -= blocks * mac_header;
  }
  return s;
}

int64_t DataLayout::StoredSize(int64_t plain_size) const {
  if (plain_size <= 0) return 0;
  const int64_t d = data_per_block();
  return header + plain_size + (plain_size + d - 1) / d * mac_header;
}

BlockRange MapRange(const DataLayout& layout, int64_t offset, int64_t count) {
  const int64_t d = layout.data_per_block();
  BlockRange r;
  r.first_block = offset / d;
  r.discard = offset % d;
  r.stored_offset = layout.header + r.first_block * layout.block;
  if (count >= 0) {
    const int64_t last_block = count == 0 ? r.first_block : (offset + count - 1) / d;
    r.stored_count = (last_block - r.first_block + 1) * layout.block;
  }
  return r;
}

Result<uint64_t> DecodeFileIv(CipherSession& s, const DataLayout& layout,
                              const uint8_t (&header)[kHeaderBytes], uint64_t external_iv) {
  uint8_t buf[kHeaderBytes];
  std::memcpy(buf, header, sizeof buf);
  if (!layout.plain) CVC_RETURN_IF_ERROR(s.StreamDecode(buf, external_iv));
  uint64_t iv = 0;
  for (uint8_t b : buf) iv = (iv << 8) | b;
  return iv;
}

Result<size_t> DecodeBlock(CipherSession& s, const DataLayout& layout, uint64_t file_iv,
                           int64_t block_number, std::span<uint8_t> buf) {
  const uint64_t seed = static_cast<uint64_t>(block_number) ^ file_iv;
  if (!layout.plain) {
    if (static_cast<int64_t>(buf.size()) == layout.block) {
      // A hole (or a copy of one): all-zero stored blocks are all-zero plaintext.
      if (!(layout.allow_holes && AllZero(buf))) CVC_RETURN_IF_ERROR(s.BlockDecode(buf, seed));
    } else {
      CVC_RETURN_IF_ERROR(s.StreamDecode(buf, seed));
    }
  }
  const size_t h = static_cast<size_t>(layout.mac_header);
  if (h == 0) return buf.size();
  if (buf.size() <= h) {
    return BlockError(block_number, "truncated: " + std::to_string(buf.size()) +
                                        " bytes hold no data after the MAC header");
  }
  const bool hole = layout.allow_holes && AllZero(buf);
  if (layout.mac_bytes > 0 && !hole) {
    const auto macd = buf.subspan(static_cast<size_t>(layout.mac_bytes));
    // With plain data encfs's null cipher has an all-zero MAC.
    uint64_t mac = 0;
    if (!layout.plain) {
      CVC_ASSIGN_OR_RETURN(mac, s.Mac64(macd));
    }
    uint8_t diff = 0;
    for (int i = 0; i < layout.mac_bytes; ++i, mac >>= 8) {
      diff |= static_cast<uint8_t>((mac & 0xff) ^ buf[static_cast<size_t>(i)]);
    }
    if (diff != 0) {
      return BlockError(block_number,
                        "MAC mismatch: the data was changed or damaged (or the key is wrong)");
    }
  }
  return buf.size() - h;
}

DecryptingReader::DecryptingReader(std::unique_ptr<CipherSession> session, const DataLayout& layout,
                                   uint64_t file_iv, std::unique_ptr<Reader> stored,
                                   const BlockRange& range, int64_t count, std::string context,
                                   int64_t stored_size)
    : session_(std::move(session)),
      layout_(layout),
      file_iv_(file_iv),
      stored_(std::move(stored)),
      block_number_(range.first_block),
      discard_(range.discard),
      remaining_(count),
      context_(std::move(context)),
      buf_size_(
          ReadAheadBytes(layout, range.stored_count >= 0 ? range.stored_count : stored_size)) {
  buf_ = std::make_unique_for_overwrite<uint8_t[]>(buf_size_);
}

Status DecryptingReader::NextBlock() {
  pos_ = end_ = 0;
  if (next_block_ >= filled_) {
    if (stored_done_) {
      eof_ = true;
      return Ok();
    }
    CVC_ASSIGN_OR_RETURN(
        filled_, ReadFull(*stored_, std::span<std::byte>(reinterpret_cast<std::byte*>(buf_.get()),
                                                         buf_size_)));
    next_block_ = 0;
    if (filled_ < buf_size_) stored_done_ = true;  // only the last block may be partial
    if (filled_ == 0) {
      eof_ = true;
      return Ok();
    }
  }
  const size_t n = std::min(static_cast<size_t>(layout_.block), filled_ - next_block_);
  auto data = DecodeBlock(*session_, layout_, file_iv_, block_number_,
                          std::span<uint8_t>(buf_.get() + next_block_, n));
  if (!data) return Propagate(data.error());
  pos_ = next_block_ + static_cast<size_t>(layout_.mac_header);
  end_ = pos_ + *data;
  if (discard_ > 0) {
    pos_ += std::min(static_cast<size_t>(discard_), *data);
    discard_ = 0;
  }
  next_block_ += n;
  ++block_number_;
  return Ok();
}

Result<size_t> DecryptingReader::Read(std::span<std::byte> buf) {
  if (error_) return Unexpected<Error>(*error_);
  size_t done = 0;
  while (done < buf.size() && remaining_ != 0) {
    if (pos_ == end_) {
      if (eof_) break;
      if (Status s = NextBlock(); !s) {
        error_ = s.error().WithContext(context_);
        if (done > 0) break;  // the bytes so far are good; the error comes with the next read
        return Unexpected<Error>(*error_);
      }
      continue;
    }
    size_t n = std::min(buf.size() - done, end_ - pos_);
    if (remaining_ > 0) n = std::min(n, static_cast<size_t>(remaining_));
    std::memcpy(buf.data() + done, buf_.get() + pos_, n);
    pos_ += n;
    done += n;
    if (remaining_ > 0) remaining_ -= static_cast<int64_t>(n);
  }
  return done;
}

}  // namespace cvclone::encfs
