// libcurl, loaded when the first S3 request is made instead of linked into the executable.
//
// Debian's libcurl (libcurl4-openssl) pulls 28 more libraries into a process (nghttp2, ssh2,
// krb5, ldap, gnutls, ...). Linked, every cvclone command loaded them at start, S3 or not:
// `cvclone version` took 23 ms against 11-12 ms without them with a warm page cache, 57 ms
// against about 26 ms with a cold one. Loaded on demand, only commands that talk to S3 pay it.
// Types, constants and the declarations behind decltype come from <curl/curl.h> as usual.
#pragma once

#include <curl/curl.h>

#include <string>

namespace cvclone::s3 {

// The libcurl functions cvclone calls, resolved from the loaded library.
struct CurlApi {
  decltype(&curl_global_init) global_init;
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_reset) easy_reset;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_multi_init) multi_init;
  decltype(&curl_multi_cleanup) multi_cleanup;
  decltype(&curl_multi_add_handle) multi_add_handle;
  decltype(&curl_multi_remove_handle) multi_remove_handle;
  decltype(&curl_multi_perform) multi_perform;
  decltype(&curl_multi_poll) multi_poll;
  decltype(&curl_multi_wakeup) multi_wakeup;
  decltype(&curl_multi_info_read) multi_info_read;
  decltype(&curl_share_init) share_init;
  decltype(&curl_share_setopt) share_setopt;
  decltype(&curl_share_cleanup) share_cleanup;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
  decltype(&curl_getdate) getdate;
};

// The library's file name: libcurl's ABI (soname libcurl.so.4) has not changed since 2006.
inline constexpr const char* kCurlLibrary = "libcurl.so.4";

// Loads libcurl and runs curl_global_init, once per process (thread-safe). nullptr if the
// library or one of its functions could not be found; then *error (if given) says why, naming
// the file.
const CurlApi* LoadCurl(std::string* error = nullptr);

}  // namespace cvclone::s3
