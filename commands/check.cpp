// check: compares source and destination (sizes, then a common hash or the bytes), and writes
// rclone's per-file reports (--combined, --match, --differ, --missing-on-src, --missing-on-dst,
// --error) to files or to stdout ("-").
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "core/engine/check.hpp"

namespace cvclone {
namespace {

// The report flags, and the outcome each one lists (the combined one lists all, with signs).
struct ReportFlag {
  const char* name;
  CheckOutcome outcome;
  const char* help;
};
constexpr ReportFlag kReportFlags[] = {
    {"match", CheckOutcome::kMatch, "Report all matching files to this file"},
    {"differ", CheckOutcome::kDiffer, "Report all non-matching files to this file"},
    {"missing-on-src", CheckOutcome::kMissingOnSrc,
     "Report all files missing from the source to this file"},
    {"missing-on-dst", CheckOutcome::kMissingOnDst,
     "Report all files missing from the destination to this file"},
    {"error", CheckOutcome::kError,
     "Report all files with errors (hashing or reading) to this file"},
};

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f != stdout) std::fclose(f);
  }
};

// The open report files. Two flags naming the same file share it; "-" is stdout. Lines are
// written whole under a mutex (the checkers report from several threads).
class CheckReports {
 public:
  Status Open(const Invocation& inv) {
    CVC_RETURN_IF_ERROR(OpenOne(inv.flags.Get("combined"), &combined_));
    for (const ReportFlag& flag : kReportFlags) {
      std::FILE* f = nullptr;
      CVC_RETURN_IF_ERROR(OpenOne(inv.flags.Get(flag.name), &f));
      if (f != nullptr) by_outcome_.emplace(flag.outcome, f);
    }
    return Ok();
  }
  bool Empty() const { return combined_ == nullptr && by_outcome_.empty(); }

  void Write(CheckOutcome outcome, const std::string& shown) {
    std::lock_guard lock(mu_);
    if (combined_ != nullptr) {
      std::fputs(fmt::format("{} {}\n", CheckOutcomeSign(outcome), shown).c_str(), combined_);
    }
    auto [begin, end] = by_outcome_.equal_range(outcome);
    for (auto it = begin; it != end; ++it) std::fputs((shown + "\n").c_str(), it->second);
  }

  Status Close() {
    std::lock_guard lock(mu_);
    bool ok = true;
    for (auto& [name, file] : files_) ok = std::fflush(file.get()) == 0 && ok;
    if (!ok) return MakeError(ErrorCode::kIo, "check: writing a report file failed");
    return Ok();
  }

 private:
  Status OpenOne(const std::string& name, std::FILE** out) {
    if (name.empty()) return Ok();
    auto it = files_.find(name);
    if (it == files_.end()) {
      std::FILE* f = name == "-" ? stdout : std::fopen(name.c_str(), "w");
      if (f == nullptr) {
        return MakeError(ErrorCode::kIo, fmt::format("failed to open output file \"{}\": {}",
                                                     name, std::strerror(errno)));
      }
      it = files_.emplace(name, std::unique_ptr<std::FILE, FileCloser>(f)).first;
    }
    *out = it->second.get();
    return Ok();
  }

  std::mutex mu_;
  std::map<std::string, std::unique_ptr<std::FILE, FileCloser>> files_;
  std::FILE* combined_ = nullptr;
  std::multimap<CheckOutcome, std::FILE*> by_outcome_;
};

}  // namespace

Command MakeCheckCommand() {
  Command c;
  c.name = "check";
  c.short_help = "Check that the files in source and dest match";
  c.usage = "check SOURCE DEST [flags]";
  c.long_help =
      "Compares SOURCE and DEST: every file must exist on both sides with the same size and\n"
      "the same hash (when both sides share a hash type; --download compares the bytes).\n"
      "Each difference is reported by path, and the exit code is non-zero if any is found.\n"
      "If SOURCE names a file, only that file is compared (with the one of that name in DEST).\n\n"
      "Reports, each to a file or to standard output with \"-\", one path a line, unsorted:\n"
      "--combined lists every file with a sign: \"= \" identical, \"- \" only in DEST,\n"
      "\"+ \" only in SOURCE, \"* \" different, \"! \" error while checking; --match,\n"
      "--differ, --missing-on-src, --missing-on-dst and --error list one kind each.\n\n"
      "Examples:\n"
      "  cvclone check ~/docs backup:docs\n"
      "  cvclone check ~/docs backup:docs --one-way --download\n"
      "  cvclone check ~/docs backup:docs --combined report.txt --differ -\n";
  c.flags = {
      {"one-way", 0, FlagType::kBool, "", "Only check that source files are in dest"},
      {"download", 0, FlagType::kBool, "", "Compare the bytes by reading both sides"},
      {"combined", 0, FlagType::kString, "FILE",
       "Make a combined report of changes to this file"},
  };
  for (const ReportFlag& flag : kReportFlags) {
    c.flags.push_back({flag.name, 0, FlagType::kString, "FILE", flag.help});
  }
  c.flags.push_back(RawNamesFlag());
  c.min_args = c.max_args = 2;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(SyncOptions opts, inv.MakeSyncOptions());
    opts.one_way = inv.flags.Bool("one-way");
    opts.download = inv.flags.Bool("download");
    CVC_ASSIGN_OR_RETURN(Target src, OpenTarget(inv, inv.args[0]));
    if (!src.file.empty()) RestrictToFile(opts.filter, src.file);
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> dst, inv.Open(inv.args[1]));
    CheckReports reports;
    CVC_RETURN_IF_ERROR(reports.Open(inv));
    CheckReport report;
    if (!reports.Empty()) {
      report = [&](CheckOutcome outcome, const std::string& path) {
        reports.Write(outcome, ShownName(inv, path));
      };
    }
    Status checked = RunWithAccounting(inv, [&](Accounting& acct) {
      return RunCheck(inv.ctx, *src.remote, *dst, opts, acct, report);
    });
    Status closed = reports.Close();
    if (!checked) return checked;
    return closed;
  };
  return c;
}

}  // namespace cvclone
