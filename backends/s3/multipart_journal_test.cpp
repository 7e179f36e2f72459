// Tests of the journal of unfinished multipart uploads: the record format, atomic records in a
// private folder, lookups by key and bucket, and which uploads a process may take over.
#include "backends/s3/multipart_journal.hpp"

#include <dirent.h>
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

namespace cvclone::s3 {
namespace {

class TempFolder {
 public:
  TempFolder() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "journal-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempFolder() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::set<std::string> Names(const std::string& folder) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(folder)) {
    out.insert(e.path().filename().string());
  }
  return out;
}

JournalEntry Entry(const std::string& key, const std::string& id, int64_t started_s) {
  return JournalEntry{.endpoint = "http://127.0.0.1:7480",
                      .bucket = "b",
                      .key = key,
                      .upload_id = id,
                      .part_size = 5 << 20,
                      .headers_digest = "abc",
                      .started = TimePoint(std::chrono::seconds(started_s))};
}

// A PID no process has: a child that has exited and been reaped.
pid_t GonePid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  REQUIRE(pid > 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return pid;
}

TEST_CASE("upload journal: a record keeps odd keys exactly, malformed records are refused") {
  JournalEntry e = Entry("dir/a b%20\nc\t\xc3\xa9.bin", "2~id with space", 1700000000);
  e.host = "h";
  e.pid = 42;
  const std::string text = FormatJournalEntry(e);
  CHECK(text.find('\t') == std::string::npos);
  auto back = ParseJournalEntry(text);
  REQUIRE_MESSAGE(back.has_value(), back.error().message());
  CHECK(back->key == e.key);
  CHECK(back->upload_id == e.upload_id);
  CHECK(back->endpoint == e.endpoint);
  CHECK(back->part_size == e.part_size);
  CHECK(back->headers_digest == "abc");
  CHECK(back->started == e.started);
  CHECK(back->pid == 42);
  for (const std::string& bad :
       {std::string(), std::string("hello\n"), text.substr(0, text.size() - 1), text + "key x\n",
        text.substr(0, text.find("pid"))}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseJournalEntry(bad).has_value());
  }
}

TEST_CASE("upload journal: records are written atomically in a private folder, found by key") {
  TempFolder tmp;
  const std::string folder = tmp.path() + "/state/uploads";
  UploadJournal journal(folder);
  REQUIRE(journal.enabled());
  REQUIRE(journal.Add(Entry("k", "old", 100)).has_value());
  REQUIRE(journal.Add(Entry("k", "new", 200)).has_value());
  REQUIRE(journal.Add(Entry("other", "x", 300)).has_value());
  JournalEntry with_user = Entry("k", "u", 50);
  with_user.endpoint = "http://user:secret@127.0.0.1:7480";
  REQUIRE(journal.Add(with_user).has_value());

  struct stat st {};
  REQUIRE(::stat(folder.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(::stat((tmp.path() + "/state").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  const std::set<std::string> names = Names(folder);
  CHECK(names.size() == 4);  // no temporary left
  for (const std::string& n : names) CHECK(n.front() != '.');
  for (const std::string& n : names) {
    std::ifstream in(folder + "/" + n);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text.find("secret") == std::string::npos);
  }

  const std::vector<JournalEntry> found = journal.Find("http://127.0.0.1:7480", "b", "k");
  REQUIRE(found.size() == 3);
  CHECK(found[0].upload_id == "new");  // newest first
  CHECK(found[1].upload_id == "old");
  CHECK(found[2].upload_id == "u");
  CHECK(found[0].pid == ::getpid());
  CHECK(journal.Find("http://127.0.0.1:7481", "b", "k").empty());
  CHECK(journal.Find("http://127.0.0.1:7480", "c", "k").empty());
  CHECK(journal.FindBucket("http://127.0.0.1:7480", "b").size() == 4);

  // A foreign or broken file in the folder is skipped.
  {
    std::ofstream junk(folder + "/" + *names.begin() + "x");
    junk << "not a record\n";
  }
  CHECK(journal.Find("http://127.0.0.1:7480", "b", "k").size() == 3);

  REQUIRE(journal.Remove("http://127.0.0.1:7480", "b", "k", "old").has_value());
  REQUIRE(journal.Remove("http://127.0.0.1:7480", "b", "k", "old").has_value());  // gone: Ok
  CHECK(journal.Find("http://127.0.0.1:7480", "b", "k").size() == 2);
}

TEST_CASE("upload journal: without a usable folder nothing is recorded and nothing fails") {
  for (const std::string& folder : {std::string(), std::string("relative/uploads")}) {
    UploadJournal journal(folder);
    CHECK_FALSE(journal.enabled());
    CHECK(journal.Add(Entry("k", "id", 1)).has_value());
    CHECK(journal.Find("http://127.0.0.1:7480", "b", "k").empty());
  }
  CHECK_FALSE(std::filesystem::exists("relative"));
}

TEST_CASE("upload journal: only uploads no running process of this host sends can be claimed") {
  JournalEntry e = Entry("k", "claim-test-1", 1);
  char host[256] = {};
  REQUIRE(::gethostname(host, sizeof host - 1) == 0);
  e.host = host;

  e.pid = GonePid();  // the process that started it is gone
  CHECK_FALSE(UploadJournal::InUse(e));
  REQUIRE(UploadJournal::Claim(e));
  CHECK_FALSE(UploadJournal::Claim(e));  // now this process holds it
  UploadJournal::Release(e.upload_id);
  CHECK(UploadJournal::Claim(e));
  UploadJournal::Release(e.upload_id);

  e.pid = ::getppid();  // running
  CHECK(UploadJournal::InUse(e));
  CHECK_FALSE(UploadJournal::Claim(e));

  e.pid = ::getpid();  // this process: in use only while held
  CHECK_FALSE(UploadJournal::InUse(e));
  UploadJournal::Hold(e.upload_id);
  CHECK(UploadJournal::InUse(e));
  UploadJournal::Release(e.upload_id);

  e.host = std::string(host) + "-elsewhere";  // another host's: never ours to decide
  e.pid = GonePid();
  CHECK(UploadJournal::InUse(e));
}

TEST_CASE("upload journal: header digests ignore order and name case, not values") {
  const std::vector<std::pair<std::string, std::string>> a = {{"Content-Type", "x"},
                                                              {"x-amz-meta-mtime", "1"}};
  const std::vector<std::pair<std::string, std::string>> b = {{"x-amz-meta-mtime", "1"},
                                                              {"content-type", "x"}};
  const std::vector<std::pair<std::string, std::string>> c = {{"Content-Type", "x"},
                                                              {"x-amz-meta-mtime", "2"}};
  CHECK(HeadersDigest(a) == HeadersDigest(b));
  CHECK(HeadersDigest(a) != HeadersDigest(c));
  CHECK(HeadersDigest(a).size() == 64);
}

}  // namespace
}  // namespace cvclone::s3
