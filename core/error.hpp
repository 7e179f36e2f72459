// Error model: Status / Result<T> instead of exceptions (see STYLE.md).
//
// Result<T> follows std::expected's names (has_value, value, error, operator*, operator->,
// value_or, Unexpected) so a later switch to C++23 is mechanical. An Error carries a code, a
// message that gains context on the way up ("s3: PUT bucket/key: 503 SlowDown"), and a retry
// class. Secrets never enter a message: callers must not format passwords or keys into one.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace cvclone {

enum class ErrorCode {
  kOk = 0,
  kNotFound,         // object does not exist
  kDirNotFound,      // directory does not exist
  kIsDir,            // a directory where an object was expected
  kNotDir,           // an object where a directory was expected
  kExists,           // already exists where that is an error
  kDirNotEmpty,      // rmdir on a non-empty directory
  kUnsupported,      // optional operation not offered by this remote
  kInvalidArgument,  // bad input: hostile name, malformed value
  kUsage,            // command-line usage error
  kConfig,           // config file / remote string error
  kIo,               // local I/O error
  kNoSpace,          // disk full
  kPermission,       // access denied (local permission, S3 403)
  kAuth,             // authentication failed (signature, wrong password)
  kCorrupt,          // data failed verification (hash mismatch, tampered ciphertext)
  kNetwork,          // connection / transport error
  kTimeout,          // deadline exceeded
  kCancelled,        // stopped by the user (SIGINT) or a stop_token
  kInternal,         // a bug
  // Outcomes of a run that rclone gives exit codes of their own:
  kMaxTransfer,      // --max-transfer reached (exit 8)
  kMaxDuration,      // --max-duration reached (exit 7, as a fatal error)
  kNoTransfer,       // --error-on-no-transfer and nothing was transferred (exit 9)
  kDifferences,      // check: the two sides differ (exit 1)
  kNoAnswer,         // --interactive and standard input ended before an answer (exit 1)
  kQuit,             // --interactive and the answer q: the run stopped (exit 0)
  kUnknownRemote,    // a remote name neither the config file nor the environment defines (exit 1)
};

// Whether trying again may help. Retryable errors are retried by the backend (per request) and
// the engine (per file); fatal errors stop the whole run (exit code 7).
enum class RetryClass { kNoRetry, kRetryable, kFatal };

const char* ErrorCodeName(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message, RetryClass retry = RetryClass::kNoRetry)
      : code_(code), message_(std::move(message)), retry_(retry) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  RetryClass retry() const { return retry_; }
  bool retryable() const { return retry_ == RetryClass::kRetryable; }
  bool fatal() const { return retry_ == RetryClass::kFatal; }

  // Returns a copy with "context: " prepended to the message.
  Error WithContext(const std::string& context) const {
    return Error(code_, context + ": " + message_, retry_);
  }
  Error WithRetry(RetryClass retry) const { return Error(code_, message_, retry); }

 private:
  ErrorCode code_;
  std::string message_;
  RetryClass retry_;
};

// Wraps an Error so that it converts into any Result<T> (std::unexpected's role).
template <typename E = Error>
class Unexpected {
 public:
  explicit Unexpected(E error) : error_(std::move(error)) {}
  const E& error() const& { return error_; }
  E&& error() && { return std::move(error_); }

 private:
  E error_;
};

inline Unexpected<Error> MakeError(ErrorCode code, std::string message,
                                   RetryClass retry = RetryClass::kNoRetry) {
  return Unexpected<Error>(Error(code, std::move(message), retry));
}

template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  Result(const T& value) : storage_(value) {}
  Result(T&& value) : storage_(std::move(value)) {}
  template <typename U>
    requires(std::is_constructible_v<T, U &&> && !std::is_same_v<std::decay_t<U>, Result> &&
             !std::is_same_v<std::decay_t<U>, Unexpected<Error>> &&
             !std::is_same_v<std::decay_t<U>, Error>)
  Result(U&& value) : storage_(T(std::forward<U>(value))) {}
  Result(const Unexpected<Error>& e) : storage_(e.error()) {}
  Result(Unexpected<Error>&& e) : storage_(std::move(e).error()) {}

  bool has_value() const { return storage_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { assert(has_value()); return std::get<0>(storage_); }
  const T& value() const& { assert(has_value()); return std::get<0>(storage_); }
  T&& value() && { assert(has_value()); return std::get<0>(std::move(storage_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : T(std::forward<U>(fallback));
  }

  const Error& error() const& { assert(!has_value()); return std::get<1>(storage_); }
  Error&& error() && { assert(!has_value()); return std::get<1>(std::move(storage_)); }

 private:
  std::variant<T, Error> storage_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;
  Result() = default;
  Result(const Unexpected<Error>& e) : error_(e.error()) {}
  Result(Unexpected<Error>&& e) : error_(std::move(e).error()) {}

  bool has_value() const { return !error_.has_value(); }
  explicit operator bool() const { return has_value(); }
  void value() const { assert(has_value()); }
  const Error& error() const& { assert(!has_value()); return *error_; }
  Error&& error() && { assert(!has_value()); return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

inline Status Ok() { return Status(); }

// Propagates a failed Result as a failed Result of another type, with context.
inline Unexpected<Error> Propagate(const Error& e) { return Unexpected<Error>(e); }
inline Unexpected<Error> Propagate(const Error& e, const std::string& context) {
  return Unexpected<Error>(e.WithContext(context));
}

// Exit codes as rclone's (STYLE.md): 0 ok, 1 uncategorised, 2 usage, 3 directory not found,
// 4 file not found, 5 temporary, 6 not retryable, 7 fatal, 8 transfer limit, 9 nothing
// transferred. rclone 1.60
// documents 2 for usage errors but exits 1 for every wrong command line (its flag parser's
// errors end in a fatal log), and so does cvclone: kUsage exits 1; kUsage (2) is not used.
namespace exit_code {
constexpr int kOk = 0;
constexpr int kUncategorized = 1;
constexpr int kUsage = 2;
constexpr int kDirNotFound = 3;
constexpr int kFileNotFound = 4;
constexpr int kRetryError = 5;
constexpr int kNoRetryError = 6;
constexpr int kFatalError = 7;
constexpr int kTransferExceeded = 8;
constexpr int kNoFilesTransferred = 9;
}  // namespace exit_code

// The exit code of a command that failed with error: by its code first (usage errors and the
// run outcomes above), else by its retry class, as rclone's resolveExitCode.
int ExitCodeFor(const Error& error);

}  // namespace cvclone

// Evaluates expr (a Result); on failure returns its error from the enclosing function.
#define CVC_RETURN_IF_ERROR(expr)                                  \
  do {                                                             \
    auto cvc_status_ = (expr);                                     \
    if (!cvc_status_) return ::cvclone::Propagate(cvc_status_.error()); \
  } while (0)

#define CVC_CONCAT_INNER(a, b) a##b
#define CVC_CONCAT(a, b) CVC_CONCAT_INNER(a, b)
// Declares `lhs` from a Result's value, or returns its error from the enclosing function.
#define CVC_ASSIGN_OR_RETURN(lhs, expr) \
  CVC_ASSIGN_OR_RETURN_IMPL(CVC_CONCAT(cvc_result_, __LINE__), lhs, expr)
#define CVC_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)           \
  auto tmp = (expr);                                        \
  if (!tmp) return ::cvclone::Propagate(tmp.error());       \
  lhs = std::move(tmp).value()
