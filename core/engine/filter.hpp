// rclone-style filter rules for the transfer engine.
//
// Rules are "+ glob" (include) or "- glob" (exclude), tried in order; the first match wins. A
// path matched by no rule is included, unless any include rule was given: then it is excluded
// (rclone's implicit "- **" after includes). Globs support *, ** (crosses '/'), ?, [...] (with
// '!' or '^' negation and ranges), {a,b} alternatives and '\' escapes. A leading '/' anchors the
// glob at the root; otherwise it matches the end of the path at any directory depth ("*.txt"
// matches "a/b/x.txt"). A trailing '/' makes a directory rule: it matches directories only, and a
// file is excluded/included by it when one of its parent directories matches.
// Sizes: min_size / max_size (bytes, -1 = no limit) exclude files outside [min, max].
#pragma once

#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace cvclone {

struct FilterOptions {
  std::vector<std::string> rules;  // in order, each "+ glob" or "- glob"
  int64_t min_size = -1;
  int64_t max_size = -1;
};

// Translates a glob (without the leading '/' anchor or trailing '/') into an ECMAScript regex
// body matching one whole path. kInvalidArgument for malformed globs (unclosed [ or {).
Result<std::string> GlobToRegex(const std::string& glob);

class Filter {
 public:
  Filter() = default;  // no rules: includes everything
  // kInvalidArgument naming the rule when a rule is not "+ glob"/"- glob" or the glob is bad.
  static Result<Filter> Make(const FilterOptions& opts);

  // Whether the file at path (relative to the root) with size bytes (-1 unknown) is included.
  bool IncludeFile(const std::string& path, int64_t size) const;
  // Whether the walk may descend into dir. Conservative: true unless a directory rule (or a
  // "dir/**" rule) excludes it as the first match.
  bool IncludeDir(const std::string& dir) const;
  // Whether any rule or size limit is set.
  bool Active() const;

 private:
  struct Rule {
    bool include = false;
    bool dir_only = false;  // trailing '/'
    bool ends_with_any = false;  // glob ends in "**": may exclude whole directories
    std::string text;       // the rule as given, for messages
    std::shared_ptr<const std::regex> re;  // shared: Filter stays cheap to copy
  };
  // Whether rule matches one of path's parent directories (and path itself when self).
  bool AncestorMatches(const Rule& rule, const std::string& path, bool self) const;

  std::vector<Rule> rules_;
  bool has_include_ = false;
  int64_t min_size_ = -1;
  int64_t max_size_ = -1;
};

}  // namespace cvclone
