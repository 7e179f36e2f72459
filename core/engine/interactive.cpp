#include "core/engine/interactive.hpp"

#include <fmt/format.h>

#include "core/engine/accounting.hpp"
#include "core/engine/march.hpp"
#include "core/engine/sync.hpp"
#include "core/log.hpp"

namespace cvclone {
namespace {

constexpr const char* kQuitMessage = "Quitting cvclone now";
constexpr const char* kEofMessage = "Failed to read line: EOF";

}  // namespace

Result<Interactive::Answer> Interactive::Ask(const std::string& op, const std::string& path) {
  std::lock_guard lock(mu_);
  if (auto it = always_.find(op); it != always_.end()) return it->second;
  if (eof_) return Unexpected<Error>(NoAnswerError());
  std::string question = fmt::format(
      "cvclone: {} \"{}\"?\n"
      "y) Yes, this is OK (default)\n"
      "n) No, skip this\n"
      "s) Skip all {} operations with no more questions\n"
      "!) Do all {} operations with no more questions\n"
      "q) Exit cvclone now.\n"
      "y/n/s/!/q> ",
      op, path, op, op);
  std::fputs(question.c_str(), out_);
  while (true) {
    std::fflush(out_);
    std::string line;
    if (!std::getline(in_, line)) {
      eof_ = true;
      std::fputs("\n", out_);
      std::fflush(out_);
      return Unexpected<Error>(NoAnswerError());
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line == "y" || line == "Y") return Answer::kYes;
    if (line == "n" || line == "N") return Answer::kNo;
    if (line == "q" || line == "Q") {
      log::Notice("{}", kQuitMessage);
      return Answer::kQuit;
    }
    if (line == "s" || line == "S") {
      log::Notice("Skipping all {} operations from now on without asking", op);
      always_[op] = Answer::kNo;
      return Answer::kNo;
    }
    if (line == "!") {
      log::Notice("Doing all {} operations from now on without asking", op);
      always_[op] = Answer::kYes;
      return Answer::kYes;
    }
    std::fputs("This value must be one of the following characters: y, n, s, !, q.\ny/n/s/!/q> ",
               out_);
  }
}

Error NoAnswerError() { return Error(ErrorCode::kNoAnswer, kEofMessage, RetryClass::kFatal); }

Error QuitError() { return Error(ErrorCode::kQuit, kQuitMessage, RetryClass::kFatal); }

bool Confirmed(RunState& state, const SyncOptions& opts, const std::string& op,
               const std::string& path, int64_t size) {
  // --dry-run wins, as rclone's: the caller says what it would do.
  if (opts.interactive == nullptr || opts.dry_run) return true;
  if (state.Stopped()) return false;
  auto answer = opts.interactive->Ask(op, path);
  if (!answer) {
    state.Record(answer.error());  // fatal: the run stops
    return false;
  }
  if (*answer == Interactive::Answer::kQuit) {
    state.Record(QuitError());
    return false;
  }
  if (*answer == Interactive::Answer::kNo) {
    if (size >= 0) {
      log::NoticeAt(path, "Skipped {} as --interactive is set (size {})", op,
                    FormatBytes(static_cast<double>(size)));
    } else {
      log::NoticeAt(path, "Skipped {} as --interactive is set", op);
    }
  }
  return *answer == Interactive::Answer::kYes;
}

}  // namespace cvclone
