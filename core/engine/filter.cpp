#include "core/engine/filter.hpp"

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

Result<Filter> Filter::Make(const FilterOptions& opts) {
  Filter f;
  f.min_size_ = opts.min_size;
  f.max_size_ = opts.max_size;
  for (const std::string& text : opts.rules) {
    if (text.size() < 3 || (text[0] != '+' && text[0] != '-') || text[1] != ' ') {
      return MakeError(ErrorCode::kInvalidArgument,
                       "filter rule \"" + text + "\": must start with \"+ \" or \"- \"");
    }
    Rule rule;
    rule.include = text[0] == '+';
    rule.text = text;
    std::string glob = text.substr(2);
    bool anchored = !glob.empty() && glob.front() == '/';
    if (anchored) glob.erase(0, 1);
    if (!glob.empty() && glob.back() == '/') {
      rule.dir_only = true;
      glob.pop_back();
    }
    rule.ends_with_any = glob.size() >= 2 && glob.compare(glob.size() - 2, 2, "**") == 0;
    auto body = GlobToRegex(glob);
    if (!body) return Propagate(body.error(), "filter rule \"" + text + "\"");
    std::string pattern = (anchored ? "^" : "^(?:.*/)?") + *body + "$";
    rule.re = std::make_shared<const std::regex>(pattern, std::regex::ECMAScript |
                                                              std::regex::optimize);
    f.has_include_ = f.has_include_ || rule.include;
    f.rules_.push_back(std::move(rule));
  }
  return f;
}

bool Filter::AncestorMatches(const Rule& rule, const std::string& path, bool self) const {
  if (self && std::regex_match(path, *rule.re)) return true;
  for (size_t pos = path.rfind('/'); pos != std::string::npos && pos > 0;
       pos = path.rfind('/', pos - 1)) {
    if (std::regex_match(path.begin(), path.begin() + static_cast<std::ptrdiff_t>(pos),
                         *rule.re)) {
      return true;
    }
  }
  return false;
}

bool Filter::IncludeFile(const std::string& path, int64_t size) const {
  if (size >= 0) {
    if (min_size_ >= 0 && size < min_size_) return false;
    if (max_size_ >= 0 && size > max_size_) return false;
  }
  for (const Rule& rule : rules_) {
    bool hit = rule.dir_only ? AncestorMatches(rule, path, /*self=*/false)
                             : std::regex_match(path, *rule.re);
    if (hit) return rule.include;
  }
  return !has_include_;
}

bool Filter::IncludeDir(const std::string& dir) const {
  if (dir.empty()) return true;
  for (const Rule& rule : rules_) {
    if (rule.dir_only) {
      if (AncestorMatches(rule, dir, /*self=*/true)) return rule.include;
    } else if (rule.ends_with_any && std::regex_match(dir + "/", *rule.re)) {
      // "dir/**" covers everything below dir: the first such match decides.
      return rule.include;
    }
  }
  return true;
}

bool Filter::Active() const { return !rules_.empty() || min_size_ >= 0 || max_size_ >= 0; }

}  // namespace cvclone
