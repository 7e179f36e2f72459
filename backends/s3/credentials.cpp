#include "backends/s3/credentials.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "core/log.hpp"

namespace cvclone::s3 {
namespace {

// An environment variable's value if set and non-empty.
std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Whether section header text `name` (inside the brackets, trimmed) selects profile.
bool SectionMatches(const std::string& name, std::string_view profile, bool config_style) {
  if (!config_style) return name == profile;
  if (profile == "default" && name == "default") return true;
  if (!name.starts_with("profile") || name.size() <= 7 ||
      !std::isspace(static_cast<unsigned char>(name[7]))) {
    return false;
  }
  return Trim(std::string_view(name).substr(7)) == profile;
}

std::string HomePath(const char* relative) {
  std::optional<std::string> home = Env("HOME");
  return home ? *home + "/" + relative : std::string();
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

std::optional<std::string> Find(const Pairs& pairs, std::string_view key) {
  for (const auto& [k, v] : pairs) {
    if (k == key && !v.empty()) return v;
  }
  return std::nullopt;
}

// Both halves of a key pair, or neither; one alone is a configuration error naming `where`.
Result<bool> HaveKeyPair(const std::optional<std::string>& id,
                         const std::optional<std::string>& secret, const std::string& where,
                         const std::string& id_name, const std::string& secret_name) {
  if (id.has_value() != secret.has_value()) {
    return MakeError(ErrorCode::kConfig, where + ": " + (id ? id_name : secret_name) +
                                             " is set but " + (id ? secret_name : id_name) +
                                             " is not");
  }
  return id.has_value();
}

// Looks for the profile's keys in one AWS file; fills creds and returns true when found.
Result<bool> FromProfileFile(const std::string& path, const std::string& profile,
                             bool config_style, AwsCredentials* creds, std::string* region) {
  if (path.empty()) return false;
  CVC_ASSIGN_OR_RETURN(Pairs pairs, ReadAwsProfile(path, profile, config_style));
  if (region != nullptr && region->empty()) *region = Find(pairs, "region").value_or("");
  std::optional<std::string> id = Find(pairs, "aws_access_key_id");
  std::optional<std::string> secret = Find(pairs, "aws_secret_access_key");
  std::string where = path + " [" + profile + "]";
  CVC_ASSIGN_OR_RETURN(bool found, HaveKeyPair(id, secret, where, "aws_access_key_id",
                                               "aws_secret_access_key"));
  if (!found) return false;
  creds->access_key_id = *id;
  creds->secret_access_key = *secret;
  creds->session_token = Find(pairs, "aws_session_token").value_or("");
  creds->source =
      std::string(config_style ? "config file " : "shared credentials file ") + where;
  return true;
}

std::string ProfileName(const Options& options) {
  return options.Get("profile").value_or(
      Env("AWS_PROFILE").value_or(Env("AWS_DEFAULT_PROFILE").value_or("default")));
}

std::string ConfigPath() { return Env("AWS_CONFIG_FILE").value_or(HomePath(".aws/config")); }

// env_auth: the environment, then the shared credentials file, then the config file.
Result<bool> FromEnvironment(const Options& options, ResolvedAuth* out) {
  AwsCredentials& creds = out->credentials;
  std::optional<std::string> id = Env("AWS_ACCESS_KEY_ID");
  if (!id) id = Env("AWS_ACCESS_KEY");
  std::optional<std::string> secret = Env("AWS_SECRET_ACCESS_KEY");
  if (!secret) secret = Env("AWS_SECRET_KEY");
  CVC_ASSIGN_OR_RETURN(bool in_env, HaveKeyPair(id, secret, "environment", "AWS_ACCESS_KEY_ID",
                                                "AWS_SECRET_ACCESS_KEY"));
  std::string profile = ProfileName(options);
  std::string config_path = ConfigPath();
  std::string credentials_path = options.Get("shared_credentials_file")
                                     .value_or(Env("AWS_SHARED_CREDENTIALS_FILE")
                                                   .value_or(HomePath(".aws/credentials")));
  // The region is read whichever source supplies the keys, as the AWS CLI does.
  AwsCredentials scratch;
  CVC_ASSIGN_OR_RETURN(bool in_config, FromProfileFile(config_path, profile, true,
                                                       in_env ? &scratch : &creds,
                                                       &out->profile_region));
  if (in_env) {
    creds = AwsCredentials{*id, *secret, Env("AWS_SESSION_TOKEN").value_or(""), false, "env"};
    return true;
  }
  CVC_ASSIGN_OR_RETURN(bool in_credentials,
                       FromProfileFile(credentials_path, profile, false, &scratch, nullptr));
  if (in_credentials) {
    creds = scratch;  // the credentials file wins over the config file
    return true;
  }
  return in_config;
}

}  // namespace

Result<Pairs> ReadAwsProfile(const std::string& path, std::string_view profile,
                             bool config_style) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Pairs{};
  std::ifstream in(path);
  if (!in) return MakeError(ErrorCode::kIo, path + ": cannot read");
  Pairs out;
  bool in_section = false;
  bool seen_section = false;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string text = Trim(line);
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    const std::string where = path + ":" + std::to_string(number) + ": ";
    if (text.front() == '[') {
      if (text.back() != ']') return MakeError(ErrorCode::kConfig, where + "unterminated section");
      in_section = SectionMatches(Trim(text.substr(1, text.size() - 2)), profile, config_style);
      seen_section = true;
      continue;
    }
    // Nested settings ("s3 =" followed by indented lines) belong to a sub-section we ignore.
    if (std::isspace(static_cast<unsigned char>(line.front()))) continue;
    size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0) {
      return MakeError(ErrorCode::kConfig, where + "expected 'key = value' or '[section]'");
    }
    if (!seen_section) {
      return MakeError(ErrorCode::kConfig,
                       where + "key '" + Trim(text.substr(0, eq)) + "' before any [section]");
    }
    if (!in_section) continue;
    std::string key = Lower(Trim(text.substr(0, eq)));
    std::string value = Trim(text.substr(eq + 1));
    auto existing = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == key; });
    if (existing != out.end()) {
      existing->second = value;  // the last one wins
    } else {
      out.emplace_back(std::move(key), std::move(value));
    }
  }
  return out;
}

Result<ResolvedAuth> ResolveCredentials(const Options& options) {
  ResolvedAuth out;
  std::optional<std::string> id = options.Get("access_key_id");
  std::optional<std::string> secret = options.Get("secret_access_key");
  CVC_ASSIGN_OR_RETURN(bool explicit_keys, HaveKeyPair(id, secret, "s3 options", "access_key_id",
                                                       "secret_access_key"));
  CVC_ASSIGN_OR_RETURN(bool env_auth, options.GetBool("env_auth", false));
  if (explicit_keys) {
    out.credentials = AwsCredentials{*id, *secret, options.Get("session_token").value_or(""),
                                     false, "config"};
    if (env_auth) {
      // Keys are given; only the profile's region is of interest.
      AwsCredentials scratch;
      CVC_RETURN_IF_ERROR(
          FromProfileFile(ConfigPath(), ProfileName(options), true, &scratch, &out.profile_region));
    }
    return out;
  }
  if (env_auth) {
    CVC_ASSIGN_OR_RETURN(bool found, FromEnvironment(options, &out));
    if (found) return out;
  }
  out.credentials = AwsCredentials{};
  out.credentials.anonymous = true;
  out.credentials.source = "anonymous";
  log::Notice("s3: no credentials found{}: sending anonymous (unsigned) requests",
              env_auth ? " in the environment or AWS profile files" : "");
  return out;
}

std::string RedactSecrets(std::string_view text, const AwsCredentials& credentials) {
  std::string out(text);
  for (const std::string* secret : {&credentials.secret_access_key, &credentials.session_token,
                                    &credentials.access_key_id}) {
    if (secret->size() < 4) continue;
    for (size_t pos = 0; (pos = out.find(*secret, pos)) != std::string::npos;) {
      out.replace(pos, secret->size(), "***");
      pos += 3;
    }
  }
  return out;
}

}  // namespace cvclone::s3
