// Small helpers shared by the interop and S3 tests: deterministic data, reading a tree back,
// finding a peer program, unique names.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>

namespace cvclone::test {

// n pseudo-random bytes, the same for the same seed (a linear congruential generator).
std::string Pattern(size_t n, unsigned seed);

// Every regular file under root: relative path → content. Empty if root does not exist.
std::map<std::string, std::string> ReadTree(const std::string& root);

// Every path under root, folders and links included (relative, not following links). Empty if
// root does not exist.
std::set<std::string> ListTree(const std::string& root);

// The program `name` on PATH, or "" when it is not installed.
std::string FindOnPath(const std::string& name);

// "<stem>-<pid>-<n>": a bucket or prefix name no other test (or earlier run) uses.
std::string UniqueName(const std::string& stem);

}  // namespace cvclone::test
