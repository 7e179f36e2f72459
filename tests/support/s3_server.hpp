// The S3 test servers for a test binary: s3rver behind the signature-checking, fault-injecting
// front (tests/servers/s3front.py), started once per process on free 127.0.0.1 ports by the
// scripts in tests/servers/, with the data folder under the build tree, and stopped by PID when
// the process exits.
#pragma once

#include <string>

namespace cvclone::test {

struct S3TestServer {
  int s3rver_port = 0;  // s3rver itself (no signature checks)
  int front_port = 0;   // the front: use this one
  std::string access_key;
  std::string secret_key;
  std::string work_dir;  // data folder, PID files and logs

  // "http://127.0.0.1:<front_port>".
  std::string Endpoint() const;
  // Admin calls to the front (never forwarded): POST /__fault with a JSON body; DELETE /__fault
  // clears every fault. True on HTTP 200.
  bool InjectFault(const std::string& json) const;
  bool ClearFaults() const;
  // A counter of GET /__stats ("requests", "forwarded", "auth_failures", "faults_injected");
  // -1 if it cannot be read.
  int Stat(const std::string& name) const;
};

// Starts the servers on the first call (about 2 s), then returns the same ones. nullptr if they
// cannot start; *why (if given) then says why.
const S3TestServer* SharedS3Server(std::string* why = nullptr);

}  // namespace cvclone::test
