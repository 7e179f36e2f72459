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
#include <string_view>
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

// Parentheses nested deeper than this in a remote string (outside quoted values) are refused
// before anything else is parsed: far more than any real nesting of wrappers needs (NewRemote
// allows 10 remotes), and it bounds the recursion and copying that nested strings cost.
inline constexpr int kMaxRemoteNesting = 32;

// Parses a remote string. Errors are kConfig with a message quoting the string (abbreviated as
// AbbreviateRemoteString does) and saying what is wrong: parentheses nested more than
// kMaxRemoteNesting deep (checked first), unbalanced parentheses, empty name, invalid name, bad
// parameter syntax (missing '=', empty parameter name, unterminated quote, a bare value followed
// by "://": a URL that must be quoted), trailing garbage after a wrapper's ')', an empty string.
//
// Parsing looks at the text alone: a wrapper-shaped string such as "crypt(x)" parses as a
// wrapper even where a file of that name exists (NewRemote decides that), while a string that
// starts with "./" or "/" is always a local path.
Result<RemoteSpec> ParseRemoteString(const std::string& text);

// text for an error message: the value of every inline option whose name looks secret
// (LooksSecretOption) replaced by kRedacted, at any nesting depth and whether the string
// parses or not; then itself, or its first 100 bytes and its length when it is much longer (a
// remote string may be megabytes long). Use it wherever a message shows a remote string as typed.
std::string AbbreviateRemoteString(const std::string& text);

// text with the value of every inline ",key=value" whose key looks secret (LooksSecretOption)
// replaced by kRedacted, at any nesting depth, whether text parses or not; text itself when it
// has none. For config values that hold a remote string (a wrapper's `remote`).
std::string RedactRemoteString(const std::string& text);

// Whether an option's name alone says it holds a secret ("pass", "secret", "token" or "key" in
// it), for strings whose backend is not known.
bool LooksSecretOption(std::string_view key);

// The placeholder secrets are printed as.
inline constexpr const char* kRedacted = "*** REDACTED ***";

// The inverse for messages: a remote string that parses to spec (parameter values quoted where
// needed). Secret values are not redacted here: do not log the result if params hold secrets.
std::string FormatRemoteString(const RemoteSpec& spec);

}  // namespace cvclone
