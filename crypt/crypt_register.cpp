// Options of the crypt backend and its registration.
#include <cstdlib>
#include <optional>

#include "core/config.hpp"
#include "core/remote_spec.hpp"
#include "crypt/crypt_remote.hpp"
#include "crypt/password.hpp"
#include "crypt/secret.hpp"

namespace cvclone {
namespace crypt {
namespace {

constexpr const char* kNoPassword =
    "crypt: no password: set password_command, CVCLONE_CRYPT_PASSWORD or password in the config";
constexpr const char* kEmptyPassword = "crypt: password is empty";

// Copies a secret out of a result, wiping what the result held (a Result<std::string> of a
// password is never left to be freed with the password in it).
Status TakeSecret(Result<std::string> from, std::string& to) {
  if (!from) return Unexpected<Error>(from.error());
  to = *from;
  WipeString(*from);
  return Ok();
}

// The revealed value of an obscured option into out; false when unset.
Result<bool> RevealOption(const Options& options, const std::string& name, std::string& out) {
  auto value = options.Get(name);
  if (!value) return false;
  auto plain = Reveal(*value);
  if (!plain) return Propagate(plain.error(), "crypt: option " + name);
  CVC_RETURN_IF_ERROR(TakeSecret(std::move(plain), out));
  return true;
}

Status ResolvePassword(const Options& options, bool allow_prompt, std::string& password) {
  CVC_ASSIGN_OR_RETURN(bool stored, RevealOption(options, "password", password));
  if (stored) {
    // revealed from the config
  } else if (auto cmd = options.Get("password_command")) {
    CVC_RETURN_IF_ERROR(TakeSecret(RunPasswordCommand(*cmd, "password_command"), password));
  } else if (const char* env = std::getenv("CVCLONE_CRYPT_PASSWORD")) {
    password = env;
  } else if (allow_prompt && StdinIsTerminal()) {
    CVC_RETURN_IF_ERROR(TakeSecret(PromptPassword("crypt password: "), password));
  } else {
    return MakeError(ErrorCode::kConfig, kNoPassword);
  }
  if (password.empty()) return MakeError(ErrorCode::kConfig, kEmptyPassword);
  return Ok();
}

Status ResolveSalt(const Options& options, std::string& salt) {
  CVC_ASSIGN_OR_RETURN(bool stored, RevealOption(options, "password2", salt));
  if (stored) return Ok();
  if (const char* env = std::getenv("CVCLONE_CRYPT_PASSWORD2")) salt = env;
  return Ok();
}

}  // namespace

Result<CryptConfig> CryptConfigFromOptions(const Options& options, bool allow_prompt) {
  CryptConfig c;
  CVC_RETURN_IF_ERROR(ResolvePassword(options, allow_prompt, c.password));
  CVC_RETURN_IF_ERROR(ResolveSalt(options, c.password2));
  CVC_ASSIGN_OR_RETURN(c.names.mode, ParseNameMode(options.GetOr("filename_encryption", "")));
  CVC_ASSIGN_OR_RETURN(c.names.encoding, ParseNameEncoding(options.GetOr("filename_encoding", "")));
  CVC_ASSIGN_OR_RETURN(c.names.encrypt_dirs, options.GetBool("directory_name_encryption", true));
  CVC_ASSIGN_OR_RETURN(c.strict_names, options.GetBool("strict_names", false));
  c.names.suffix = options.GetOr("suffix", ".bin");
  if (c.names.suffix == "none") c.names.suffix.clear();
  return c;
}

}  // namespace crypt

namespace {

// Whether the remote string is the inline form (`crypt(inner)`, `:crypt,...:`), which may
// prompt for its password, rather than a config section.
bool IsInlineForm(const std::string& display_name) {
  auto spec = ParseRemoteString(display_name);
  return spec && spec->kind != RemoteSpec::Kind::kSection;
}

// The inner remote string with the (encrypted) root appended.
std::string JoinRemote(const std::string& remote, const std::string& root) {
  if (root.empty()) return remote;
  if (remote.empty() || remote.back() == ':' || remote.back() == '/') return remote + root;
  return remote + "/" + root;
}

}  // namespace

void RegisterCryptBackend(Registry& registry) {
  BackendInfo info;
  info.name = "crypt";
  info.description = "Encrypt/decrypt a remote (rclone crypt format)";
  info.wrapper = true;
  info.options = {
      {"remote", "Remote to encrypt/decrypt, e.g. s3:bucket/path", "", true, false},
      {"password", "Password (obscured, as `cvclone obscure` writes it)", "", false, true, true},
      {"password2", "Salt password (obscured); optional", "", false, true, true},
      {"filename_encryption", "How to encrypt file names: standard, obfuscate or off",
       "standard", false, false},
      {"directory_name_encryption", "Encrypt directory names too (only if filename_encryption "
       "is not off)", "true", false, false},
      {"filename_encoding", "Encoding of encrypted names: base32 or base64", "base32", false,
       false},
      {"suffix", "Suffix added with filename_encryption = off (\"none\" for none)", ".bin",
       false, false},
      {"password_command", "Command whose output is the password, e.g. `pass show cloud` "
       "(run with /bin/sh -c; used when password is not set)", "", false, false},
      {"strict_names", "Fail a listing on names that do not decrypt (else skip with a notice)",
       "false", false, false},
  };
  info.create = [](const Context& ctx, const std::string& display_name, const std::string& root,
                   const Options& options,
                   const RemoteOpener& open_inner) -> Result<std::unique_ptr<Remote>> {
    CVC_ASSIGN_OR_RETURN(crypt::CryptConfig config,
                         crypt::CryptConfigFromOptions(options, IsInlineForm(display_name)));
    auto derived = crypt::DeriveKeys(config.password, config.password2);
    crypt::WipeString(config.password);  // not needed again: the keys are
    crypt::WipeString(config.password2);
    if (!derived) return Unexpected<Error>(derived.error());
    const crypt::CryptKeys& keys = *derived;
    crypt::NameCipher cipher(keys, config.names);
    CVC_ASSIGN_OR_RETURN(std::string enc_root, cipher.EncryptDirPath(root));
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> inner,
                         open_inner(ctx, JoinRemote(options.GetOr("remote", ""), enc_root)));
    return crypt::NewCryptRemote(std::move(inner), display_name, config, keys);
  };
  registry.Register(std::move(info));
}

}  // namespace cvclone
