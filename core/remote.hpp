// The contracts every backend implements. The header comments are the contract.
//
// Paths: every path given to or returned by a Remote is relative to the remote's root, uses '/'
// as separator, has no leading or trailing '/', no empty, "." or ".." segment; "" is the root
// directory. Names are UTF-8. A backend that cannot store a name returns kInvalidArgument naming
// it; it never writes outside its root.
//
// Threads: a Remote may be called from any number of threads at once. A Reader is used by one
// thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/error.hpp"

namespace cvclone {

// Modification times: nanoseconds since the Unix epoch, UTC.
using TimePoint = std::chrono::sys_time<std::chrono::nanoseconds>;

// The time `seconds` and `nanos` (added; usually 0..999,999,999) after the Unix epoch, or
// nullopt when a TimePoint (int64_t nanoseconds: about 1677-09-21 to 2262-04-11) cannot hold
// it. Every time a server sends goes through this, so that none is converted with a signed
// overflow.
std::optional<TimePoint> TimeFromUnix(int64_t seconds, int64_t nanos = 0);

enum class HashType : unsigned { kNone = 0, kMd5 = 1, kSha1 = 2, kSha256 = 4 };
const char* HashName(HashType type);  // "md5", "sha1", "sha256"
// A hash named as rclone accepts it, case-insensitively: "md5", "sha1" or "SHA-1", "sha256" or
// "SHA-256"; kNone for any other name.
HashType ParseHashName(const std::string& name);

// A set of HashType values.
class HashSet {
 public:
  HashSet() = default;
  explicit HashSet(unsigned bits) : bits_(bits) {}
  HashSet(std::initializer_list<HashType> types) {
    for (HashType t : types) Add(t);
  }
  void Add(HashType t) { bits_ |= static_cast<unsigned>(t); }
  bool Has(HashType t) const { return (bits_ & static_cast<unsigned>(t)) != 0; }
  bool Empty() const { return bits_ == 0; }
  HashSet Intersect(HashSet other) const { return HashSet(bits_ & other.bits_); }
  // The preferred common hash (md5, then sha1, then sha256), or kNone.
  HashType First() const;
  unsigned bits() const { return bits_; }

 private:
  unsigned bits_ = 0;
};

// What is known of one entry: an object or a directory.
struct ObjectInfo {
  std::string path;  // relative to the remote root
  int64_t size = -1;  // bytes; -1 if unknown; 0 (or -1) for directories
  bool is_dir = false;
  TimePoint mtime{};  // modification time (directories: as the backend reports, may be zero)
  // Hashes the backend knows without reading data (lower-case hex). May be empty.
  std::map<HashType, std::string> hashes;
  // The listing did not carry the modtime (S3 keeps it in metadata that only HEAD returns), so
  // mtime is the time the object was stored (S3's LastModified). Stat() gives the exact mtime.
  // The engine takes the exact mtime from what it remembers of the version it stored
  // (StoredVersions) and asks Stat() otherwise; commands that show mtimes ask Stat().
  bool mtime_is_upload_time = false;
  // Which stored version of the object this describes (S3: its ETag), "" when the backend has
  // no such identifier. Another version at the same path holds other bytes or other metadata.
  // Wrappers pass on their inner object's.
  std::string version;
  // The storage tier the object is kept in (S3: its storage class, "STANDARD" when the server
  // names none, as rclone), "" when the backend has no tiers. Wrappers pass on their inner
  // object's.
  std::string tier;
};

// A pull stream. Read fills up to buf.size() bytes and returns how many; 0 means end of stream.
// A short read is not end of stream. Errors are sticky: after one, further reads fail too.
class Reader {
 public:
  virtual ~Reader() = default;
  virtual Result<size_t> Read(std::span<std::byte> buf) = 0;
  // What the source reported about the whole object when this stream was opened (S3: a GET's
  // response headers: the exact mtime, size and hash), or nullptr if it cannot tell. Set by the
  // time Remote::Open returns; readers that wrap others return nullptr unless they say otherwise.
  virtual const ObjectInfo* OpenedInfo() const { return nullptr; }
  // Which version of the stored object this stream reads (S3: the ETag of its first answer),
  // known once a byte was read; "" when unknown. Two streams of one object whose versions are
  // both known and differ read different contents. Wrappers pass on their inner stream's.
  virtual std::string Version() const { return ""; }
};

// Positioned reads of one object, for random access (a mount's reads after a seek). ReadAt fills
// buf from the object's byte `offset` and returns how many bytes it read: fewer than buf.size()
// only at the end of the object (0 at or past it). No position is kept and an error does not
// stick: each call stands alone. One thread at a time, as a Reader.
class RandomReader {
 public:
  virtual ~RandomReader() = default;
  virtual Result<size_t> ReadAt(std::span<std::byte> buf, int64_t offset) = 0;
};

// Optional capabilities, and properties of the storage that the engine plans with. Operations
// not advertised return kUnsupported; the conformance suite (tests/conformance) checks that every
// advertised one works. A wrapper remote (crypt, encfs) states what it can do itself and combines
// that with its inner remote's with WrapFeatures, so it never advertises what the inner remote
// cannot do.
struct Features {
  bool server_side_copy = false;  // Copy() works between paths of this remote
  bool server_side_move = false;  // Move() works between paths of this remote
  bool purge = false;             // Purge() is faster than deleting one by one
  bool set_modtime = false;       // SetModTime() works
  bool empty_dirs = true;         // directories exist on their own (false for S3 prefixes)
  HashSet hashes;                 // hashes Hash() can return
  // How precisely mtimes are stored; equality tests allow the coarser of two remotes'.
  std::chrono::nanoseconds mtime_precision{1};
  bool slow_hash = false;  // Hash() must read the whole object (local): prefer size+mtime
  bool public_link = false;  // PublicLink() works
  // Objects travel over a network (S3): several ranged reads of one object at once are faster
  // than one (multi-thread downloads). Not for local disks, nor crypt over them.
  bool network = false;
  // Objects are files on a local disk, written as they arrive (local): a copy to here from a
  // network remote reads the source with several ranged streams (multi-thread downloads).
  bool local_disk = false;
  // Put checks the bytes it stored against the bytes it read (S3: Content-MD5 of every request
  // computed from the stream, and the ETag), and fails with kCorrupt otherwise: the engine need
  // not hash the stream a second time to verify the transfer.
  bool verifies_puts = false;
  bool batch_commit = false;  // StartBatch()/FinishBatch() defer and group commits (local)
  bool cleanup = false;       // Cleanup() removes what interrupted uploads left (S3)
  // Listings give upload times (ObjectInfo::mtime_is_upload_time) and objects carry versions:
  // the engine remembers which version it stored from which source (StoredVersions).
  bool listed_mtime_is_upload_time = false;
  // Every write (Put, Delete, Mkdir, Rmdir, Purge, SetModTime, Copy, Move, Cleanup) fails with
  // kPermission (encfs). The engine refuses a run that would write here before it starts, so
  // the user sees one error instead of one per running transfer.
  bool read_only = false;
};

// The features of a wrapper: `own` states what the wrapper itself can do (a capability it
// implements, usually by passing the call on) and `inner` what its inner remote can. A capability
// is advertised only if both have it (hashes: those both have); the storage's properties come
// from the inner remote (empty_dirs if both, the coarser mtime precision, network, upload-time
// listings); read_only if either is.
Features WrapFeatures(const Features& own, const Features& inner);

struct PutOptions {
  int64_t size = -1;  // total bytes the reader will yield, -1 if unknown
  TimePoint mtime{};  // modification time to record
  // Hashes of the data, if the caller already knows them (lower-case hex). A backend that can
  // verify a hash on upload does so and fails with kCorrupt on mismatch.
  std::map<HashType, std::string> hashes;
  // If set, opens the same data again from its start (a fresh Reader, independent of the one
  // given to Put). A backend that must know something of the whole body before sending it (S3's
  // Content-MD5 on a single PUT) may read it once through this instead of buffering it; the
  // stream given to Put is still the one whose bytes are stored.
  std::function<Result<std::unique_ptr<Reader>>()> reopen;
};

// Where a remote's root is stored, to tell when two remotes name the same or overlapping
// places (copying a tree into itself). `storage` identifies the store ("local", "s3 <endpoint>");
// "" means unknown, and such a remote is never taken to overlap another. `path` is the root's
// place in that store: '/'-separated, no trailing '/' (local: absolute with symlinks resolved;
// S3: "bucket/prefix"). `view` names the wrappers that change what the bytes mean ("" for none,
// "crypt" for crypt over a plain store): two remotes over one place with different views are
// not the same, but they still overlap.
struct StorageLocation {
  std::string storage;
  std::string path;
  std::string view;
};

class Remote {
 public:
  virtual ~Remote() = default;

  // "type" of the backend ("local", "s3", "crypt") and the remote string it was made from, for
  // messages ("s3:bucket/dir").
  virtual std::string Type() const = 0;
  virtual std::string Name() const = 0;
  virtual const Features& GetFeatures() const = 0;
  // Where the root is stored (see StorageLocation). Default: unknown.
  virtual StorageLocation StorageRoot() const { return {}; }

  // Returns the entries directly inside dir (one complete directory, any order): objects with
  // size and mtime, directories with is_dir. Missing dir → kDirNotFound; dir is an object →
  // kNotDir (or kDirNotFound where the backend cannot tell).
  virtual Result<std::vector<ObjectInfo>> List(const Context& ctx, const std::string& dir) = 0;

  // Info on one path. Missing → kNotFound; a directory → kIsDir (with no info).
  virtual Result<ObjectInfo> Stat(const Context& ctx, const std::string& path) = 0;

  // Opens an object for reading from offset, at most count bytes (-1: to the end). An offset at
  // or past the end yields an empty stream. Missing → kNotFound; a directory → kIsDir.
  virtual Result<std::unique_ptr<Reader>> Open(const Context& ctx, const std::string& path,
                                               int64_t offset = 0, int64_t count = -1) = 0;

  // Opens the whole object a listing described, as Open(ctx, listed.path) does. A backend may
  // use what the listing said (its size) to choose how to read it (S3: a small object in one
  // buffered GET, without a streaming thread). The stream yields the object as stored now,
  // whatever the listing said.
  virtual Result<std::unique_ptr<Reader>> OpenListed(const Context& ctx, const ObjectInfo& listed) {
    return Open(ctx, listed.path);
  }

  // Opens an object for positioned reads (RandomReader). Missing → kNotFound, a directory →
  // kIsDir, either now or from the first ReadAt. The default opens one ranged stream per ReadAt
  // (Open with offset and count); a backend that can read anywhere in an open object (local: one
  // descriptor) or a wrapper that learns something once per object (crypt: the header's nonce)
  // overrides it. Reads see the object as it was opened or as stored now, backend's choice.
  virtual Result<std::unique_ptr<RandomReader>> OpenRandom(const Context& ctx,
                                                           const std::string& path);

  // Writes the object at path from src, creating parent directories as needed, replacing any
  // existing object. Atomic: the object appears complete or not at all; on any failure (src
  // error, cancel, size mismatch with opts.size) the previous object, if any, is untouched and
  // no partial object is left. Returns the stored object's info.
  virtual Result<ObjectInfo> Put(const Context& ctx, const std::string& path, Reader& src,
                                 const PutOptions& opts) = 0;

  // Removes an object. Missing → kNotFound; a directory → kIsDir.
  virtual Status Delete(const Context& ctx, const std::string& path) = 0;

  // Creates dir and its parents; succeeds if it exists. An object in the way → kNotDir.
  virtual Status Mkdir(const Context& ctx, const std::string& dir) = 0;

  // Removes an empty directory. Missing → kDirNotFound; not empty → kDirNotEmpty.
  virtual Status Rmdir(const Context& ctx, const std::string& dir) = 0;

  // Optional (Features::purge): removes dir and everything in it. Missing → kDirNotFound.
  virtual Status Purge(const Context& ctx, const std::string& dir);

  // Optional (Features::server_side_copy): copies src_path of src (a remote of the same type
  // that the backend can reach server-side, usually `this`) to dst_path without passing data
  // through the client. kUnsupported if it cannot for this pair.
  virtual Result<ObjectInfo> Copy(const Context& ctx, Remote& src, const std::string& src_path,
                                  const std::string& dst_path);

  // Optional (Features::server_side_move): as Copy, then the source is gone.
  virtual Result<ObjectInfo> Move(const Context& ctx, Remote& src, const std::string& src_path,
                                  const std::string& dst_path);

  // Optional (Features::set_modtime).
  virtual Status SetModTime(const Context& ctx, const std::string& path, TimePoint mtime);

  // The object's hash of the given type, lower-case hex; "" if the backend cannot tell for this
  // object (e.g. an S3 multipart object without md5 metadata). kUnsupported for a type not in
  // Features::hashes.
  virtual Result<std::string> Hash(const Context& ctx, const std::string& path, HashType type);

  // Optional (Features::public_link): a URL anyone can use to download the object until it
  // expires (S3: a presigned GET). Missing → kNotFound.
  virtual Result<std::string> PublicLink(const Context& ctx, const std::string& path,
                                         std::chrono::seconds expire);

  // Optional (Features::batch_commit): group commits for a run of many puts. After
  // StartBatch(on_failure), Put() and Copy() may return once the data is written but before the
  // object is durable and visible at its path (local: written to a temporary file; one syncfs
  // for many files, then renames). FinishBatch() completes every pending object and returns
  // only when all are at their paths (Ok) or failed; each failure is also passed to on_failure
  // (path, error), possibly from another thread. A cancelled ctx discards pending objects (no
  // partial object is left) and returns kCancelled. Delete() of a pending path discards it.
  // The caller must not rely on a pending object (Stat, Open, deleting its source) before
  // FinishBatch(). Defaults: nothing is deferred, FinishBatch() returns Ok.
  using BatchFailure = std::function<void(const std::string& path, const Error& error)>;
  virtual void StartBatch(BatchFailure on_failure);
  virtual Status FinishBatch(const Context& ctx);

  // Optional (Features::cleanup): removes what interrupted uploads left behind under dir and
  // that was started at least max_age ago (S3: aborts unfinished multipart uploads, whoever
  // started them, except those a running cvclone on this machine is still sending). Each
  // removal is logged at INFO; with dry_run nothing is removed and each one that would be is
  // logged as a NOTICE. The first failure is returned after trying the rest.
  virtual Status Cleanup(const Context& ctx, const std::string& dir, std::chrono::seconds max_age,
                         bool dry_run);

  // Space used under dir is left to the engine (it lists); backends need not implement it.
};

// Joins two relative paths with '/', either may be "".
std::string JoinPath(const std::string& dir, const std::string& name);
// Parent directory of a relative path ("" for a top-level name).
std::string ParentPath(const std::string& path);
// Last segment of a relative path.
std::string BaseName(const std::string& path);
// Ok if path is a clean relative path as defined above, else kInvalidArgument naming it.
// (Rejects "", "." and ".." segments, leading/trailing '/', '//', NUL, invalid UTF-8.)
Status ValidatePath(const std::string& path);
// Ok if s is valid UTF-8.
bool IsValidUtf8(const std::string& s);

}  // namespace cvclone
