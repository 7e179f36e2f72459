#include "core/error.hpp"

namespace cvclone {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kDirNotFound: return "directory not found";
    case ErrorCode::kIsDir: return "is a directory";
    case ErrorCode::kNotDir: return "not a directory";
    case ErrorCode::kExists: return "already exists";
    case ErrorCode::kDirNotEmpty: return "directory not empty";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kUsage: return "usage";
    case ErrorCode::kConfig: return "config";
    case ErrorCode::kIo: return "i/o error";
    case ErrorCode::kNoSpace: return "no space left";
    case ErrorCode::kPermission: return "permission denied";
    case ErrorCode::kAuth: return "authentication failed";
    case ErrorCode::kCorrupt: return "corrupt data";
    case ErrorCode::kNetwork: return "network error";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kInternal: return "internal error";
    case ErrorCode::kMaxTransfer: return "transfer limit reached";
    case ErrorCode::kMaxDuration: return "duration limit reached";
    case ErrorCode::kNoTransfer: return "no files transferred";
    case ErrorCode::kDifferences: return "differences found";
    case ErrorCode::kNoAnswer: return "no answer";
    case ErrorCode::kQuit: return "quit";
    case ErrorCode::kUnknownRemote: return "unknown remote";
  }
  return "unknown";
}

int ExitCodeFor(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kOk:
    case ErrorCode::kQuit: return exit_code::kOk;
    case ErrorCode::kUsage: return exit_code::kUncategorized;  // as rclone 1.60 (error.hpp)
    case ErrorCode::kDirNotFound: return exit_code::kDirNotFound;
    case ErrorCode::kNotFound: return exit_code::kFileNotFound;
    case ErrorCode::kMaxTransfer: return exit_code::kTransferExceeded;
    case ErrorCode::kMaxDuration: return exit_code::kFatalError;
    case ErrorCode::kNoTransfer: return exit_code::kNoFilesTransferred;
    // rclone: a check's "N differences found", a closed stdin under -i and an unknown remote
    // end in a fatal log, exit 1.
    case ErrorCode::kDifferences:
    case ErrorCode::kNoAnswer:
    case ErrorCode::kUnknownRemote: return exit_code::kUncategorized;
    default: break;
  }
  if (error.fatal()) return exit_code::kFatalError;
  if (error.retryable()) return exit_code::kRetryError;
  if (error.code() == ErrorCode::kConfig || error.code() == ErrorCode::kAuth ||
      error.code() == ErrorCode::kCorrupt || error.code() == ErrorCode::kInvalidArgument) {
    return exit_code::kNoRetryError;
  }
  return exit_code::kUncategorized;
}

}  // namespace cvclone
