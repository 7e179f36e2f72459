#include "crypt/password.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <map>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "crypt/crypt_remote.hpp"

namespace cvclone::crypt {
namespace {

// Sets (or unsets, for nullopt) an environment variable for the scope, restoring it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = ::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST_CASE("password_command: stdout minus one trailing newline") {
  CHECK(RunPasswordCommand("printf 'potato\\n'", "password_command").value() == "potato");
  CHECK(RunPasswordCommand("printf 'potato\\r\\n'", "password_command").value() == "potato");
  CHECK(RunPasswordCommand("printf 'pot ato\\n\\n'", "password_command").value() == "pot ato\n");
  CHECK(RunPasswordCommand("printf potato", "password_command").value() == "potato");
  // Runs through the shell: pipes and quoting work.
  CHECK(RunPasswordCommand("echo 'x y' | tr ' ' '-'", "password_command").value() == "x-y");
  // As encfs's --extpass: only "\n" goes.
  const auto lf_only = TrailingNewline::kLfOnly;
  CHECK(RunPasswordCommand("printf 'potato\\r\\n'", "password_command", lf_only).value() ==
        "potato\r");
  CHECK(RunPasswordCommand("printf 'potato\\n'", "password_command", lf_only).value() == "potato");
  CHECK(RunPasswordCommand("printf 'pot\\n\\n'", "password_command", lf_only).value() == "pot\n");
}

TEST_CASE("password_command: failures name the option, never the output") {
  auto failing = RunPasswordCommand("echo hunter2secret; exit 3", "password_command");
  REQUIRE_FALSE(failing.has_value());
  CHECK(failing.error().code() == ErrorCode::kConfig);
  CHECK(failing.error().message().find("password_command") != std::string::npos);
  CHECK(failing.error().message().find("exit status 3") != std::string::npos);
  CHECK(failing.error().message().find("hunter2secret") == std::string::npos);

  auto empty = RunPasswordCommand("printf '\\n'", "password_command");
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error().message() == "crypt: password_command: the command printed no password");

  auto killed = RunPasswordCommand("kill -9 $$", "password_command");
  REQUIRE_FALSE(killed.has_value());
  CHECK(killed.error().message().find("signal 9") != std::string::npos);
}

TEST_CASE("crypt config: password sources in order, salt from password2 or the environment") {
  ScopedEnv pw("CVCLONE_CRYPT_PASSWORD", "fromenv");
  ScopedEnv pw2("CVCLONE_CRYPT_PASSWORD2", "salt-env");
  const std::string potato = Obscure("potato").value();

  auto stored = CryptConfigFromOptions(Options({{"password", potato},
                                                {"password_command", "printf cmd"}}));
  REQUIRE(stored.has_value());
  CHECK(stored->password == "potato");
  CHECK(stored->password2 == "salt-env");

  auto cmd = CryptConfigFromOptions(Options({{"password_command", "printf cmd"},
                                             {"password2", Obscure("sausage").value()}}));
  REQUIRE(cmd.has_value());
  CHECK(cmd->password == "cmd");
  CHECK(cmd->password2 == "sausage");

  auto env = CryptConfigFromOptions(Options(), true);
  REQUIRE(env.has_value());
  CHECK(env->password == "fromenv");
}

TEST_CASE("crypt config: empty and missing passwords are refused") {
  ScopedEnv pw("CVCLONE_CRYPT_PASSWORD", std::nullopt);
  ScopedEnv pw2("CVCLONE_CRYPT_PASSWORD2", std::nullopt);
  auto none = CryptConfigFromOptions(Options());
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().message() ==
        "crypt: no password: set password_command, CVCLONE_CRYPT_PASSWORD or password in the "
        "config");
  // The obscured empty string (rclone would derive all-zero keys from it).
  auto obscured_empty = CryptConfigFromOptions(Options(std::map<std::string, std::string>{{"password", "YWFhYWFhYWFhYWFhYWFhYQ"}}));
  REQUIRE_FALSE(obscured_empty.has_value());
  CHECK(obscured_empty.error().message() == "crypt: password is empty");
  {
    ScopedEnv empty_env("CVCLONE_CRYPT_PASSWORD", "");
    auto e = CryptConfigFromOptions(Options());
    REQUIRE_FALSE(e.has_value());
    CHECK(e.error().message() == "crypt: password is empty");
  }
  auto garbage = CryptConfigFromOptions(Options(std::map<std::string, std::string>{{"password", "plain text secret"}}));
  REQUIRE_FALSE(garbage.has_value());
  CHECK(garbage.error().message().find("password") != std::string::npos);
  CHECK(garbage.error().message().find("plain text secret") == std::string::npos);
}

}  // namespace
}  // namespace cvclone::crypt
