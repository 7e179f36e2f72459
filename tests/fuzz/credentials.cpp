// Fuzzes the AWS credentials and config files (backends/s3/credentials): the input is written
// as the shared credentials file and as the config file, then read for several profiles and
// resolved as env_auth does. Any text gives pairs or a kConfig error; no error message or
// credential source ever holds a value from the file; RedactSecrets leaves no secret behind.
#include "backends/s3/credentials.hpp"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <string>

#include "core/log.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace cvclone::s3 {
namespace {

constexpr const char* kMark = "qSECRETq";

// One file name for the whole run; the file is written for each input and removed after it. In
// /dev/shm where there is one: rewriting a file on a disk file system may flush it each time
// (ext4's auto_da_alloc), a hundred times slower.
const std::string& FilePath() {
  static const std::string path = [] {
    std::string name = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    name += "/cvclone-fuzz-credentials-XXXXXX";
    const int fd = ::mkstemp(name.data());
    if (fd < 0) std::abort();
    ::close(fd);
    // Nothing from the machine running the fuzzer may be read.
    for (const char* v : {"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY",
                          "AWS_SECRET_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                          "AWS_DEFAULT_PROFILE", "AWS_SHARED_CREDENTIALS_FILE"}) {
      ::unsetenv(v);
    }
    ::setenv("AWS_CONFIG_FILE", name.c_str(), 1);
    log::SetLevel(log::Level::kError);
    return name;
  }();
  return path;
}

void Write(const std::string& text) {
  std::ofstream out(FilePath(), std::ios::binary | std::ios::trunc);
  out << text;
}

// text with the value of every "key = value" line replaced by a distinct marker.
std::string Marked(const std::string& text) {
  std::string out;
  int n = 0;
  bool first = true;
  for (const std::string& line : fuzz::Lines(text)) {
    if (!first) out += '\n';
    first = false;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) {
      out += line;
      continue;
    }
    out += line.substr(0, eq + 1) + "Zx" + std::to_string(n++) + kMark;
  }
  return out;
}

void CheckNoMark(const std::string& what) {
  FUZZ_CHECK(what.find(kMark) == std::string::npos, fuzz::Printable(what));
}

// Reads every profile the way the backend does; with `marked`, checks that no value escapes
// into an error or a credential source.
void ReadAll(bool marked) {
  for (const char* profile : {"default", "p", "profile"}) {
    for (bool config_style : {false, true}) {
      auto pairs = ReadAwsProfile(FilePath(), profile, config_style);
      if (!pairs) {
        FUZZ_CHECK(pairs.error().code() == ErrorCode::kConfig, pairs.error().message());
        if (marked) CheckNoMark(pairs.error().message());
        continue;
      }
      for (const auto& [key, value] : *pairs) {
        FUZZ_CHECK(!key.empty(), "an empty key");
        FUZZ_CHECK(value.empty() || (!std::isspace(static_cast<unsigned char>(value.front())) &&
                                     !std::isspace(static_cast<unsigned char>(value.back()))),
                   fuzz::Printable(value));
      }
    }
    Options options;
    options.Set("env_auth", "true");
    options.Set("profile", profile);
    options.Set("shared_credentials_file", FilePath());
    auto auth = ResolveCredentials(options);
    if (!auth) {
      if (marked) CheckNoMark(auth.error().message());
      continue;
    }
    if (marked) CheckNoMark(auth->credentials.source);
    const AwsCredentials& c = auth->credentials;
    FUZZ_CHECK(c.anonymous || (!c.access_key_id.empty() && !c.secret_access_key.empty()), c.source);
  }
}

}  // namespace
}  // namespace cvclone::s3

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cvclone;
  using namespace cvclone::s3;
  const std::string text = fuzz::AsString(data, size);
  Write(text);
  ReadAll(/*marked=*/false);
  if (text.find(kMark) == std::string::npos) {
    Write(Marked(text));
    ReadAll(/*marked=*/true);
  }

  // Redaction: secrets made of input lines (4 bytes or more, no '*') never survive.
  const auto lines = fuzz::Lines(text);
  if (lines.size() >= 4) {
    AwsCredentials creds{lines[0], lines[1], lines[2], false, "fuzz"};
    const std::string out = RedactSecrets(lines[3], creds);
    for (const std::string* s :
         {&creds.access_key_id, &creds.secret_access_key, &creds.session_token}) {
      if (s->size() < 4 || s->find('*') != std::string::npos) continue;
      FUZZ_CHECK(out.find(*s) == std::string::npos,
                 fuzz::Printable(*s) + " in " + fuzz::Printable(out));
    }
  }
  ::unlink(FilePath().c_str());
  return 0;
}
