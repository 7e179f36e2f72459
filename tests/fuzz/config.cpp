// Fuzzes the INI config parser (core/config): any text either parses or fails with an error;
// what parses renders back to text that parses to the same sections and items; and rendering
// with redaction (config show, config dump) never shows a secret value.
#include "core/config.hpp"

#include <string>

#include "core/registry.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace cvclone {
namespace {

const Registry& Backends() {
  static const Registry* registry = [] {
    auto* r = new Registry();
    RegisterAllBackends(*r);
    return r;
  }();
  return *registry;
}

// Whether two configs hold the same sections and items, in the same order.
bool SameContents(const ConfigFile& a, const ConfigFile& b) {
  if (a.Sections() != b.Sections()) return false;
  for (const std::string& name : a.Sections()) {
    if (a.Items(name) != b.Items(name)) return false;
  }
  return true;
}

}  // namespace
}  // namespace cvclone

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cvclone;
  const std::string text = fuzz::AsString(data, size);
  auto parsed = ConfigFile::Parse(text, "fuzz.conf");
  if (!parsed) {
    FUZZ_CHECK(parsed.error().code() == ErrorCode::kConfig, parsed.error().message());
    return 0;
  }
  const ConfigFile& config = *parsed;
  const Registry& registry = Backends();

  // Render (as Save writes it) parses back to the same contents.
  const std::string rendered = config.Render(registry, /*redact=*/false);
  auto again = ConfigFile::Parse(rendered, "rendered.conf");
  FUZZ_CHECK(again.has_value(), again ? "" : again.error().message());
  FUZZ_CHECK(SameContents(config, *again), fuzz::Printable(rendered));

  // Every secret value replaced by a marker that appears nowhere else: neither the redacted
  // rendering nor the JSON dump may contain one.
  ConfigFile marked = config;
  int secrets = 0;
  for (const std::string& name : config.Sections()) {
    const std::string type = config.Get(name, "type").value_or("");
    for (const auto& [key, value] : config.Items(name)) {
      if (value.empty() || !IsSecretOption(registry, type, key)) continue;
      marked.Set(name, key, "Zx" + std::to_string(secrets++) + "qSECRETq");
    }
  }
  const std::string shown = marked.Render(registry, /*redact=*/true);
  const std::string dumped = marked.DumpJson(registry);
  FUZZ_CHECK(
      shown.find("qSECRETq") == std::string::npos || text.find("qSECRETq") != std::string::npos,
      fuzz::Printable(shown));
  FUZZ_CHECK(
      dumped.find("qSECRETq") == std::string::npos || text.find("qSECRETq") != std::string::npos,
      fuzz::Printable(dumped));
  // The redacted rendering is itself a config of the same shape, secrets as the placeholder.
  auto redacted = ConfigFile::Parse(shown, "shown.conf");
  FUZZ_CHECK(redacted.has_value(), fuzz::Printable(shown));
  FUZZ_CHECK(redacted->Sections() == config.Sections(), fuzz::Printable(shown));
  for (const std::string& name : config.Sections()) {
    FUZZ_CHECK(redacted->Items(name).size() == config.Items(name).size(), name);
  }
  return 0;
}
