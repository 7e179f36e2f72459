// rclone-style filter rules for the transfer engine, with rclone's semantics.
//
// Rules are "+ glob" (include) or "- glob" (exclude), tried in order; the first match wins; a
// path matched by no rule is included. "!" clears the rules given before it. (The implicit
// "- /**" rclone adds after --include rules is the caller's to add: FilterOptions holds the
// final list.) Globs support *, ** (crosses '/'), ?, [...] (with '!' or '^' negation and
// ranges), {a,b} alternatives and '\' escapes. A leading '/' anchors the glob at the root;
// otherwise it matches the end of the path at any directory depth ("*.txt" matches
// "a/b/x.txt").
//
// As rclone's, each rule is a file rule, a directory rule, or both:
// - a glob ending in '/' is a directory rule ("- dir/" is taken as "- dir/**": also a file rule
//   excluding everything below);
// - a glob holding "**" is both;
// - any other glob is a file rule; an include file rule (and "- *") adds directory rules for
//   the directories its files may be in, so that "+ /a/b/*.txt" descends into a and a/b only.
// IncludeFile tries the file rules, IncludeDir the directory rules (a directory that no rule
// matches is descended into).
//
// Beyond the rules: size limits, modification-time limits (--max-age/--min-age), an explicit
// list of files (--files-from: then it alone decides, as rclone's), a maximum depth, marker
// files that exclude their directory (--exclude-if-present), and case-insensitive globs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone {

struct FilterOptions {
  std::vector<std::string> rules;  // in order, each "+ glob", "- glob" or "!"
  int64_t min_size = -1;
  int64_t max_size = -1;
  std::optional<TimePoint> modified_after;   // --max-age: older files are excluded
  std::optional<TimePoint> modified_before;  // --min-age: newer files are excluded
  // --files-from: exactly these paths (relative to the root, '/'-separated) when set.
  std::optional<std::vector<std::string>> files;
  int max_depth = -1;                           // -1: no limit; 1: the root's entries only
  std::vector<std::string> exclude_if_present;  // file names that exclude their directory
  bool ignore_case = false;
};

// Translates a glob (without the leading '/' anchor or trailing '/') into an ECMAScript regex
// body matching one whole path. kInvalidArgument for malformed globs (unclosed [ or {).
Result<std::string> GlobToRegex(const std::string& glob);

class Filter {
 public:
  Filter() = default;  // no rules: includes everything
  // kInvalidArgument naming the rule when a rule is not "+ glob"/"- glob"/"!" or the glob is
  // bad.
  static Result<Filter> Make(const FilterOptions& opts);

  // Whether the file at path (relative to the root) with size bytes (-1 unknown) is included.
  // The time limits do not apply (no time known).
  bool IncludeFile(const std::string& path, int64_t size) const;
  // The same for a listed object, its modification time included.
  bool IncludeObject(const ObjectInfo& info) const;
  // Whether the directory dir is included: listed, and walked into when Descend says so.
  bool IncludeDir(const std::string& dir) const;
  // Whether the walk may descend into dir: IncludeDir, and above the maximum depth.
  bool Descend(const std::string& dir) const;
  // Whether a directory listing holds one of the --exclude-if-present names (as a file): then
  // the directory and everything in it is excluded.
  bool ExcludesListing(const std::vector<ObjectInfo>& entries) const;
  // Whether --exclude-if-present names are set (ExcludesListing can be true).
  bool HasExcludeMarkers() const { return !exclude_if_present_.empty(); }
  // Whether any rule or limit is set.
  bool Active() const;

 private:
  struct Rule {
    bool include = false;
    std::string text;  // the rule as given, for messages
    // Shared: Filter stays cheap to copy. Null when the rule is not of that kind.
    std::shared_ptr<const std::regex> file_re;
    std::vector<std::shared_ptr<const std::regex>> dir_res;  // matched against "dir/"
  };
  bool MatchRules(const std::string& path) const;

  std::vector<Rule> rules_;
  int64_t min_size_ = -1;
  int64_t max_size_ = -1;
  std::optional<TimePoint> modified_after_;
  std::optional<TimePoint> modified_before_;
  bool has_files_ = false;
  std::shared_ptr<const std::set<std::string>> files_, dirs_;
  int max_depth_ = -1;
  std::vector<std::string> exclude_if_present_;
};

}  // namespace cvclone
