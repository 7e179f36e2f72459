#include "core/remote_spec.hpp"

#include <cctype>
#include <string_view>

namespace cvclone {
namespace {

// Characters of a config section name (rclone's remote names).
bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
         c == ' ';
}

// Characters of a backend type or parameter name.
bool IsTypeChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

bool IsTypeName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!IsTypeChar(c)) return false;
  }
  return true;
}

Unexpected<Error> Bad(const std::string& text, const std::string& what) {
  return MakeError(ErrorCode::kConfig,
                   "remote string \"" + AbbreviateRemoteString(text) + "\": " + what);
}

// Parses a value quoted with text[pos] (' or "), a doubled quote being a literal one. Advances
// pos past the closing quote.
Result<std::string> ParseQuoted(const std::string& text, size_t& pos) {
  const char quote = text[pos++];
  std::string value;
  while (pos < text.size()) {
    if (text[pos] == quote) {
      if (pos + 1 < text.size() && text[pos + 1] == quote) {
        value += quote;
        pos += 2;
        continue;
      }
      ++pos;
      return value;
    }
    value += text[pos++];
  }
  return Bad(text, std::string("unterminated ") + quote + " quote in a parameter value");
}

// Whether text[i] opens a quoted parameter value: a quote right after ",name=", where
// ParseParams reads one. Elsewhere, even after the '=' inside a bare value ("p=a='b"), a quote is
// a literal character.
bool OpensQuote(const std::string& text, size_t i) {
  if ((text[i] != '\'' && text[i] != '"') || i < 3 || text[i - 1] != '=') return false;
  size_t name = i - 1;
  while (name > 0 && IsTypeChar(text[name - 1])) --name;
  return name < i - 1 && name > 0 && text[name - 1] == ',';
}

// The end of the quoted value opened at text[i] (the index of its closing quote), or npos if it
// is unterminated. A doubled quote is a literal one.
size_t SkipQuoted(const std::string& text, size_t i) {
  const char quote = text[i];
  for (size_t j = i + 1; j < text.size(); ++j) {
    if (text[j] != quote) continue;
    if (j + 1 < text.size() && text[j + 1] == quote) {
      ++j;
      continue;
    }
    return j;
  }
  return std::string::npos;
}

// Fails when parentheses outside quoted values nest deeper than kMaxRemoteNesting. One pass
// over text, before anything that recurses into or copies the nested strings.
Status CheckNesting(const std::string& text) {
  int depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (OpensQuote(text, i)) {
      i = SkipQuoted(text, i);
      if (i == std::string::npos) return Ok();  // the parse reports the unterminated quote
      continue;
    }
    if (text[i] == ')' && depth > 0) --depth;
    if (text[i] == '(' && ++depth > kMaxRemoteNesting) {
      return Bad(text, "parentheses nested more than " + std::to_string(kMaxRemoteNesting) +
                           " deep (does a remote wrap itself?)");
    }
  }
  return Ok();
}

// Parses `,key=value` repeated, starting at text[pos] == ','. Stops at ':' or '(' (or the end)
// outside quotes, leaving pos there.
Status ParseParams(const std::string& text, size_t& pos,
                   std::vector<std::pair<std::string, std::string>>& params) {
  while (pos < text.size() && text[pos] == ',') {
    ++pos;
    size_t key_start = pos;
    while (pos < text.size() && IsTypeChar(text[pos])) ++pos;
    std::string key = text.substr(key_start, pos - key_start);
    if (pos >= text.size() || text[pos] != '=') {
      if (key.empty()) return Bad(text, "empty parameter name after ','");
      return Bad(text, "parameter \"" + key + "\" has no '=' (expected name,key=value:path)");
    }
    if (key.empty()) return Bad(text, "empty parameter name before '='");
    ++pos;  // '='
    std::string value;
    if (pos < text.size() && (text[pos] == '\'' || text[pos] == '"')) {
      CVC_ASSIGN_OR_RETURN(value, ParseQuoted(text, pos));
      if (pos < text.size() && text[pos] != ',' && text[pos] != ':' && text[pos] != '(') {
        return Bad(text, "unexpected '" + std::string(1, text[pos]) +
                             "' after the quoted value of parameter \"" + key + "\"");
      }
    } else {
      size_t value_start = pos;
      while (pos < text.size() && text[pos] != ',' && text[pos] != ':' && text[pos] != '(') ++pos;
      value = text.substr(value_start, pos - value_start);
      // "endpoint=http://host:9000,...:bucket" would otherwise read as endpoint "http" and a
      // path "//host:9000,...": the rest, secrets included, sent as a bucket name and printed.
      if (text.compare(pos, 3, "://") == 0) {
        return Bad(text, "the value of parameter \"" + key +
                             "\" contains ':' unquoted (a URL?); quote it: " + key + "='" +
                             value + "://...'");
      }
    }
    params.emplace_back(std::move(key), std::move(value));
  }
  return Ok();
}

// Finds the ')' matching the '(' at text[open]. Quoted parameter values (a quote right after
// '=') inside are skipped so that "crypt(s3,opt='a)b':x)" works. npos if unbalanced.
Result<size_t> FindClosingParen(const std::string& text, size_t open) {
  int depth = 0;
  for (size_t i = open; i < text.size(); ++i) {
    char c = text[i];
    if (OpensQuote(text, i)) {
      i = SkipQuoted(text, i);
      if (i == std::string::npos) {
        return Bad(text, std::string("unterminated ") + c + " quote in a parameter value");
      }
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')' && --depth == 0) return i;
  }
  return Bad(text,
             "unbalanced parentheses: no ')' matches the '(' at offset " + std::to_string(open));
}

// The wrapper tail at text[open] == '(': "(inner)", then "", "/path" or ":path".
Status ParseWrapperTail(const std::string& text, size_t open, RemoteSpec& spec) {
  CVC_ASSIGN_OR_RETURN(size_t close, FindClosingParen(text, open));
  spec.kind = RemoteSpec::Kind::kWrapper;
  spec.inner = text.substr(open + 1, close - open - 1);
  if (spec.inner.empty()) return Bad(text, "empty inner remote in " + spec.name + "()");
  size_t rest = close + 1;
  if (rest == text.size()) return Ok();
  if (text[rest] == '/' || text[rest] == ':') {
    spec.path = text.substr(rest + 1);
    return Ok();
  }
  return Bad(text, "unexpected \"" + text.substr(rest) + "\" after ')' (expected /path or :path)");
}

// ":type,params:path".
Result<RemoteSpec> ParseBackendForm(const std::string& text) {
  RemoteSpec spec;
  spec.kind = RemoteSpec::Kind::kBackend;
  size_t pos = 1;
  while (pos < text.size() && IsTypeChar(text[pos])) ++pos;
  spec.name = text.substr(1, pos - 1);
  if (spec.name.empty()) return Bad(text, "empty backend name after the leading ':'");
  CVC_RETURN_IF_ERROR(ParseParams(text, pos, spec.params));
  if (pos >= text.size() || text[pos] != ':') {
    if (pos < text.size()) {
      return Bad(text, "invalid character '" + std::string(1, text[pos]) + "' in backend name");
    }
    return Bad(text, "missing ':' after the backend name (expected :" + spec.name + ":path)");
  }
  spec.path = text.substr(pos + 1);
  return spec;
}

bool SlashBeforeColon(const std::string& text) {
  size_t slash = text.find('/');
  return slash != std::string::npos && slash < text.find(':');
}

// "name:path", "name,params:path", "type(inner)path", "type,params(inner)path", or local.
Result<RemoteSpec> ParseNamedForm(const std::string& text) {
  RemoteSpec spec;
  size_t pos = 0;
  while (pos < text.size() && IsNameChar(text[pos])) ++pos;
  spec.name = text.substr(0, pos);
  if (pos == text.size() || text[pos] == '/') {
    spec.kind = RemoteSpec::Kind::kLocal;
    spec.path = text;
    return spec;
  }
  char stop = text[pos];
  if (stop != ',' && stop != ':' && stop != '(') {
    if (SlashBeforeColon(text)) {
      spec.kind = RemoteSpec::Kind::kLocal;
      spec.path = text;
      return spec;
    }
    return Bad(text, "invalid character '" + std::string(1, stop) +
                         "' in remote name (allowed: letters, digits, _ . - and space)");
  }
  if (spec.name.empty())
    return Bad(text, "empty remote name before '" + std::string(1, stop) + "'");
  CVC_RETURN_IF_ERROR(ParseParams(text, pos, spec.params));
  if (pos >= text.size()) return Bad(text, "missing ':' after the parameters");
  if (text[pos] == '(') {
    if (!IsTypeName(spec.name)) {
      return Bad(text, "invalid backend name \"" + spec.name + "\" before '('");
    }
    CVC_RETURN_IF_ERROR(ParseWrapperTail(text, pos, spec));
    return spec;
  }
  // text[pos] == ':'
  if (spec.name.front() == ' ' || spec.name.back() == ' ') {
    return Bad(text, "remote name \"" + spec.name + "\" has a leading or trailing space");
  }
  spec.kind = RemoteSpec::Kind::kSection;
  spec.path = text.substr(pos + 1);
  return spec;
}

bool NeedsQuotes(const std::string& value) {
  if (value.empty()) return false;
  for (char c : value) {
    if (c == ',' || c == ':' || c == '(' || c == ')' || c == '\'' || c == '"') return true;
  }
  return false;
}

}  // namespace

bool LooksSecretOption(std::string_view key) {
  std::string lower(key);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word : {"pass", "secret", "token", "key"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

// Without parsing the whole string (it may be one that does not parse): a value ends at an
// unquoted ',', ':', '(' or ')'.
std::string RedactRemoteString(const std::string& text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t comma = text.find(',', pos);
    if (comma == std::string::npos) break;
    size_t eq = comma + 1;
    while (eq < text.size() && IsTypeChar(text[eq])) ++eq;
    out.append(text, pos, eq - pos);
    pos = eq;
    if (eq == comma + 1 || eq >= text.size() || text[eq] != '=') continue;
    const bool secret = LooksSecretOption(std::string_view(text).substr(comma + 1, eq - comma - 1));
    size_t end = eq + 1;
    if (end < text.size() && (text[end] == '\'' || text[end] == '"')) {
      const char quote = text[end];
      std::string value;  // what the quotes hold, doubled quotes undone
      bool closed = false;
      for (++end; end < text.size(); ++end) {
        if (text[end] != quote) {
          value += text[end];
          continue;
        }
        if (end + 1 < text.size() && text[end + 1] == quote) {
          value += quote;
          ++end;  // a doubled quote is a literal one
          continue;
        }
        ++end;
        closed = true;
        break;
      }
      if (!secret) {
        // The value may be a remote string itself, whose secrets are quoted with their quotes
        // doubled here: redact inside it and quote it again. Unterminated: scan on inside it.
        if (!closed) continue;
        out += '=';
        out += quote;
        for (char c : RedactRemoteString(value)) {
          out += c;
          if (c == quote) out += quote;
        }
        out += quote;
        pos = end;
        continue;
      }
    } else {
      if (!secret) continue;
      while (end < text.size() && std::string_view(",:()").find(text[end]) == std::string::npos) {
        ++end;
      }
    }
    out += "=";
    out += kRedacted;
    pos = end;
  }
  out.append(text, std::min(pos, text.size()), std::string::npos);
  return out;
}

std::string AbbreviateRemoteString(const std::string& text) {
  constexpr size_t kShown = 100;
  const std::string shown = RedactRemoteString(text);
  if (shown.size() <= kShown + 20) return shown;
  return shown.substr(0, kShown) + "... (" + std::to_string(text.size()) + " bytes)";
}

Result<RemoteSpec> ParseRemoteString(const std::string& text) {
  if (text.empty()) return Bad(text, "empty remote string");
  CVC_RETURN_IF_ERROR(CheckNesting(text));
  if (text.front() == ':') return ParseBackendForm(text);
  auto spec = ParseNamedForm(text);
  if (text.find(':') == std::string::npos) {
    // Without any ':' only the wrapper form (e.g. "crypt(/abs/dir)") is not a local path; a
    // file named "notes(1).txt" stays a local path.
    if (spec && spec->kind == RemoteSpec::Kind::kWrapper) return spec;
    RemoteSpec local;
    local.path = text;
    return local;
  }
  return spec;
}

std::string FormatRemoteString(const RemoteSpec& spec) {
  if (spec.kind == RemoteSpec::Kind::kLocal) return spec.path;
  std::string out = spec.kind == RemoteSpec::Kind::kBackend ? ":" + spec.name : spec.name;
  for (size_t i = 0; i < spec.params.size(); ++i) {
    const auto& [key, value] = spec.params[i];
    out += "," + key + "=";
    // A bare last value followed by ":" and a path starting "//" reads as an unquoted URL.
    const bool before_slashes = i + 1 == spec.params.size() &&
                                spec.kind != RemoteSpec::Kind::kWrapper &&
                                spec.path.starts_with("//");
    if (!NeedsQuotes(value) && !before_slashes) {
      out += value;
      continue;
    }
    out += '\'';
    for (char c : value) {
      out += c;
      if (c == '\'') out += '\'';
    }
    out += '\'';
  }
  if (spec.kind == RemoteSpec::Kind::kWrapper) {
    out += "(" + spec.inner + ")";
    if (!spec.path.empty()) out += ":" + spec.path;
    return out;
  }
  return out + ":" + spec.path;
}

}  // namespace cvclone
