#include "tests/support/s3_server.hpp"

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <regex>
#include <thread>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace cvclone::test {
namespace {

constexpr char kCurl[] = "/usr/bin/curl";
constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string ServersDir() { return std::string(CVCLONE_SOURCE_DIR) + "/tests/servers"; }

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Owns the running servers; its destructor (at process exit) stops them by PID.
class Servers {
 public:
  ~Servers() { Stop(); }

  const S3TestServer* Get(std::string* why) {
    std::call_once(once_, [this] { started_ = Start(); });
    if (!started_ && why != nullptr) *why = error_;
    return started_ ? &server_ : nullptr;
  }

 private:
  bool Start() { return TestingRgw() ? StartRgw() : StartS3rver(); }

  // The fixture's cluster when it answers, else one of this process's own.
  bool StartRgw() {
    server_.rgw = true;
    server_.access_key = "AKIACVCLONERGW000001";
    server_.secret_key = "cvclone/rgw+Secret=Key";
    const std::string fixture = std::string(CVCLONE_BINARY_DIR) + "/rgw-test";
    server_.front_port = std::atoi(Trim(ReadFile(fixture + "/port").value_or("")).c_str());
    if (server_.front_port != 0 && Answers()) return true;
    // A short path: Ceph's admin sockets live in it, and a socket path is at most 107 bytes.
    server_.work_dir = "/tmp/cvclone-rgw-" + std::to_string(getpid());
    own_rgw_ = true;
    std::filesystem::remove_all(server_.work_dir);
    auto started = RunProcess(ServersDir() + "/start-rgw", {server_.work_dir},
                              {.timeout = std::chrono::seconds(180)});
    server_.front_port = std::atoi(Trim(started.out).c_str());
    if (started.exit_code != 0 || server_.front_port == 0) {
      error_ = "start-rgw failed: " + started.err + started.error;
      return false;
    }
    return true;
  }

  // A signed ListBuckets answers 200.
  bool Answers() const {
    auto r = RunProcess(kCurl, {"-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                                "--aws-sigv4", "aws:amz:us-east-1:s3", "--user",
                                server_.access_key + ":" + server_.secret_key, "-H",
                                std::string("x-amz-content-sha256: ") + kEmptySha256,
                                server_.Endpoint() + "/"});
    return Trim(r.out) == "200";
  }

  bool StartS3rver() {
    server_.work_dir =
        std::string(CVCLONE_BINARY_DIR) + "/s3-test-work/" + std::to_string(getpid());
    std::filesystem::remove_all(server_.work_dir);
    std::filesystem::create_directories(server_.work_dir);
    server_.access_key = "AKIACVCLONETEST00001";
    server_.secret_key = "cvclone/test+Secret=Key";
    auto started =
        RunProcess(ServersDir() + "/start-s3rver", {server_.work_dir + "/data", Pid("s3rver")},
                   {.timeout = std::chrono::seconds(60)});
    if (started.exit_code != 0) {
      error_ = "start-s3rver failed: " + started.err + started.error;
      return false;
    }
    server_.s3rver_port = std::atoi(Trim(started.out).c_str());
    const std::string port_file = server_.work_dir + "/front.port";
    const std::string cmd = "setsid python3 '" + ServersDir() + "/s3front.py' --upstream-port " +
                            std::to_string(server_.s3rver_port) + " --access-key '" +
                            server_.access_key + "' --secret-key '" + server_.secret_key +
                            "' --pidfile '" + Pid("front") + "' >'" + port_file + "' 2>'" +
                            server_.work_dir + "/front.log' </dev/null &";
    auto front = RunProcess("/bin/sh", {"-c", cmd});
    if (front.exit_code != 0) {
      error_ = "cannot start s3front.py: " + front.err + front.error;
      return false;
    }
    // Bounded wait for the front to print its port.
    for (int i = 0; i < 300 && server_.front_port == 0; ++i) {
      server_.front_port = std::atoi(Trim(ReadFile(port_file).value_or("")).c_str());
      if (server_.front_port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (server_.front_port == 0) {
      error_ =
          "s3front.py printed no port: " + ReadFile(server_.work_dir + "/front.log").value_or("");
      return false;
    }
    return true;
  }

  void Stop() {
    if (server_.work_dir.empty()) return;
    if (server_.rgw) {
      if (own_rgw_) {
        (void)RunProcess(ServersDir() + "/stop-rgw", {server_.work_dir},
                         {.timeout = std::chrono::seconds(60)});
      }
      std::error_code ec;
      std::filesystem::remove_all(server_.work_dir, ec);
      return;
    }
    // Both at once: each stop waits for its process to exit.
    const std::string stop = "'" + ServersDir() + "/stop-s3rver'";
    (void)RunProcess(
        "/bin/sh",
        {"-c", stop + " '" + Pid("front") + "' & " + stop + " '" + Pid("s3rver") + "' & wait"},
        {.timeout = std::chrono::seconds(30)});
    std::error_code ec;
    std::filesystem::remove_all(server_.work_dir, ec);
  }

  std::string Pid(const std::string& name) const { return server_.work_dir + "/" + name + ".pid"; }

  std::once_flag once_;
  bool started_ = false;
  bool own_rgw_ = false;  // started by this process (not the fixture's)
  std::string error_;
  S3TestServer server_;
};

Servers& TheServers() {
  static Servers servers;
  return servers;
}

}  // namespace

std::string S3TestServer::Endpoint() const {
  return "http://127.0.0.1:" + std::to_string(front_port);
}

bool TestingRgw() {
  const char* which = std::getenv("CVCLONE_TEST_S3_SERVER");
  return which != nullptr && std::string(which) == "rgw";
}

std::string S3TestServer::SignedHead(const std::string& bucket, const std::string& key) const {
  auto r = RunProcess(kCurl, {"-s", "-I", "--max-time", "30", "--aws-sigv4", "aws:amz:us-east-1:s3",
                              "--user", access_key + ":" + secret_key, "-H",
                              std::string("x-amz-content-sha256: ") + kEmptySha256,
                              Endpoint() + "/" + bucket + "/" + key});
  std::string out = r.out;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool S3TestServer::InjectFault(const std::string& json) const {
  if (rgw) return false;
  auto r = RunProcess(kCurl, {"-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                              Endpoint() + "/__fault", "-d", json});
  return Trim(r.out) == "200";
}

bool S3TestServer::ClearFaults() const {
  if (rgw) return false;
  auto r = RunProcess(kCurl, {"-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE",
                              Endpoint() + "/__fault"});
  return Trim(r.out) == "200";
}

std::string S3TestServer::Admin(const std::string& method, const std::string& path,
                                const std::string& json) const {
  if (rgw) return "";
  std::vector<std::string> args = {"-s", "-w", "\n%{http_code}", "-X", method, Endpoint() + path};
  if (!json.empty()) args.insert(args.end(), {"-d", json});
  auto r = RunProcess(kCurl, args);
  const size_t last = r.out.rfind('\n');
  if (last == std::string::npos || Trim(r.out.substr(last + 1)) != "200") return "";
  return r.out.substr(0, last);
}

std::string S3ConfigSection(const std::string& name, const S3TestServer& server) {
  return "[" + name + "]\ntype = s3\nprovider = Other\naccess_key_id = " + server.access_key +
         "\nsecret_access_key = " + server.secret_key + "\nendpoint = " + server.Endpoint() +
         "\nregion = us-east-1\n\n";
}

int S3TestServer::Stat(const std::string& name) const {
  if (rgw) return -1;
  auto r = RunProcess(kCurl, {"-s", Endpoint() + "/__stats"});
  std::smatch m;
  const std::regex re("\"" + name + "\"\\s*:\\s*([0-9]+)");
  if (!std::regex_search(r.out, m, re)) return -1;
  return std::atoi(m[1].str().c_str());
}

const S3TestServer* SharedS3Server(std::string* why) { return TheServers().Get(why); }

}  // namespace cvclone::test
