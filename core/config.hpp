// The configuration file: rclone.conf-compatible INI, and how `config show` / `config dump`
// print it with secrets redacted.
//
// Syntax: `[name]` sections, `key = value` lines (spaces around '=' optional, the value may be
// empty and is kept verbatim apart from surrounding whitespace), '#' and ';' full-line comments,
// blank lines, LF or CRLF line endings. Keys and values are not interpreted here: option lookup
// (inline parameters, flags, environment, file, defaults) is core/open.hpp's job.
//
// Obscure/Reveal (below) turn the config file's obscured passwords into values and back.
//
// A ConfigFile is a value; it is not thread-safe for concurrent mutation (read-only use from
// several threads is fine).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/registry.hpp"
#include "core/remote_spec.hpp"  // kRedacted, LooksSecretOption

namespace cvclone {

struct ConfigWarning {
  std::string file;
  int line = 0;
  std::string message;
};

class ConfigFile {
 public:
  ConfigFile() = default;

  // Reads and parses path. A missing file is an empty config (not an error), and the path is
  // remembered for Save. An unreadable file is kIo; a syntax error is kConfig (see Parse).
  static Result<ConfigFile> Load(const std::string& path);
  // Parses text. Errors (kConfig) say "<path>:<line>: <what>": a line that is neither
  // `key = value` nor `[section]`, a key before any section, a duplicate section, a duplicate
  // key in a section, an invalid section name (rclone's: [A-Za-z0-9_. -]+, no leading or
  // trailing space). path_for_messages becomes path().
  static Result<ConfigFile> Parse(const std::string& text, const std::string& path_for_messages);
  // The config file location: config_flag (--config FILE) if non-empty, else $CVCLONE_CONFIG,
  // else $XDG_CONFIG_HOME/cvclone/cvclone.conf, else $HOME/.config/cvclone/cvclone.conf.
  // Empty environment variables count as unset.
  static std::string DefaultPath(const std::string& config_flag = "");
  // Whether name is a valid section (remote) name: [A-Za-z0-9_. -]+, no leading/trailing space.
  static bool ValidSectionName(const std::string& name);

  const std::string& path() const { return path_; }
  void set_path(const std::string& path) { path_ = path; }
  // Whether Load found the file (false for a missing file: an empty config). Parse: true.
  bool exists() const { return exists_; }

  // Section names in file order (new sections appended).
  std::vector<std::string> Sections() const;
  bool HasSection(const std::string& name) const;
  // The value of key in section, if both exist (an empty value is a value).
  std::optional<std::string> Get(const std::string& section, const std::string& key) const;
  // The 1-based line of key in section / of the section header, for messages; 0 if unknown
  // (missing, or added by Set and not yet saved and reloaded).
  int LineOf(const std::string& section, const std::string& key) const;
  int SectionLine(const std::string& section) const;
  // The key/value pairs of a section in file order; an empty list for a missing section.
  const std::vector<std::pair<std::string, std::string>>& Items(const std::string& section) const;

  // Sets key in section (replacing its value in place, or appending), creating the section.
  void Set(const std::string& section, const std::string& key, const std::string& value);
  // Removes a section; false if there was none.
  bool DeleteSection(const std::string& section);
  // Renames section from to `to` in place (`to` replaces nothing: false if from is missing or
  // `to` exists). With keep, from stays and `to` is appended as a copy of it.
  bool RenameSection(const std::string& from, const std::string& to, bool keep = false);
  // The section name closest to name (edit distance, ignoring case), for "did you mean" hints:
  // only one a typo away (distance at most 2, and less than half of name's length); nullopt
  // if none or name itself exists.
  std::optional<std::string> ClosestSection(const std::string& name) const;

  // Writes the file to path(): creates parent directories (mode 0700), writes a temporary file
  // in the same directory with mode 0600, fsyncs it, renames it over path(). Comments of the
  // original file are not kept. kIo (or kPermission) naming the path on failure.
  Status Save() const;

  // The INI text as `config show` prints it. With redact, secret values (IsSecretOption) are
  // replaced by "*** REDACTED ***" (empty values stay empty). only_section: just that section
  // ("" = all; a missing section gives "").
  std::string Render(const Registry& registry, bool redact,
                     const std::string& only_section = "") const;
  // A JSON object as `config dump`: {"name": {"type": "...", "key": "value", ...}, ...}, keys in
  // file order, secrets redacted as in Render.
  std::string DumpJson(const Registry& registry) const;

 private:
  struct Section {
    std::string name;
    int line = 0;
    std::vector<std::pair<std::string, std::string>> items;
    std::vector<int> item_lines;  // parallel to items; 0 for items added by Set
  };
  const Section* Find(const std::string& name) const;
  Section* Find(const std::string& name);

  std::string path_;
  bool exists_ = true;
  std::vector<Section> sections_;
};

// Whether option key of a remote of backend type is a secret: the backend's OptionSpec.secret
// if the type and option are known, else (unknown type or option) whether the key contains
// "pass", "secret", "token" or "key" (any case).
bool IsSecretOption(const Registry& registry, const std::string& type, const std::string& key);

// The error for a remote name that is not a section of config (kUnknownRemote: exit 1, as
// rclone): names the file, says when that file does not exist, and suggests a close section
// name ("did you mean \"x\"?").
Error UnknownRemoteError(const ConfigFile& config, const std::string& name);

// Levenshtein distance between a and b (bytes).
size_t EditDistance(const std::string& a, const std::string& b);

// Obscured option values (OptionSpec::obscured: passwords in the config file), exactly as
// rclone's fs/config/obscure: base64url-without-padding of IV(16) ‖ AES-256-CTR(fixed public
// key, IV, value). This is obfuscation against shoulder-surfing, not protection: the key is
// public. Any backend with a password option reveals it with Reveal.
//
// Obscures `plain` with a fresh random IV.
Result<std::string> Obscure(const std::string& plain);
// Obscures with a given IV (tests, reproducible output).
Result<std::string> ObscureWithIv(const std::string& plain, const std::array<uint8_t, 16>& iv);
// Reverses Obscure. kConfig "failed to reveal password: …" when the value is not valid base64url
// or is shorter than the 16-byte IV. The result is not checked further (as rclone).
Result<std::string> Reveal(const std::string& obscured);

}  // namespace cvclone
