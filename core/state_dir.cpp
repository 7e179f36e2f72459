#include "core/state_dir.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "core/io.hpp"

namespace cvclone {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

}  // namespace

std::string EscapeStateField(std::string_view field) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(field.size());
  for (unsigned char c : field) {
    if (c <= 0x20 || c == '%' || c == 0x7f) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::optional<std::string> UnescapeStateField(std::string_view text) {
  return PercentDecode(text);
}

std::string StateDir() {
  if (std::string dir = Env("CVCLONE_STATE_DIR"); !dir.empty()) return dir;
  if (std::string xdg = Env("XDG_STATE_HOME"); !xdg.empty()) return xdg + "/cvclone";
  std::string home = Env("HOME");
  if (home.empty()) {
    if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) {
      home = pw->pw_dir;
    }
  }
  if (home.empty()) return ".local/state/cvclone";
  return home + "/.local/state/cvclone";
}

}  // namespace cvclone
