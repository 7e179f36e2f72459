// Runs a program as a user would (no shell), feeding stdin and capturing stdout, stderr and the
// exit status. For CLI tests.
#pragma once

#include <spawn.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace cvclone::test {

struct ProcessOptions {
  // Environment changes on top of the current environment: set (or replace) these variables...
  std::map<std::string, std::string> set_env;
  // ...and remove these.
  std::vector<std::string> unset_env;
  std::string stdin_data;  // written to the child's stdin, which is then closed
  std::string cwd;         // working directory of the child; "" = the current one
  // The child is killed (SIGKILL) if it runs longer than this; exit_code is then 137.
  std::chrono::milliseconds timeout{std::chrono::seconds(120)};
};

struct ProcessResult {
  // The exit status; 128 + signal number when killed by a signal; -1 if the program could not
  // be started (error then says why).
  int exit_code = -1;
  std::string out;
  std::string err;
  std::string error;
};

// Options for running cvclone or a peer tool (rclone, aws) in isolation: working directory and
// HOME are `home`, TZ is UTC, and every variable that could bring in the caller's config,
// passwords or credentials is removed (AWS_CA_BUNDLE too: rclone 1.60 then refuses plain-http
// endpoints, tests/README.md).
ProcessOptions IsolatedOptions(const std::string& home);

// Runs program (a path; not searched in PATH) with args (argv[1..]). Blocks until it exits.
ProcessResult RunProcess(const std::string& program, const std::vector<std::string>& args,
                         const ProcessOptions& options = {});

// Starts program with args (no shell) with options' environment and working directory (not its
// timeout or stdin_data), its standard streams as `actions` set them, default signal
// dispositions and an empty signal mask. The child's PID, or -1 with *why saying why.
pid_t SpawnProcess(const std::string& program, const std::vector<std::string>& args,
                   const ProcessOptions& options, posix_spawn_file_actions_t& actions,
                   std::string* why);

}  // namespace cvclone::test

// CHECKs that a ProcessResult exited 0, showing its output otherwise.
#define CHECK_RUN_OK(result)                                                          \
  do {                                                                                \
    const ::cvclone::test::ProcessResult& r_ = (result);                              \
    CHECK_MESSAGE(r_.exit_code == 0, "stdout: " << r_.out << "\nstderr: " << r_.err); \
  } while (0)
