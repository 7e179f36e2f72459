// Remote strings: what the user writes to name a remote and a path inside it.
//
// Forms:
//   "/abs/dir", "rel/dir", ".", "./a:b"     local: no ':' at all, or a '/' before the first ':'
//   "name:path"                             config section `name` ([A-Za-z0-9_. -]+, no leading
//                                           or trailing space, as rclone)
//   "name,opt=val,opt2='a,b':path"          section with inline parameter overrides
//   ":s3:bucket/dir", ":s3,region=x:bucket" backend on the fly, no config section
//   "crypt(s3:bucket/dir)"                  wrapper: backend type, optional parameters, the
//   "crypt,password='x'(inner)/sub"         balanced-parentheses inner remote string, then an
//   "crypt(inner):sub"                      optional "/path" or ":path"
// Parameter values may be bare (up to the next ',' ':' or '('), or single- or double-quoted; a
// doubled quote inside quotes is a literal quote. Parameter names are non-empty
// [A-Za-z0-9_-]+.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace cvclone {

struct RemoteSpec {
  enum class Kind { kLocal, kSection, kBackend, kWrapper };
  Kind kind = Kind::kLocal;
  std::string name;  // kSection: config section; kBackend/kWrapper: backend type
  std::vector<std::pair<std::string, std::string>> params;  // inline `,opt=val` in order
  std::string inner;  // kWrapper: the inner remote string, verbatim
  std::string path;   // the path inside the remote (kLocal: the filesystem path as given)
};

// Parses a remote string. Errors are kConfig with a message quoting the string and saying what
// is wrong: unbalanced parentheses, empty name, invalid name, bad parameter syntax (missing '=',
// empty parameter name, unterminated quote), trailing garbage after a wrapper's ')', an empty
// string.
Result<RemoteSpec> ParseRemoteString(const std::string& text);

// The inverse for messages: a remote string that parses to spec (parameter values quoted where
// needed). Secret values are not redacted here: do not log the result if params hold secrets.
std::string FormatRemoteString(const RemoteSpec& spec);

}  // namespace cvclone
