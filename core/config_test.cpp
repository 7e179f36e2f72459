#include "core/config.hpp"
#include "core/state_dir.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cvclone {

namespace {

namespace fs = std::filesystem;
using Items = std::vector<std::pair<std::string, std::string>>;

ConfigFile MustParse(const std::string& text) {
  auto config = ConfigFile::Parse(text, "/etc/test.conf");
  REQUIRE_MESSAGE(config.has_value(), (config ? "" : config.error().message()));
  return *config;
}

std::string ParseError(const std::string& text) {
  auto config = ConfigFile::Parse(text, "/etc/test.conf");
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().code() == ErrorCode::kConfig);
  return config.error().message();
}

// A fresh directory under the system temp dir, removed at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "cvclone-config-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Sets or unsets an environment variable for one scope, restoring the old value.
struct ScopedEnv {
  std::string name;
  std::optional<std::string> old;
  ScopedEnv(std::string n, const char* value) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) old = v;
    if (value != nullptr) {
      ::setenv(name.c_str(), value, 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
  ~ScopedEnv() {
    if (old) {
      ::setenv(name.c_str(), old->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
};

Registry TestRegistry() {
  Registry registry;
  BackendInfo s3;
  s3.name = "s3";
  s3.options = {{"access_key_id", "", "", false, false},
                {"secret_access_key", "", "", false, true},
                {"region", "", "", false, false},
                {"session_token", "", "", false, false}};  // declared not secret: spec wins
  registry.Register(s3);
  return registry;
}

TEST_CASE("config: parses sections, comments, empty values, spacing") {
  ConfigFile config = MustParse(
      "# a comment\n"
      "; another\n"
      "\n"
      "[remote]\n"
      "type = s3\n"
      "region=eu-west-1\n"
      "  endpoint   =   http://127.0.0.1:9000/x?a=b  \n"
      "empty =\n"
      "\t# indented comment\n"
      "[other one]\n"
      "type = local\n");
  CHECK(config.path() == "/etc/test.conf");
  CHECK(config.Sections() == std::vector<std::string>{"remote", "other one"});
  CHECK(config.HasSection("remote"));
  CHECK_FALSE(config.HasSection("nope"));
  CHECK(config.Get("remote", "type") == "s3");
  CHECK(config.Get("remote", "region") == "eu-west-1");
  CHECK(config.Get("remote", "endpoint") == "http://127.0.0.1:9000/x?a=b");
  CHECK(config.Get("remote", "empty") == "");
  CHECK_FALSE(config.Get("remote", "missing").has_value());
  CHECK_FALSE(config.Get("nope", "type").has_value());
  CHECK(config.SectionLine("remote") == 4);
  CHECK(config.LineOf("remote", "region") == 6);
  CHECK(config.LineOf("other one", "type") == 11);
  CHECK(config.LineOf("remote", "missing") == 0);
  CHECK(config.Items("remote") == Items{{"type", "s3"},
                                        {"region", "eu-west-1"},
                                        {"endpoint", "http://127.0.0.1:9000/x?a=b"},
                                        {"empty", ""}});
  CHECK(config.Items("nope").empty());
}

TEST_CASE("config: CRLF line endings and a BOM") {
  ConfigFile config = MustParse("\xEF\xBB\xBF[a]\r\ntype = local\r\nkey = v a l\r\n\r\n[b]\r\n");
  CHECK(config.Sections() == std::vector<std::string>{"a", "b"});
  CHECK(config.Get("a", "type") == "local");
  CHECK(config.Get("a", "key") == "v a l");
  CHECK(config.LineOf("a", "key") == 3);
}

TEST_CASE("config: an empty text is an empty config") {
  ConfigFile config = MustParse("");
  CHECK(config.Sections().empty());
  CHECK(MustParse("# only comments\n\n").Sections().empty());
}

TEST_CASE("config: each syntax error names file and line") {
  CHECK(ParseError("[a]\ntype = s3\nthis is not valid\n") ==
        "config file /etc/test.conf line 3: expected \"key = value\" or \"[section]\", got "
        "\"this is not valid\"");
  CHECK(ParseError("# c\nkey = v\n").find("/etc/test.conf line 2: key \"key\" before any") !=
        std::string::npos);
  std::string dup = ParseError("[a]\ntype = s3\n\n[a]\n");
  CHECK(dup.find("line 4: duplicate section [a] (first at line 1)") != std::string::npos);
  std::string dup_key = ParseError("[a]\ntype = s3\ntype = local\n");
  CHECK(dup_key.find("line 3: duplicate key \"type\" in [a] (first at line 2)") !=
        std::string::npos);
  CHECK(ParseError("[a]\n[b@c]\n").find("line 2: invalid remote name \"b@c\"") !=
        std::string::npos);
  CHECK(ParseError("[]\n").find("line 1: invalid remote name") != std::string::npos);
  CHECK(ParseError("[a\n").find("line 1: section header \"[a\" has no closing ']'") !=
        std::string::npos);
  CHECK(ParseError("[a]\n= v\n").find("line 2: empty key") != std::string::npos);
}

TEST_CASE("config: DefaultPath follows --config, CVCLONE_CONFIG, XDG_CONFIG_HOME, HOME") {
  ScopedEnv config_env("CVCLONE_CONFIG", "/from/env.conf");
  ScopedEnv xdg("XDG_CONFIG_HOME", "/xdg");
  ScopedEnv home("HOME", "/home/u");
  CHECK(ConfigFile::DefaultPath("/flag.conf") == "/flag.conf");
  CHECK(ConfigFile::DefaultPath() == "/from/env.conf");
  {
    ScopedEnv unset("CVCLONE_CONFIG", nullptr);
    CHECK(ConfigFile::DefaultPath() == "/xdg/cvclone/cvclone.conf");
    ScopedEnv empty_xdg("XDG_CONFIG_HOME", "");
    CHECK(ConfigFile::DefaultPath() == "/home/u/.config/cvclone/cvclone.conf");
  }
  CHECK(ConfigFile::DefaultPath() == "/from/env.conf");
}

TEST_CASE("config: StateDir follows CVCLONE_STATE_DIR, XDG_STATE_HOME, HOME") {
  ScopedEnv state_env("CVCLONE_STATE_DIR", "/state");
  ScopedEnv xdg("XDG_STATE_HOME", "/xdg-state");
  ScopedEnv home("HOME", "/home/u");
  CHECK(StateDir() == "/state");
  ScopedEnv unset("CVCLONE_STATE_DIR", "");
  CHECK(StateDir() == "/xdg-state/cvclone");
  ScopedEnv empty_xdg("XDG_STATE_HOME", nullptr);
  CHECK(StateDir() == "/home/u/.local/state/cvclone");
}

TEST_CASE("config: Set, DeleteSection") {
  ConfigFile config = MustParse("[a]\ntype = s3\nregion = x\n");
  config.Set("a", "region", "y");
  config.Set("a", "new", "z");
  config.Set("b", "type", "local");
  CHECK(config.Items("a") == Items{{"type", "s3"}, {"region", "y"}, {"new", "z"}});
  CHECK(config.LineOf("a", "region") == 3);
  CHECK(config.LineOf("a", "new") == 0);
  CHECK(config.Sections() == std::vector<std::string>{"a", "b"});
  CHECK(config.DeleteSection("a"));
  CHECK_FALSE(config.DeleteSection("a"));
  CHECK(config.Sections() == std::vector<std::string>{"b"});
}

TEST_CASE("config: a missing file is empty, Save round-trips with mode 0600") {
  TempDir dir;
  std::string path = (dir.path / "sub" / "deeper" / "cvclone.conf").string();
  auto loaded = ConfigFile::Load(path);
  REQUIRE(loaded.has_value());
  CHECK(loaded->Sections().empty());
  CHECK(loaded->path() == path);

  loaded->Set("my s3", "type", "s3");
  loaded->Set("my s3", "endpoint", "http://127.0.0.1:9000");
  loaded->Set("my s3", "empty", "");
  loaded->Set("plain", "type", "local");
  REQUIRE(loaded->Save().has_value());

  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // No temporary file is left beside it.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(fs::path(path).parent_path())) {
    ++entries;
  }
  CHECK(entries == 1);

  auto again = ConfigFile::Load(path);
  REQUIRE(again.has_value());
  CHECK(again->Sections() == std::vector<std::string>{"my s3", "plain"});
  CHECK(again->Items("my s3") == loaded->Items("my s3"));
  CHECK(again->Get("plain", "type") == "local");
  CHECK(again->LineOf("my s3", "endpoint") == 3);

  // Overwriting keeps the mode and replaces the content.
  again->DeleteSection("plain");
  REQUIRE(again->Save().has_value());
  auto third = ConfigFile::Load(path);
  REQUIRE(third.has_value());
  CHECK(third->Sections() == std::vector<std::string>{"my s3"});
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("config: Load reports a syntax error with the real path") {
  TempDir dir;
  std::string path = (dir.path / "bad.conf").string();
  std::ofstream(path) << "[a]\ntype = s3\noops\n";
  auto loaded = ConfigFile::Load(path);
  REQUIRE_FALSE(loaded.has_value());
  CHECK(loaded.error().message().find(path + " line 3") != std::string::npos);
  // A directory is not a config file.
  auto dir_load = ConfigFile::Load(dir.path.string());
  CHECK_FALSE(dir_load.has_value());
}

TEST_CASE("config: IsSecretOption uses the spec, else the name") {
  Registry registry = TestRegistry();
  CHECK(IsSecretOption(registry, "s3", "secret_access_key"));
  CHECK_FALSE(IsSecretOption(registry, "s3", "access_key_id"));  // spec says not secret
  CHECK_FALSE(IsSecretOption(registry, "s3", "session_token"));
  CHECK(IsSecretOption(registry, "s3", "unknown_password"));  // unknown option: by name
  for (const char* key : {"password", "PASS2", "client_secret", "token", "api_key"}) {
    CHECK(IsSecretOption(registry, "drive", key));
  }
  CHECK_FALSE(IsSecretOption(registry, "drive", "region"));
  CHECK_FALSE(IsSecretOption(registry, "drive", "type"));
}

TEST_CASE("config: Render and DumpJson redact secrets") {
  Registry registry = TestRegistry();
  ConfigFile config = MustParse(
      "[s3r]\ntype = s3\naccess_key_id = AKIAVISIBLE\nsecret_access_key = TOPSECRET1\n"
      "empty_password =\n"
      "[gd]\ntype = drive\nclient_secret = TOPSECRET2\ntoken = {\"a\":\"TOPSECRET3\"}\n"
      "scope = drive\n");
  std::string shown = config.Render(registry, /*redact=*/true);
  CHECK(shown.find("TOPSECRET") == std::string::npos);
  CHECK(shown.find("access_key_id = AKIAVISIBLE") != std::string::npos);
  CHECK(shown.find("secret_access_key = *** REDACTED ***") != std::string::npos);
  CHECK(shown.find("empty_password = \n") != std::string::npos);
  CHECK(shown.find("scope = drive") != std::string::npos);
  CHECK(shown.find("[gd]") != std::string::npos);

  std::string one = config.Render(registry, true, "gd");
  CHECK(one.find("[gd]") != std::string::npos);
  CHECK(one.find("[s3r]") == std::string::npos);
  CHECK(one.find("TOPSECRET") == std::string::npos);
  CHECK(config.Render(registry, true, "nope").empty());

  std::string plain = config.Render(registry, /*redact=*/false);
  CHECK(plain.find("TOPSECRET1") != std::string::npos);
  auto reparsed = ConfigFile::Parse(plain, "x");
  REQUIRE(reparsed.has_value());
  CHECK(reparsed->Items("gd") == config.Items("gd"));

  std::string json = config.DumpJson(registry);
  CHECK(json.find("TOPSECRET") == std::string::npos);
  CHECK(json.find("\"s3r\": {") != std::string::npos);
  CHECK(json.find("\"type\": \"s3\"") != std::string::npos);
  CHECK(json.find("\"access_key_id\": \"AKIAVISIBLE\"") != std::string::npos);
  CHECK(json.find("\"client_secret\": \"*** REDACTED ***\"") != std::string::npos);
  CHECK(ConfigFile().DumpJson(registry) == "{}\n");
}

TEST_CASE("config: DumpJson escapes strings") {
  Registry registry;
  ConfigFile config = MustParse("[q]\ntype = x\ndesc = say \"hi\" \\ now\n");
  std::string json = config.DumpJson(registry);
  CHECK(json.find(R"("desc": "say \"hi\" \\ now")") != std::string::npos);
}

TEST_CASE("config: RenameSection, copies, and the closest section for \"did you mean\"") {
  ConfigFile config = MustParse("[mylocal]\ntype = local\n\n[backup]\ntype = s3\nregion = eu\n");
  CHECK_FALSE(config.RenameSection("nope", "x"));
  CHECK_FALSE(config.RenameSection("mylocal", "backup"));  // taken
  CHECK(config.RenameSection("backup", "copy", /*keep=*/true));
  CHECK(config.Items("copy") == config.Items("backup"));
  CHECK(config.RenameSection("mylocal", "disk"));
  CHECK(config.Sections() == std::vector<std::string>{"disk", "backup", "copy"});

  CHECK(EditDistance("", "abc") == 3);
  CHECK(EditDistance("kitten", "sitting") == 3);
  CHECK(EditDistance("mylocl", "mylocal") == 1);
  ConfigFile names = MustParse("[mylocal]\ntype = local\n[s3]\ntype = s3\n[backup]\ntype = s3\n");
  CHECK(names.ClosestSection("mylocl") == "mylocal");
  CHECK(names.ClosestSection("MYLOCAL") == "mylocal");
  CHECK(names.ClosestSection("bakcup") == "backup");
  CHECK(names.ClosestSection("s4") == std::nullopt);  // one edit of two letters is no typo
  CHECK(names.ClosestSection("zzz") == std::nullopt);
  CHECK(names.ClosestSection("mylocal") == std::nullopt);  // exists

  const Error e = UnknownRemoteError(names, "mylocl");
  CHECK(e.code() == ErrorCode::kUnknownRemote);
  CHECK(ExitCodeFor(e) == exit_code::kUncategorized);
  CHECK(e.message() ==
        "remote \"mylocl\" not found in config file /etc/test.conf: did you mean \"mylocal\"?");
  auto missing =
      ConfigFile::Load((std::filesystem::temp_directory_path() / "cvclone-no-such.conf").string());
  REQUIRE(missing.has_value());
  CHECK_FALSE(missing->exists());
  CHECK(UnknownRemoteError(*missing, "r").message().ends_with("(the file does not exist)"));
}

TEST_CASE("config: Obscure: known answers with fixed IVs") {
  std::array<uint8_t, 16> a{};
  a.fill('a');
  std::array<uint8_t, 16> b{};
  b.fill('b');
  CHECK(ObscureWithIv("potato", a).value() == "YWFhYWFhYWFhYWFhYWFhYXMaGgIlEQ");
  CHECK(ObscureWithIv("", a).value() == "YWFhYWFhYWFhYWFhYWFhYQ");
  CHECK(ObscureWithIv("potato", b).value() == "YmJiYmJiYmJiYmJiYmJiYp3gcEWbAw");
}

TEST_CASE("config: Reveal: rclone-obscured values from the vectors") {
  CHECK(Reveal("kWIPIr2bfvT3VlL54epdFIPxVdz8Kw").value() == "potato");
  CHECK(Reveal("C-ozYkebChGqkuUtnK-N15u-T1lDOe0").value() == "sausage");
  CHECK(Reveal("YWFhYWFhYWFhYWFhYWFhYQ").value() == "");
}

TEST_CASE("config: Obscure/Reveal round trip with random IVs differ each time") {
  auto one = Obscure("correct horse ✓");
  auto two = Obscure("correct horse ✓");
  REQUIRE(one.has_value());
  REQUIRE(two.has_value());
  CHECK(*one != *two);
  CHECK(Reveal(*one).value() == "correct horse ✓");
  CHECK(Reveal(*two).value() == "correct horse ✓");
}

TEST_CASE("config: Reveal: garbage gives a clear error") {
  for (const char* bad : {"not base64!", "abc", "YWFh", "YWFhYWFh=", "x"}) {
    auto r = Reveal(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == ErrorCode::kConfig);
    CHECK(r.error().message().find("failed to reveal password") != std::string::npos);
  }
}

}  // namespace
}  // namespace cvclone
