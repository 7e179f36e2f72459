// Options of the crypt backend and its registration.
#include <cstdio>
#include <cstdlib>

#include "crypt/crypt_remote.hpp"
#include "crypt/obscure.hpp"

namespace cvclone {
namespace crypt {
namespace {

// Runs a shell command and returns its standard output without trailing newlines. The output
// is a secret: it never enters an error message.
Result<std::string> RunPasswordCommand(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return MakeError(ErrorCode::kConfig, "crypt: password_command: cannot run \"" + command + "\"");
  }
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = ::pclose(pipe);
  if (status != 0) {
    return MakeError(ErrorCode::kConfig,
                     "crypt: password_command \"" + command + "\" failed (status " +
                         std::to_string(status) + ")");
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

Result<std::string> RevealOption(const Options& options, const std::string& name) {
  auto value = options.Get(name);
  if (!value) return std::string();
  auto plain = Reveal(*value);
  if (!plain) return Propagate(plain.error(), "crypt: option " + name);
  return plain;
}

Result<std::string> ResolvePassword(const Options& options) {
  CVC_ASSIGN_OR_RETURN(std::string password, RevealOption(options, "password"));
  if (password.empty()) {
    if (auto cmd = options.Get("password_command")) {
      CVC_ASSIGN_OR_RETURN(password, RunPasswordCommand(*cmd));
    } else if (const char* env = std::getenv("CVCLONE_CRYPT_PASSWORD")) {
      password = env;
    }
  }
  if (password.empty()) return MakeError(ErrorCode::kConfig, "crypt: password is empty");
  return password;
}

}  // namespace

Result<CryptConfig> CryptConfigFromOptions(const Options& options) {
  CryptConfig c;
  CVC_ASSIGN_OR_RETURN(c.password, ResolvePassword(options));
  CVC_ASSIGN_OR_RETURN(c.password2, RevealOption(options, "password2"));
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
      {"password", "Password (obscured, as `cvclone obscure` writes it)", "", false, true},
      {"password2", "Salt password (obscured); optional", "", false, true},
      {"filename_encryption", "How to encrypt file names: standard, obfuscate or off",
       "standard", false, false},
      {"directory_name_encryption", "Encrypt directory names too (only if filename_encryption "
       "is not off)", "true", false, false},
      {"filename_encoding", "Encoding of encrypted names: base32 or base64", "base32", false,
       false},
      {"suffix", "Suffix added with filename_encryption = off (\"none\" for none)", ".bin",
       false, false},
      {"password_command", "Command whose output is the password, e.g. `pass show cloud`", "",
       false, false},
      {"strict_names", "Fail a listing on names that do not decrypt (else skip with a notice)",
       "false", false, false},
  };
  info.create = [](const Context& ctx, const std::string& display_name, const std::string& root,
                   const Options& options,
                   const RemoteOpener& open_inner) -> Result<std::unique_ptr<Remote>> {
    CVC_ASSIGN_OR_RETURN(crypt::CryptConfig config, crypt::CryptConfigFromOptions(options));
    CVC_ASSIGN_OR_RETURN(crypt::CryptKeys keys, crypt::DeriveKeys(config.password, config.password2));
    crypt::NameCipher cipher(keys, config.names);
    CVC_ASSIGN_OR_RETURN(std::string enc_root, cipher.EncryptDirPath(root));
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> inner,
                         open_inner(ctx, JoinRemote(options.GetOr("remote", ""), enc_root)));
    return crypt::NewCryptRemote(std::move(inner), display_name, config, keys);
  };
  registry.Register(std::move(info));
}

}  // namespace cvclone
