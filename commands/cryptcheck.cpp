// cryptcheck: checks plaintext files against a crypt remote by comparing ciphertext hashes,
// downloading only each encrypted file's 32-byte header (crypt/cryptcheck.hpp).
#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "crypt/cryptcheck.hpp"
#include "core/log.hpp"

namespace cvclone {

Command MakeCryptcheckCommand() {
  Command c;
  c.name = "cryptcheck";
  c.short_help = "Check the integrity of a crypt remote against its plaintext source";
  c.usage = "cryptcheck SOURCE CRYPT_REMOTE: [flags]";
  c.long_help =
      "For each file in SOURCE, reads the nonce from the header of its encrypted copy in\n"
      "CRYPT_REMOTE, encrypts the source file again with that nonce while hashing the\n"
      "ciphertext with the hash of the remote under the crypt remote (md5 for s3 and local),\n"
      "and compares that with the stored object's hash. Only 32 bytes per file are read from\n"
      "the crypt remote (plus what its backend reads to hash the object). Each difference and\n"
      "each file missing on one side is reported; the exit code is non-zero if any is found.\n\n"
      "Examples:\n"
      "  cvclone cryptcheck ~/docs secret:docs\n"
      "  cvclone cryptcheck ~/docs 'crypt(s3:bucket/docs)' --one-way\n";
  c.flags = {
      {"one-way", 0, FlagType::kBool, "", "Only check that source files are in the crypt remote"},
  };
  c.min_args = c.max_args = 2;
  c.run = [](const Invocation& inv) -> Status {
    CVC_ASSIGN_OR_RETURN(SyncOptions opts, inv.MakeSyncOptions());
    opts.one_way = inv.flags.Bool("one-way");
    opts.download = false;
    CVC_ASSIGN_OR_RETURN(Target source, OpenTarget(inv, inv.args[0]));
    if (!source.file.empty()) RestrictToFile(opts.filter, source.file);
    std::unique_ptr<Remote> src = std::move(source.remote);
    CVC_ASSIGN_OR_RETURN(std::unique_ptr<Remote> dst, inv.Open(inv.args[1]));
    if (crypt::AsCrypt(*dst) == nullptr) {
      return MakeError(ErrorCode::kUsage, "cryptcheck: " + inv.args[1] +
                                              " is not a crypt remote; see 'cvclone cryptcheck "
                                              "--help'");
    }
    CVC_ASSIGN_OR_RETURN(crypt::CryptCheckPair pair, crypt::MakeCryptCheckPair(*src, *dst));
    log::Info("cryptcheck: comparing {} hashes of the encrypted data", HashName(pair.hash));
    return RunWithAccounting(inv, [&](Accounting& acct) {
      return RunCheck(inv.ctx, *pair.src, *pair.dst, opts, acct);
    });
  };
  return c;
}

}  // namespace cvclone
