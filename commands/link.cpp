// link: prints a public link to an object (Remote::PublicLink), as rclone's link command.
#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "core/remote_spec.hpp"

namespace cvclone {
namespace {

using std::chrono::seconds;

// rclone's "off" for --expire: its documented default, 100 years. A backend that cannot make
// links that long uses its own maximum (S3: presigned URLs live at most 7 days).
constexpr seconds kExpireOff = std::chrono::hours(24 * 365 * 100);

// Seconds per unit of rclone's duration syntax (bare numbers are seconds).
double UnitSeconds(std::string_view unit) {
  if (unit == "ms") return 0.001;
  if (unit == "s" || unit.empty()) return 1;
  if (unit == "m") return 60;
  if (unit == "h") return 3600;
  if (unit == "d") return 86400;
  if (unit == "w") return 7 * 86400;
  if (unit == "M") return 30 * 86400;
  if (unit == "y") return 365 * 86400;
  return -1;
}

}  // namespace

// rclone's duration syntax: numbers with units (ms, s, m, h, d, w, M, y; none means seconds) in
// sequence: "1d", "1.5h", "2h45m", "3600".
Result<std::chrono::milliseconds> ParseDurationFlagMs(const std::string& text,
                                                      const std::string& flag,
                                                      std::chrono::milliseconds min,
                                                      std::chrono::milliseconds max) {
  auto bad = [&] {
    return MakeError(ErrorCode::kUsage, "invalid value \"" + text + "\" for --" + flag +
                                            ": want a duration such as 1h, 7d or 2h30m");
  };
  double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    double number = 0;
    auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), number);
    if (ec != std::errc() || number < 0) return bad();
    i = static_cast<size_t>(end - text.data());
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    double unit = UnitSeconds(std::string_view(text).substr(unit_start, i - unit_start));
    if (unit < 0 || (unit_start == i && i < text.size())) return bad();
    total += number * unit;
  }
  const double ms = total * 1000;
  if (text.empty() || !std::isfinite(ms) || ms < static_cast<double>(min.count()) ||
      ms > static_cast<double>(max.count())) {
    return bad();
  }
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(ms)));
}

Result<seconds> ParseDurationFlag(const std::string& text, const std::string& flag, seconds min) {
  CVC_ASSIGN_OR_RETURN(std::chrono::milliseconds ms,
                       ParseDurationFlagMs(text, flag, min, kExpireOff));
  return seconds((ms.count() + 500) / 1000);
}

// "off", or a duration of at least a second; kUsage on anything else.
Result<seconds> ParseExpire(const std::string& text) {
  if (text == "off") return kExpireOff;
  auto parsed = ParseDurationFlag(text, "expire", seconds(1));
  if (!parsed) {
    return MakeError(ErrorCode::kUsage, "invalid value \"" + text +
                                            "\" for --expire: want a duration such as 1h, 7d, "
                                            "2h30m or off; see 'cvclone link --help'");
  }
  return parsed;
}

Command MakeLinkCommand() {
  Command c;
  c.name = "link";
  c.short_help = "Print a public link to an object";
  c.usage = "link REMOTE:PATH [flags]";
  c.long_help =
      "Prints a URL anyone can use to download the object, valid for --expire (default off:\n"
      "as long as the remote allows; S3 presigned links last at most 7 days). Remotes that\n"
      "cannot make public links (local) fail with an error.\n\n"
      "Examples:\n"
      "  cvclone link s3:bucket/report.pdf\n"
      "  cvclone link --expire 1d s3:bucket/report.pdf\n";
  c.flags = {{"expire", 0, FlagType::kString, "DURATION",
              "How long the link is valid: 1h, 7d, 2h30m, off (default off)"}};
  c.min_args = c.max_args = 1;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(seconds expire, ParseExpire(inv.flags.Get("expire", "off")));
    CVC_ASSIGN_OR_RETURN(Target target, OpenTarget(inv, inv.args[0], true));
    Remote& remote = *target.remote;
    if (!remote.GetFeatures().public_link) {
      return MakeError(ErrorCode::kUnsupported,
                       fmt::format("link: {} remote \"{}\" cannot make public links", remote.Type(),
                                   AbbreviateRemoteString(inv.args[0])));
    }
    CVC_ASSIGN_OR_RETURN(std::string url, remote.PublicLink(inv.ctx, target.file, expire));
    WriteStdout(url + "\n");
    return Ok();
  };
  return c;
}

}  // namespace cvclone
