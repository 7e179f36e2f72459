#include "core/http/curl_api.hpp"

#include <dlfcn.h>

#include <mutex>
#include <optional>

namespace cvclone {
namespace {

struct Loaded {
  std::optional<CurlApi> api;
  std::string error;
};

// Points fn at the library's symbol `name`; false (error set) if it is missing.
template <typename Fn>
bool Resolve(void* lib, const char* name, Fn& fn, std::string& error) {
  dlerror();
  void* sym = ::dlsym(lib, name);
  if (sym == nullptr) {
    const char* why = dlerror();
    error = std::string(kCurlLibrary) + ": " + (why != nullptr ? why : name + std::string(" missing"));
    return false;
  }
  fn = reinterpret_cast<Fn>(sym);
  return true;
}

Loaded Load() {
  Loaded out;
  // Never unloaded: handles may live until exit.
  void* lib = ::dlopen(kCurlLibrary, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = dlerror();
    out.error = why != nullptr ? why : kCurlLibrary;
    return out;
  }
  CurlApi api;
  bool ok = true;
#define CVCLONE_CURL_RESOLVE(name) ok = ok && Resolve(lib, "curl_" #name, api.name, out.error);
  CVCLONE_CURL_FUNCTIONS(CVCLONE_CURL_RESOLVE)
#undef CVCLONE_CURL_RESOLVE
  if (!ok) return out;
  if (const CURLcode rc = api.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
    out.error = std::string(kCurlLibrary) + ": curl_global_init failed: " + api.easy_strerror(rc);
    return out;
  }
  out.api = api;
  return out;
}

}  // namespace

const CurlApi* LoadCurl(std::string* error) {
  static std::once_flag once;
  static Loaded loaded;
  std::call_once(once, [] { loaded = Load(); });
  if (!loaded.api && error != nullptr) *error = loaded.error;
  return loaded.api ? &*loaded.api : nullptr;
}

}  // namespace cvclone
