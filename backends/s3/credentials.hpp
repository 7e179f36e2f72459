// Where the S3 backend's credentials come from, resolved as rclone's s3 backend does:
//  1. access_key_id + secret_access_key options (+ session_token) when set;
//  2. otherwise, if env_auth is true:
//     a. $AWS_ACCESS_KEY_ID + $AWS_SECRET_ACCESS_KEY (+ $AWS_SESSION_TOKEN)
//        ($AWS_ACCESS_KEY / $AWS_SECRET_KEY accepted as the SDK does);
//     b. the profile (the `profile` option, else $AWS_PROFILE, else "default") from the shared
//        credentials file (the `shared_credentials_file` option, else
//        $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials; sections "[name]"), then from the
//        config file ($AWS_CONFIG_FILE, else ~/.aws/config; sections "[profile name]", and
//        "[default]" for the default profile);
//  3. nothing found: anonymous (unsigned) requests, with a NOTICE, as rclone.
// Only one of access_key_id / secret_access_key set (in options, env, or a profile) is a kConfig
// error. The region is also read from the config file's profile (`region = ...`) so that the
// caller can use it when its region option is unset.
//
// Missing files are not errors. A malformed line is kConfig "<file>:<line>: <what>", naming the
// key but never a value. No error or log line ever contains a secret.
//
// Thread-safety: ResolveCredentials reads the environment (getenv) and files; call it from one
// thread (remote creation), not concurrently with setenv.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backends/s3/sigv4.hpp"
#include "core/error.hpp"
#include "core/registry.hpp"

namespace cvclone::s3 {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: none
  bool anonymous = false;     // true: send requests unsigned
  // Where they came from, for debug logs: "config", "env", "shared credentials file <path>
  // [profile name]", "config file <path> [profile name]", "anonymous". Holds no secret.
  std::string source;

  // The signer's view.
  Credentials ForSigning() const { return {access_key_id, secret_access_key, session_token}; }
};

struct ResolvedAuth {
  AwsCredentials credentials;
  // The profile's region from the AWS config file (env_auth only); empty if none.
  std::string profile_region;
};

// Resolves credentials from options (access_key_id, secret_access_key, session_token, env_auth,
// profile, shared_credentials_file) and, with env_auth, the environment and AWS files.
Result<ResolvedAuth> ResolveCredentials(const Options& options);

// The (key, value) pairs of one profile in an AWS INI file. config_style=false (credentials
// file): section "[name]". config_style=true (config file): "[profile name]", and for "default"
// "[default]" or "[profile default]". Keys are lower-cased, values trimmed; indented lines (nested
// settings such as "s3 =\n  max_concurrent_requests = 10") are skipped; '#' and ';' start comment
// lines. A missing file or profile gives an empty list. kConfig "<path>:<line>: ..." on a
// malformed line (never quoting the value); kIo if the file exists but cannot be read.
Result<std::vector<std::pair<std::string, std::string>>> ReadAwsProfile(const std::string& path,
                                                                        std::string_view profile,
                                                                        bool config_style);

// text with every occurrence of the credentials' secret access key, session token (and the
// access key id) replaced by "***". Empty or very short (< 4 bytes) values are not replaced, so
// that redaction never garbles a message by replacing single letters.
std::string RedactSecrets(std::string_view text, const AwsCredentials& credentials);

}  // namespace cvclone::s3
