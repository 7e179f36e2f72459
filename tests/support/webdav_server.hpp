// The WebDAV test server for a test binary: Apache httpd with mod_dav on 127.0.0.1
// (tests/servers/start-webdav), with Basic auth, started once per process on a free port with its
// data folder under the build tree, and stopped by PID when the process exits.
#pragma once

#include <string>

namespace cvclone::test {

struct WebdavTestServer {
  int port = 0;
  std::string user = "cvclone";
  std::string pass;      // clear text
  std::string data_dir;  // what the server serves (owned by www-data when run as root)

  // "http://127.0.0.1:<port>".
  std::string Url() const;
};

// A config section [name] of type webdav for server: url (with `path` below the server's root,
// "" for the root), vendor other, user and pass (obscured as rclone stores it).
std::string WebdavConfigSection(const std::string& name, const WebdavTestServer& server,
                                const std::string& path = "");

// Starts the server on the first call, then returns the same one. nullptr if it cannot start;
// *why (if given) then says why.
const WebdavTestServer* SharedWebdavServer(std::string* why = nullptr);

}  // namespace cvclone::test
