#include "core/engine/accounting.hpp"

#include <doctest/doctest.h>

#include "core/log.hpp"

namespace cvclone {
namespace {

TEST_CASE("accounting: counters and summary") {
  Accounting acct;
  acct.AddExpected(2048);
  acct.AddExpected(1024);
  acct.AddBytes(3072);
  acct.FileTransferred();
  acct.FileTransferred();
  acct.AddCheck();
  acct.AddDelete();
  CHECK(acct.bytes() == 3072);
  CHECK(acct.total_bytes() == 3072);
  CHECK(acct.transfers() == 2);
  CHECK(acct.total_transfers() == 2);
  std::string text = acct.SummaryText();
  CHECK(text.find("3.000 KiB / 3.000 KiB, 100%") != std::string::npos);
  CHECK(text.find("Checks:") != std::string::npos);
  CHECK(text.find("Deleted:") != std::string::npos);
  CHECK(text.find("2 / 2, 100%") != std::string::npos);
  CHECK(text.find("Errors:") == std::string::npos);
  acct.AddError();
  CHECK(acct.SummaryText().find("Errors:") != std::string::npos);
}

TEST_CASE("accounting: a failed file leaves the total, retried bytes are taken back") {
  Accounting acct;
  acct.AddExpected(100);
  acct.AddBytes(60);
  acct.RemoveBytes(60);
  acct.FileFailed();
  CHECK(acct.bytes() == 0);
  CHECK(acct.total_transfers() == 0);
}

TEST_CASE("accounting: byte and duration formats") {
  CHECK(FormatBytes(0) == "0 B");
  CHECK(FormatBytes(1023) == "1023 B");
  CHECK(FormatBytes(1536) == "1.500 KiB");
  CHECK(FormatBytes(1024.0 * 1024 * 1024) == "1.000 GiB");
  CHECK(FormatDuration(std::chrono::duration<double>(2.94)) == "2.9s");
  CHECK(FormatDuration(std::chrono::duration<double>(62)) == "1m2.0s");
  CHECK(FormatDuration(std::chrono::duration<double>(3723)) == "1h2m3s");
}

TEST_CASE("accounting: progress starts and stops cleanly, one owner at a time") {
  Accounting a, b;
  a.StartProgress();
  b.StartProgress();  // ignored while a shows progress
  a.AddBytes(10);
  log::Write(log::Level::kNotice, "a log line while progress is shown");
  CHECK(a.ProgressLine().find("Transferred:") == 0);
  a.StopProgress();
  b.StopProgress();
  b.StartProgress();  // now b may
  b.StopProgress();
  CHECK(a.bytes() == 10);
}

}  // namespace
}  // namespace cvclone
