#include "core/registry.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <mutex>

namespace cvclone {

std::optional<std::string> Options::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::string Options::GetOr(const std::string& name, const std::string& fallback) const {
  auto v = Get(name);
  return v ? *v : fallback;
}

Result<bool> Options::GetBool(const std::string& name, bool fallback) const {
  auto v = Get(name);
  if (!v) return fallback;
  std::string s = *v;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "true" || s == "yes" || s == "1" || s == "on") return true;
  if (s == "false" || s == "no" || s == "0" || s == "off") return false;
  return MakeError(ErrorCode::kConfig,
                   "option " + name + ": \"" + *v + "\" is not a boolean (true or false)");
}

Result<int64_t> Options::GetInt(const std::string& name, int64_t fallback) const {
  auto v = Get(name);
  if (!v) return fallback;
  int64_t out = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || ptr != v->data() + v->size()) {
    return MakeError(ErrorCode::kConfig, "option " + name + ": \"" + *v + "\" is not an integer");
  }
  return out;
}

Result<int64_t> Options::GetSize(const std::string& name, int64_t fallback) const {
  auto v = Get(name);
  if (!v) return fallback;
  auto size = ParseSize(*v);
  if (!size) return MakeError(ErrorCode::kConfig, "option " + name + ": " + size.error().message());
  return *size;
}

Result<int64_t> ParseSize(const std::string& text) {
  auto bad = [&] {
    return MakeError(ErrorCode::kInvalidArgument,
                     "\"" + text + "\" is not a size (examples: 4096, 512k, 5M, 1.5G)");
  };
  if (text.empty()) return bad();
  std::string s = text;
  // Optional "i" and "B" after the suffix letter: 5Mi, 5MiB, 5MB all mean 5 MiB, as rclone.
  if (!s.empty() && (s.back() == 'B' || s.back() == 'b') && s.size() > 1 &&
      !std::isdigit(static_cast<unsigned char>(s[s.size() - 2]))) {
    s.pop_back();
  }
  if (!s.empty() && (s.back() == 'i' || s.back() == 'I')) s.pop_back();
  double multiplier = 1;  // a bare number is bytes
  char last = s.empty() ? '\0' : s.back();
  switch (std::tolower(static_cast<unsigned char>(last))) {
    case 'b': multiplier = 1; s.pop_back(); break;
    case 'k': multiplier = 1024.0; s.pop_back(); break;
    case 'm': multiplier = 1024.0 * 1024; s.pop_back(); break;
    case 'g': multiplier = 1024.0 * 1024 * 1024; s.pop_back(); break;
    case 't': multiplier = 1024.0 * 1024 * 1024 * 1024; s.pop_back(); break;
    case 'p': multiplier = 1024.0 * 1024 * 1024 * 1024 * 1024; s.pop_back(); break;
    default:
      if (!std::isdigit(static_cast<unsigned char>(last))) return bad();
  }
  if (s.empty()) return bad();
  double number = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), number);
  if (ec != std::errc() || ptr != s.data() + s.size() || number < 0 || !std::isfinite(number)) {
    return bad();
  }
  double bytes = number * multiplier;
  if (bytes > 9.0e18) return bad();
  return static_cast<int64_t>(std::llround(bytes));
}

const OptionSpec* BackendInfo::FindOption(const std::string& option) const {
  for (const auto& spec : options) {
    if (spec.name == option) return &spec;
  }
  return nullptr;
}

void Registry::Register(BackendInfo info) {
  for (auto& existing : backends_) {
    if (existing.name == info.name) {
      existing = std::move(info);
      return;
    }
  }
  backends_.push_back(std::move(info));
}

const BackendInfo* Registry::Find(const std::string& name) const {
  for (const auto& b : backends_) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

Registry& Registry::Global() {
  static Registry* registry = new Registry();
  return *registry;
}

}  // namespace cvclone
