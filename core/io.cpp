#include "core/io.hpp"

#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <cstring>
#include <vector>

namespace cvclone {

std::span<const std::byte> AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

std::span<std::byte> AsWritableBytes(std::string& s) {
  return {reinterpret_cast<std::byte*>(s.data()), s.size()};
}

std::string_view AsStringView(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::string HexEncode(std::span<const std::byte> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::byte b : bytes) {
    const auto v = static_cast<unsigned>(b);
    out.push_back(kDigits[v >> 4]);
    out.push_back(kDigits[v & 0xF]);
  }
  return out;
}

// ---- MemoryReader ----

MemoryReader::MemoryReader(std::string data) : owned_(std::move(data)), view_(owned_) {}

MemoryReader::MemoryReader(std::span<const std::byte> data)
    : owned_(AsStringView(data)), view_(owned_) {}

MemoryReader::MemoryReader(ViewTag, std::string_view data) : view_(data) {}

Result<size_t> MemoryReader::Read(std::span<std::byte> buf) {
  const size_t n = std::min(buf.size(), view_.size() - pos_);
  if (n > 0) std::memcpy(buf.data(), view_.data() + pos_, n);
  pos_ += n;
  return n;
}

// ---- Hasher ----

namespace {

struct EvpCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using EvpCtx = std::unique_ptr<EVP_MD_CTX, EvpCtxDeleter>;

const EVP_MD* MdFor(HashType type) {
  switch (type) {
    case HashType::kMd5:
      return EVP_md5();
    case HashType::kSha1:
      return EVP_sha1();
    case HashType::kSha256:
      return EVP_sha256();
    case HashType::kNone:
      break;
  }
  return nullptr;
}

constexpr HashType kAllHashTypes[] = {HashType::kMd5, HashType::kSha1, HashType::kSha256};

}  // namespace

struct Hasher::State {
  std::vector<std::pair<HashType, EvpCtx>> digests;
};

Hasher::Hasher(HashSet types) : types_(types), state_(std::make_unique<State>()) {
  for (HashType t : kAllHashTypes) {
    if (!types.Has(t)) continue;
    EvpCtx ctx(EVP_MD_CTX_new());
    // Allocation or init failure of a built-in digest is not an expected condition.
    if (!ctx || EVP_DigestInit_ex(ctx.get(), MdFor(t), nullptr) != 1) std::abort();
    state_->digests.emplace_back(t, std::move(ctx));
  }
}

Hasher::~Hasher() = default;

void Hasher::Update(std::span<const std::byte> data) {
  if (data.empty()) return;
  for (auto& [type, ctx] : state_->digests) {
    if (EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1) std::abort();
  }
}

std::map<HashType, std::string> Hasher::Finish() const {
  std::map<HashType, std::string> out;
  for (const auto& [type, ctx] : state_->digests) {
    // Finalise a copy so that hashing may go on.
    EvpCtx copy(EVP_MD_CTX_new());
    if (!copy || EVP_MD_CTX_copy_ex(copy.get(), ctx.get()) != 1) std::abort();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(copy.get(), md, &len) != 1) std::abort();
    out[type] = HexEncode(std::span<const std::byte>(reinterpret_cast<std::byte*>(md), len));
  }
  return out;
}

// ---- HashingReader ----

HashingReader::HashingReader(Reader& inner, HashSet types) : inner_(&inner), hasher_(types) {}

HashingReader::HashingReader(std::unique_ptr<Reader> inner, HashSet types)
    : owned_(std::move(inner)), inner_(owned_.get()), hasher_(types) {}

Result<size_t> HashingReader::Read(std::span<std::byte> buf) {
  CVC_ASSIGN_OR_RETURN(size_t n, inner_->Read(buf));
  if (n == 0 && !buf.empty()) eof_ = true;
  hasher_.Update(buf.first(n));
  bytes_ += static_cast<int64_t>(n);
  return n;
}

// ---- CountingReader ----

CountingReader::CountingReader(Reader& inner, std::function<void(size_t)> on_read)
    : inner_(&inner), on_read_(std::move(on_read)) {}

CountingReader::CountingReader(std::unique_ptr<Reader> inner, std::function<void(size_t)> on_read)
    : owned_(std::move(inner)), inner_(owned_.get()), on_read_(std::move(on_read)) {}

Result<size_t> CountingReader::Read(std::span<std::byte> buf) {
  CVC_ASSIGN_OR_RETURN(size_t n, inner_->Read(buf));
  count_ += static_cast<int64_t>(n);
  if (n > 0 && on_read_) on_read_(n);
  return n;
}

// ---- LimitReader ----

LimitReader::LimitReader(Reader& inner, int64_t limit)
    : inner_(&inner), remaining_(std::max<int64_t>(limit, 0)) {}

LimitReader::LimitReader(std::unique_ptr<Reader> inner, int64_t limit)
    : owned_(std::move(inner)), inner_(owned_.get()), remaining_(std::max<int64_t>(limit, 0)) {}

Result<size_t> LimitReader::Read(std::span<std::byte> buf) {
  if (remaining_ == 0) return size_t{0};
  const size_t want = static_cast<size_t>(
      std::min<int64_t>(remaining_, static_cast<int64_t>(std::min<size_t>(buf.size(), INT64_MAX))));
  CVC_ASSIGN_OR_RETURN(size_t n, inner_->Read(buf.first(want)));
  remaining_ -= static_cast<int64_t>(n);
  return n;
}

// ---- ContextReader ----

ContextReader::ContextReader(const Context& ctx, Reader& inner) : ctx_(ctx), inner_(&inner) {}

ContextReader::ContextReader(const Context& ctx, std::unique_ptr<Reader> inner)
    : ctx_(ctx), owned_(std::move(inner)), inner_(owned_.get()) {}

Result<size_t> ContextReader::Read(std::span<std::byte> buf) {
  CVC_RETURN_IF_ERROR(ctx_.Check());
  return inner_->Read(buf);
}

// ---- whole-stream helpers ----

Result<size_t> ReadFull(Reader& r, std::span<std::byte> buf) {
  return ReadFull(Context{}, r, buf);
}

Result<size_t> ReadFull(const Context& ctx, Reader& r, std::span<std::byte> buf) {
  size_t got = 0;
  while (got < buf.size()) {
    CVC_RETURN_IF_ERROR(ctx.Check());
    CVC_ASSIGN_OR_RETURN(size_t n, r.Read(buf.subspan(got)));
    if (n == 0) break;
    got += n;
  }
  return got;
}

Result<std::string> ReadAll(Reader& r, size_t max) {
  std::string out;
  std::string buf(64 * 1024, '\0');
  for (;;) {
    CVC_ASSIGN_OR_RETURN(size_t n, r.Read(AsWritableBytes(buf)));
    if (n == 0) return out;
    if (out.size() + n > max || out.size() + n < out.size()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "stream longer than " + std::to_string(max) + " bytes");
    }
    out.append(buf.data(), n);
  }
}

Result<std::map<HashType, std::string>> HashReader(Reader& r, HashSet types) {
  return HashReader(Context{}, r, types);
}

Result<std::map<HashType, std::string>> HashReader(const Context& ctx, Reader& r, HashSet types) {
  Hasher hasher(types);
  // Not zeroed: zeroing 1 MiB per small file was a sixth of a `sync --checksum`'s CPU.
  auto storage = std::make_unique_for_overwrite<std::byte[]>(kCopyBufferSize);
  const std::span<std::byte> buf(storage.get(), kCopyBufferSize);
  for (;;) {
    CVC_RETURN_IF_ERROR(ctx.Check());
    CVC_ASSIGN_OR_RETURN(size_t n, r.Read(buf));
    if (n == 0) return hasher.Finish();
    hasher.Update(std::span<const std::byte>(buf.data(), n));
  }
}

std::map<HashType, std::string> HashBytes(std::span<const std::byte> data, HashSet types) {
  Hasher hasher(types);
  hasher.Update(data);
  return hasher.Finish();
}

FdReader::FdReader(int fd, int64_t size, Ownership ownership, std::string what)
    : fd_(fd), size_(size), ownership_(ownership), what_(std::move(what)) {}

FdReader::~FdReader() {
  if (ownership_ == kOwn && fd_ >= 0) ::close(fd_);
}

Result<size_t> FdReader::Read(std::span<std::byte> buf) {
  const int64_t want = std::min<int64_t>(static_cast<int64_t>(buf.size()), size_ - pos_);
  if (want <= 0) return size_t{0};
  while (true) {
    const ssize_t n = ::pread(fd_, buf.data(), static_cast<size_t>(want), pos_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError(ErrorCode::kIo, "reading " + what_ + ": " + std::strerror(errno));
    if (n == 0) return MakeError(ErrorCode::kIo, what_ + " is shorter than expected");
    pos_ += n;
    return static_cast<size_t>(n);
  }
}

std::optional<std::string> PercentDecode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

}  // namespace cvclone
