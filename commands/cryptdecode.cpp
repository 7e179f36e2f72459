// cryptdecode: decrypts (or with --reverse encrypts) file names with a crypt remote's keys.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "core/remote_spec.hpp"
#include "crypt/crypt_remote.hpp"

namespace cvclone {

Command MakeCryptdecodeCommand() {
  Command c;
  c.name = "cryptdecode";
  c.short_help = "Decrypt (or encrypt) file names with a crypt remote's keys";
  c.usage = "cryptdecode CRYPT_REMOTE: NAME... [flags]";
  c.long_help =
      "Prints each encrypted NAME and its decrypted form, separated by a tab, using the\n"
      "name encryption settings of CRYPT_REMOTE (names are paths relative to the remote's\n"
      "root). With --reverse, NAMEs are plaintext and are encrypted. A name that does not\n"
      "decrypt is shown as \"Failed to decrypt\" and the exit code is non-zero.\n\n"
      "Examples:\n"
      "  cvclone cryptdecode secret: p0e52nreeaj0a5ea7s64m4j72s\n"
      "  cvclone cryptdecode --reverse secret: dir/file.txt\n";
  c.flags = {
      {"reverse", 0, FlagType::kBool, "", "Encrypt the plaintext names instead"},
      RawNamesFlag(),
  };
  c.min_args = 2;
  c.max_args = -1;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> remote, inv.Open(inv.args[0]));
    const crypt::CryptView* view = crypt::AsCrypt(*remote);
    if (view == nullptr) {
      return MakeError(ErrorCode::kUsage, "cryptdecode: " + AbbreviateRemoteString(inv.args[0]) +
                                              " is not a crypt remote; see 'cvclone "
                                              "cryptdecode --help'");
    }
    const bool reverse = inv.flags.Bool("reverse");
    int failed = 0;
    std::string out;
    for (size_t i = 1; i < inv.args.size(); ++i) {
      const std::string& name = inv.args[i];
      auto result = reverse ? view->Names().EncryptPath(name) : view->Names().DecryptPath(name);
      if (!result) ++failed;
      out += fmt::format("{} \t {}\n", ShownName(inv, name),
                         result ? ShownName(inv, *result)
                                : (reverse ? "Failed to encrypt" : "Failed to decrypt"));
    }
    WriteStdout(out);
    if (failed > 0) {
      return MakeError(ErrorCode::kCorrupt,
                       fmt::format("cryptdecode: {} of {} names failed to {}", failed,
                                   inv.args.size() - 1, reverse ? "encrypt" : "decrypt"));
    }
    return Ok();
  };
  return c;
}

}  // namespace cvclone
