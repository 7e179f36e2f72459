// RunCheck with a per-file report: what `check --combined`, `--match`, `--differ`,
// `--missing-on-src`, `--missing-on-dst` and `--error` write (rclone 1.60's check).
#pragma once

#include <functional>
#include <string>

#include "core/engine/sync.hpp"

namespace cvclone {

// The outcome of one path of a check, with rclone's --combined sign.
enum class CheckOutcome {
  kMatch,         // '=': on both sides, identical as far as the check can tell
  kMissingOnSrc,  // '-': only in the destination (not reported with one_way)
  kMissingOnDst,  // '+': only in the source
  kDiffer,        // '*': on both sides, sizes, hashes or bytes differ
  kError,         // '!': could not be compared (a hash or a read failed)
};

// '=', '-', '+', '*' or '!'.
char CheckOutcomeSign(CheckOutcome outcome);

// Called once for every file the check decides on (filtered out files are not reported), from
// the checker threads, several at once: the callee serialises.
using CheckReport = std::function<void(CheckOutcome outcome, const std::string& path)>;

// RunCheck (core/engine/sync.hpp), calling report (may be empty) for each file.
Status RunCheck(const Context& ctx, Remote& src, Remote& dst, const SyncOptions& opts,
                Accounting& acct, const CheckReport& report);

}  // namespace cvclone
