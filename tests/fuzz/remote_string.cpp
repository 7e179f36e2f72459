// Fuzzes remote strings (core/remote_spec): parsing never crashes, even deeply nested; what
// parses formats back to a string that parses to the same spec; and redaction never lets an
// inline secret through, at any nesting depth (a wrapper's inner string, or a parameter value
// that is itself a remote string).
#include <string>
#include <vector>

#include "core/remote_spec.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace cvclone {
namespace {

constexpr const char* kMark = "qSECRETq";

bool SameSpec(const RemoteSpec& a, const RemoteSpec& b) {
  return a.kind == b.kind && a.name == b.name && a.params == b.params && a.inner == b.inner &&
         a.path == b.path;
}

std::string Describe(const RemoteSpec& s) {
  std::string out = "kind=" + std::to_string(static_cast<int>(s.kind)) +
                    " name=" + fuzz::Printable(s.name) + " inner=" + fuzz::Printable(s.inner) +
                    " path=" + fuzz::Printable(s.path);
  for (const auto& [k, v] : s.params) out += " " + fuzz::Printable(k) + "=" + fuzz::Printable(v);
  return out;
}

// Whether a value may hold a remote string whose own inline secrets must be redacted.
bool NestedRemote(const std::string& text) {
  auto spec = ParseRemoteString(text);
  return spec && spec->kind != RemoteSpec::Kind::kLocal;
}

// text rebuilt from its parse with every secret parameter value, at any depth, replaced by a
// distinct marker ("Zx<n>qSECRETq"); text itself when it does not parse. depth bounds the
// recursion as the parser bounds nesting.
std::string Marked(const std::string& text, int& counter, int depth) {
  auto spec = ParseRemoteString(text);
  if (!spec || depth > kMaxRemoteNesting) return text;
  RemoteSpec out = *spec;
  for (auto& [key, value] : out.params) {
    if (LooksSecretOption(key)) {
      // Every other marker holds a ',' so that it must be quoted (and inside a quoted value,
      // its quotes doubled).
      value = "Zx" + std::to_string(counter) + (counter % 2 ? "," : "") + kMark;
      ++counter;
    } else if (NestedRemote(value)) {
      value = Marked(value, counter, depth + 1);
    }
  }
  if (out.kind == RemoteSpec::Kind::kWrapper) out.inner = Marked(out.inner, counter, depth + 1);
  return FormatRemoteString(out);
}

}  // namespace
}  // namespace cvclone

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cvclone;
  const std::string text = fuzz::AsString(data, size);
  const bool marker_in_input = text.find(kMark) != std::string::npos;

  // Redaction works on any text, parsed or not; it only ever shortens secret values away.
  const std::string redacted = RedactRemoteString(text);
  const std::string abbreviated = AbbreviateRemoteString(text);
  FUZZ_CHECK(abbreviated.size() <= redacted.size() + 40, fuzz::Printable(abbreviated));

  auto spec = ParseRemoteString(text);
  if (!spec) {
    FUZZ_CHECK(spec.error().code() == ErrorCode::kConfig, spec.error().message());
    return 0;
  }
  // format(parse(x)) parses to the same spec.
  const std::string formatted = FormatRemoteString(*spec);
  auto again = ParseRemoteString(formatted);
  FUZZ_CHECK(again.has_value(), fuzz::Printable(text) + " -> " + fuzz::Printable(formatted) + ": " +
                                    (again ? "" : again.error().message()));
  FUZZ_CHECK(SameSpec(*spec, *again), fuzz::Printable(text) + " -> " + fuzz::Printable(formatted) +
                                          "\n  " + Describe(*spec) + "\n  " + Describe(*again));

  // Secrets marked at every depth never survive redaction, nor appear in an error message about
  // a broken variant of the string.
  if (marker_in_input) return 0;
  int counter = 0;
  const std::string marked = Marked(text, counter, 0);
  if (counter == 0) return 0;
  auto marked_spec = ParseRemoteString(marked);
  FUZZ_CHECK(marked_spec.has_value(), fuzz::Printable(marked));
  for (const std::string& shown : {RedactRemoteString(marked), AbbreviateRemoteString(marked)}) {
    FUZZ_CHECK(shown.find(kMark) == std::string::npos,
               fuzz::Printable(marked) + " -> " + fuzz::Printable(shown));
  }
  for (const std::string& broken : {marked + ")", "(" + marked, marked + "('"}) {
    auto r = ParseRemoteString(broken);
    if (!r) {
      FUZZ_CHECK(r.error().message().find(kMark) == std::string::npos,
                 fuzz::Printable(broken) + ": " + r.error().message());
    }
  }
  return 0;
}
