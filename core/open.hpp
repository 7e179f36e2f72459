// Making a Remote from a remote string: config sections, on-the-fly backends, wrappers, and the
// layered option lookup.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/context.hpp"
#include "core/error.hpp"
#include "core/registry.hpp"
#include "core/remote.hpp"
#include "core/remote_spec.hpp"

namespace cvclone {

struct OpenEnv {
  // May be null: only local, :backend: and wrapper forms work then (a section name is an
  // "not found" error).
  const ConfigFile* config = nullptr;
  // Command-line backend flags, e.g. --s3-region eu-west-1 → {{"s3", "region"}, "eu-west-1"};
  // they apply to every remote of that backend type.
  std::map<std::pair<std::string, std::string>, std::string> backend_flags;
  const Registry* registry = nullptr;  // null: Registry::Global()
};

// ParseRemoteString, except that a wrapper-shaped string ("crypt(x)", "crypt,opt=v(x)") that
// names an existing local file, directory or symlink (relative to the working directory) is
// that local path: such a name, in a listing a script passes on, is a file, not a remote string
// someone chose. "./" before a name always makes it a local path.
Result<RemoteSpec> ParseRemoteOrLocalPath(const std::string& text);

// Makes the remote that remote_string names (see core/remote_spec.hpp for the forms, and
// ParseRemoteOrLocalPath for a wrapper-shaped name of an existing file).
//
// Option lookup, highest first: inline parameters, backend flags, environment
// CVCLONE_CONFIG_<SECTION>_<OPTION> (upper case, '-', '.' and ' ' → '_'; only for section
// remotes), the config file section, OptionSpec defaults. Errors (kConfig) name what is at
// fault: an unknown remote name ("remote \"foo\" not found in config file /path"), a section
// without `type` (file and line of the section), an unknown backend type (with file and line of
// its `type` line when it came from the file; also an unknown wrapper type), a missing required
// option, nesting deeper than 10 remotes, and an inline parameter whose name ends in "_command"
// (at any depth of a wrapper's inner strings; checked before any remote is created): a command
// to run is never taken from a remote string, only from the config file, the environment or a
// backend flag. Option names the backend does not know are logged with
// log::Notice (file and line, or the inline parameter) and passed on; they are not an error.
// A wrapper section's `remote` option, or the wrapper form's inner string, is passed as option
// "remote"; the opener given to create() opens inner remotes with the same env.
Result<std::unique_ptr<Remote>> NewRemote(const Context& ctx, const std::string& remote_string,
                                          const OpenEnv& env);

// The resolved options for a remote string without creating the remote (for tests and
// `config` commands): the backend type, the root path, and the merged Options.
struct ResolvedRemote {
  std::string type;
  std::string root;
  Options options;
  std::vector<std::string> warnings;  // unknown option names, as logged by NewRemote
};
Result<ResolvedRemote> ResolveRemote(const std::string& remote_string, const OpenEnv& env);

// `config create NAME TYPE key=value...`: validates name (section syntax, not already present),
// type (registered) and each key (an option of the backend, "key=value" syntax) and then sets
// type and the keys in config (not saved). Any error leaves config unchanged and names the
// offending item.
Status CreateRemoteSection(ConfigFile& config, const Registry& registry, const std::string& name,
                           const std::string& type, const std::vector<std::string>& key_values);

// The environment variable name for an option of a section: CVCLONE_CONFIG_<SECTION>_<OPTION>.
std::string ConfigEnvName(const std::string& section, const std::string& option);

}  // namespace cvclone
