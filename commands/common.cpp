#include "commands/common.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <thread>

#include "commands/commands.hpp"
#include "core/log.hpp"
#include "core/open.hpp"
#include "core/printable.hpp"
#include "core/remote_spec.hpp"

namespace cvclone {

std::optional<std::pair<std::string, std::string>> SplitLeaf(const std::string& remote_string) {
  auto parsed = ParseRemoteOrLocalPath(remote_string);
  if (!parsed) return std::nullopt;
  RemoteSpec spec = std::move(parsed).value();
  std::string path = spec.path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path.empty() || path == "/") return std::nullopt;
  size_t slash = path.rfind('/');
  std::string leaf = slash == std::string::npos ? path : path.substr(slash + 1);
  if (leaf == "." || leaf == "..") return std::nullopt;
  std::string parent;
  if (slash == 0) {
    parent.push_back('/');
  } else if (slash != std::string::npos) {
    parent = path.substr(0, slash);
  }
  if (spec.kind == RemoteSpec::Kind::kLocal) {
    return std::make_pair(parent.empty() ? std::string(".") : parent, leaf);
  }
  spec.path = parent;
  return std::make_pair(FormatRemoteString(spec), leaf);
}

Result<Target> OpenTarget(const Invocation& inv, const std::string& remote_string,
                          bool missing_is_file) {
  if (auto split = SplitLeaf(remote_string)) {
    auto parent = inv.Open(split->first);
    if (parent) {
      auto info = (*parent)->Stat(inv.ctx, split->second);
      if (info && !info->is_dir) return Target{std::move(parent).value(), split->second};
      if (!info && missing_is_file && info.error().code() == ErrorCode::kNotFound) {
        return Propagate(info.error(), AbbreviateRemoteString(remote_string));
      }
    }
  }
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> remote, inv.Open(remote_string));
  return Target{std::move(remote), ""};
}

Status ResolveExactMtimes(const Context& ctx, Remote& remote, std::vector<ObjectInfo>& entries) {
  std::vector<ObjectInfo*> flagged;
  for (ObjectInfo& e : entries) {
    if (!e.is_dir && e.mtime_is_upload_time) flagged.push_back(&e);
  }
  if (flagged.empty()) return Ok();
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::optional<Error> first;
  auto work = [&] {
    for (size_t i = next++; i < flagged.size(); i = next++) {
      auto st = remote.Stat(ctx, flagged[i]->path);
      if (st) {
        *flagged[i] = std::move(st).value();
        continue;
      }
      std::lock_guard lock(mu);
      if (!first) first = st.error();
      next = flagged.size();  // stop the others early
    }
  };
  {
    std::vector<std::jthread> threads;
    const size_t n = std::min<size_t>(kExactMtimeStats, flagged.size());
    for (size_t t = 1; t < n; ++t) threads.emplace_back(work);
    work();
  }
  if (first) return Propagate(*first);
  return Ok();
}

Status Walk(const Context& ctx, Remote& remote, const std::string& dir, bool recursive,
            bool with_dirs, const Filter* filter,
            const std::function<Status(const ObjectInfo&)>& fn, ListedMtime mtimes) {
  CVC_RETURN_IF_ERROR(ctx.Check());
  CVC_ASSIGN_OR_RETURN(std::vector<ObjectInfo> entries, remote.List(ctx, dir));
  if (filter != nullptr) {
    if (filter->ExcludesListing(entries)) return Ok();
    std::erase_if(entries,
                  [&](const ObjectInfo& e) { return !e.is_dir && !filter->IncludeObject(e); });
  }
  if (mtimes == ListedMtime::kExact) CVC_RETURN_IF_ERROR(ResolveExactMtimes(ctx, remote, entries));
  std::sort(entries.begin(), entries.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.path < b.path; });
  for (const ObjectInfo& e : entries) {
    if (e.is_dir) {
      if (filter != nullptr && !filter->IncludeDir(e.path)) continue;
      if (filter != nullptr && filter->HasExcludeMarkers()) {
        // As rclone's: a directory holding a marker is not even listed in its parent.
        auto inside = remote.List(ctx, e.path);
        if (inside && filter->ExcludesListing(*inside)) continue;
      }
      if (with_dirs) CVC_RETURN_IF_ERROR(fn(e));
      if (recursive && (filter == nullptr || filter->Descend(e.path))) {
        CVC_RETURN_IF_ERROR(Walk(ctx, remote, e.path, recursive, with_dirs, filter, fn, mtimes));
      }
    } else {
      CVC_RETURN_IF_ERROR(fn(e));  // filtered above
    }
  }
  return Ok();
}

void RestrictToFile(FilterOptions& filter, const std::string& file) {
  std::string glob = "/";
  for (char c : file) {
    if (std::string_view("\\*?[]{},").find(c) != std::string_view::npos) glob += '\\';
    glob += c;
  }
  filter.rules.insert(filter.rules.begin(), {"+ " + glob, "- **"});
}

Result<Filter> MakeFilter(const Invocation& inv) {
  CVC_ASSIGN_OR_RETURN(SyncOptions opts, inv.MakeSyncOptions());
  auto filter = Filter::Make(opts.filter);
  if (!filter) return MakeError(ErrorCode::kUsage, filter.error().message());
  return std::move(filter).value();
}

Status RunWithAccounting(const Invocation& inv, const std::function<Status(Accounting&)>& fn) {
  // rclone's defaults: stats every minute, logged at INFO (seen with -v).
  std::chrono::milliseconds interval = std::chrono::minutes(1);
  if (inv.flags.Has("stats")) {
    CVC_ASSIGN_OR_RETURN(interval, ParseDurationFlagMs(inv.flags.Get("stats"), "stats",
                                                       std::chrono::milliseconds(0)));
  }
  log::Level level = log::Level::kInfo;
  if (inv.flags.Has("stats-log-level")) {
    auto parsed = log::ParseLevel(inv.flags.Get("stats-log-level"));
    if (!parsed) return MakeError(ErrorCode::kUsage, parsed.error().message());
    level = *parsed;
  }
  const bool one_line = inv.flags.Bool("stats-one-line");
  Accounting acct;
  const bool progress = inv.flags.Bool("progress") && !inv.Quiet();
  // Redrawing in place needs a terminal on stderr, and the log lines there too.
  const bool live = progress && ::isatty(STDERR_FILENO) == 1 && log::ToStderr();
  if (live) {
    acct.StartProgress();
  } else if (!progress) {
    acct.StartStatsLog(interval, level, one_line);
  }
  Status status = fn(acct);
  acct.StopProgress();
  acct.StopStatsLog();
  if (progress) {
    // The final state, once; without a terminal this is all -P prints.
    std::string text = live ? acct.ProgressText(TerminalWidth(STDERR_FILENO)) : acct.SummaryText();
    if (!text.empty() && text.back() != '\n') text += '\n';
    std::fputs(text.c_str(), stderr);
    std::fflush(stderr);
  }
  // As rclone: the stats go to the log at the end (at INFO by default, so -v shows them), when
  // stats are on or anything failed.
  if (interval.count() > 0 || acct.errors() > 0) acct.LogStats(level, one_line);
  return status;
}

std::string FormatLocalTime(TimePoint t, bool nanos) {
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto ns = (t - secs).count();
  std::time_t tt = static_cast<std::time_t>(secs.time_since_epoch().count());
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return nanos ? fmt::format("{}.{:09d}", buf, ns) : std::string(buf);
}

std::string FormatRfc3339(TimePoint t) {
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto ns = (t - secs).count();
  std::time_t tt = static_cast<std::time_t>(secs.time_since_epoch().count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:09d}Z", buf, ns);
}

void WriteStdout(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
}

FlagSpec RawNamesFlag() {
  return {"raw-names", 0, FlagType::kBool, "",
          "Print names exactly, control characters included (default: escaped, as \\x1b)"};
}

std::string ShownName(const Invocation& inv, const std::string& name) {
  return inv.flags.Bool("raw-names") ? name : TerminalSafe(name);
}

}  // namespace cvclone
