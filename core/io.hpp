// I/O helpers around the Reader pull stream (core/remote.hpp): in-memory readers, hashing,
// counting and limiting wrappers, and small whole-stream utilities.
//
// Threads: each object here is used by one thread at a time (like Reader). Wrappers that take a
// `Reader&` do not own it; it must outlive the wrapper. Wrappers that take a unique_ptr own it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/context.hpp"
#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone {

// Default buffer size for streaming copies. Change only with a benchmark that shows why.
constexpr size_t kCopyBufferSize = 1 << 20;

// Views of text as bytes and back (no copy).
std::span<const std::byte> AsBytes(std::string_view s);
std::span<std::byte> AsWritableBytes(std::string& s);
std::string_view AsStringView(std::span<const std::byte> bytes);

// Lower-case hex of the bytes.
std::string HexEncode(std::span<const std::byte> bytes);
// text with each "%XX" (two hex digits, either case) replaced by that byte; nullopt when a '%'
// is not followed by two hex digits. '+' stays '+' (it is a space only in form data).
std::optional<std::string> PercentDecode(std::string_view text);

// Reads from a byte buffer. The owning constructors copy/move the data in; the View form reads a
// buffer the caller keeps alive for the reader's lifetime. Never fails.
class MemoryReader : public Reader {
 public:
  struct ViewTag {};
  static constexpr ViewTag kView{};

  explicit MemoryReader(std::string data);
  explicit MemoryReader(std::span<const std::byte> data);
  MemoryReader(ViewTag, std::string_view data);
  MemoryReader(const MemoryReader&) = delete;
  MemoryReader& operator=(const MemoryReader&) = delete;

  Result<size_t> Read(std::span<std::byte> buf) override;

  size_t size() const { return view_.size(); }
  size_t remaining() const { return view_.size() - pos_; }

 private:
  std::string owned_;
  std::string_view view_;
  size_t pos_ = 0;
};

// Computes the hashes in a HashSet (MD5, SHA-1, SHA-256) with OpenSSL EVP.
class Hasher {
 public:
  explicit Hasher(HashSet types);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void Update(std::span<const std::byte> data);
  void Update(std::string_view data) { Update(AsBytes(data)); }
  // The lower-case hex digest of every type asked for, of all data so far. Does not end hashing:
  // Update may be called again and Finish then covers the longer input.
  std::map<HashType, std::string> Finish() const;
  HashSet types() const { return types_; }

 private:
  struct State;
  HashSet types_;
  std::unique_ptr<State> state_;
};

// Hashes every byte that passes through. Sums() is the digest of what has been read; after Read
// returned 0 (EOF) that is the whole stream. Errors from the inner reader are passed on.
class HashingReader : public Reader {
 public:
  HashingReader(Reader& inner, HashSet types);
  HashingReader(std::unique_ptr<Reader> inner, HashSet types);

  Result<size_t> Read(std::span<std::byte> buf) override;
  std::map<HashType, std::string> Sums() const { return hasher_.Finish(); }
  bool eof() const { return eof_; }
  int64_t bytes() const { return bytes_; }

 private:
  std::unique_ptr<Reader> owned_;
  Reader* inner_;
  Hasher hasher_;
  int64_t bytes_ = 0;
  bool eof_ = false;
};

// Counts the bytes that pass through and, if given, calls on_read(n) after each successful read
// of n > 0 bytes (for progress accounting).
class CountingReader : public Reader {
 public:
  explicit CountingReader(Reader& inner, std::function<void(size_t)> on_read = nullptr);
  explicit CountingReader(std::unique_ptr<Reader> inner,
                          std::function<void(size_t)> on_read = nullptr);

  Result<size_t> Read(std::span<std::byte> buf) override;
  int64_t count() const { return count_; }

 private:
  std::unique_ptr<Reader> owned_;
  Reader* inner_;
  std::function<void(size_t)> on_read_;
  int64_t count_ = 0;
};

// Yields at most `limit` bytes of the inner reader, then EOF (it does not read further).
class LimitReader : public Reader {
 public:
  LimitReader(Reader& inner, int64_t limit);
  LimitReader(std::unique_ptr<Reader> inner, int64_t limit);

  Result<size_t> Read(std::span<std::byte> buf) override;

 private:
  std::unique_ptr<Reader> owned_;
  Reader* inner_;
  int64_t remaining_;
};

// Reads bytes [0, size) of an open file with pread (the descriptor's offset is neither used nor
// moved). kOwn closes the descriptor at destruction. A file that ends before `size` is kIo;
// errors name `what` ("the cache file ...").
class FdReader : public Reader {
 public:
  enum Ownership { kBorrow, kOwn };
  FdReader(int fd, int64_t size, Ownership ownership, std::string what);
  ~FdReader() override;
  FdReader(const FdReader&) = delete;
  FdReader& operator=(const FdReader&) = delete;

  Result<size_t> Read(std::span<std::byte> buf) override;

 private:
  int fd_;
  int64_t size_;
  Ownership ownership_;
  std::string what_;
  int64_t pos_ = 0;
};

// Checks ctx (cancel, deadline) before each read of the inner reader and fails with
// kCancelled / kTimeout once it is stopped.
class ContextReader : public Reader {
 public:
  ContextReader(const Context& ctx, Reader& inner);
  ContextReader(const Context& ctx, std::unique_ptr<Reader> inner);

  Result<size_t> Read(std::span<std::byte> buf) override;

 private:
  Context ctx_;
  std::unique_ptr<Reader> owned_;
  Reader* inner_;
};

// Reads into buf until it is full or the stream ends; returns how many bytes were read. The
// Context form checks ctx before each read (kCancelled / kTimeout).
Result<size_t> ReadFull(Reader& r, std::span<std::byte> buf);
Result<size_t> ReadFull(const Context& ctx, Reader& r, std::span<std::byte> buf);

// Reads r to EOF. Fails with kInvalidArgument if the stream holds more than max bytes, or with
// the reader's error.
Result<std::string> ReadAll(Reader& r, size_t max = SIZE_MAX);

// Reads r to EOF and returns its hashes (lower-case hex, one per type in types). The Context
// form checks ctx between buffers.
Result<std::map<HashType, std::string>> HashReader(Reader& r, HashSet types);
Result<std::map<HashType, std::string>> HashReader(const Context& ctx, Reader& r, HashSet types);

// Hashes of an in-memory buffer.
std::map<HashType, std::string> HashBytes(std::span<const std::byte> data, HashSet types);

}  // namespace cvclone
