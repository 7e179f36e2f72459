// -i/--interactive (rclone's): the run asks before each change it would make, one question at
// a time, and reads the answer from a line of input:
//   cvclone: copy "a.txt"?
//   y) Yes, this is OK (default)
//   n) No, skip this
//   s) Skip all copy operations with no more questions
//   !) Do all copy operations with no more questions
//   q) Exit cvclone now.
//   y/n/s/!/q>
// An empty line is "y"; any other answer is asked again. s and ! hold for the rest of the run,
// for that operation only (NOTICE "Skipping all copy operations from now on without asking").
#pragma once

#include <cstdint>
#include <cstdio>
#include <istream>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace cvclone {

class RunState;
struct SyncOptions;

class Interactive {
 public:
  enum class Answer { kYes, kNo, kQuit };

  // Questions go to out, answers come from in; both outlive this. The CLI gives stdout, stdin.
  Interactive(std::istream& in, std::FILE* out) : in_(in), out_(out) {}

  // Whether to do op ("copy", "move", "delete", "update modification time", "make directory",
  // "remove directory") on path. Thread-safe: the questions are asked one after the other. The
  // end of the input is NoAnswerError(), for this question and every later one; q logs NOTICE
  // "Quitting cvclone now".
  Result<Answer> Ask(const std::string& op, const std::string& path);

 private:
  std::istream& in_;
  std::FILE* out_;
  std::mutex mu_;
  std::map<std::string, Answer> always_;  // op → the s or ! given for it
  bool eof_ = false;
};

// The fatal kNoAnswer "Failed to read line: EOF" when the input ended before an answer; the CLI
// exits 1 on it, as rclone does.
Error NoAnswerError();

// The fatal kQuit a run returns after the answer q; the CLI exits 0 on it as rclone does (the
// files done so far stay; sync deletes nothing).
Error QuitError();

// For the engine: whether the run may do op on path. True without --interactive (opts'
// interactive null) and under --dry-run (which changes nothing). False when the answer was n
// or s (logged as NOTICE "path: Skipped op as --interactive is set", with " (size N)" when
// size >= 0), or when the run must stop: q (the fatal QuitError is recorded in state), or no
// more input (the fatal NoAnswerError is recorded).
bool Confirmed(RunState& state, const SyncOptions& opts, const std::string& op,
               const std::string& path, int64_t size = -1);

}  // namespace cvclone
