// libcurl, loaded when the first HTTP request is made instead of linked into the executable.
//
// Debian's libcurl (libcurl4-openssl) pulls many more libraries into a process (nghttp2, ssh2,
// krb5, ldap, gnutls, ...). Linked, every cvclone command would load them at start, networked
// or not, and start measurably slower (bench/RESULTS.md); loaded on demand, only commands that
// talk to a network backend pay for libcurl.
// Types, constants and the declarations behind decltype come from <curl/curl.h> as usual.
#pragma once

#include <curl/curl.h>

#include <string>

namespace cvclone {

// The libcurl functions cvclone calls, by name without the curl_ prefix: X(easy_init)...
#define CVCLONE_CURL_FUNCTIONS(X)                                                           \
  X(global_init) X(easy_init) X(easy_cleanup) X(easy_reset) X(easy_setopt) X(easy_getinfo)  \
  X(easy_strerror) X(multi_init) X(multi_cleanup) X(multi_add_handle)                       \
  X(multi_remove_handle) X(multi_perform) X(multi_poll) X(multi_wakeup) X(multi_info_read) \
  X(share_init) X(share_setopt) X(share_cleanup) X(slist_append) X(slist_free_all)          \
  X(getdate)

// Those functions, resolved from the loaded library: api.easy_init() calls curl_easy_init.
struct CurlApi {
#define CVCLONE_CURL_MEMBER(name) decltype(&curl_##name) name = nullptr;
  CVCLONE_CURL_FUNCTIONS(CVCLONE_CURL_MEMBER)
#undef CVCLONE_CURL_MEMBER
};

// The library's file name: libcurl's ABI (soname libcurl.so.4) has not changed since 2006.
inline constexpr const char* kCurlLibrary = "libcurl.so.4";

// Loads libcurl and runs curl_global_init, once per process (thread-safe). nullptr if the
// library or one of its functions could not be found; then *error (if given) says why, naming
// the file.
const CurlApi* LoadCurl(std::string* error = nullptr);

}  // namespace cvclone
