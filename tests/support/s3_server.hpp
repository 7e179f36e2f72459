// The S3 test server for a test binary, on 127.0.0.1, chosen by $CVCLONE_TEST_S3_SERVER:
// - unset or "s3rver": s3rver behind the signature-checking, fault-injecting front
//   (tests/servers/s3front.py), started once per process on free ports by the scripts in
//   tests/servers/, with the data folder under the build tree, and stopped by PID when the
//   process exits;
// - "rgw": Ceph's RADOS Gateway (tests/servers/start-rgw), a real S3 server: the cluster CTest's
//   fixture started in <build>/rgw-test when it runs, else one started for this process and
//   stopped when it exits. It has no front: no fault injection, no request counters.
#pragma once

#include <string>

namespace cvclone::test {

struct S3TestServer {
  bool rgw = false;     // Ceph RGW rather than s3rver and its front
  int s3rver_port = 0;  // s3rver itself (no signature checks); 0 for RGW
  int front_port = 0;   // the front (RGW: the gateway itself): use this one
  std::string access_key;
  std::string secret_key;
  std::string work_dir;  // data folder, PID files and logs

  // "http://127.0.0.1:<front_port>".
  std::string Endpoint() const;
  // Admin calls to the front (never forwarded): POST /__fault with a JSON body; DELETE /__fault
  // clears every fault. True on HTTP 200 (never for RGW).
  bool InjectFault(const std::string& json) const;
  bool ClearFaults() const;
  // Any other admin call to the front (POST /__clock, GET /__held, POST /__release): its JSON
  // answer, or "" when it did not answer 200 (always for RGW).
  std::string Admin(const std::string& method, const std::string& path,
                    const std::string& json = "") const;
  // A counter of GET /__stats ("requests", "forwarded", "auth_failures", "faults_injected");
  // -1 if it cannot be read (always for RGW).
  int Stat(const std::string& name) const;
  // The response headers of a signed HEAD of bucket/key, lower-cased (curl, SigV4).
  std::string SignedHead(const std::string& bucket, const std::string& key) const;
};

// A config section [name] of type s3 for server (its endpoint, keys, region us-east-1).
std::string S3ConfigSection(const std::string& name, const S3TestServer& server);

// Whether $CVCLONE_TEST_S3_SERVER selects RGW.
bool TestingRgw();

// Starts the servers on the first call (s3rver: about 2 s; RGW: about 3 s unless the fixture's
// runs), then returns the same ones. nullptr if they cannot start; *why (if given) then says why.
const S3TestServer* SharedS3Server(std::string* why = nullptr);

}  // namespace cvclone::test
