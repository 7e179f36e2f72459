#include "backends/s3/curl_api.hpp"

#include <dlfcn.h>

#include <mutex>
#include <optional>

namespace cvclone::s3 {
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
  CurlApi api{};
  const bool ok = Resolve(lib, "curl_global_init", api.global_init, out.error) &&
                  Resolve(lib, "curl_easy_init", api.easy_init, out.error) &&
                  Resolve(lib, "curl_easy_cleanup", api.easy_cleanup, out.error) &&
                  Resolve(lib, "curl_easy_reset", api.easy_reset, out.error) &&
                  Resolve(lib, "curl_easy_setopt", api.easy_setopt, out.error) &&
                  Resolve(lib, "curl_easy_getinfo", api.easy_getinfo, out.error) &&
                  Resolve(lib, "curl_easy_strerror", api.easy_strerror, out.error) &&
                  Resolve(lib, "curl_multi_init", api.multi_init, out.error) &&
                  Resolve(lib, "curl_multi_cleanup", api.multi_cleanup, out.error) &&
                  Resolve(lib, "curl_multi_add_handle", api.multi_add_handle, out.error) &&
                  Resolve(lib, "curl_multi_remove_handle", api.multi_remove_handle, out.error) &&
                  Resolve(lib, "curl_multi_perform", api.multi_perform, out.error) &&
                  Resolve(lib, "curl_multi_poll", api.multi_poll, out.error) &&
                  Resolve(lib, "curl_multi_wakeup", api.multi_wakeup, out.error) &&
                  Resolve(lib, "curl_multi_info_read", api.multi_info_read, out.error) &&
                  Resolve(lib, "curl_share_init", api.share_init, out.error) &&
                  Resolve(lib, "curl_share_setopt", api.share_setopt, out.error) &&
                  Resolve(lib, "curl_share_cleanup", api.share_cleanup, out.error) &&
                  Resolve(lib, "curl_slist_append", api.slist_append, out.error) &&
                  Resolve(lib, "curl_slist_free_all", api.slist_free_all, out.error) &&
                  Resolve(lib, "curl_getdate", api.getdate, out.error);
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

}  // namespace cvclone::s3
