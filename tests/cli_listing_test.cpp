// Hashes and listing flags (issue 17): hashsum/sha256sum/md5sum --download, lsf --format,
// lsjson's flags, size --json, check's reports, cat --head/--tail/--discard. On local folders
// and crypt each output is checked against Debian's rclone run on the same tree in the same
// test; S3 and crypt over S3 against what the same command gives for the local source.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <utime.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/cli.hpp"
#include "tests/support/process.hpp"
#include "tests/support/rclone_run.hpp"
#include "tests/support/s3_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

namespace cvclone {
namespace {

using test::Contains;
using test::ProcessResult;

// Lines, sorted; lsjson's "[" / "]" lines dropped and trailing commas removed, so that listings
// in another order compare equal.
std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line == "[" || line == "]") continue;
    if (!line.empty() && line.back() == ',') line.pop_back();
    lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::string Rclone() { return test::FindOnPath("rclone"); }

// src/: files at three depths, an empty file, a name with a comma, a fixed old mtime on h.txt.
void MakeTree(const std::string& root) {
  REQUIRE(test::WriteFile(root + "/h.txt", "hello\n"));
  REQUIRE(test::WriteFile(root + "/empty.txt", ""));
  REQUIRE(test::WriteFile(root + "/a/one.txt", "one\n"));
  REQUIRE(test::WriteFile(root + "/a/b/two.txt", "two"));
  REQUIRE(test::WriteFile(root + "/a/with, comma.txt", "comma"));
  REQUIRE(test::WriteFile(root + "/d.txt", "0123456789"));
  utimbuf old{1577934245, 1577934245};  // 2020-01-02 03:04:05 UTC
  REQUIRE(::utime((root + "/h.txt").c_str(), &old) == 0);
}

class ListingInterop : public test::RcloneRun {
 public:
  using RcloneRun::RcloneRun;

  // Both tools with the same arguments: equal exit codes and equal (sorted) stdout.
  void Same(const std::vector<std::string>& args) const {
    ProcessResult ours = Cvclone(args);
    ProcessResult theirs = Rclone(args);
    std::string shown;
    for (const std::string& a : args) shown += a + " ";
    INFO("args: ", shown);
    INFO("cvclone: ", ours.out, ours.err);
    INFO("rclone: ", theirs.out, theirs.err);
    CHECK(ours.exit_code == theirs.exit_code);
    CHECK(SortedLines(ours.out) == SortedLines(theirs.out));
  }
  // The same, for stdout taken byte for byte (cat).
  void SameBytes(const std::vector<std::string>& args) const {
    ProcessResult ours = Cvclone(args);
    ProcessResult theirs = Rclone(args);
    std::string shown;
    for (const std::string& a : args) shown += a + " ";
    INFO("args: ", shown);
    INFO("cvclone: ", ours.err);
    INFO("rclone: ", theirs.err);
    CHECK(ours.exit_code == theirs.exit_code);
    CHECK(ours.out == theirs.out);
  }
  // A crypt remote [c] over the folder enc, and the tree copied into it by rclone.
  void MakeCrypt() const {
    WriteConfig("[c]\ntype = crypt\nremote = " + P("enc") + "\npassword = " +
                RcloneObscure("listing pw") + "\n");
    ProcessResult r = Rclone({"copy", "src", "c:"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  }
};

TEST_CASE("cli listing: hashsum, sha256sum, md5sum and sha1sum print what rclone prints") {
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  ListingInterop t(Rclone());
  t.WriteConfig("");
  MakeTree(t.P("src"));
  // rclone knows more kinds; ours are the first three of its list.
  ProcessResult list = t.Cvclone({"hashsum"});
  CHECK(list.exit_code == 0);
  CHECK(list.out == "Supported hashes are:\n  * md5\n  * sha1\n  * sha256\n");
  CHECK(Contains(t.Rclone({"hashsum"}).out, "Supported hashes are:\n  * md5\n  * sha1\n"));
  t.Same({"hashsum", "sha256", "src"});
  t.Same({"hashsum", "SHA-1", "src"});
  t.Same({"hashsum", "MD5", "src"});
  t.Same({"hashsum", "md5", "src", "--base64"});
  t.Same({"hashsum", "sha256", "src", "--base64"});
  t.Same({"hashsum", "sha256", "src/a/one.txt"});
  // rclone 1.60 has no sha256sum: it is hashsum sha256.
  ProcessResult sha256sum = t.Cvclone({"sha256sum", "src"});
  CHECK(sha256sum.exit_code == 0);
  CHECK(SortedLines(sha256sum.out) == SortedLines(t.Rclone({"hashsum", "sha256", "src"}).out));
  t.Same({"md5sum", "src"});
  t.Same({"sha1sum", "src", "--download"});
  list = t.Cvclone({"hashsum", "nosuchhash", "src"});
  CHECK(list.exit_code == t.Rclone({"hashsum", "nosuchhash", "src"}).exit_code);
  CHECK(list.exit_code == 1);
  CHECK(Contains(list.out, "Supported hashes are:\n  * md5\n"));
  CHECK(Contains(list.err, "unknown hash type \"nosuchhash\""));

  // --output-file: the lines in the file, nothing on stdout.
  ProcessResult ours = t.Cvclone({"hashsum", "sha256", "src", "--output-file", "ours.txt"});
  ProcessResult theirs = t.Rclone({"hashsum", "sha256", "src", "--output-file", "theirs.txt"});
  CHECK(ours.exit_code == 0);
  CHECK(ours.out.empty());
  auto ours_file = test::ReadFile(t.P("ours.txt"));
  auto theirs_file = test::ReadFile(t.P("theirs.txt"));
  REQUIRE(ours_file.has_value());
  REQUIRE(theirs_file.has_value());
  CHECK(SortedLines(*ours_file) == SortedLines(*theirs_file));
  CHECK(Contains(*ours_file,
                 "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  h.txt\n"));
}

TEST_CASE("cli listing: hashes through crypt need --download, which hashes the plaintext") {
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  ListingInterop t(Rclone());
  MakeTree(t.P("src"));
  t.MakeCrypt();
  for (const char* hash : {"md5", "sha1", "sha256"}) {
    CAPTURE(hash);
    ProcessResult r = t.Cvclone({"hashsum", hash, "c:"});
    CHECK(r.exit_code == 1);
    CHECK(Contains(r.err, "hash type not supported"));
    CHECK(r.out.empty());
    r = t.Cvclone({"hashsum", hash, "c:", "--download"});
    CHECK(r.exit_code == 0);
    CHECK(SortedLines(r.out) == SortedLines(t.Cvclone({"hashsum", hash, "src"}).out));
    t.Same({"hashsum", hash, "c:", "--download"});
  }
  ProcessResult r = t.Cvclone({"md5sum", "c:"});
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.err, "hash type not supported"));
  t.Same({"md5sum", "c:", "--download"});
  ProcessResult sha256sum = t.Cvclone({"sha256sum", "c:", "--download", "--base64"});
  CHECK(sha256sum.exit_code == 0);
  CHECK(SortedLines(sha256sum.out) ==
        SortedLines(t.Rclone({"hashsum", "sha256", "c:", "--download", "--base64"}).out));
}

TEST_CASE("cli listing: lsf --format, --separator, --files-only, --dirs-only, --absolute") {
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  ListingInterop t(Rclone());
  t.WriteConfig("");
  MakeTree(t.P("src"));
  t.Same({"lsf", "src"});
  t.Same({"lsf", "src", "-R", "--format", "pst"});
  t.Same({"lsf", "src", "-R", "--format", "tsp", "--separator", ","});
  t.Same({"lsf", "src", "-R", "-F", "hp", "--hash", "sha1", "-s", "  ", "--files-only"});
  t.Same({"lsf", "src", "-R", "--format", "ph", "--hash", "SHA-256"});
  t.Same({"lsf", "src", "-R", "--format", "ph"});
  t.Same({"lsf", "src", "-R", "--format", "pmio"});
  t.Same({"lsf", "src", "-R", "--format", "pT"});
  t.Same({"lsf", "src", "-R", "--dirs-only"});
  t.Same({"lsf", "src", "-R", "--files-only", "--absolute"});
  t.Same({"lsf", "src", "-R", "--absolute", "--dir-slash=false"});
  t.Same({"lsf", "src", "-R", "--csv", "--format", "ps"});
  t.Same({"lsf", "src", "-R", "--csv", "--format", "sp", "--files-only"});
  t.Same({"lsf", "src/h.txt", "--format", "pst"});
  t.Same({"lsf", "src", "--format", "px"});  // unknown character: exit 1
  // The md5sum emulation of rclone's help.
  ProcessResult r = t.Cvclone(
      {"lsf", "-R", "--hash", "MD5", "--format", "hp", "--separator", "  ", "--files-only", "src"});
  CHECK(SortedLines(r.out) == SortedLines(t.Cvclone({"md5sum", "src"}).out));
  // Encrypted names: only a crypt remote has them.
  r = t.Cvclone({"lsf", "src", "--format", "pe"});
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.err, "not a crypt remote"));
}

TEST_CASE("cli listing: lsf and lsjson of a crypt remote: encrypted names, no hashes") {
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  ListingInterop t(Rclone());
  MakeTree(t.P("src"));
  t.MakeCrypt();
  t.Same({"lsf", "c:", "-R", "--format", "pe"});
  t.Same({"lsf", "c:", "-R", "--format", "eps", "--dir-slash=false"});
  t.Same({"lsf", "c:", "-R", "--format", "ph"});  // empty hashes, exit 0
  t.Same({"lsjson", "c:", "-R", "--encrypted"});
  t.Same({"lsjson", "c:", "-R", "--hash", "--no-mimetype"});
  t.Same({"size", "c:", "--json"});
}

TEST_CASE("cli listing: lsjson flags and size --json as rclone") {
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  ListingInterop t(Rclone());
  t.WriteConfig("");
  MakeTree(t.P("src"));
  t.Same({"lsjson", "src"});
  t.Same({"lsjson", "src", "-R"});
  t.Same({"lsjson", "src", "-R", "--files-only", "--hash-type", "sha256"});
  t.Same({"lsjson", "src", "-R", "--hash-type", "MD5", "--hash-type", "sha1"});
  t.Same({"lsjson", "src", "-R", "--dirs-only", "--no-modtime"});
  t.Same({"lsjson", "src", "-R", "--no-mimetype", "--no-modtime", "--files-only"});
  t.Same({"lsjson", "src/h.txt"});
  t.Same({"lsjson", "src/h.txt", "--stat", "--hash-type", "md5"});
  t.Same({"size", "src", "--json"});
  // --hash: every hash this remote has (rclone's local has more kinds than ours).
  ProcessResult r = t.Cvclone({"lsjson", "src/h.txt", "--hash"});
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.out, R"(,"IsDir":false,"Hashes":{"md5":"b1946ac92492d2347c6235b4d2611184",)"
                        R"("sha1":"f572d396fae9206628714fb2ce00f72e94f2258f","sha256":)"
                        R"("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"}})"));
}

TEST_CASE("cli listing: check --combined, --match, --differ, --missing-on-src/dst as rclone") {
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  ListingInterop t(Rclone());
  t.WriteConfig("");
  MakeTree(t.P("src"));
  MakeTree(t.P("dst"));
  REQUIRE(test::WriteFile(t.P("dst/h.txt"), "changed, longer\n"));
  REQUIRE(test::WriteFile(t.P("dst/d.txt"), "0123456780"));  // same size, other bytes
  std::filesystem::remove(t.P("dst/a/one.txt"));
  REQUIRE(test::WriteFile(t.P("dst/x.txt"), "extra"));
  for (const std::vector<std::string>& mode :
       {std::vector<std::string>{}, {"--one-way"}, {"--download"}}) {
    auto with = [&](std::vector<std::string> args) {
      args.insert(args.end(), mode.begin(), mode.end());
      return args;
    };
    t.Same(with({"check", "src", "dst", "--combined", "-"}));
    t.Same(with({"check", "src", "dst", "--match", "-"}));
    t.Same(with({"check", "src", "dst", "--differ", "-"}));
    t.Same(with({"check", "src", "dst", "--missing-on-src", "-"}));
    t.Same(with({"check", "src", "dst", "--missing-on-dst", "-"}));
    t.Same(with({"check", "src", "src", "--combined", "-"}));
  }
  // Files: each report in its own file, every kind at once.
  ProcessResult r = t.Cvclone({"check", "src", "dst", "--combined", "c.txt", "--match", "m.txt",
                               "--differ", "d.txt", "--missing-on-src", "ms.txt",
                               "--missing-on-dst", "md.txt", "--error", "e.txt"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  auto lines = [&](const char* name) { return SortedLines(*test::ReadFile(t.P(name))); };
  using Lines = std::vector<std::string>;
  CHECK(lines("c.txt") == Lines{"* d.txt", "* h.txt", "+ a/one.txt", "- x.txt", "= a/b/two.txt",
                                "= a/with, comma.txt", "= empty.txt"});
  CHECK(lines("m.txt") == Lines{"a/b/two.txt", "a/with, comma.txt", "empty.txt"});
  CHECK(lines("d.txt") == Lines{"d.txt", "h.txt"});
  CHECK(lines("ms.txt") == Lines{"x.txt"});
  CHECK(lines("md.txt") == Lines{"a/one.txt"});
  CHECK(lines("e.txt").empty());
  // A report file that cannot be made stops the check before it starts.
  r = t.Cvclone({"check", "src", "dst", "--combined", t.P("nodir/c.txt")});
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.err, "failed to open output file"));
}

TEST_CASE("cli listing: check --error lists the files that could not be compared") {
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  ListingInterop t(Rclone());
  MakeTree(t.P("src"));
  t.MakeCrypt();
  // One encrypted file damaged in place (same size): its plaintext cannot be read.
  ProcessResult enc =
      t.Rclone({"lsf", "c:", "--format", "e", "--files-only", "--include", "d.txt"});
  REQUIRE(enc.exit_code == 0);
  REQUIRE(enc.out.size() > 1);
  const std::string damaged = t.P("enc/" + enc.out.substr(0, enc.out.find('\n')));
  auto bytes = test::ReadFile(damaged);
  REQUIRE(bytes.has_value());
  REQUIRE(!bytes->empty());
  std::string changed = *bytes;
  changed.back() = static_cast<char>(changed.back() ^ 1);
  REQUIRE(test::WriteFile(damaged, changed));
  ProcessResult r = t.Cvclone({"check", "src", "c:", "--download", "--error", "-", "--combined",
                               "all.txt", "--match", "m.txt"});
  CHECK(r.exit_code != 0);
  CHECK(r.out == "d.txt\n");
  CHECK(Contains(*test::ReadFile(t.P("all.txt")), "! d.txt\n"));
  CHECK(!Contains(*test::ReadFile(t.P("m.txt")), "d.txt"));
  CHECK(Contains(*test::ReadFile(t.P("m.txt")), "h.txt\n"));
}

TEST_CASE("cli listing: cat --head, --tail, --offset, --count, --discard as rclone") {
  if (Rclone().empty()) {
    MESSAGE("rclone is not installed: test skipped");
    return;
  }
  ListingInterop t(Rclone());
  MakeTree(t.P("src"));
  t.MakeCrypt();
  t.SameBytes({"cat", "src/d.txt", "--head", "3"});
  t.SameBytes({"cat", "src/d.txt", "--tail", "3"});
  t.SameBytes({"cat", "src/d.txt", "--tail", "20"});
  t.SameBytes({"cat", "src/d.txt", "--offset", "-4"});
  t.SameBytes({"cat", "src/d.txt", "--offset", "-4", "--count", "2"});
  t.SameBytes({"cat", "src/d.txt", "--offset", "3", "--count", "0"});
  t.SameBytes({"cat", "src/d.txt", "--head", "0"});
  t.SameBytes({"cat", "src/d.txt", "--discard"});
  // Through crypt the range is mapped onto the ciphertext's blocks.
  t.SameBytes({"cat", "c:d.txt", "--tail", "3"});
  t.SameBytes({"cat", "c:d.txt", "--offset", "-4", "--count", "2"});
  t.SameBytes({"cat", "c:", "--discard"});
  // A folder: each file's last 2 bytes (rclone's order is not ours: the bytes are compared sorted).
  ProcessResult ours = t.Cvclone({"cat", "src/a", "--tail", "2"});
  ProcessResult theirs = t.Rclone({"cat", "src/a", "--tail", "2"});
  CHECK(ours.exit_code == 0);
  CHECK(ours.out == "woe\nma");  // two.txt's "wo" comes first: a/b/ sorts before a/one.txt
  std::sort(ours.out.begin(), ours.out.end());
  std::sort(theirs.out.begin(), theirs.out.end());
  CHECK(ours.out == theirs.out);
  ProcessResult r = t.Cvclone({"cat", "src/d.txt", "--head", "3", "--tail", "2"});
  CHECK(r.exit_code != 0);
  CHECK(Contains(r.err, "can only use one of --head, --tail or --offset with --count"));
  CHECK(r.out.empty());
}

TEST_CASE("cli listing: every new flag is in its command's --help") {
  test::Cli cli;
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"hashsum", {"--download", "--output-file", "--base64"}},
      {"sha256sum", {"--download", "--output-file", "--base64"}},
      {"md5sum", {"--download", "--output-file", "--base64"}},
      {"lsf",
       {"--format", "--separator", "--files-only", "--dirs-only", "--absolute", "--dir-slash",
        "--hash", "--csv", "--recursive"}},
      {"lsjson",
       {"--hash", "--hash-type", "--files-only", "--dirs-only", "--no-modtime", "--no-mimetype",
        "--encrypted", "--stat", "--recursive"}},
      {"size", {"--json"}},
      {"check",
       {"--combined", "--missing-on-src", "--missing-on-dst", "--match", "--differ", "--error",
        "--one-way", "--download"}},
      {"cat", {"--head", "--tail", "--offset", "--count", "--discard"}},
  };
  for (const auto& [command, flags] : cases) {
    ProcessResult r = cli.Run({command, "--help"});
    CHECK(r.exit_code == 0);
    for (const std::string& flag : flags) {
      INFO(command, " ", flag);
      CHECK(Contains(r.out, flag));
    }
  }
}

// S3 keeps md5 only; crypt over S3 none: both answer "not supported" for the others, and
// --download hashes the content. Listings, check reports and cat ranges there equal the local
// source's.
TEST_CASE("cli listing [any server]: hashes, listings, check and cat on S3 and crypt over S3") {
  std::string why;
  const test::S3TestServer* server = test::SharedS3Server(&why);
  REQUIRE_MESSAGE(server != nullptr, why);
  test::TempDir dir;
  const std::string conf = dir.Path("c.conf");
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", conf});
    return test::RunProcess(CVCLONE_BINARY_DIR "/cvclone", args, test::IsolatedOptions(dir.path()));
  };
  REQUIRE(test::WriteFile(conf, test::S3ConfigSection("s3", *server)));
  ProcessResult obscured = run({"obscure", "listing pw"});
  REQUIRE(obscured.exit_code == 0);
  const std::string bucket = test::UniqueName("lst");
  REQUIRE(test::WriteFile(
      conf, test::S3ConfigSection("s3", *server) + "\n[sc]\ntype = crypt\nremote = s3:" + bucket +
                "/enc\npassword = " + obscured.out.substr(0, obscured.out.find('\n')) + "\n"));
  MakeTree(dir.Path("src"));
  REQUIRE(run({"mkdir", "s3:" + bucket}).exit_code == 0);
  const std::string s3 = "s3:" + bucket + "/plain";
  for (const std::string& root : {s3, std::string("sc:")}) {
    INFO("remote ", root);
    const bool crypt = root == "sc:";
    REQUIRE(run({"copy", "src", root}).exit_code == 0);
    auto same = [&](std::vector<std::string> args) {
      ProcessResult local = run(args);
      for (std::string& a : args) {
        if (a == "src") a = root;
        if (a == "src/d.txt") a = root + (crypt ? "d.txt" : "/d.txt");
      }
      ProcessResult remote = run(args);
      INFO("local: ", local.out, local.err);
      INFO("remote: ", remote.out, remote.err);
      CHECK(remote.exit_code == local.exit_code);
      CHECK(SortedLines(remote.out) == SortedLines(local.out));
    };
    // Hashes the remote keeps: S3's md5; the rest is refused without --download.
    if (!crypt) same({"md5sum", "src"});
    for (const char* hash : crypt ? std::vector<const char*>{"md5", "sha1", "sha256"}
                                  : std::vector<const char*>{"sha1", "sha256"}) {
      ProcessResult r = run({"hashsum", hash, root});
      CHECK(r.exit_code == 1);
      CHECK(Contains(r.err, "hash type not supported"));
      same({"hashsum", hash, "src", "--download"});
    }
    same({"lsf", "src", "-R", "--format", "pst", "--files-only"});
    same({"lsf", "src", "-R", "--format", "ps", "--absolute", "--dir-slash=false"});
    {
      // The same, but for the tier S3 keeps each object in (rclone: "STANDARD" when the server
      // names no class; crypt passes on its inner object's), which a local folder has not.
      ProcessResult local = run({"lsjson", "src", "-R", "--files-only", "--no-mimetype"});
      ProcessResult remote = run({"lsjson", root, "-R", "--files-only", "--no-mimetype"});
      CHECK(remote.exit_code == 0);
      std::vector<std::string> lines = SortedLines(remote.out);
      for (std::string& line : lines) {
        const std::string tier = R"(,"Tier":"STANDARD"})";
        CHECK_MESSAGE(line.ends_with(tier), line);
        if (line.ends_with(tier)) line.replace(line.size() - tier.size(), tier.size(), "}");
      }
      CHECK(lines == SortedLines(local.out));
      ProcessResult tiers = run({"lsf", root, "-R", "--format", "pT", "--files-only"});
      CHECK(SortedLines(tiers.out) ==
            std::vector<std::string>{"a/b/two.txt;STANDARD", "a/one.txt;STANDARD",
                                     "a/with, comma.txt;STANDARD", "d.txt;STANDARD",
                                     "empty.txt;STANDARD", "h.txt;STANDARD"});
    }
    same({"size", "src", "--json"});
    same({"cat", "src/d.txt", "--tail", "4"});
    same({"cat", "src/d.txt", "--offset", "-6", "--count", "3"});
    same({"cat", "src/d.txt", "--head", "2"});
    // lsjson --hash: md5 only on S3, nothing on crypt.
    ProcessResult r = run({"lsjson", root + (crypt ? "h.txt" : "/h.txt"), "--hash"});
    CHECK(r.exit_code == 0);
    if (crypt) {
      CHECK(!Contains(r.out, "Hashes"));
    } else {
      CHECK(Contains(r.out, R"("Hashes":{"md5":"b1946ac92492d2347c6235b4d2611184"},"Tier":"STANDARD"})"));
    }
    // check's report against the local source, with one file changed on the remote.
    REQUIRE(test::WriteFile(dir.Path("other.txt"), "other"));
    REQUIRE(run({"copyto", "other.txt", root + (crypt ? "h.txt" : "/h.txt")}).exit_code == 0);
    for (const char* mode : {"--download", "--one-way"}) {
      r = run({"check", "src", root, "--combined", "-", mode});
      CHECK(r.exit_code == 1);
      CHECK(SortedLines(r.out) == std::vector<std::string>{"* h.txt", "= a/b/two.txt",
                                                           "= a/one.txt", "= a/with, comma.txt",
                                                           "= d.txt", "= empty.txt"});
    }
  }
}

}  // namespace
}  // namespace cvclone
