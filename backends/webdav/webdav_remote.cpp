#include "backends/webdav/webdav_remote.hpp"

#include <openssl/evp.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <set>

#include "core/http/http.hpp"
#include "backends/webdav/webdav_xml.hpp"
#include "core/io.hpp"
#include "core/log.hpp"
#include "core/config.hpp"
#include "crypt/password.hpp"

namespace cvclone::webdav {
namespace {


constexpr int64_t kRangeSize = int64_t{8} << 20;  // bytes per ranged GET

enum class Vendor { kOther, kNextcloud, kOwncloud };

struct WebdavConfig {
  std::string origin;     // "http://host:port"
  std::string base_path;  // the url's path, decoded, no trailing '/' ("" for the server's root)
  Vendor vendor = Vendor::kOther;
  std::string authorization;  // the Authorization header's value, or ""
  std::vector<std::pair<std::string, std::string>> headers;
  int low_level_retries = 10;
};

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string Join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "/" + b;
}

std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

// Streams an object through ranged GETs (see the header: one version, If-Match).
class RangeReader : public Reader {
 public:
  using Fetch = std::function<Result<HttpResponse>(int64_t first, int64_t last,
                                                   const std::string& if_match)>;
  RangeReader(std::string shown, Fetch fetch, int64_t offset, int64_t end)
      : shown_(std::move(shown)), fetch_(std::move(fetch)), next_(offset), end_(end) {}

  // Fetches the first range: errors (missing object, a directory) surface from Open.
  Status Start() { return FetchNext(); }

  Result<size_t> Read(std::span<std::byte> buf) override {
    if (error_) return Unexpected<Error>(*error_);
    while (pos_ >= chunk_.size()) {
      if (done_) return size_t{0};
      if (Status st = FetchNext(); !st) return Unexpected<Error>(st.error());
    }
    const size_t n = std::min(buf.size(), chunk_.size() - pos_);
    std::memcpy(buf.data(), chunk_.data() + pos_, n);
    pos_ += n;
    return n;
  }

  std::string Version() const override { return etag_; }

 private:
  Status Fail(Error e) {
    error_ = e;
    return Unexpected<Error>(std::move(e));
  }

  Status FetchNext() {
    chunk_.clear();
    pos_ = 0;
    int64_t last = next_ + kRangeSize - 1;
    if (end_ >= 0) last = std::min(last, end_ - 1);
    if (end_ >= 0 && next_ >= end_) {
      done_ = true;
      return Ok();
    }
    auto r = fetch_(next_, last, etag_);
    if (!r) return Fail(r.error());
    HttpResponse& resp = *r;
    if (resp.status == 416) {  // at or past the end
      done_ = true;
      return Ok();
    }
    if (resp.status == 412) {
      return Fail(Error(ErrorCode::kNetwork, "webdav: " + shown_ + ": changed during the download",
                        RetryClass::kRetryable));
    }
    std::string etag = resp.headers.Get("ETag").value_or("");
    if (etag.rfind("W/", 0) == 0) etag.erase(0, 2);
    if (etag_.empty()) etag_ = etag;
    if (resp.status == 200) {
      // The whole object: data only when it is what was asked for, from byte 0, in one range.
      if (next_ != 0 || static_cast<int64_t>(resp.body.size()) > last + 1) {
        return Fail(Error(ErrorCode::kNetwork,
                          "webdav: " + shown_ + ": the server answered a ranged GET with the "
                          "whole object"));
      }
      chunk_ = std::move(resp.body);
      next_ += static_cast<int64_t>(chunk_.size());
      done_ = true;
      return Ok();
    }
    if (resp.status != 206) {
      return Fail(Error(ErrorCode::kNetwork, "webdav: GET " + shown_ + ": HTTP " +
                                                 std::to_string(resp.status)));
    }
    auto range = ParseContentRange(resp.headers.Get("Content-Range").value_or(""));
    const int64_t got = static_cast<int64_t>(resp.body.size());
    if (!range || range->first != next_ || range->last - range->first + 1 != got || got == 0) {
      return Fail(Error(ErrorCode::kNetwork,
                        "webdav: " + shown_ + ": a partial answer that is not the range asked for",
                        RetryClass::kRetryable));
    }
    if (range->total >= 0 && (end_ < 0 || end_ > range->total)) end_ = range->total;
    chunk_ = std::move(resp.body);
    next_ += got;
    if (end_ >= 0 && next_ >= end_) done_ = true;
    return Ok();
  }

  std::string shown_;
  Fetch fetch_;
  int64_t next_;
  int64_t end_;  // exclusive, -1 until known
  std::string etag_;
  std::string chunk_;
  size_t pos_ = 0;
  bool done_ = false;
  std::optional<Error> error_;
};

class WebdavRemote : public Remote {
 public:
  WebdavRemote(std::string display, WebdavConfig cfg, std::string root)
      : display_(std::move(display)), cfg_(std::move(cfg)), root_(std::move(root)) {
    retry_.max_attempts = cfg_.low_level_retries;
    features_.server_side_copy = true;
    features_.server_side_move = true;
    features_.purge = true;
    features_.empty_dirs = true;
    features_.network = true;
    features_.mtime_precision = std::chrono::seconds(1);
    if (cfg_.vendor == Vendor::kOther) {
      features_.listed_mtime_is_upload_time = true;
    } else {
      features_.hashes = HashSet{HashType::kMd5, HashType::kSha1};
    }
  }

  std::string Type() const override { return "webdav"; }
  std::string Name() const override { return display_; }
  const Features& GetFeatures() const override { return features_; }
  StorageLocation StorageRoot() const override {
    std::string path = Full("");
    while (!path.empty() && path.front() == '/') path.erase(0, 1);
    return {"webdav " + cfg_.origin, path, ""};
  }

  Result<std::vector<ObjectInfo>> List(const Context& ctx, const std::string& dir) override {
    CVC_RETURN_IF_ERROR(ValidatePath(dir));
    CVC_ASSIGN_OR_RETURN(HttpResponse resp, Propfind(ctx, dir, true, "1"));
    if (resp.status == 404) return MakeError(ErrorCode::kDirNotFound, Shown(dir) + ": directory not found");
    CVC_RETURN_IF_ERROR(Expect(resp, {207}, "PROPFIND", dir));
    CVC_ASSIGN_OR_RETURN(std::vector<DavEntry> entries, ParseMultistatus(resp.body));
    const std::string self = Full(dir);
    std::vector<ObjectInfo> out;
    for (DavEntry& e : entries) {
      if (e.path == self) {
        if (!e.is_dir) return MakeError(ErrorCode::kNotDir, Shown(dir) + ": not a directory");
        continue;
      }
      if (Parent(e.path) != self && !(self == "/" && e.path.rfind('/') == 0)) continue;
      const std::string name = e.path.substr(e.path.rfind('/') + 1);
      if (name.empty() || name == "." || name == "..") {
        log::Notice("webdav: {}: skipping an entry with the name \"{}\"", Shown(dir), name);
        continue;
      }
      out.push_back(Info(Join(dir, name), e));
      if (e.is_dir) Known(Join(dir, name));
    }
    Known(dir);
    return out;
  }

  Result<ObjectInfo> Stat(const Context& ctx, const std::string& path) override {
    CVC_RETURN_IF_ERROR(ValidatePath(path));
    CVC_ASSIGN_OR_RETURN(std::optional<DavEntry> e, StatEntry(ctx, path));
    if (!e) return MakeError(ErrorCode::kNotFound, Shown(path) + ": object not found");
    if (e->is_dir) return MakeError(ErrorCode::kIsDir, Shown(path) + ": is a directory");
    return Info(path, *e);
  }

  Result<std::unique_ptr<Reader>> Open(const Context& ctx, const std::string& path,
                                       int64_t offset, int64_t count) override {
    CVC_RETURN_IF_ERROR(ValidatePath(path));
    if (offset < 0) return MakeError(ErrorCode::kInvalidArgument, Shown(path) + ": negative offset");
    const std::string url = Url(path, false);
    const std::string shown = Shown(path);
    auto fetch = [this, ctx, url, shown, path](int64_t first, int64_t last,
                                               const std::string& if_match) -> Result<HttpResponse> {
      std::vector<std::pair<std::string, std::string>> h = {
          {"Range", "bytes=" + std::to_string(first) + "-" + std::to_string(last)}};
      if (!if_match.empty()) h.emplace_back("If-Match", "\"" + if_match + "\"");
      CVC_ASSIGN_OR_RETURN(HttpResponse resp, Send(ctx, "GET", url, h, {}, nullptr, 0));
      if (resp.status == 404) {
        // A collection answers GET with 404 too (Apache without an index).
        auto what = StatEntry(ctx, path);
        if (what && *what && (*what)->is_dir) {
          return MakeError(ErrorCode::kIsDir, shown + ": is a directory");
        }
        return MakeError(ErrorCode::kNotFound, shown + ": object not found");
      }
      if (resp.status == 301 || resp.status == 302) {
        const std::string to = resp.headers.Get("Location").value_or("");
        if (!to.empty() && to.back() == '/') {
          return MakeError(ErrorCode::kIsDir, shown + ": is a directory");
        }
      }
      if (resp.status != 200 && resp.status != 206 && resp.status != 412 && resp.status != 416) {
        CVC_RETURN_IF_ERROR(Expect(resp, {}, "GET", path));
      }
      return resp;
    };
    const int64_t end = count < 0 ? -1 : offset + count;
    auto reader = std::make_unique<RangeReader>(shown, std::move(fetch), offset, end);
    CVC_RETURN_IF_ERROR(reader->Start());
    return std::unique_ptr<Reader>(std::move(reader));
  }

  Result<ObjectInfo> Put(const Context& ctx, const std::string& path, Reader& src,
                         const PutOptions& opts) override {
    CVC_RETURN_IF_ERROR(ctx.Check());
    CVC_RETURN_IF_ERROR(ValidatePath(path));
    if (path.empty()) return MakeError(ErrorCode::kIsDir, Shown(path) + ": is a directory");
    CVC_RETURN_IF_ERROR(MkdirAll(ctx, Parent(path)));
    // A body of unknown length is spooled to an unnamed temporary file first: the request
    // carries its exact Content-Length.
    std::unique_ptr<FILE, int (*)(FILE*)> spool(nullptr, &fclose);
    std::unique_ptr<Reader> spooled;
    Reader* body = &src;
    int64_t length = opts.size;
    if (length < 0) {
      CVC_ASSIGN_OR_RETURN(length, Spool(src, spool, spooled));
      body = spooled.get();
    }
    std::vector<std::pair<std::string, std::string>> h;
    if (cfg_.vendor != Vendor::kOther && opts.mtime != TimePoint{}) {
      const auto secs = std::chrono::duration_cast<std::chrono::seconds>(opts.mtime.time_since_epoch());
      h.emplace_back("X-OC-Mtime", std::to_string(secs.count()));
    }
    // A stop requested while the body was being produced (crypt encrypts ahead of the sender)
    // must end the request before its last byte, or the server would commit the object.
    ContextReader checked(ctx, *body);
    CVC_ASSIGN_OR_RETURN(HttpResponse resp,
                         SendOnce(ctx, "PUT", Url(path, false), h, {}, &checked, length));
    if (resp.status == 409 || resp.status == 400) {
      return MakeError(ErrorCode::kNotDir, Shown(path) + ": a file is in the way of its folder");
    }
    if (resp.status == 405) return MakeError(ErrorCode::kIsDir, Shown(path) + ": is a directory");
    CVC_RETURN_IF_ERROR(Expect(resp, {200, 201, 204}, "PUT", path));
    // What the server holds now: the answer to a PUT proves nothing about it.
    CVC_ASSIGN_OR_RETURN(std::optional<DavEntry> e, StatEntry(ctx, path));
    if (!e || e->is_dir) {
      return MakeError(ErrorCode::kNetwork,
                       Shown(path) + ": the server accepted the upload but does not list the object",
                       RetryClass::kRetryable);
    }
    if (e->size != length) {
      return MakeError(ErrorCode::kCorrupt, Shown(path) + ": stored " + std::to_string(e->size) +
                                                " bytes, sent " + std::to_string(length));
    }
    return Info(path, *e);
  }

  Status Delete(const Context& ctx, const std::string& path) override {
    CVC_RETURN_IF_ERROR(ValidatePath(path));
    CVC_ASSIGN_OR_RETURN(std::optional<DavEntry> e, StatEntry(ctx, path));
    if (!e) return MakeError(ErrorCode::kNotFound, Shown(path) + ": object not found");
    if (e->is_dir) return MakeError(ErrorCode::kIsDir, Shown(path) + ": is a directory");
    CVC_ASSIGN_OR_RETURN(HttpResponse resp, Send(ctx, "DELETE", Url(path, false), {}, {}, nullptr, 0));
    if (resp.status == 404) return MakeError(ErrorCode::kNotFound, Shown(path) + ": object not found");
    return Expect(resp, {200, 204}, "DELETE", path);
  }

  Status Mkdir(const Context& ctx, const std::string& dir) override {
    CVC_RETURN_IF_ERROR(ValidatePath(dir));
    return MkdirAll(ctx, dir);
  }

  Status Rmdir(const Context& ctx, const std::string& dir) override {
    CVC_RETURN_IF_ERROR(ValidatePath(dir));
    CVC_ASSIGN_OR_RETURN(std::vector<ObjectInfo> entries, List(ctx, dir));
    if (!entries.empty()) return MakeError(ErrorCode::kDirNotEmpty, Shown(dir) + ": directory not empty");
    CVC_ASSIGN_OR_RETURN(HttpResponse resp, Send(ctx, "DELETE", Url(dir, true), {}, {}, nullptr, 0));
    if (resp.status == 404) return MakeError(ErrorCode::kDirNotFound, Shown(dir) + ": directory not found");
    CVC_RETURN_IF_ERROR(Expect(resp, {200, 204}, "DELETE", dir));
    Forget(dir);
    return Ok();
  }

  Status Purge(const Context& ctx, const std::string& dir) override {
    CVC_RETURN_IF_ERROR(ValidatePath(dir));
    CVC_ASSIGN_OR_RETURN(std::optional<DavEntry> e, StatEntry(ctx, dir, true));
    if (!e) return MakeError(ErrorCode::kDirNotFound, Shown(dir) + ": directory not found");
    if (!e->is_dir) return MakeError(ErrorCode::kNotDir, Shown(dir) + ": not a directory");
    CVC_ASSIGN_OR_RETURN(HttpResponse resp, Send(ctx, "DELETE", Url(dir, true), {}, {}, nullptr, 0));
    if (resp.status == 404) return MakeError(ErrorCode::kDirNotFound, Shown(dir) + ": directory not found");
    CVC_RETURN_IF_ERROR(Expect(resp, {200, 204}, "DELETE", dir));
    Forget(dir);
    return Ok();
  }

  Result<ObjectInfo> Copy(const Context& ctx, Remote& src, const std::string& src_path,
                          const std::string& dst_path) override {
    return Transfer(ctx, "COPY", src, src_path, dst_path);
  }

  Result<ObjectInfo> Move(const Context& ctx, Remote& src, const std::string& src_path,
                          const std::string& dst_path) override {
    return Transfer(ctx, "MOVE", src, src_path, dst_path);
  }

  Result<std::string> Hash(const Context& ctx, const std::string& path, HashType type) override {
    if (!features_.hashes.Has(type)) {
      return MakeError(ErrorCode::kUnsupported, std::string("webdav: no ") + HashName(type) +
                                                    " hashes on this server");
    }
    CVC_ASSIGN_OR_RETURN(ObjectInfo info, Stat(ctx, path));
    auto it = info.hashes.find(type);
    return it == info.hashes.end() ? std::string() : it->second;
  }

 private:
  // The decoded path on the server of a remote path ("/" for the server's root).
  std::string Full(const std::string& path) const {
    const std::string rel = Join(root_, path);
    std::string full = cfg_.base_path + (rel.empty() ? "" : "/" + rel);
    return full.empty() ? "/" : full;
  }
  std::string Url(const std::string& path, bool dir) const {
    std::string full = Full(path);
    if (dir && full.back() != '/') full += '/';
    return cfg_.origin + EncodePath(full);
  }
  std::string Shown(const std::string& path) const {
    return "webdav: " + (path.empty() ? display_ : Join(display_, path));
  }

  ObjectInfo Info(const std::string& path, const DavEntry& e) const {
    ObjectInfo info;
    info.path = path;
    info.is_dir = e.is_dir;
    info.size = e.is_dir ? 0 : e.size;
    info.mtime = e.mtime;
    info.hashes = e.hashes;
    info.version = e.etag;
    info.mtime_is_upload_time = !e.is_dir && features_.listed_mtime_is_upload_time;
    return info;
  }

  // An error for a status not in `ok` (empty: every status is an error).
  Status Expect(const HttpResponse& resp, std::initializer_list<long> ok, const std::string& op,
                const std::string& path) const {
    if (std::find(ok.begin(), ok.end(), resp.status) != ok.end()) return Ok();
    const std::string what = Shown(path) + ": " + op + " answered HTTP " + std::to_string(resp.status);
    switch (resp.status) {
      case 401: return MakeError(ErrorCode::kAuth, what + " (wrong user, password or token)");
      case 403: return MakeError(ErrorCode::kPermission, what + " (forbidden)");
      case 404: return MakeError(ErrorCode::kNotFound, what + " (not found)");
      case 507: return MakeError(ErrorCode::kNoSpace, what + " (insufficient storage)");
      default: break;
    }
    if (IsRetryableStatus(resp.status)) {
      return MakeError(ErrorCode::kNetwork, what, RetryClass::kRetryable);
    }
    return MakeError(ErrorCode::kIo, what);
  }

  HttpRequest Request(const std::string& method, const std::string& url,
                      const std::vector<std::pair<std::string, std::string>>& extra,
                      std::string_view body, Reader* reader, int64_t length) const {
    HttpRequest req;
    req.method = method;
    req.url = url;
    if (!cfg_.authorization.empty()) req.headers.emplace_back("Authorization", cfg_.authorization);
    for (const auto& h : cfg_.headers) req.headers.push_back(h);
    for (const auto& h : extra) req.headers.push_back(h);
    req.body = body;
    req.body_reader = reader;
    req.body_length = length;
    return req;
  }

  // One request with retries (in-memory bodies only).
  Result<HttpResponse> Send(const Context& ctx, const std::string& method, const std::string& url,
                            const std::vector<std::pair<std::string, std::string>>& extra,
                            std::string_view body, Reader* reader, int64_t length) {
    const HttpRequest req = Request(method, url, extra, body, reader, length);
    return WithRetries<HttpResponse>(
        ctx, retry_, [&](int, RetryHint& hint) -> Result<HttpResponse> {
          CVC_ASSIGN_OR_RETURN(HttpResponse resp, http_.Perform(ctx, req));
          if (IsRetryableStatus(resp.status)) {
            hint.retry_after = RetryAfterOf(resp);
            return MakeError(ErrorCode::kNetwork,
                             method + " " + url + ": HTTP " + std::to_string(resp.status),
                             RetryClass::kRetryable);
          }
          return resp;
        });
  }

  // A streamed body cannot be sent twice: one attempt (the engine retries the file).
  Result<HttpResponse> SendOnce(const Context& ctx, const std::string& method,
                                const std::string& url,
                                const std::vector<std::pair<std::string, std::string>>& extra,
                                std::string_view body, Reader* reader, int64_t length) {
    return http_.Perform(ctx, Request(method, url, extra, body, reader, length));
  }

  Result<HttpResponse> Propfind(const Context& ctx, const std::string& path, bool dir,
                                const char* depth) {
    const std::string body = PropfindBody();
    // No trailing '/' below the root: on a file it would be an error (Apache: 400), and a
    // collection answers either way.
    return Send(ctx, "PROPFIND", Url(path, dir && path.empty()),
                {{"Depth", depth}, {"Content-Type", "application/xml; charset=utf-8"}}, body,
                nullptr, 0);
  }

  // The entry at path, or nullopt when nothing is there.
  Result<std::optional<DavEntry>> StatEntry(const Context& ctx, const std::string& path,
                                            bool dir = false) {
    CVC_ASSIGN_OR_RETURN(HttpResponse resp, Propfind(ctx, path, dir || path.empty(), "0"));
    if (resp.status == 404) return std::optional<DavEntry>();
    CVC_RETURN_IF_ERROR(Expect(resp, {207}, "PROPFIND", path));
    CVC_ASSIGN_OR_RETURN(std::vector<DavEntry> entries, ParseMultistatus(resp.body));
    const std::string self = Full(path);
    for (DavEntry& e : entries) {
      if (e.path == self) return std::optional<DavEntry>(std::move(e));
    }
    return MakeError(ErrorCode::kNetwork, Shown(path) + ": PROPFIND did not describe the path",
                     RetryClass::kRetryable);
  }

  // Makes dir and its parents (MKCOL each one not known to exist).
  Status MkdirAll(const Context& ctx, const std::string& dir) {
    std::vector<std::string> chain;
    for (std::string d = dir; !d.empty(); d = Parent(d)) chain.push_back(d);
    // The root's own folders (root_ and the url's path) are made as well, once.
    std::reverse(chain.begin(), chain.end());
    chain.insert(chain.begin(), "");
    for (const std::string& d : chain) {
      if (IsKnown(d)) continue;
      if (d.empty()) {
        CVC_RETURN_IF_ERROR(MakeRoot(ctx));
      } else {
        CVC_RETURN_IF_ERROR(MakeCollection(ctx, d, Full(d)));
      }
      Known(d);
    }
    return Ok();
  }

  // The folders of root_ below the url's path (the url itself must exist).
  Status MakeRoot(const Context& ctx) {
    std::string prefix;
    size_t at = 0;
    while (at < root_.size()) {
      size_t slash = root_.find('/', at);
      if (slash == std::string::npos) slash = root_.size();
      prefix = root_.substr(0, slash);
      CVC_RETURN_IF_ERROR(MakeCollection(ctx, prefix, cfg_.base_path + "/" + prefix));
      at = slash + 1;
    }
    return Ok();
  }

  Status MakeCollection(const Context& ctx, const std::string& shown, const std::string& full) {
    const std::string url = cfg_.origin + EncodePath(full + "/");
    CVC_ASSIGN_OR_RETURN(HttpResponse resp, Send(ctx, "MKCOL", url, {}, {}, nullptr, 0));
    if (resp.status == 201) return Ok();
    if (resp.status != 400 && resp.status != 403 && resp.status != 405 && resp.status != 409) {
      return Expect(resp, {}, "MKCOL", shown);
    }
    // Refused: something may be there already (405; 403 when another MKCOL of it won a race;
    // Apache's 400 when it is a file) or the parent may be missing (409) or a file (400).
    CVC_ASSIGN_OR_RETURN(HttpResponse st, Send(ctx, "PROPFIND", cfg_.origin + EncodePath(full),
                                               {{"Depth", "0"}}, PropfindBody(), nullptr, 0));
    if (st.status == 207) {
      CVC_ASSIGN_OR_RETURN(std::vector<DavEntry> entries, ParseMultistatus(st.body));
      for (const DavEntry& e : entries) {
        if (e.path != full) continue;
        if (e.is_dir) return Ok();
        return MakeError(ErrorCode::kNotDir, "webdav: " + shown + ": a file is in the way");
      }
    }
    if (resp.status == 409) {
      return MakeError(ErrorCode::kDirNotFound, "webdav: " + shown + ": its parent folder is missing");
    }
    if (resp.status == 400) {
      return MakeError(ErrorCode::kNotDir, "webdav: " + shown + ": a file is in the way");
    }
    return Expect(resp, {}, "MKCOL", shown);
  }

  Result<ObjectInfo> Transfer(const Context& ctx, const std::string& method, Remote& src,
                              const std::string& src_path, const std::string& dst_path) {
    CVC_RETURN_IF_ERROR(ValidatePath(src_path));
    CVC_RETURN_IF_ERROR(ValidatePath(dst_path));
    auto* from = dynamic_cast<WebdavRemote*>(&src);
    if (from == nullptr || from->cfg_.origin != cfg_.origin ||
        from->cfg_.authorization != cfg_.authorization) {
      return MakeError(ErrorCode::kUnsupported, "webdav: server-side " + method +
                                                    " only within one server");
    }
    CVC_ASSIGN_OR_RETURN(std::optional<DavEntry> e, from->StatEntry(ctx, src_path));
    if (!e) return MakeError(ErrorCode::kNotFound, from->Shown(src_path) + ": object not found");
    if (e->is_dir) return MakeError(ErrorCode::kIsDir, from->Shown(src_path) + ": is a directory");
    CVC_RETURN_IF_ERROR(MkdirAll(ctx, Parent(dst_path)));
    CVC_ASSIGN_OR_RETURN(HttpResponse resp,
                         Send(ctx, method, from->Url(src_path, false),
                              {{"Destination", Url(dst_path, false)}, {"Overwrite", "T"}}, {},
                              nullptr, 0));
    if (resp.status == 404) {
      return MakeError(ErrorCode::kNotFound, from->Shown(src_path) + ": object not found");
    }
    CVC_RETURN_IF_ERROR(Expect(resp, {201, 204}, method, dst_path));
    return Stat(ctx, dst_path);
  }

  Result<int64_t> Spool(Reader& src, std::unique_ptr<FILE, int (*)(FILE*)>& file,
                        std::unique_ptr<Reader>& reader) {
    file.reset(tmpfile());
    if (!file) return MakeError(ErrorCode::kIo, std::string("webdav: a spool file: ") + strerror(errno));
    std::vector<std::byte> buf(kCopyBufferSize);
    int64_t total = 0;
    while (true) {
      CVC_ASSIGN_OR_RETURN(size_t n, src.Read(buf));
      if (n == 0) break;
      if (fwrite(buf.data(), 1, n, file.get()) != n) {
        return MakeError(errno == ENOSPC ? ErrorCode::kNoSpace : ErrorCode::kIo,
                         std::string("webdav: writing a spool file: ") + strerror(errno));
      }
      total += static_cast<int64_t>(n);
    }
    if (fflush(file.get()) != 0) return MakeError(ErrorCode::kIo, "webdav: writing a spool file");
    reader = std::make_unique<FdReader>(fileno(file.get()), total, FdReader::kBorrow,
                                        "the spool file");
    return total;
  }

  bool IsKnown(const std::string& dir) {
    std::lock_guard lock(mu_);
    return dirs_.count(dir) != 0;
  }
  void Known(const std::string& dir) {
    std::lock_guard lock(mu_);
    dirs_.insert(dir);
  }
  void Forget(const std::string& dir) {
    std::lock_guard lock(mu_);
    for (auto it = dirs_.begin(); it != dirs_.end();) {
      const bool under = *it == dir || it->rfind(dir + "/", 0) == 0 || dir.empty();
      it = under ? dirs_.erase(it) : std::next(it);
    }
  }

  std::string display_;
  WebdavConfig cfg_;
  std::string root_;
  Features features_;
  RetryPolicy retry_;
  HttpClient http_;
  std::mutex mu_;
  std::set<std::string> dirs_;  // folders known to exist (made or listed by this remote)
};

Result<Vendor> ParseVendor(const std::string& v) {
  if (v.empty() || v == "other") return Vendor::kOther;
  if (v == "nextcloud") return Vendor::kNextcloud;
  if (v == "owncloud") return Vendor::kOwncloud;
  return MakeError(ErrorCode::kConfig, "webdav: vendor \"" + v +
                                           "\" is not one of other, nextcloud, owncloud");
}

std::string TrimRootSlashes(std::string s) {
  while (!s.empty() && s.front() == '/') s.erase(0, 1);
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

std::vector<OptionSpec> WebdavOptionSpecs() {
  return {
      {.name = "url", .help = "URL of the WebDAV server, e.g. https://example.com/remote.php/dav/files/me", .required = true},
      {.name = "vendor", .help = "other, nextcloud or owncloud (mtimes and checksums)", .default_value = "other"},
      {.name = "user", .help = "user name (Basic auth)"},
      {.name = "pass", .help = "password (obscured, as rclone)", .secret = true, .obscured = true},
      {.name = "bearer_token", .help = "bearer token instead of user/pass", .secret = true},
      {.name = "bearer_token_command", .help = "command whose output is the bearer token"},
      {.name = "headers", .help = "extra HTTP headers: \"Name,Value,Name2,Value2\""},
      {.name = "low_level_retries", .help = "attempts per request", .default_value = "10"},
  };
}

Result<std::unique_ptr<Remote>> NewWebdavRemote(const std::string& display_name,
                                                const std::string& root, const Options& options) {
  WebdavConfig cfg;
  const std::string url = options.GetOr("url", "");
  const size_t scheme = url.find("://");
  if (url.empty() || scheme == std::string::npos ||
      (url.compare(0, scheme, "http") != 0 && url.compare(0, scheme, "https") != 0)) {
    return MakeError(ErrorCode::kConfig, "webdav: url must be an http:// or https:// URL" +
                                             (url.empty() ? std::string(" (it is not set)") : ""));
  }
  const size_t path_at = url.find('/', scheme + 3);
  cfg.origin = url.substr(0, path_at);
  if (cfg.origin.size() <= scheme + 3) return MakeError(ErrorCode::kConfig, "webdav: url has no host");
  const std::optional<std::string> path =
      HrefPath(path_at == std::string::npos ? "/" : url.substr(path_at));
  if (!path) return MakeError(ErrorCode::kConfig, "webdav: url has a malformed path");
  cfg.base_path = *path == "/" ? "" : *path;
  CVC_ASSIGN_OR_RETURN(cfg.vendor, ParseVendor(options.GetOr("vendor", "other")));
  CVC_ASSIGN_OR_RETURN(int64_t retries, options.GetInt("low_level_retries", 10));
  cfg.low_level_retries = static_cast<int>(std::clamp<int64_t>(retries, 1, 1000));
  if (auto h = options.Get("headers")) {
    CVC_ASSIGN_OR_RETURN(cfg.headers, ParseHeaderList(*h));
  }
  std::string token = options.GetOr("bearer_token", "");
  if (token.empty()) {
    if (auto cmd = options.Get("bearer_token_command")) {
      CVC_ASSIGN_OR_RETURN(token, crypt::RunPasswordCommand(*cmd, "bearer_token_command"));
    }
  }
  if (!token.empty()) {
    cfg.authorization = "Bearer " + token;
  } else if (auto user = options.Get("user")) {
    std::string pass;
    if (auto obscured = options.Get("pass")) {
      auto revealed = Reveal(*obscured);
      if (!revealed) {
        return MakeError(ErrorCode::kConfig, "webdav: pass is not an obscured password (store it "
                                             "with `cvclone obscure` or `config create`)");
      }
      pass = *revealed;
    }
    cfg.authorization = "Basic " + Base64(*user + ":" + pass);
  }
  return std::unique_ptr<Remote>(
      std::make_unique<WebdavRemote>(display_name, std::move(cfg), TrimRootSlashes(root)));
}

}  // namespace cvclone::webdav

namespace cvclone {

void RegisterWebdavBackend(Registry& registry) {
  BackendInfo info;
  info.name = "webdav";
  info.description = "WebDAV servers (Apache mod_dav, Nextcloud, ownCloud, ...)";
  info.options = webdav::WebdavOptionSpecs();
  info.create = [](const Context&, const std::string& display_name, const std::string& root,
                   const Options& options, const RemoteOpener&) {
    return webdav::NewWebdavRemote(display_name, root, options);
  };
  registry.Register(std::move(info));
}

}  // namespace cvclone
