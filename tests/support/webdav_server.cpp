#include "tests/support/webdav_server.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "core/config.hpp"
#include "tests/support/process.hpp"

namespace cvclone::test {
namespace {

std::string ServersDir() { return std::string(CVCLONE_SOURCE_DIR) + "/tests/servers"; }

// Owns the running server; its destructor (at process exit) stops it by PID.
class Server {
 public:
  ~Server() {
    if (work_.empty()) return;
    (void)RunProcess(ServersDir() + "/stop-webdav", {work_ + "/httpd.pid"},
                     {.timeout = std::chrono::seconds(30)});
    std::error_code ec;
    std::filesystem::remove_all(work_, ec);
  }

  const WebdavTestServer* Get(std::string* why) {
    std::call_once(once_, [this] { started_ = Start(); });
    if (!started_ && why != nullptr) *why = error_;
    return started_ ? &server_ : nullptr;
  }

 private:
  bool Start() {
    work_ = std::string(CVCLONE_BINARY_DIR) + "/webdav-test-work/" + std::to_string(getpid());
    std::filesystem::remove_all(work_);
    std::filesystem::create_directories(work_);
    server_.pass = "webdav test pässword";
    server_.data_dir = work_ + "/data";
    auto started = RunProcess(ServersDir() + "/start-webdav", {server_.data_dir, work_ + "/httpd.pid"},
                              {.set_env = {{"WEBDAV_PASS", server_.pass}},
                               .timeout = std::chrono::seconds(60)});
    server_.port = std::atoi(started.out.c_str());
    if (started.exit_code != 0 || server_.port == 0) {
      error_ = "start-webdav failed: " + started.err + started.error;
      return false;
    }
    return true;
  }

  std::once_flag once_;
  bool started_ = false;
  std::string work_;
  std::string error_;
  WebdavTestServer server_;
};

Server& TheServer() {
  static Server server;
  return server;
}

}  // namespace

std::string WebdavTestServer::Url() const { return "http://127.0.0.1:" + std::to_string(port); }

std::string WebdavConfigSection(const std::string& name, const WebdavTestServer& server,
                                const std::string& path) {
  return "[" + name + "]\ntype = webdav\nurl = " + server.Url() + (path.empty() ? "" : "/" + path) +
         "\nvendor = other\nuser = " + server.user + "\npass = " + Obscure(server.pass).value() +
         "\n\n";
}

const WebdavTestServer* SharedWebdavServer(std::string* why) { return TheServer().Get(why); }

}  // namespace cvclone::test
