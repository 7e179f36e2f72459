#include "core/open.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <set>

#include "core/log.hpp"

namespace cvclone {
namespace {

constexpr int kMaxDepth = 10;

const Registry& RegistryOf(const OpenEnv& env) {
  return env.registry != nullptr ? *env.registry : Registry::Global();
}

std::string ConfigPath(const OpenEnv& env) {
  return env.config != nullptr && !env.config->path().empty() ? env.config->path() : "(none)";
}

std::optional<std::string> GetEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

// Replaces secret inline parameter values in spec, and in a wrapper's inner remote string,
// recursively. type is the backend type when known (else secrets are guessed by name).
bool RedactSpec(RemoteSpec& spec, const Registry& reg, const std::string& type) {
  bool changed = false;
  for (auto& [key, value] : spec.params) {
    if (IsSecretOption(reg, type, key)) {
      value = kRedacted;
      changed = true;
    }
  }
  if (spec.kind == RemoteSpec::Kind::kWrapper) {
    auto inner = ParseRemoteString(spec.inner);
    if (inner) {
      std::string inner_type = inner->kind == RemoteSpec::Kind::kSection ? "" : inner->name;
      if (RedactSpec(*inner, reg, inner_type)) {
        spec.inner = FormatRemoteString(*inner);
        changed = true;
      }
    }
  }
  return changed;
}

// The remote string with secret inline parameters redacted, for messages and Remote::Name().
std::string DisplayName(const std::string& text, const RemoteSpec& spec, const Registry& reg,
                        const std::string& type) {
  RemoteSpec shown = spec;
  return RedactSpec(shown, reg, type) ? FormatRemoteString(shown) : text;
}

// Options whose value is a command that cvclone runs (password_command, and any later
// *_command): they are never taken from a remote string, which may be a file name chosen by
// someone else, only from the config file, the environment or a command-line flag.
bool IsCommandOption(const std::string& key) { return key.ends_with("_command"); }

// Fails when spec, or a wrapper's inner remote string at any depth, has an inline *_command
// parameter. type is spec's backend type when known. The depth is bounded by the parser's
// nesting limit.
Status CheckNoInlineCommands(const RemoteSpec& spec, const std::string& type,
                             const std::string& display) {
  for (const auto& param : spec.params) {
    if (!IsCommandOption(param.first)) continue;
    std::string flag = (type.empty() ? "TYPE" : type) + "-" + param.first;
    std::replace(flag.begin(), flag.end(), '_', '-');
    std::string env = ConfigEnvName(spec.name, param.first);
    if (spec.kind != RemoteSpec::Kind::kSection) {
      std::string option = param.first;
      for (char& c : option) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      env = "CVCLONE_CONFIG_<SECTION>_" + option;
    }
    return MakeError(ErrorCode::kConfig,
                     "remote \"" + AbbreviateRemoteString(display) + "\": option \"" + param.first +
                         "\" runs a command, so it is never taken from a remote string: set it "
                         "in the config file, the environment (" +
                         env + ") or with the flag --" + flag);
  }
  if (spec.kind != RemoteSpec::Kind::kWrapper) return Ok();
  auto inner = ParseRemoteString(spec.inner);
  if (!inner) return Ok();  // reported when the inner remote is opened
  const std::string inner_type = inner->kind == RemoteSpec::Kind::kSection ? "" : inner->name;
  return CheckNoInlineCommands(*inner, inner_type, display);
}

struct Resolution {
  const BackendInfo* backend = nullptr;
  std::string display;
  ResolvedRemote out;
};

// Logged once per process: a command resolves the same remote string more than once.
void Warn(Resolution& r, std::string message) {
  static std::mutex mu;
  static std::set<std::string> logged;
  {
    std::lock_guard lock(mu);
    if (logged.insert(message).second) log::Notice("{}", message);
  }
  r.out.warnings.push_back(std::move(message));
}

bool KnownOption(const BackendInfo& backend, const std::string& key) {
  return backend.FindOption(key) != nullptr || (backend.wrapper && key == "remote");
}

// The section's type: from the environment, else the file. Sets r.backend or fails.
Status ResolveSectionType(const RemoteSpec& spec, const OpenEnv& env, const Registry& reg,
                          Resolution& r) {
  const std::string type_env = ConfigEnvName(spec.name, "type");
  std::optional<std::string> type = GetEnv(type_env);
  std::string where = "environment " + type_env;
  bool in_file = env.config != nullptr && env.config->HasSection(spec.name);
  if (!type || type->empty()) {
    if (!in_file) {
      return MakeError(ErrorCode::kUnknownRemote,
                       "remote \"" + spec.name + "\" not found in config file " + ConfigPath(env));
    }
    type = env.config->Get(spec.name, "type");
    where = "config file " + env.config->path() + " line " +
            std::to_string(type ? env.config->LineOf(spec.name, "type")
                                : env.config->SectionLine(spec.name));
    if (!type || type->empty()) {
      return MakeError(ErrorCode::kConfig,
                       "remote \"" + spec.name + "\" has no type (" + where + ")");
    }
  }
  r.backend = reg.Find(*type);
  if (r.backend == nullptr) {
    return MakeError(ErrorCode::kConfig, "unknown backend \"" + *type + "\" (" + where + ")");
  }
  return Ok();
}

// Applies the layers, lowest first, into r.out.options.
void ApplyLayers(const std::string& text, const RemoteSpec& spec, const OpenEnv& env,
                 Resolution& r) {
  const BackendInfo& backend = *r.backend;
  std::map<std::string, std::string> values;
  for (const auto& opt : backend.options) values[opt.name] = opt.default_value;
  if (spec.kind == RemoteSpec::Kind::kSection && env.config != nullptr) {
    for (const auto& [key, value] : env.config->Items(spec.name)) {
      if (key == "type") continue;
      if (!KnownOption(backend, key)) {
        Warn(r, "config file " + env.config->path() + " line " +
                    std::to_string(env.config->LineOf(spec.name, key)) + ": remote \"" + spec.name +
                    "\": unknown option \"" + key + "\" for backend \"" + backend.name +
                    "\" (passed on)");
      }
      values[key] = value;
    }
  }
  if (spec.kind == RemoteSpec::Kind::kSection) {
    for (const auto& opt : backend.options) {
      if (auto v = GetEnv(ConfigEnvName(spec.name, opt.name))) values[opt.name] = *v;
    }
    if (backend.wrapper) {
      if (auto v = GetEnv(ConfigEnvName(spec.name, "remote"))) values["remote"] = *v;
    }
  }
  for (const auto& [flag, value] : env.backend_flags) {
    if (flag.first != backend.name) continue;
    if (!KnownOption(backend, flag.second)) {
      Warn(r, "flag --" + flag.first + "-" + flag.second + ": unknown option for backend \"" +
                  backend.name + "\" (passed on)");
    }
    values[flag.second] = value;
  }
  for (const auto& [key, value] : spec.params) {
    if (!KnownOption(backend, key)) {
      Warn(r, "remote string \"" + text + "\": unknown parameter \"" + key + "\" for backend \"" +
                  backend.name + "\" (passed on)");
    }
    values[key] = value;
  }
  if (spec.kind == RemoteSpec::Kind::kWrapper) values["remote"] = spec.inner;
  // An empty value means the default, as in rclone.
  for (const auto& opt : backend.options) {
    if (values[opt.name].empty()) values[opt.name] = opt.default_value;
  }
  r.out.options = Options(std::move(values));
}

Result<Resolution> Resolve(const std::string& text, const OpenEnv& env) {
  const Registry& reg = RegistryOf(env);
  CVC_ASSIGN_OR_RETURN(RemoteSpec spec, ParseRemoteOrLocalPath(text));
  Resolution r;
  switch (spec.kind) {
    case RemoteSpec::Kind::kLocal:
      r.backend = reg.Find("local");
      if (r.backend == nullptr) {
        return MakeError(ErrorCode::kConfig, "unknown backend \"local\" for path \"" +
                                                 AbbreviateRemoteString(text) + "\"");
      }
      break;
    case RemoteSpec::Kind::kSection:
      CVC_RETURN_IF_ERROR(ResolveSectionType(spec, env, reg, r));
      break;
    case RemoteSpec::Kind::kBackend:
    case RemoteSpec::Kind::kWrapper:
      r.backend = reg.Find(spec.name);
      if (r.backend == nullptr) {
        return MakeError(ErrorCode::kConfig, "unknown backend \"" + spec.name +
                                                 "\" in remote string \"" +
                                                 AbbreviateRemoteString(text) + "\"");
      }
      if (spec.kind == RemoteSpec::Kind::kWrapper && !r.backend->wrapper) {
        return MakeError(ErrorCode::kConfig, "backend \"" + spec.name +
                                                 "\" does not wrap a remote: \"" +
                                                 AbbreviateRemoteString(text) + "\"");
      }
      break;
  }
  r.out.type = r.backend->name;
  r.out.root = spec.path;
  r.display = DisplayName(text, spec, reg, r.backend->name);
  CVC_RETURN_IF_ERROR(CheckNoInlineCommands(spec, r.backend->name, r.display));
  ApplyLayers(r.display, spec, env, r);
  for (const auto& opt : r.backend->options) {
    if (opt.required && !r.out.options.Get(opt.name)) {
      return MakeError(ErrorCode::kConfig, "remote \"" + r.display + "\": option \"" + opt.name +
                                               "\" of backend \"" + r.backend->name +
                                               "\" is required but not set");
    }
  }
  return r;
}

Result<std::unique_ptr<Remote>> NewRemoteAtDepth(const Context& ctx, const std::string& text,
                                                 const OpenEnv& env, int depth) {
  if (depth > kMaxDepth) {
    return MakeError(ErrorCode::kConfig,
                     "remote \"" + AbbreviateRemoteString(text) + "\": remotes nested more than " +
                         std::to_string(kMaxDepth) + " deep (does a remote wrap itself?)");
  }
  CVC_ASSIGN_OR_RETURN(Resolution r, Resolve(text, env));
  if (!r.backend->create) {
    return MakeError(ErrorCode::kInternal, "backend \"" + r.backend->name + "\" cannot create");
  }
  RemoteOpener opener = [env, depth](const Context& inner_ctx, const std::string& inner) {
    return NewRemoteAtDepth(inner_ctx, inner, env, depth + 1);
  };
  return r.backend->create(ctx, r.display, r.out.root, r.out.options, opener);
}

}  // namespace

std::string ConfigEnvName(const std::string& section, const std::string& option) {
  std::string out = "CVCLONE_CONFIG_" + section + "_" + option;
  for (char& c : out) {
    if (c == '-' || c == '.' || c == ' ') {
      c = '_';
    } else {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

Result<RemoteSpec> ParseRemoteOrLocalPath(const std::string& text) {
  CVC_ASSIGN_OR_RETURN(RemoteSpec spec, ParseRemoteString(text));
  struct stat st;
  if (spec.kind == RemoteSpec::Kind::kWrapper && ::lstat(text.c_str(), &st) == 0) {
    return RemoteSpec{.kind = RemoteSpec::Kind::kLocal, .path = text};
  }
  return spec;
}

Result<std::unique_ptr<Remote>> NewRemote(const Context& ctx, const std::string& remote_string,
                                          const OpenEnv& env) {
  return NewRemoteAtDepth(ctx, remote_string, env, 0);
}

Result<ResolvedRemote> ResolveRemote(const std::string& remote_string, const OpenEnv& env) {
  CVC_ASSIGN_OR_RETURN(Resolution r, Resolve(remote_string, env));
  return std::move(r.out);
}

Status CreateRemoteSection(ConfigFile& config, const Registry& registry, const std::string& name,
                           const std::string& type, const std::vector<std::string>& key_values) {
  if (!ConfigFile::ValidSectionName(name)) {
    return MakeError(ErrorCode::kConfig, "invalid remote name \"" + name +
                                             "\" (allowed: letters, digits, _ . - and space, "
                                             "no leading or trailing space)");
  }
  if (config.HasSection(name)) {
    return MakeError(ErrorCode::kConfig,
                     "remote \"" + name + "\" already exists in config file " + config.path());
  }
  const BackendInfo* backend = registry.Find(type);
  if (backend == nullptr) {
    return MakeError(ErrorCode::kConfig, "unknown backend \"" + type + "\"");
  }
  std::vector<std::pair<std::string, std::string>> items;
  for (const auto& kv : key_values) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return MakeError(ErrorCode::kConfig, "\"" + kv + "\" is not key=value");
    }
    std::string key = kv.substr(0, eq);
    if (key == "type") {
      return MakeError(ErrorCode::kConfig, "type is given as the TYPE argument, not as type=");
    }
    if (!KnownOption(*backend, key)) {
      // Stored all the same, as rclone does: the file may be shared with rclone, which may
      // know the option.
      log::Notice("remote \"{}\": unknown option \"{}\" for backend \"{}\" (stored as given)",
                  name, key, type);
    }
    items.emplace_back(std::move(key), kv.substr(eq + 1));
  }
  config.Set(name, "type", type);
  for (const auto& [key, value] : items) config.Set(name, key, value);
  return Ok();
}

}  // namespace cvclone
