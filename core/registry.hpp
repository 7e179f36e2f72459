// The registry of backends: each backend describes its options and how to make a remote.
//
// Registration is explicit: backends/all.cpp has one line per backend (a list is greppable, and
// the linker cannot drop it the way it drops self-registering globals in static libraries).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/error.hpp"
#include "core/remote.hpp"

namespace cvclone {

struct OptionSpec {
  std::string name;           // as in rclone.conf: "access_key_id"
  std::string help;           // one line
  std::string default_value;  // "" if none
  bool required = false;      // NewRemote fails naming the option if it is unset
  bool secret = false;        // redacted in `config show`, `config dump`, logs and errors
  bool obscured = false;  // stored obscured (rclone's IsPassword): `config create` obscures it
};

// The resolved option values of one remote (inline parameters, flags, environment, config file
// and defaults already merged, highest first). An empty value means "default", as in rclone.
class Options {
 public:
  Options() = default;
  explicit Options(std::map<std::string, std::string> values) : values_(std::move(values)) {}

  // The value if set and non-empty.
  std::optional<std::string> Get(const std::string& name) const;
  std::string GetOr(const std::string& name, const std::string& fallback) const;
  // Booleans: true/false/yes/no/1/0 (any case). kConfig error naming the option otherwise.
  Result<bool> GetBool(const std::string& name, bool fallback) const;
  Result<int64_t> GetInt(const std::string& name, int64_t fallback) const;
  // Sizes as rclone writes them: "5M", "200Mi", "1G", "4096", "512k" (binary multiples).
  Result<int64_t> GetSize(const std::string& name, int64_t fallback) const;
  void Set(const std::string& name, const std::string& value) { values_[name] = value; }
  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

// Parses a size such as "5M", "200Mi", "1.5G", "100" (bytes, binary multiples, as rclone's
// SizeSuffix). kInvalidArgument on anything else.
Result<int64_t> ParseSize(const std::string& text);

// Opens another remote from a remote string; given to wrapper backends (crypt) for their inner
// remote.
using RemoteOpener =
    std::function<Result<std::unique_ptr<Remote>>(const Context&, const std::string&)>;

struct BackendInfo {
  std::string name;         // the `type =` value: "local", "s3", "crypt"
  std::string description;  // one line, for `cvclone help backends`
  std::vector<OptionSpec> options;
  bool wrapper = false;  // takes an inner remote (the `remote` option or the `type(inner)` form)
  // Makes a remote. display_name is the remote string for messages, root the path inside the
  // backend ("bucket/dir" for s3, a directory for local).
  std::function<Result<std::unique_ptr<Remote>>(const Context& ctx,
                                                const std::string& display_name,
                                                const std::string& root, const Options& options,
                                                const RemoteOpener& open_inner)>
      create;

  const OptionSpec* FindOption(const std::string& option) const;
};

class Registry {
 public:
  // Adds a backend; a second one of the same name replaces the first.
  void Register(BackendInfo info);
  const BackendInfo* Find(const std::string& name) const;
  const std::vector<BackendInfo>& All() const { return backends_; }

  // The process-wide registry. Empty until the program fills it: RunMain calls
  // RegisterAllBackends(Registry::Global()) first thing (core does not depend on the backends).
  static Registry& Global();

 private:
  std::vector<BackendInfo> backends_;
};

// Defined in backends/all.cpp: one line per backend.
void RegisterAllBackends(Registry& registry);

}  // namespace cvclone
