// The Remote conformance suite: every backend runs it from a test file of a dozen lines. Every
// optional operation is checked against Features: an advertised one must work (server-side copy
// and move, set modtime, purge, public links, hashes, batches, cleanup), one not advertised must
// return kUnsupported (batches: without the feature StartBatch/FinishBatch defer nothing).
//
//   TEST_CASE("local: conformance") {
//     TempDir dir;
//     RunConformanceSuite({.name = "local", .make_empty_remote = [&] {
//                            return NewLocalRemote(dir.Fresh()).value();
//                          }});
//   }
//
// RunConformanceSuite must be called from inside a doctest TEST_CASE. It uses SUBCASEs, so
// doctest re-enters the TEST_CASE once per sub-test; make_empty_remote is called (at least) once
// per sub-test and must return a fresh, empty remote each time (an empty root that may or may
// not exist yet). Failures are reported through doctest CHECK/REQUIRE with the sub-test's name.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/remote.hpp"

namespace cvclone {

struct ConformanceTarget {
  std::string name;  // for messages
  // A fresh empty remote on each call.
  std::function<std::unique_ptr<Remote>()> make_empty_remote;
  // Whether an empty directory made by Mkdir shows up in List (false for S3-like remotes, where
  // directories exist only as prefixes of objects).
  bool supports_empty_dirs = true;
  // Whether the remote accepts 200-byte single segments (crypt's encrypted names grow, so a
  // wrapper over a 255-byte-name filesystem may not).
  bool supports_long_names = true;
  // Whether Stat gives back the mtime given to Put (false for a WebDAV server without mtimes:
  // its mtime is the upload time, checked to be no earlier than the Put).
  bool keeps_mtimes = true;
  // Whether the server behind the remote offers what an advertised Cleanup needs (false for
  // s3rver, which answers ListMultipartUploads with 501 NotImplemented: kUnsupported from the
  // server, not from the backend).
  bool server_lists_uploads = true;
};

void RunConformanceSuite(const ConformanceTarget& target);

}  // namespace cvclone
