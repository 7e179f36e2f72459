#include "commands/flags.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "core/registry.hpp"

namespace cvclone {
namespace {

const FlagSpec* FindLong(const std::vector<FlagSpec>& specs, const std::string& name) {
  for (const FlagSpec& s : specs) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const FlagSpec* FindShort(const std::vector<FlagSpec>& specs, char c) {
  for (const FlagSpec& s : specs) {
    if (s.short_name == c) return &s;
  }
  return nullptr;
}

std::string Hint(const std::string& command) {
  return command.empty() ? "see 'cvclone help'" : fmt::format("see 'cvclone {} --help'", command);
}

bool TakesValue(FlagType type) {
  return type == FlagType::kString || type == FlagType::kInt || type == FlagType::kSize ||
         type == FlagType::kList;
}

// Checks value against the flag's type and records it.
Status AddValue(const FlagSpec& spec, const std::string& value, const std::string& command,
                FlagValues& out) {
  if (spec.type == FlagType::kInt) {
    long long n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
      return MakeError(ErrorCode::kUsage,
                       fmt::format("invalid value \"{}\" for --{}: not an integer; {}", value,
                                   spec.name, Hint(command)));
    }
  } else if (spec.type == FlagType::kSize) {
    auto size = ParseSize(value);
    if (!size) {
      return MakeError(ErrorCode::kUsage,
                       fmt::format("invalid value \"{}\" for --{}: not a size; {}", value,
                                   spec.name, Hint(command)));
    }
  }
  out.Add(spec.name, value);
  return Ok();
}

Status AddBool(const FlagSpec& spec, const std::string* value, const std::string& command,
               FlagValues& out) {
  if (value == nullptr) {
    out.Add(spec.name, "true");
    return Ok();
  }
  std::string v = *value;
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  if (v == "true" || v == "1" || v == "yes") {
    out.Add(spec.name, "true");
  } else if (v == "false" || v == "0" || v == "no") {
    out.Add(spec.name, "false");
  } else {
    return MakeError(ErrorCode::kUsage,
                     fmt::format("invalid value \"{}\" for --{}: want true or false; {}", *value,
                                 spec.name, Hint(command)));
  }
  return Ok();
}

// Parses one "--name[=value]" argument; may consume the next argument as its value.
Status ParseLong(const std::vector<std::string>& args, size_t& i,
                 const std::vector<FlagSpec>& specs, const std::string& command,
                 FlagValues& out) {
  std::string body = args[i].substr(2);
  size_t eq = body.find('=');
  std::string name = body.substr(0, eq);
  const FlagSpec* spec = FindLong(specs, name);
  if (spec == nullptr) {
    return MakeError(ErrorCode::kUsage, fmt::format("unknown flag --{}{}; {}", name,
                                                    command.empty() ? "" : " for command " + command,
                                                    Hint(command)));
  }
  if (!TakesValue(spec->type)) {
    if (eq == std::string::npos) return AddBool(*spec, nullptr, command, out);
    std::string value = body.substr(eq + 1);
    if (spec->type == FlagType::kCount) {
      return MakeError(ErrorCode::kUsage,
                       fmt::format("flag --{} takes no value; {}", name, Hint(command)));
    }
    return AddBool(*spec, &value, command, out);
  }
  if (eq != std::string::npos) return AddValue(*spec, body.substr(eq + 1), command, out);
  if (i + 1 >= args.size()) {
    return MakeError(ErrorCode::kUsage,
                     fmt::format("flag --{} needs a value; {}", name, Hint(command)));
  }
  return AddValue(*spec, args[++i], command, out);
}

// Parses one "-abc" group of short flags; the last may take a value (attached or next arg).
Status ParseShort(const std::vector<std::string>& args, size_t& i,
                  const std::vector<FlagSpec>& specs, const std::string& command,
                  FlagValues& out) {
  const std::string& arg = args[i];
  for (size_t k = 1; k < arg.size(); ++k) {
    const FlagSpec* spec = FindShort(specs, arg[k]);
    if (spec == nullptr) {
      return MakeError(ErrorCode::kUsage, fmt::format("unknown shorthand flag -{}{}; {}", arg[k],
                                                      command.empty() ? "" : " for command " + command,
                                                      Hint(command)));
    }
    if (!TakesValue(spec->type)) {
      CVC_RETURN_IF_ERROR(AddBool(*spec, nullptr, command, out));
      continue;
    }
    if (k + 1 < arg.size()) {
      std::string rest = arg.substr(k + 1);
      if (rest.front() == '=') rest.erase(0, 1);
      return AddValue(*spec, rest, command, out);
    }
    if (i + 1 >= args.size()) {
      return MakeError(ErrorCode::kUsage,
                       fmt::format("flag -{} needs a value; {}", arg[k], Hint(command)));
    }
    return AddValue(*spec, args[++i], command, out);
  }
  return Ok();
}

}  // namespace

void FlagValues::Add(const std::string& name, const std::string& value) {
  occurrences_.emplace_back(name, value);
}

bool FlagValues::Has(const std::string& name) const {
  return std::any_of(occurrences_.begin(), occurrences_.end(),
                     [&](const auto& o) { return o.first == name; });
}

bool FlagValues::Bool(const std::string& name) const { return Get(name, "false") == "true"; }

int FlagValues::Count(const std::string& name) const {
  return static_cast<int>(std::count_if(occurrences_.begin(), occurrences_.end(),
                                        [&](const auto& o) { return o.first == name; }));
}

std::string FlagValues::Get(const std::string& name, const std::string& fallback) const {
  for (auto it = occurrences_.rbegin(); it != occurrences_.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  return fallback;
}

std::vector<std::string> FlagValues::All(const std::string& name) const {
  std::vector<std::string> values;
  for (const auto& [n, v] : occurrences_) {
    if (n == name) values.push_back(v);
  }
  return values;
}

Result<ParsedArgs> ParseFlags(const std::vector<std::string>& args,
                              const std::vector<FlagSpec>& specs, const std::string& command) {
  ParsedArgs parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      parsed.positional.insert(parsed.positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg.size() > 2 && arg.compare(0, 2, "--") == 0) {
      CVC_RETURN_IF_ERROR(ParseLong(args, i, specs, command, parsed.flags));
    } else if (arg.size() > 1 && arg[0] == '-') {
      CVC_RETURN_IF_ERROR(ParseShort(args, i, specs, command, parsed.flags));
    } else {
      parsed.positional.push_back(arg);
    }
  }
  return parsed;
}

std::string FlagSynopsis(const FlagSpec& spec) {
  std::string s = spec.short_name != 0 ? fmt::format("-{}, --{}", spec.short_name, spec.name)
                                       : fmt::format("    --{}", spec.name);
  if (TakesValue(spec.type)) s += " " + (spec.value_name.empty() ? "VALUE" : spec.value_name);
  return s;
}

}  // namespace cvclone
