// Helpers shared by the crypt tests (header only; not part of the library).
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace cvclone::crypt::testing {

// rclone's crypt vectors, carried in the repository (tests/data/crypt-vectors/README.md).
inline std::string VectorsDir() { return std::string(CVCLONE_SOURCE_DIR) + "/tests/data/crypt-vectors"; }

// A file's bytes. A file that cannot be opened or read throws, naming it, so the test fails with
// that message instead of comparing against empty data.
inline std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) throw std::runtime_error("cannot open test data file " + path);
  std::vector<uint8_t> out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error("cannot read test data file " + path);
  return out;
}

inline std::vector<uint8_t> FromHex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

}  // namespace cvclone::crypt::testing
