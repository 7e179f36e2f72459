// Options of the encfs backend, where its config and password come from, and its registration.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "backends/encfs/encfs_remote.hpp"
#include "core/config.hpp"
#include "core/io.hpp"
#include "core/remote_spec.hpp"
#include "crypt/password.hpp"
#include "crypt/secret.hpp"

namespace cvclone {
namespace {

constexpr const char* kNoPassword =
    "encfs: no password: set password_command, CVCLONE_ENCFS_PASSWORD or password in the config";
constexpr const char* kConfigFile = ".encfs6.xml";
// A .encfs6.xml is about 1.3 KB; anything far larger is not one.
constexpr size_t kMaxConfigBytes = 1 << 20;

// Copies a secret out of a result, wiping what the result held.
Status TakeSecret(Result<std::string> from, std::string& to) {
  if (!from) return Unexpected<Error>(from.error());
  to = *from;
  crypt::WipeString(*from);
  return Ok();
}

// The password from the first of: `password` (obscured), `password_command`,
// $CVCLONE_ENCFS_PASSWORD, a terminal prompt (inline form only). Secrets never enter messages.
Status ResolvePassword(const Options& options, bool allow_prompt, std::string& password) {
  if (auto obscured = options.Get("password")) {
    auto plain = Reveal(*obscured);
    if (!plain) return Propagate(plain.error(), "encfs: option password");
    CVC_RETURN_IF_ERROR(TakeSecret(std::move(plain), password));
  } else if (auto cmd = options.Get("password_command")) {
    // Its output as encfs --extpass takes it: only a trailing "\n" goes, a "\r" is the password's.
    CVC_RETURN_IF_ERROR(TakeSecret(
        crypt::RunPasswordCommand(*cmd, "password_command", crypt::TrailingNewline::kLfOnly),
        password));
  } else if (const char* env = std::getenv("CVCLONE_ENCFS_PASSWORD")) {
    password = env;
  } else if (allow_prompt && crypt::StdinIsTerminal()) {
    CVC_RETURN_IF_ERROR(TakeSecret(crypt::PromptPassword("encfs password: "), password));
  } else {
    return MakeError(ErrorCode::kConfig, kNoPassword);
  }
  if (password.empty()) return MakeError(ErrorCode::kConfig, "encfs: password is empty");
  return Ok();
}

bool IsInlineForm(const std::string& display_name) {
  auto spec = ParseRemoteString(display_name);
  return spec && spec->kind != RemoteSpec::Kind::kSection;
}

struct ConfigText {
  std::string text;
  std::string where;  // names it in messages
};

Result<ConfigText> ReadLocalConfig(const std::string& path, const std::string& source) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kConfig,
                     "encfs: cannot read the config file " + path + " (from " + source + ")");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxConfigBytes) {
    return MakeError(ErrorCode::kConfig, "encfs: " + path + " is too large for an encfs config");
  }
  return ConfigText{text.str(), path};
}

// The volume's config: the `config` option, else $ENCFS6_CONFIG (both local files, as encfs's
// --config and ENCFS6_CONFIG), else .encfs6.xml at the top of the wrapped remote. `shown` is the
// wrapped remote as the user wrote it, for messages.
Result<ConfigText> ReadConfig(const Context& ctx, const Options& options, Remote& inner,
                              const std::string& shown) {
  if (auto path = options.Get("config")) return ReadLocalConfig(*path, "option config");
  if (const char* env = std::getenv("ENCFS6_CONFIG"); env != nullptr && *env != '\0') {
    return ReadLocalConfig(env, "$ENCFS6_CONFIG");
  }
  const std::string where =
      shown + (shown.ends_with('/') || shown.ends_with(':') ? "" : "/") + kConfigFile;
  auto opened = inner.Open(ctx, kConfigFile);
  if (!opened) {
    if (opened.error().code() == ErrorCode::kNotFound) {
      return MakeError(ErrorCode::kConfig,
                       "encfs: no " + std::string(kConfigFile) + " at the top of " + shown +
                           " (not an encfs volume? set the config option or $ENCFS6_CONFIG to "
                           "the volume's config file)");
    }
    return Propagate(opened.error(), "encfs: reading " + where);
  }
  auto text = ReadAll(**opened, kMaxConfigBytes);
  if (!text) return Propagate(text.error(), "encfs: reading " + where);
  return ConfigText{std::move(text).value(), where};
}

// The wrapped remote. A bare local folder is opened with `links` on, so that the volume's
// symlinks reach the encfs remote (as NAME.rclonelink objects) and are reported by their
// plaintext names rather than skipped by the local backend under their stored names; where the
// user's flags rule that out (-L/--copy-links), the folder is opened as given.
Result<std::unique_ptr<Remote>> OpenInner(const Context& ctx, const std::string& remote,
                                          const RemoteOpener& open_inner) {
  auto spec = ParseRemoteString(remote);
  if (spec && spec->kind == RemoteSpec::Kind::kLocal) {
    const RemoteSpec with_links{.kind = RemoteSpec::Kind::kBackend,
                                .name = "local",
                                .params = {{"links", "true"}},
                                .path = spec->path};
    auto opened = open_inner(ctx, FormatRemoteString(with_links));
    if (opened || opened.error().code() != ErrorCode::kUsage) return opened;
  }
  return open_inner(ctx, remote);
}

}  // namespace

void RegisterEncfsBackend(Registry& registry) {
  BackendInfo info;
  info.name = "encfs";
  info.description = "Read an encfs 1.x volume (read-only), e.g. to copy it into crypt";
  info.wrapper = true;
  info.options = {
      {"remote", "Remote holding the encfs volume (its encrypted folder), e.g. s3:bucket/enc", "",
       true, false},
      {"config",
       "Path to the volume's .encfs6.xml on this machine (default: $ENCFS6_CONFIG, "
       "else the file at the top of the remote)",
       "", false, false},
      {"password", "Password (obscured, as `cvclone obscure` writes it)", "", false, true, true},
      {"password_command",
       "Command whose output is the password, e.g. `pass show encfs` "
       "(run with /bin/sh -c; a final newline is dropped, as encfs --extpass does; used when "
       "password is not set)",
       "", false, false},
      {"strict_names", "Fail a listing on names that do not decode (else skip with a notice)",
       "false", false, false},
  };
  info.create = [](const Context& ctx, const std::string& display_name, const std::string& root,
                   const Options& options,
                   const RemoteOpener& open_inner) -> Result<std::unique_ptr<Remote>> {
    CVC_ASSIGN_OR_RETURN(bool strict_names, options.GetBool("strict_names", false));
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> inner,
                         OpenInner(ctx, options.GetOr("remote", ""), open_inner));
    CVC_ASSIGN_OR_RETURN(ConfigText config,
                         ReadConfig(ctx, options, *inner, options.GetOr("remote", "")));
    // An unsupported or damaged config fails before a password is asked for.
    CVC_RETURN_IF_ERROR(encfs::ParseVolumeConfig(config.text, config.where));
    std::string password;
    crypt::WipeOnExit wipe(password);
    CVC_RETURN_IF_ERROR(ResolvePassword(options, IsInlineForm(display_name), password));
    CVC_ASSIGN_OR_RETURN(encfs::OpenedVolume volume,
                         encfs::OpenVolume(config.text, config.where, password));
    return encfs::NewEncfsRemote(std::move(inner), display_name, root, std::move(volume),
                                 strict_names);
  };
  registry.Register(std::move(info));
}

}  // namespace cvclone
