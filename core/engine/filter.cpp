#include "core/engine/filter.hpp"

#include <algorithm>
#include <string_view>

namespace cvclone {
namespace {

bool IsRegexSpecial(char c) {
  return std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos;
}

void AppendLiteral(std::string& out, char c) {
  if (IsRegexSpecial(c)) out += '\\';
  out += c;
}

// Translates a [...] class starting at glob[i] == '['; returns the index past ']'.
Result<size_t> TranslateClass(const std::string& glob, size_t i, std::string& out) {
  size_t j = i + 1;
  out += '[';
  if (j < glob.size() && (glob[j] == '!' || glob[j] == '^')) {
    out += '^';
    ++j;
  }
  bool first = true;
  for (; j < glob.size(); ++j) {
    char c = glob[j];
    if (c == ']' && !first) {
      out += ']';
      return j + 1;
    }
    first = false;
    if (c == '\\' && j + 1 < glob.size()) {
      out += '\\';
      out += glob[++j];
    } else if (c == '\\' || c == '[' || c == ']' || c == '^') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return MakeError(ErrorCode::kInvalidArgument, "unclosed [ in glob \"" + glob + "\"");
}

}  // namespace

Result<std::string> GlobToRegex(const std::string& glob) {
  std::string out;
  int brace_depth = 0;
  for (size_t i = 0; i < glob.size(); ++i) {
    char c = glob[i];
    switch (c) {
      case '*':
        if (i + 1 < glob.size() && glob[i + 1] == '*') {
          out += ".*";
          while (i + 1 < glob.size() && glob[i + 1] == '*') ++i;
        } else {
          out += "[^/]*";
        }
        break;
      case '?': out += "[^/]"; break;
      case '[': {
        CVC_ASSIGN_OR_RETURN(size_t next, TranslateClass(glob, i, out));
        i = next - 1;
        break;
      }
      case '{': ++brace_depth; out += "(?:"; break;
      case '}':
        if (brace_depth == 0) {
          return MakeError(ErrorCode::kInvalidArgument, "unmatched } in glob \"" + glob + "\"");
        }
        --brace_depth;
        out += ')';
        break;
      case ',':
        if (brace_depth > 0) {
          out += '|';
        } else {
          out += ',';
        }
        break;
      case '\\':
        if (i + 1 < glob.size()) {
          AppendLiteral(out, glob[++i]);
        } else {
          out += "\\\\";
        }
        break;
      default: AppendLiteral(out, c);
    }
  }
  if (brace_depth != 0) {
    return MakeError(ErrorCode::kInvalidArgument, "unclosed { in glob \"" + glob + "\"");
  }
  return out;
}

namespace {

int Depth(const std::string& path) {
  return 1 + static_cast<int>(std::count(path.begin(), path.end(), '/'));
}

Result<std::shared_ptr<const std::regex>> Compile(const std::string& glob, bool anchored,
                                                  bool ignore_case) {
  CVC_ASSIGN_OR_RETURN(std::string body, GlobToRegex(glob));
  auto flags = std::regex::ECMAScript | std::regex::optimize;
  if (ignore_case) flags |= std::regex::icase;
  return std::make_shared<const std::regex>((anchored ? "^" : "^(?:.*/)?") + body + "$", flags);
}

// The directory globs of a file glob (rclone's globToDirGlobs): each directory its files may be
// in, as a glob matching "dir/". Unanchored globs may be at any depth ("**/" in front).
std::vector<std::string> DirGlobs(const std::string& glob, bool anchored) {
  const std::string full = anchored ? glob : "**/" + glob;
  std::vector<std::string> out;
  for (size_t i = full.rfind('/'); i != std::string::npos && i > 0; i = full.rfind('/', i - 1)) {
    out.push_back(full.substr(0, i + 1));
  }
  return out;
}

}  // namespace

Result<Filter> Filter::Make(const FilterOptions& opts) {
  Filter f;
  f.min_size_ = opts.min_size;
  f.max_size_ = opts.max_size;
  f.modified_after_ = opts.modified_after;
  f.modified_before_ = opts.modified_before;
  f.max_depth_ = opts.max_depth;
  f.exclude_if_present_ = opts.exclude_if_present;
  if (opts.files) {
    auto files = std::make_shared<std::set<std::string>>();
    auto dirs = std::make_shared<std::set<std::string>>();
    for (const std::string& path : *opts.files) {
      files->insert(path);
      for (size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0;
           slash = path.rfind('/', slash - 1)) {
        dirs->insert(path.substr(0, slash));
      }
    }
    f.has_files_ = true;
    f.files_ = std::move(files);
    f.dirs_ = std::move(dirs);
  }
  for (const std::string& text : opts.rules) {
    if (text == "!") {
      f.rules_.clear();
      continue;
    }
    if (text.size() < 3 || (text[0] != '+' && text[0] != '-') || text[1] != ' ') {
      return MakeError(ErrorCode::kInvalidArgument,
                       "filter rule \"" + text + "\": must start with \"+ \" or \"- \"");
    }
    Rule rule;
    rule.include = text[0] == '+';
    rule.text = text;
    std::string glob = text.substr(2);
    const bool anchored = !glob.empty() && glob.front() == '/';
    if (anchored) glob.erase(0, 1);
    bool dir_rule = !glob.empty() && glob.back() == '/';
    bool file_rule = !dir_rule;
    // Excluding "dir/" excludes what is below it too (rclone: as "dir/**").
    if (dir_rule && !rule.include) glob += "**";
    if (glob.find("**") != std::string::npos) dir_rule = file_rule = true;
    auto re = Compile(glob, anchored, opts.ignore_case);
    if (!re) return Propagate(re.error(), "filter rule \"" + text + "\"");
    if (file_rule) rule.file_re = *re;
    if (dir_rule) rule.dir_res.push_back(*re);
    if (file_rule && (rule.include || glob == "*")) {
      for (const std::string& dir_glob : DirGlobs(glob, anchored)) {
        auto dir_re = Compile(dir_glob, /*anchored=*/true, opts.ignore_case);
        // A prefix cut inside {a,b/c}: any directory may hold a match.
        if (!dir_re) dir_re = Compile("**", true, false);
        rule.dir_res.push_back(*dir_re);
      }
    }
    f.rules_.push_back(std::move(rule));
  }
  return f;
}

bool Filter::MatchRules(const std::string& path) const {
  for (const Rule& rule : rules_) {
    if (rule.file_re && std::regex_match(path, *rule.file_re)) return rule.include;
  }
  return true;
}

bool Filter::IncludeFile(const std::string& path, int64_t size) const {
  if (has_files_) return files_->count(path) > 0;
  if (max_depth_ >= 0 && Depth(path) > max_depth_) return false;
  if (size >= 0) {
    if (min_size_ >= 0 && size < min_size_) return false;
    if (max_size_ >= 0 && size > max_size_) return false;
  }
  return MatchRules(path);
}

bool Filter::IncludeObject(const ObjectInfo& info) const {
  if (!IncludeFile(info.path, info.size)) return false;
  if (has_files_) return true;
  if (modified_after_ && info.mtime < *modified_after_) return false;
  if (modified_before_ && info.mtime > *modified_before_) return false;
  return true;
}

bool Filter::IncludeDir(const std::string& dir) const {
  if (dir.empty()) return true;
  if (has_files_) return dirs_->count(dir) > 0;
  if (max_depth_ >= 0 && Depth(dir) > max_depth_) return false;
  const std::string slashed = dir + "/";
  for (const Rule& rule : rules_) {
    for (const auto& re : rule.dir_res) {
      if (std::regex_match(slashed, *re)) return rule.include;
    }
  }
  return true;
}

bool Filter::Descend(const std::string& dir) const {
  if (!IncludeDir(dir)) return false;
  return dir.empty() || max_depth_ < 0 || Depth(dir) < max_depth_;
}

bool Filter::ExcludesListing(const std::vector<ObjectInfo>& entries) const {
  if (exclude_if_present_.empty()) return false;
  for (const ObjectInfo& e : entries) {
    if (e.is_dir) continue;
    const size_t slash = e.path.rfind('/');
    const std::string name = slash == std::string::npos ? e.path : e.path.substr(slash + 1);
    for (const std::string& marker : exclude_if_present_) {
      if (name == marker) return true;
    }
  }
  return false;
}

bool Filter::Active() const {
  return !rules_.empty() || min_size_ >= 0 || max_size_ >= 0 || modified_after_ ||
         modified_before_ || has_files_ || max_depth_ >= 0 || !exclude_if_present_.empty();
}

}  // namespace cvclone
