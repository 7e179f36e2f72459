// Tests of credential resolution with temporary AWS files and a controlled environment.
#include "backends/s3/credentials.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace cvclone::s3 {
namespace {

namespace fs = std::filesystem;

constexpr const char* kAwsVars[] = {
    "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY",      "AWS_SECRET_ACCESS_KEY",       "AWS_SECRET_KEY",
    "AWS_SESSION_TOKEN", "AWS_PROFILE",         "AWS_DEFAULT_PROFILE",         "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE", "HOME"};

// Clears the AWS variables (HOME pointed at an empty temporary directory) for one test and
// restores them afterwards; owns the temporary directory.
class Sandbox {
 public:
  Sandbox() {
    for (const char* name : kAwsVars) {
      if (const char* v = getenv(name)) saved_[name] = v;
      unsetenv(name);
    }
    char tmpl[] = "/tmp/cvclone-cred-XXXXXX";
    dir_ = mkdtemp(tmpl);
    fs::create_directories(dir_ / "home/.aws");
    setenv("HOME", (dir_ / "home").c_str(), 1);
  }
  ~Sandbox() {
    for (const char* name : kAwsVars) unsetenv(name);
    for (const auto& [name, value] : saved_) setenv(name.c_str(), value.c_str(), 1);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Write(const std::string& relative, const std::string& text) {
    fs::path p = dir_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

 private:
  fs::path dir_;
  std::map<std::string, std::string> saved_;
};

Options Opts(std::map<std::string, std::string> values) { return Options(std::move(values)); }

TEST_CASE("credentials: explicit options win and env_auth=false reads nothing else") {
  Sandbox sb;
  setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
  auto r = ResolveCredentials(
      Opts({{"access_key_id", "AKID"}, {"secret_access_key", "SECRET"}, {"session_token", "TOK"}}));
  REQUIRE(r.has_value());
  CHECK(r->credentials.access_key_id == "AKID");
  CHECK(r->credentials.secret_access_key == "SECRET");
  CHECK(r->credentials.session_token == "TOK");
  CHECK_FALSE(r->credentials.anonymous);
  CHECK(r->credentials.source == "config");
  CHECK(r->credentials.ForSigning().secret_access_key == "SECRET");

  // env_auth=false: environment keys are ignored → anonymous.
  auto anon = ResolveCredentials(Opts({{"env_auth", "false"}}));
  REQUIRE(anon.has_value());
  CHECK(anon->credentials.anonymous);
  CHECK(anon->credentials.access_key_id.empty());
}

TEST_CASE("credentials: only one half of a key pair is a config error without the value") {
  Sandbox sb;
  auto r = ResolveCredentials(Opts({{"secret_access_key", "TOPSECRETVALUE"}}));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == ErrorCode::kConfig);
  CHECK(r.error().message().find("access_key_id") != std::string::npos);
  CHECK(r.error().message().find("TOPSECRETVALUE") == std::string::npos);

  setenv("AWS_ACCESS_KEY_ID", "ONLYKEY", 1);
  auto e = ResolveCredentials(Opts({{"env_auth", "true"}}));
  REQUIRE_FALSE(e.has_value());
  CHECK(e.error().code() == ErrorCode::kConfig);
  CHECK(e.error().message().find("AWS_SECRET_ACCESS_KEY") != std::string::npos);

  auto bad_bool = ResolveCredentials(Opts({{"env_auth", "maybe"}}));
  REQUIRE_FALSE(bad_bool.has_value());
  CHECK(bad_bool.error().code() == ErrorCode::kConfig);
}

TEST_CASE("credentials: env_auth takes the environment first") {
  Sandbox sb;
  sb.Write("home/.aws/credentials", "[default]\naws_access_key_id = FILEKEY\n"
                                    "aws_secret_access_key = FILESECRET\n");
  setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
  setenv("AWS_SESSION_TOKEN", "ENVTOKEN", 1);
  auto r = ResolveCredentials(Opts({{"env_auth", "true"}}));
  REQUIRE(r.has_value());
  CHECK(r->credentials.access_key_id == "ENVKEY");
  CHECK(r->credentials.secret_access_key == "ENVSECRET");
  CHECK(r->credentials.session_token == "ENVTOKEN");
  CHECK(r->credentials.source == "env");
}

TEST_CASE("credentials: the shared credentials file, default and named profiles") {
  Sandbox sb;
  std::string path = sb.Write("home/.aws/credentials",
                              "# comment\n"
                              "[default]\r\n"
                              "aws_access_key_id = DEFKEY\r\n"
                              "aws_secret_access_key = DEFSECRET\r\n"
                              "\n"
                              "[dev]\n"
                              "; another comment\n"
                              "AWS_ACCESS_KEY_ID=DEVKEY\n"
                              "aws_secret_access_key=  DEV/SECRET+x=  \n"
                              "aws_session_token = DEVTOKEN\n"
                              "s3 =\n"
                              "  max_concurrent_requests = 20\n");
  auto def = ResolveCredentials(Opts({{"env_auth", "true"}}));
  REQUIRE(def.has_value());
  CHECK(def->credentials.access_key_id == "DEFKEY");
  CHECK(def->credentials.secret_access_key == "DEFSECRET");
  CHECK(def->credentials.source == "shared credentials file " + path + " [default]");

  setenv("AWS_PROFILE", "dev", 1);
  auto dev = ResolveCredentials(Opts({{"env_auth", "true"}}));
  REQUIRE(dev.has_value());
  CHECK(dev->credentials.access_key_id == "DEVKEY");
  CHECK(dev->credentials.secret_access_key == "DEV/SECRET+x=");
  CHECK(dev->credentials.session_token == "DEVTOKEN");

  // The profile option beats AWS_PROFILE.
  auto opt = ResolveCredentials(Opts({{"env_auth", "true"}, {"profile", "default"}}));
  REQUIRE(opt.has_value());
  CHECK(opt->credentials.access_key_id == "DEFKEY");

  // A missing profile: anonymous.
  setenv("AWS_PROFILE", "nosuch", 1);
  auto none = ResolveCredentials(Opts({{"env_auth", "true"}}));
  REQUIRE(none.has_value());
  CHECK(none->credentials.anonymous);
}

TEST_CASE("credentials: file locations from the environment and the option") {
  Sandbox sb;
  std::string a = sb.Write("elsewhere/creds", "[default]\naws_access_key_id = AKEY\n"
                                              "aws_secret_access_key = ASECRET\n");
  std::string b = sb.Write("other/creds", "[default]\naws_access_key_id = BKEY\n"
                                          "aws_secret_access_key = BSECRET\n");
  setenv("AWS_SHARED_CREDENTIALS_FILE", a.c_str(), 1);
  auto r = ResolveCredentials(Opts({{"env_auth", "true"}}));
  REQUIRE(r.has_value());
  CHECK(r->credentials.access_key_id == "AKEY");
  auto o = ResolveCredentials(Opts({{"env_auth", "true"}, {"shared_credentials_file", b}}));
  REQUIRE(o.has_value());
  CHECK(o->credentials.access_key_id == "BKEY");
}

TEST_CASE("credentials: the config file gives keys ([profile name]) and the region") {
  Sandbox sb;
  std::string config = sb.Write("home/.aws/config",
                                "[default]\n"
                                "region = ca-central-1\n"
                                "[profile dev]\n"
                                "region=eu-west-3\n"
                                "aws_access_key_id = CFGKEY\n"
                                "aws_secret_access_key = CFGSECRET\n"
                                "[dev]\n"
                                "region = wrong-section\n");
  auto def = ResolveCredentials(Opts({{"env_auth", "true"}}));
  REQUIRE(def.has_value());
  CHECK(def->credentials.anonymous);
  CHECK(def->profile_region == "ca-central-1");

  setenv("AWS_PROFILE", "dev", 1);
  auto dev = ResolveCredentials(Opts({{"env_auth", "true"}}));
  REQUIRE(dev.has_value());
  CHECK(dev->credentials.access_key_id == "CFGKEY");
  CHECK(dev->credentials.source == "config file " + config + " [dev]");
  CHECK(dev->profile_region == "eu-west-3");

  // The credentials file beats the config file for keys; the region still comes from config.
  sb.Write("home/.aws/credentials",
           "[dev]\naws_access_key_id = CREDKEY\naws_secret_access_key = CREDSECRET\n");
  auto both = ResolveCredentials(Opts({{"env_auth", "true"}}));
  REQUIRE(both.has_value());
  CHECK(both->credentials.access_key_id == "CREDKEY");
  CHECK(both->profile_region == "eu-west-3");

  // Explicit keys with env_auth: keys from options, region from the profile.
  auto expl = ResolveCredentials(
      Opts({{"env_auth", "true"}, {"access_key_id", "K1"}, {"secret_access_key", "S1"}}));
  REQUIRE(expl.has_value());
  CHECK(expl->credentials.access_key_id == "K1");
  CHECK(expl->profile_region == "eu-west-3");

  // AWS_CONFIG_FILE moves the config file.
  std::string moved = sb.Write("x/config", "[profile dev]\nregion = ap-south-1\n");
  setenv("AWS_CONFIG_FILE", moved.c_str(), 1);
  auto m = ResolveCredentials(Opts({{"env_auth", "true"}}));
  REQUIRE(m.has_value());
  CHECK(m->profile_region == "ap-south-1");
}

TEST_CASE("credentials: malformed files name the file and line, never a value") {
  Sandbox sb;
  std::string path = sb.Write("home/.aws/credentials",
                              "[default]\n"
                              "aws_access_key_id = K\n"
                              "SUPERSECRETLINE\n");
  auto r = ResolveCredentials(Opts({{"env_auth", "true"}}));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == ErrorCode::kConfig);
  CHECK(r.error().message().find(path + ":3:") == 0);
  CHECK(r.error().message().find("SUPERSECRETLINE") == std::string::npos);

  auto unterminated = ReadAwsProfile(sb.Write("f2", "[default\n"), "default", false);
  REQUIRE_FALSE(unterminated.has_value());
  CHECK(unterminated.error().message().find(":1: unterminated section") != std::string::npos);

  auto orphan = ReadAwsProfile(sb.Write("f3", "key = v\n[default]\n"), "default", false);
  REQUIRE_FALSE(orphan.has_value());
  CHECK(orphan.error().message().find("before any [section]") != std::string::npos);

  auto half = ResolveCredentials(Opts({{"env_auth", "true"}}));  // same broken file
  CHECK_FALSE(half.has_value());
  sb.Write("home/.aws/credentials", "[default]\naws_access_key_id = K\n");
  auto only_key = ResolveCredentials(Opts({{"env_auth", "true"}}));
  REQUIRE_FALSE(only_key.has_value());
  CHECK(only_key.error().message().find("aws_secret_access_key is not") != std::string::npos);

  auto missing = ReadAwsProfile("/nonexistent/cvclone/file", "default", false);
  REQUIRE(missing.has_value());
  CHECK(missing->empty());
}

TEST_CASE("credentials: RedactSecrets hides keys and tokens") {
  AwsCredentials c{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "TOKEN123",
                   false, "config"};
  std::string text = "key=AKIAIOSFODNN7EXAMPLE secret=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY "
                     "token=TOKEN123 again wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  CHECK(RedactSecrets(text, c) == "key=*** secret=*** token=*** again ***");
  AwsCredentials tiny{"a", "b", "", false, ""};
  CHECK(RedactSecrets("a b c", tiny) == "a b c");
}

}  // namespace
}  // namespace cvclone::s3
