// The command-line flag parser: GNU-style long flags (`--name value`, `--name=value`, boolean
// `--name`, `--name=false`), short flags (`-v`, `-vv`, `-P`, combined `-qP`, `-c value`), `--`
// ends flags. Flags may appear before or after positional arguments, as rclone's.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace cvclone {

enum class FlagType {
  kBool,    // --name (or --name=true/false)
  kCount,   // repeatable boolean: -v, -vv, --verbose --verbose
  kString,  // --name VALUE; the last one wins
  kInt,     // --name N (a decimal integer, checked when parsed)
  kSize,    // --name SIZE (ParseSize syntax, checked when parsed)
  kList,    // repeatable --name VALUE; every value is kept, in order
};

struct FlagSpec {
  std::string name;     // long name without "--"
  char short_name = 0;  // 0: none
  FlagType type = FlagType::kBool;
  std::string value_name;  // for help: "N", "FILE"
  std::string help;        // one line
};

// The flags given on one command line, in order.
class FlagValues {
 public:
  // Records one occurrence (booleans record "true" or "false").
  void Add(const std::string& name, const std::string& value);

  bool Has(const std::string& name) const;
  // A boolean flag's value: its last occurrence is "true"; false if absent.
  bool Bool(const std::string& name) const;
  // How often the flag was given (-vv: 2).
  int Count(const std::string& name) const;
  // The last value given, or fallback.
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  // Every value given for the flag, in order.
  std::vector<std::string> All(const std::string& name) const;
  // Every occurrence as (name, value), in command-line order.
  const std::vector<std::pair<std::string, std::string>>& occurrences() const {
    return occurrences_;
  }

 private:
  std::vector<std::pair<std::string, std::string>> occurrences_;
};

struct ParsedArgs {
  std::vector<std::string> positional;
  FlagValues flags;
};

// Parses args (without argv[0]) against specs. command names the command for error hints.
// Errors are kUsage with one line and a hint: "unknown flag --foo for command copy; see
// 'cvclone copy --help'", a missing value, a malformed integer or size, a value given to a
// boolean flag that is not true/false.
Result<ParsedArgs> ParseFlags(const std::vector<std::string>& args,
                              const std::vector<FlagSpec>& specs, const std::string& command);

// "--name" or "-n, --name" followed by the value name, for help output.
std::string FlagSynopsis(const FlagSpec& spec);

}  // namespace cvclone
