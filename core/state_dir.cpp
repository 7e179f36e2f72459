#include "core/state_dir.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace cvclone {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

}  // namespace

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
