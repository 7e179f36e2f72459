#include "core/config.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>

namespace cvclone {
namespace {

std::string Trim(const std::string& s) {
  size_t begin = 0;
  size_t end = s.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(s[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(s[end - 1]))) --end;
  return s.substr(begin, end - begin);
}

std::string GetEnv(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

Unexpected<Error> SyntaxError(const std::string& path, int line, const std::string& what) {
  return MakeError(ErrorCode::kConfig,
                   "config file " + path + " line " + std::to_string(line) + ": " + what);
}

const std::vector<std::pair<std::string, std::string>>& EmptyItems() {
  static const std::vector<std::pair<std::string, std::string>> empty;
  return empty;
}

void AppendJsonString(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

Unexpected<Error> IoError(const std::string& what, const std::string& path, int err) {
  ErrorCode code = (err == EACCES || err == EPERM) ? ErrorCode::kPermission
                   : err == ENOSPC                 ? ErrorCode::kNoSpace
                                                   : ErrorCode::kIo;
  return MakeError(code, what + " " + path + ": " + std::strerror(err));
}

bool WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

bool ConfigFile::ValidSectionName(const std::string& name) {
  if (name.empty() || name.front() == ' ' || name.back() == ' ') return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-' &&
        c != ' ') {
      return false;
    }
  }
  return true;
}

Result<ConfigFile> ConfigFile::Load(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) return IoError("cannot read config file", path, errno);
    ConfigFile empty;
    empty.path_ = path;
    empty.exists_ = false;
    return empty;
  }
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return IoError("cannot read config file", path, err);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return Parse(text, path);
}

Result<ConfigFile> ConfigFile::Parse(const std::string& text, const std::string& path) {
  ConfigFile config;
  config.path_ = path;
  std::istringstream in(text);
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    if (line_no == 1 && raw.rfind("\xEF\xBB\xBF", 0) == 0) raw.erase(0, 3);  // UTF-8 BOM
    std::string line = Trim(raw);  // also drops the '\r' of CRLF
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      if (line.back() != ']') {
        return SyntaxError(path, line_no, "section header \"" + line + "\" has no closing ']'");
      }
      std::string name = Trim(line.substr(1, line.size() - 2));
      if (!ValidSectionName(name)) {
        return SyntaxError(
            path, line_no,
            "invalid remote name \"" + name + "\" (allowed: letters, digits, _ . - and space)");
      }
      if (const Section* prev = config.Find(name)) {
        return SyntaxError(
            path, line_no,
            "duplicate section [" + name + "] (first at line " + std::to_string(prev->line) + ")");
      }
      config.sections_.push_back(Section{name, line_no, {}, {}});
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string::npos) {
      return SyntaxError(path, line_no,
                         "expected \"key = value\" or \"[section]\", got \"" + line + "\"");
    }
    std::string key = Trim(line.substr(0, eq));
    if (key.empty()) return SyntaxError(path, line_no, "empty key before '='");
    if (config.sections_.empty()) {
      return SyntaxError(path, line_no, "key \"" + key + "\" before any [section]");
    }
    Section& section = config.sections_.back();
    for (size_t i = 0; i < section.items.size(); ++i) {
      if (section.items[i].first == key) {
        return SyntaxError(path, line_no,
                           "duplicate key \"" + key + "\" in [" + section.name +
                               "] (first at line " + std::to_string(section.item_lines[i]) + ")");
      }
    }
    section.items.emplace_back(key, Trim(line.substr(eq + 1)));
    section.item_lines.push_back(line_no);
  }
  return config;
}

std::string ConfigFile::DefaultPath(const std::string& config_flag) {
  if (!config_flag.empty()) return config_flag;
  std::string env = GetEnv("CVCLONE_CONFIG");
  if (!env.empty()) return env;
  std::string xdg = GetEnv("XDG_CONFIG_HOME");
  if (!xdg.empty()) return xdg + "/cvclone/cvclone.conf";
  std::string home = GetEnv("HOME");
  if (home.empty()) {
    if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) {
      home = pw->pw_dir;
    }
  }
  if (home.empty()) return ".config/cvclone/cvclone.conf";
  return home + "/.config/cvclone/cvclone.conf";
}

const ConfigFile::Section* ConfigFile::Find(const std::string& name) const {
  for (const auto& s : sections_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

ConfigFile::Section* ConfigFile::Find(const std::string& name) {
  for (auto& s : sections_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::vector<std::string> ConfigFile::Sections() const {
  std::vector<std::string> names;
  names.reserve(sections_.size());
  for (const auto& s : sections_) names.push_back(s.name);
  return names;
}

bool ConfigFile::HasSection(const std::string& name) const { return Find(name) != nullptr; }

std::optional<std::string> ConfigFile::Get(const std::string& section,
                                           const std::string& key) const {
  const Section* s = Find(section);
  if (s == nullptr) return std::nullopt;
  for (const auto& [k, v] : s->items) {
    if (k == key) return v;
  }
  return std::nullopt;
}

int ConfigFile::LineOf(const std::string& section, const std::string& key) const {
  const Section* s = Find(section);
  if (s == nullptr) return 0;
  for (size_t i = 0; i < s->items.size(); ++i) {
    if (s->items[i].first == key) return s->item_lines[i];
  }
  return 0;
}

int ConfigFile::SectionLine(const std::string& section) const {
  const Section* s = Find(section);
  return s == nullptr ? 0 : s->line;
}

const std::vector<std::pair<std::string, std::string>>& ConfigFile::Items(
    const std::string& section) const {
  const Section* s = Find(section);
  return s == nullptr ? EmptyItems() : s->items;
}

void ConfigFile::Set(const std::string& section, const std::string& key, const std::string& value) {
  Section* s = Find(section);
  if (s == nullptr) {
    sections_.push_back(Section{section, 0, {}, {}});
    s = &sections_.back();
  }
  for (auto& [k, v] : s->items) {
    if (k == key) {
      v = value;
      return;
    }
  }
  s->items.emplace_back(key, value);
  s->item_lines.push_back(0);
}

bool ConfigFile::DeleteSection(const std::string& section) {
  auto it = std::find_if(sections_.begin(), sections_.end(),
                         [&](const Section& s) { return s.name == section; });
  if (it == sections_.end()) return false;
  sections_.erase(it);
  return true;
}

bool ConfigFile::RenameSection(const std::string& from, const std::string& to, bool keep) {
  const Section* s = Find(from);
  if (s == nullptr || Find(to) != nullptr) return false;
  if (keep) {
    Section copy = *s;
    copy.name = to;
    copy.line = 0;
    std::fill(copy.item_lines.begin(), copy.item_lines.end(), 0);
    sections_.push_back(std::move(copy));
  } else {
    Find(from)->name = to;
  }
  return true;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string> ConfigFile::ClosestSection(const std::string& name) const {
  if (HasSection(name)) return std::nullopt;
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  const std::string wanted = lower(name);
  std::optional<std::string> best;
  size_t best_distance = 3;  // a typo: at most 2 edits
  for (const Section& s : sections_) {
    const size_t d = EditDistance(wanted, lower(s.name));
    if (d < best_distance && 2 * d < std::max(wanted.size(), s.name.size())) {
      best = s.name;
      best_distance = d;
    }
  }
  return best;
}

Error UnknownRemoteError(const ConfigFile& config, const std::string& name) {
  std::string message = "remote \"" + name + "\" not found in config file " + config.path();
  if (!config.exists()) message += " (the file does not exist)";
  if (auto close = config.ClosestSection(name)) message += ": did you mean \"" + *close + "\"?";
  return Error(ErrorCode::kUnknownRemote, message);
}

Status ConfigFile::Save() const {
  if (path_.empty()) return MakeError(ErrorCode::kConfig, "no config file path to save to");
  std::filesystem::path target(path_);
  std::filesystem::path dir = target.parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return IoError("cannot create directory", dir.string(), ec.value());
  }
  std::string tmp = path_ + ".tmp.XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return IoError("cannot create temporary file for", path_, errno);
  auto fail = [&](const std::string& what) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return IoError(what, path_, err);
  };
  if (::fchmod(fd, 0600) != 0) return fail("cannot set mode of");
  if (!WriteAll(fd, Render(Registry(), /*redact=*/false))) return fail("cannot write");
  if (::fsync(fd) != 0) return fail("cannot fsync");
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return IoError("cannot close", path_, err);
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return IoError("cannot rename temporary file to", path_, err);
  }
  // Make the rename durable; failure here is not worth failing the save for.
  int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return Ok();
}

std::string ConfigFile::Render(const Registry& registry, bool redact,
                               const std::string& only_section) const {
  std::string out;
  for (const auto& s : sections_) {
    if (!only_section.empty() && s.name != only_section) continue;
    if (!out.empty()) out += '\n';
    out += "[" + s.name + "]\n";
    std::string type = Get(s.name, "type").value_or("");
    for (const auto& [key, value] : s.items) {
      bool hide = redact && !value.empty() && IsSecretOption(registry, type, key);
      // A value may itself be a remote string with inline secrets (crypt's `remote`).
      out += key + " = " +
             (hide ? std::string(kRedacted) : redact ? RedactRemoteString(value) : value) + "\n";
    }
  }
  return out;
}

std::string ConfigFile::DumpJson(const Registry& registry) const {
  if (sections_.empty()) return "{}\n";
  std::string out = "{\n";
  for (size_t i = 0; i < sections_.size(); ++i) {
    const Section& s = sections_[i];
    std::string type = Get(s.name, "type").value_or("");
    out += "  ";
    AppendJsonString(out, s.name);
    out += ": {";
    for (size_t j = 0; j < s.items.size(); ++j) {
      const auto& [key, value] = s.items[j];
      bool hide = !value.empty() && IsSecretOption(registry, type, key);
      out += j == 0 ? "\n    " : ",\n    ";
      AppendJsonString(out, key);
      out += ": ";
      AppendJsonString(out, hide ? std::string(kRedacted) : RedactRemoteString(value));
    }
    out += s.items.empty() ? "}" : "\n  }";
    out += i + 1 < sections_.size() ? ",\n" : "\n";
  }
  return out + "}\n";
}

bool IsSecretOption(const Registry& registry, const std::string& type, const std::string& key) {
  if (const BackendInfo* backend = registry.Find(type)) {
    if (const OptionSpec* spec = backend->FindOption(key)) return spec->secret;
  }
  return LooksSecretOption(key);
}

// ---------------------------------------------------------------------------------------------
// Obscured values.

namespace {

// rclone's fixed, public obscuring key (fs/config/obscure).
constexpr std::array<uint8_t, 32> kObscureKey = {
    0x9c, 0x93, 0x5b, 0x48, 0x73, 0x0a, 0x55, 0x4d, 0x6b, 0xfd, 0x7c, 0x63, 0xc8, 0x86, 0xa9, 0x2b,
    0xd3, 0x90, 0x19, 0x8e, 0xb8, 0x12, 0x8a, 0xfb, 0xf4, 0xde, 0x16, 0x2b, 0x8b, 0x95, 0xf6, 0x38};

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// URL-safe base64 without padding, as Go's base64.RawURLEncoding (crypt's names use the same
// encoding, crypt/encoding.hpp; config does not depend on crypt).
std::string Base64UrlEncode(const std::vector<uint8_t>& data) {
  std::string out;
  uint32_t acc = 0;
  int have = 0;
  for (uint8_t b : data) {
    acc = (acc << 8) | b;
    have += 8;
    while (have >= 6) {
      have -= 6;
      out.push_back(kBase64Url[(acc >> have) & 63]);
    }
  }
  if (have > 0) out.push_back(kBase64Url[(acc << (6 - have)) & 63]);
  return out;
}

// The decoder of the same: '=' (padding), a foreign character or a length of 1 mod 4 is an
// error (nullopt); unused trailing bits are ignored (Go's non-strict mode).
std::optional<std::vector<uint8_t>> Base64UrlDecode(const std::string& text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int have = 0;
  for (char c : text) {
    const char* at = std::strchr(kBase64Url, c);
    if (c == '\0' || at == nullptr) return std::nullopt;
    acc = ((acc << 6) | static_cast<uint32_t>(at - kBase64Url)) & 0xffff;
    have += 6;
    if (have >= 8) {
      have -= 8;
      out.push_back(static_cast<uint8_t>(acc >> have));
    }
  }
  return out;
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// AES-256-CTR with the obscuring key: its own inverse.
Result<std::vector<uint8_t>> ObscureCtr(const uint8_t* iv, const uint8_t* in, size_t len) {
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  std::vector<uint8_t> out(len + 16);
  int n = 0;
  int tail = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_ctr(), nullptr, kObscureKey.data(), iv) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &n, in, static_cast<int>(len)) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + n, &tail) != 1) {
    return MakeError(ErrorCode::kInternal, "obscure: AES-CTR failed");
  }
  out.resize(static_cast<size_t>(n + tail));
  return out;
}

}  // namespace

Result<std::string> ObscureWithIv(const std::string& plain, const std::array<uint8_t, 16>& iv) {
  CVC_ASSIGN_OR_RETURN(
      std::vector<uint8_t> ct,
      ObscureCtr(iv.data(), reinterpret_cast<const uint8_t*>(plain.data()), plain.size()));
  std::vector<uint8_t> all(iv.begin(), iv.end());
  all.insert(all.end(), ct.begin(), ct.end());
  return Base64UrlEncode(all);
}

Result<std::string> Obscure(const std::string& plain) {
  std::array<uint8_t, 16> iv{};
  if (RAND_bytes(iv.data(), static_cast<int>(iv.size())) != 1) {
    return MakeError(ErrorCode::kInternal, "obscure: no random bytes for the IV");
  }
  return ObscureWithIv(plain, iv);
}

Result<std::string> Reveal(const std::string& obscured) {
  std::optional<std::vector<uint8_t>> raw = Base64UrlDecode(obscured);
  if (!raw) {
    return MakeError(ErrorCode::kConfig,
                     "failed to reveal password: base64 decode failed when revealing password - "
                     "is it obscured?");
  }
  if (raw->size() < 16) {
    return MakeError(ErrorCode::kConfig,
                     "failed to reveal password: input too short when revealing password - is it "
                     "obscured?");
  }
  CVC_ASSIGN_OR_RETURN(std::vector<uint8_t> pt,
                       ObscureCtr(raw->data(), raw->data() + 16, raw->size() - 16));
  std::string plain(pt.begin(), pt.end());
  OPENSSL_cleanse(pt.data(), pt.size());
  return plain;
}

}  // namespace cvclone
