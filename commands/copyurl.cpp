// copyurl: downloads a URL into a remote, as rclone copyurl.
#include <fmt/format.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "core/http/http.hpp"
#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "core/io.hpp"
#include "core/log.hpp"

namespace cvclone {
namespace {

struct Download {
  std::unique_ptr<FILE, int (*)(FILE*)> file{nullptr, &fclose};
  int64_t size = 0;
  TimePoint mtime{};
};

// The URL with any user:password@ removed, for messages.
std::string ShownUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t at = url.find('@', scheme == std::string::npos ? 0 : scheme + 3);
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme == std::string::npos || at == std::string::npos || (slash != std::string::npos && at > slash)) {
    return url;
  }
  return url.substr(0, scheme + 3) + url.substr(at + 1);
}

// The last segment of the URL's path, percent-decoded; kInvalidArgument when there is none or it
// is not a plain file name.
Result<std::string> FileNameOf(const std::string& url) {
  const std::string_view path = UrlPath(url);
  const std::string name = PercentDecode(path.substr(path.rfind('/') + 1)).value_or("");
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos) {
    return MakeError(ErrorCode::kIo,
                     "cannot find a file name in the URL " + ShownUrl(url) + " (-a/--auto-filename)");
  }
  return name;
}

// One GET of the whole URL into a temporary file; a body shorter or longer than its
// Content-Length is an error, never a file.
Result<Download> Fetch(const Context& ctx, HttpClient& http, const std::string& url) {
  Download d;
  d.file.reset(tmpfile());
  if (!d.file) return MakeError(ErrorCode::kIo, std::string("a temporary file: ") + strerror(errno));
  const int fd = fileno(d.file.get());
  HttpRequest req;
  req.url = url;
  req.sink = [&](std::span<const std::byte> data) -> Status {
    if (::pwrite(fd, data.data(), data.size(), d.size) != static_cast<ssize_t>(data.size())) {
      return MakeError(errno == ENOSPC ? ErrorCode::kNoSpace : ErrorCode::kIo,
                       std::string("writing the download: ") + strerror(errno));
    }
    d.size += static_cast<int64_t>(data.size());
    return Ok();
  };
  CVC_ASSIGN_OR_RETURN(HttpResponse resp, http.Perform(ctx, req));
  const std::string shown = ShownUrl(url);
  if (resp.status < 200 || resp.status > 299) {
    // rclone 1.60 exits 1 for any answer but 2xx, a missing file included.
    return MakeError(ErrorCode::kIo, fmt::format("GET {}: HTTP {}", shown, resp.status),
                     IsRetryableStatus(resp.status) ? RetryClass::kRetryable : RetryClass::kNoRetry);
  }
  if (auto length = resp.headers.Get("Content-Length")) {
    char* end = nullptr;
    const long long want = std::strtoll(length->c_str(), &end, 10);
    if (end != length->c_str() && want != d.size) {
      return MakeError(ErrorCode::kNetwork,
                       fmt::format("GET {}: {} bytes received of {}", shown, d.size, want),
                       RetryClass::kRetryable);
    }
  }
  d.mtime = std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  if (auto modified = resp.headers.Get("Last-Modified")) {
    if (auto t = ParseHttpDate(*modified)) d.mtime = *t;
  }
  return d;
}

Status RunCopyurl(const Invocation& inv) {
  const std::string& url = inv.args[0];
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return MakeError(ErrorCode::kUsage, "copyurl: " + ShownUrl(url) + " is not an http:// or https:// URL");
  }
  const bool to_stdout = inv.flags.Bool("stdout");
  const bool auto_name = inv.flags.Bool("auto-filename");
  if (!to_stdout && inv.args.size() < 2) {
    return MakeError(ErrorCode::kUsage, "copyurl needs a destination (or --stdout)");
  }
  std::string dir, leaf;
  std::unique_ptr<Remote> dst;
  if (!to_stdout) {
    if (auto_name) {
      CVC_ASSIGN_OR_RETURN(leaf, FileNameOf(url));
      dir = inv.args[1];
    } else {
      auto split = SplitLeaf(inv.args[1]);
      if (!split) {
        return MakeError(ErrorCode::kInvalidArgument,
                         fmt::format("\"{}\" does not name a file path", inv.args[1]));
      }
      dir = split->first;
      leaf = split->second;
    }
    CVC_ASSIGN_OR_RETURN(dst, inv.Open(dir));
    if (inv.flags.Bool("no-clobber")) {
      if (dst->Stat(inv.ctx, leaf)) {
        // An error, as rclone 1.60's: a script learns that nothing was copied.
        return MakeError(ErrorCode::kExists, leaf + ": file already exists (--no-clobber)");
      }
    }
    if (inv.DryRun()) {
      log::NoticeAt(leaf, "Skipped copy as --dry-run is set");
      return Ok();
    }
  }
  HttpClient http;
  RetryPolicy policy;
  policy.max_attempts = std::max(1, std::atoi(inv.flags.Get("low-level-retries", "10").c_str()));
  CVC_ASSIGN_OR_RETURN(Download d, WithRetries<Download>(inv.ctx, policy, [&](int, RetryHint&) {
                         return Fetch(inv.ctx, http, url);
                       }));
  FdReader reader(fileno(d.file.get()), d.size, FdReader::kBorrow, "the download");
  if (to_stdout) {
    std::vector<std::byte> buf(kCopyBufferSize);
    while (true) {
      CVC_ASSIGN_OR_RETURN(size_t n, reader.Read(buf));
      if (n == 0) return Ok();
      if (std::fwrite(buf.data(), 1, n, stdout) != n) {
        return MakeError(ErrorCode::kIo, "writing to standard output failed");
      }
    }
  }
  PutOptions opts;
  opts.size = d.size;
  opts.mtime = d.mtime;
  CVC_ASSIGN_OR_RETURN(ObjectInfo info, dst->Put(inv.ctx, leaf, reader, opts));
  if (auto_name && inv.flags.Bool("print-filename")) fmt::print("{}\n", leaf);
  log::InfoAt(info.path, "Copied from {} ({} bytes)", ShownUrl(url), info.size);
  return Ok();
}

}  // namespace

Command MakeCopyurlCommand() {
  Command c;
  c.name = "copyurl";
  c.short_help = "Copy the contents of a URL to a file";
  c.usage = "copyurl URL DEST_PATH [flags]";
  c.long_help =
      "Downloads URL (http or https) and stores it as DEST_PATH, atomically: a download cut\n"
      "short (fewer bytes than its Content-Length) is retried, never stored. With\n"
      "-a/--auto-filename DEST is a folder and the name is the URL's last path segment.\n"
      "The file's modification time is the answer's Last-Modified, or now.\n\n"
      "Examples:\n"
      "  cvclone copyurl https://example.com/report.pdf backup:docs/report.pdf\n"
      "  cvclone copyurl -a https://example.com/report.pdf backup:docs\n";
  c.flags = {
      {.name = "auto-filename", .short_name = 'a', .help = "Name the file after the URL's last path segment"},
      {.name = "no-clobber", .help = "Fail, copying nothing, if the file exists"},
      {.name = "print-filename", .help = "With -a, print the name given to the file"},
      {.name = "stdout", .help = "Write the contents to standard output instead of a file"},
  };
  c.min_args = 1;
  c.max_args = 2;
  c.run = RunCopyurl;
  return c;
}

}  // namespace cvclone
