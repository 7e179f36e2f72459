// `cvclone config` without arguments: rclone's interactive menu (new, edit, delete, rename,
// copy, quit), reading one answer a line from `in`, so that a script or a test can drive it.
#pragma once

#include <istream>
#include <string>
#include <vector>

#include "commands/cli.hpp"

namespace cvclone {

// Runs the menu on cfg until "q". Each completed change is saved at once (ConfigFile::Save:
// atomic). Values typed for options stored obscured (OptionSpec::obscured) are obscured, as
// `config create` does; secrets are never echoed. The end of `in` before "q" is kIo.
Status RunConfigMenu(const Invocation& inv, ConfigFile& cfg, std::istream& in);

// Whether option key of backend type is stored obscured (rclone's IsPassword).
bool IsObscuredOption(const Registry& registry, const std::string& type, const std::string& key);

}  // namespace cvclone
