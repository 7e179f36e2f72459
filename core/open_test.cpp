#include "core/open.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>

namespace cvclone {
namespace {

// What the fake backends' create() was given, most recent call last.
struct CreateCall {
  std::string type;
  std::string display_name;
  std::string root;
  Options options;
};
std::vector<CreateCall>& Calls() {
  static std::vector<CreateCall> calls;
  return calls;
}

// A remote that does nothing but say what it is; `inner` is the wrapped remote, if any.
class FakeRemote : public Remote {
 public:
  FakeRemote(std::string type, std::string name, std::unique_ptr<Remote> inner = nullptr)
      : type_(std::move(type)), name_(std::move(name)), inner_(std::move(inner)) {}
  std::string Type() const override { return type_; }
  std::string Name() const override { return name_; }
  const Features& GetFeatures() const override { return features_; }
  Result<std::vector<ObjectInfo>> List(const Context&, const std::string&) override {
    return Unsupported();
  }
  Result<ObjectInfo> Stat(const Context&, const std::string&) override { return Unsupported(); }
  Result<std::unique_ptr<Reader>> Open(const Context&, const std::string&, int64_t,
                                       int64_t) override {
    return Unsupported();
  }
  Result<ObjectInfo> Put(const Context&, const std::string&, Reader&, const PutOptions&) override {
    return Unsupported();
  }
  Status Delete(const Context&, const std::string&) override { return Unsupported(); }
  Status Mkdir(const Context&, const std::string&) override { return Unsupported(); }
  Status Rmdir(const Context&, const std::string&) override { return Unsupported(); }
  Remote* inner() const { return inner_.get(); }

 private:
  static Unexpected<Error> Unsupported() { return MakeError(ErrorCode::kUnsupported, "fake"); }
  std::string type_;
  std::string name_;
  std::unique_ptr<Remote> inner_;
  Features features_;
};

BackendInfo FakeBackend(const std::string& name, std::vector<OptionSpec> options) {
  BackendInfo info;
  info.name = name;
  info.options = std::move(options);
  info.create = [name](const Context&, const std::string& display, const std::string& root,
                       const Options& options,
                       const RemoteOpener&) -> Result<std::unique_ptr<Remote>> {
    Calls().push_back({name, display, root, options});
    return std::unique_ptr<Remote>(std::make_unique<FakeRemote>(name, display));
  };
  return info;
}

// A wrapper that opens its `remote` option through the opener, as crypt does.
BackendInfo FakeWrapper() {
  BackendInfo info;
  info.name = "wrap";
  info.wrapper = true;
  info.options = {{"remote", "inner remote", "", true, false},
                  {"password", "a secret", "", false, true},
                  {"password_command", "a command", "", false, false}};
  info.create = [](const Context& ctx, const std::string& display, const std::string& root,
                   const Options& options,
                   const RemoteOpener& open_inner) -> Result<std::unique_ptr<Remote>> {
    Calls().push_back({"wrap", display, root, options});
    CVC_ASSIGN_OR_RETURN(auto inner, open_inner(ctx, options.GetOr("remote", "")));
    return std::unique_ptr<Remote>(std::make_unique<FakeRemote>("wrap", display, std::move(inner)));
  };
  return info;
}

Registry TestRegistry() {
  Registry registry;
  registry.Register(FakeBackend("local", {{"links", "", "false", false, false}}));
  registry.Register(FakeBackend("fake", {{"region", "", "us", false, false},
                                         {"endpoint", "", "", false, false},
                                         {"token", "", "", false, true}}));
  registry.Register(FakeBackend("needy", {{"must", "", "", true, false}}));
  registry.Register(FakeWrapper());
  return registry;
}

ConfigFile Config(const std::string& text) {
  auto config = ConfigFile::Parse(text, "/test/cvclone.conf");
  REQUIRE_MESSAGE(config.has_value(), (config ? "" : config.error().message()));
  return *config;
}

// Sets or unsets an environment variable for one scope.
struct ScopedEnv {
  std::string name;
  ScopedEnv(std::string n, const std::string& value) : name(std::move(n)) {
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name.c_str()); }
};

struct Fixture {
  Registry registry = TestRegistry();
  ConfigFile config;
  OpenEnv env;
  Context ctx;
  Fixture() { Calls().clear(); }
  void Use(const std::string& text) {
    config = Config(text);
    env.config = &config;
    env.registry = &registry;
  }
  Result<std::unique_ptr<Remote>> Open(const std::string& text) {
    return NewRemote(ctx, text, env);
  }
  std::string ErrorOf(const std::string& text) {
    auto remote = Open(text);
    INFO("remote string: " << text);
    REQUIRE_FALSE(remote.has_value());
    const ErrorCode code = remote.error().code();
    CHECK((code == ErrorCode::kConfig || code == ErrorCode::kUnknownRemote));
    return remote.error().message();
  }
};

TEST_CASE("open: ConfigEnvName") {
  CHECK(ConfigEnvName("my-remote.x y", "access_key_id") ==
        "CVCLONE_CONFIG_MY_REMOTE_X_Y_ACCESS_KEY_ID");
}

TEST_CASE("open: local paths go to the local backend unchanged") {
  Fixture f;
  f.Use("");
  for (const char* path : {".", "rel/dir", "/abs/dir", "./a:b"}) {
    auto remote = f.Open(path);
    REQUIRE(remote.has_value());
    CHECK((*remote)->Type() == "local");
    REQUIRE_FALSE(Calls().empty());
    CHECK(Calls().back().root == path);
    CHECK(Calls().back().options.Get("links") == "false");  // the default
  }
}

TEST_CASE("open: lookup order inline > flags > environment > file > default") {
  Fixture f;
  f.Use("[myr]\ntype = fake\nregion = from-file\nendpoint = file-endpoint\n");
  auto region = [&](const std::string& text) {
    auto resolved = ResolveRemote(text, f.env);
    REQUIRE_MESSAGE(resolved.has_value(), (resolved ? "" : resolved.error().message()));
    CHECK(resolved->type == "fake");
    CHECK(resolved->options.Get("endpoint") == "file-endpoint");  // untouched layers stay
    return resolved->options.GetOr("region", "<unset>");
  };
  ScopedEnv env_region("CVCLONE_CONFIG_MYR_REGION", "from-env");
  f.env.backend_flags[{"fake", "region"}] = "from-flag";
  f.env.backend_flags[{"other", "region"}] = "not-for-fake";
  CHECK(region("myr,region=inline:bucket") == "inline");
  CHECK(region("myr:bucket") == "from-flag");
  f.env.backend_flags.erase({"fake", "region"});
  CHECK(region("myr:bucket") == "from-env");
  ::unsetenv("CVCLONE_CONFIG_MYR_REGION");
  CHECK(region("myr:bucket") == "from-file");
  f.Use("[myr]\ntype = fake\nendpoint = file-endpoint\n");
  CHECK(region("myr:bucket") == "us");
  f.Use("[myr]\ntype = fake\nendpoint = file-endpoint\nregion =\n");  // empty means default
  CHECK(region("myr:bucket") == "us");

  // NewRemote hands the same merged options, the root and the display name to create().
  auto remote = f.Open("myr,region=eu:bucket/dir");
  REQUIRE(remote.has_value());
  REQUIRE(Calls().size() == 1);
  CHECK(Calls()[0].root == "bucket/dir");
  CHECK(Calls()[0].display_name == "myr,region=eu:bucket/dir");
  CHECK(Calls()[0].options.Get("region") == "eu");
  CHECK(Calls()[0].options.Get("endpoint") == "file-endpoint");
}

TEST_CASE("open: backend on the fly uses flags, parameters and defaults, not the file") {
  Fixture f;
  f.Use("[fake]\ntype = fake\nregion = from-file\n");
  auto resolved = ResolveRemote(":fake:bucket", f.env);
  REQUIRE(resolved.has_value());
  CHECK(resolved->options.Get("region") == "us");
  CHECK(resolved->root == "bucket");
  f.env.backend_flags[{"fake", "region"}] = "flag";
  CHECK(ResolveRemote(":fake:b", f.env)->options.Get("region") == "flag");
  CHECK(ResolveRemote(":fake,region=p:b", f.env)->options.Get("region") == "p");
  OpenEnv no_config;
  no_config.registry = &f.registry;
  CHECK(ResolveRemote(":fake:b", no_config).has_value());
}

TEST_CASE("open: a section may come from the environment alone") {
  Fixture f;
  f.Use("");
  ScopedEnv type("CVCLONE_CONFIG_ENVONLY_TYPE", "fake");
  ScopedEnv region("CVCLONE_CONFIG_ENVONLY_REGION", "env-region");
  auto resolved = ResolveRemote("envonly:x", f.env);
  REQUIRE(resolved.has_value());
  CHECK(resolved->type == "fake");
  CHECK(resolved->options.Get("region") == "env-region");
}

TEST_CASE("open: errors name what is at fault") {
  Fixture f;
  f.Use(
      "[notype]\nregion = x\n\n[drive]\ntype = drive\n[fine]\ntype = fake\n[short]\n"
      "type = needy\n");
  CHECK(f.ErrorOf("foo:bar") == "remote \"foo\" not found in config file /test/cvclone.conf");
  CHECK(f.Open("foo:bar").error().code() == ErrorCode::kUnknownRemote);  // exit 1, as rclone
  CHECK(f.ErrorOf("notype:x") ==
        "remote \"notype\" has no type (config file /test/cvclone.conf line 1)");
  CHECK(f.ErrorOf("drive:x") ==
        "unknown backend \"drive\" (config file /test/cvclone.conf line 5)");
  CHECK(f.ErrorOf("nosuch(local:x)").find("unknown backend \"nosuch\"") != std::string::npos);
  CHECK(f.ErrorOf(":nosuch:x").find("unknown backend \"nosuch\"") != std::string::npos);
  CHECK(f.ErrorOf("fake(fine:x)").find("does not wrap") != std::string::npos);
  CHECK(f.ErrorOf("short:x").find("option \"must\" of backend \"needy\" is required") !=
        std::string::npos);
  CHECK(f.Open("short,must=1:x").has_value());
  CHECK(f.ErrorOf("crypt(s3:x").find("unbalanced") != std::string::npos);

  OpenEnv no_config;
  no_config.registry = &f.registry;
  auto missing = NewRemote(f.ctx, "foo:bar", no_config);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().message().find("remote \"foo\" not found") != std::string::npos);
}

TEST_CASE("open: unknown option names warn and are passed on, not an error") {
  Fixture f;
  f.Use("[r]\ntype = fake\nregion = x\nfuture_option = 7\n");
  f.env.backend_flags[{"fake", "flag_only"}] = "f";
  auto resolved = ResolveRemote("r,bogus=1:p", f.env);
  REQUIRE(resolved.has_value());
  REQUIRE(resolved->warnings.size() == 3);
  CHECK(resolved->warnings[0].find("/test/cvclone.conf line 4") != std::string::npos);
  CHECK(resolved->warnings[0].find("\"future_option\"") != std::string::npos);
  CHECK(resolved->warnings[1].find("--fake-flag_only") != std::string::npos);
  CHECK(resolved->warnings[2].find("unknown parameter \"bogus\"") != std::string::npos);
  CHECK(resolved->options.Get("future_option") == "7");
  CHECK(resolved->options.Get("bogus") == "1");

  auto remote = f.Open("r,bogus=1:p");
  REQUIRE(remote.has_value());
  CHECK(Calls().back().options.Get("future_option") == "7");
}

TEST_CASE("open: wrappers open their inner remote through the opener") {
  Fixture f;
  f.Use(
      "[base]\ntype = fake\nregion = r1\n[sec]\ntype = wrap\nremote = base:bucket/x\n"
      "password = hunter2\n");
  auto remote = f.Open("sec:sub");
  REQUIRE_MESSAGE(remote.has_value(), (remote ? "" : remote.error().message()));
  auto* wrapped = dynamic_cast<FakeRemote*>(remote->get());
  REQUIRE(wrapped != nullptr);
  REQUIRE(wrapped->inner() != nullptr);
  CHECK(wrapped->inner()->Type() == "fake");
  CHECK(wrapped->inner()->Name() == "base:bucket/x");
  REQUIRE(Calls().size() == 2);
  CHECK(Calls()[0].root == "sub");
  CHECK(Calls()[0].options.Get("remote") == "base:bucket/x");
  CHECK(Calls()[1].root == "bucket/x");
  CHECK(Calls()[1].options.Get("region") == "r1");

  // The wrapper form: inner string as option "remote", inner flags apply to the inner remote.
  Calls().clear();
  f.env.backend_flags[{"fake", "region"}] = "flagged";
  remote = f.Open("wrap,password='s3cr,et'(:fake:b/c)/d");
  REQUIRE_MESSAGE(remote.has_value(), (remote ? "" : remote.error().message()));
  REQUIRE(Calls().size() == 2);
  CHECK(Calls()[0].root == "d");
  CHECK(Calls()[0].options.Get("remote") == ":fake:b/c");
  CHECK(Calls()[0].options.Get("password") == "s3cr,et");
  // A secret inline parameter does not appear in the display name.
  CHECK(Calls()[0].display_name.find("s3cr") == std::string::npos);
  CHECK(Calls()[1].root == "b/c");
  CHECK(Calls()[1].options.Get("region") == "flagged");

  // Secrets of a wrapped on-the-fly remote are redacted in the outer display name too.
  Calls().clear();
  remote = f.Open("wrap(wrap,password=pw1(:fake,token=tok1:b))");
  REQUIRE(remote.has_value());
  REQUIRE(Calls().size() == 3);
  for (const auto& call : Calls()) {
    CHECK(call.display_name.find("pw1") == std::string::npos);
    CHECK(call.display_name.find("tok1") == std::string::npos);
  }
  CHECK(Calls()[2].options.Get("token") == "tok1");

  // Nested wrappers.
  Calls().clear();
  remote = f.Open("wrap(wrap(sec:a))");
  REQUIRE(remote.has_value());
  CHECK(Calls().size() == 4);
  CHECK(f.ErrorOf("wrap(nosuchremote:x)").find("remote \"nosuchremote\" not found") !=
        std::string::npos);
}

TEST_CASE("open: a remote that wraps itself stops at the depth limit") {
  Fixture f;
  f.Use("[loop]\ntype = wrap\nremote = loop:x\n");
  std::string message = f.ErrorOf("loop:");
  CHECK(message.find("nested more than 10") != std::string::npos);
  CHECK(message.find("loop:x") != std::string::npos);
  CHECK(Calls().size() == 11);
}

TEST_CASE("open: an inline *_command option is an error naming it, and nothing is created") {
  Fixture f;
  f.Use("[sec]\ntype = wrap\nremote = :fake:b\npassword_command = from-file\n");
  for (const char* text :
       {"wrap,password_command=touch${IFS}pwned(:fake:b)", "wrap,other_command=x(:fake:b)",
        ":fake,x_command=y:b", "sec,password_command=x:p", "wrap(wrap,password_command=x(:fake:b))",
        "wrap(wrap(:fake,a_command='x':b))"}) {
    Calls().clear();
    const std::string message = f.ErrorOf(text);
    INFO(message);
    CHECK(message.find("_command\"") != std::string::npos);
    CHECK(message.find("config file") != std::string::npos);
    CHECK(message.find("environment") != std::string::npos);
    CHECK(Calls().empty());
  }
  // Where it may come from: the file, the environment, a flag.
  auto from = [&]() {
    auto resolved = ResolveRemote("sec:", f.env);
    REQUIRE_MESSAGE(resolved.has_value(), (resolved ? "" : resolved.error().message()));
    return resolved->options.GetOr("password_command", "<unset>");
  };
  CHECK(from() == "from-file");
  {
    ScopedEnv env("CVCLONE_CONFIG_SEC_PASSWORD_COMMAND", "from-env");
    CHECK(from() == "from-env");
    f.env.backend_flags[{"wrap", "password_command"}] = "from-flag";
    CHECK(from() == "from-flag");
  }
}

// The depth is checked before any remote is created or any recursion made.
TEST_CASE("open: wrappers nested thousands deep fail before anything is created") {
  Fixture f;
  f.Use("");
  std::string deep;
  for (int i = 0; i < 2000; ++i) deep += "wrap(";
  deep += ":fake:b";
  for (int i = 0; i < 2000; ++i) deep += ")";
  const std::string message = f.ErrorOf(deep);
  CHECK(message.find("nested") != std::string::npos);
  CHECK(message.size() < 400);
  CHECK(Calls().empty());
}

TEST_CASE("open: CreateRemoteSection validates names and stores unknown options") {
  Registry registry = TestRegistry();
  ConfigFile config = Config("[exists]\ntype = fake\n");
  CHECK(CreateRemoteSection(config, registry, "new", "fake", {"region=eu", "token=t"}));
  CHECK(config.Get("new", "type") == "fake");
  CHECK(config.Get("new", "region") == "eu");
  CHECK(config.Get("new", "token") == "t");

  auto fails = [&](const std::string& name, const std::string& type,
                   const std::vector<std::string>& kv, const std::string& expect) {
    auto status = CreateRemoteSection(config, registry, name, type, kv);
    REQUIRE_FALSE(status.has_value());
    CHECK(status.error().code() == ErrorCode::kConfig);
    CHECK_MESSAGE(status.error().message().find(expect) != std::string::npos,
                  status.error().message());
  };
  fails("x", "drive", {}, "unknown backend \"drive\"");
  fails("x", "fake", {"region"}, "\"region\" is not key=value");
  fails("x", "fake", {"type=s3"}, "TYPE argument");
  fails("exists", "fake", {}, "already exists");
  fails("bad:name", "fake", {}, "invalid remote name");
  CHECK_FALSE(config.HasSection("x"));
  CHECK(config.Sections() == std::vector<std::string>{"exists", "new"});
  // An option the backend does not know is stored, as rclone does (the file may be shared
  // with rclone, which may know it).
  CHECK(CreateRemoteSection(config, registry, "y", "fake", {"nope=1"}));
  CHECK(config.Get("y", "nope") == "1");
}

}  // namespace
}  // namespace cvclone
