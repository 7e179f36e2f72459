#include "core/engine/accounting.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <thread>

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
  // rclone's lines, exactly (the elapsed time aside).
  CHECK(text.rfind("Transferred:   \t        3 KiB / 3 KiB, 100%, ", 0) == 0);
  CHECK(text.find("\nChecks:                 1 / 1, 100%\n") != std::string::npos);
  CHECK(text.find("\nDeleted:                1 (files), 0 (dirs)\n") != std::string::npos);
  CHECK(text.find("\nTransferred:            2 / 2, 100%\nElapsed time:  ") != std::string::npos);
  CHECK(text.find("Errors:") == std::string::npos);
  acct.AddError();
  CHECK(acct.SummaryText().find("\nErrors:                 1 (retrying may help)\n") !=
        std::string::npos);
}

TEST_CASE("accounting: a failed file stays in the total, retried bytes are taken back") {
  Accounting acct;
  acct.AddExpected(100);
  acct.AddExpected(100);
  const int64_t id = acct.StartTransfer("f", 100);
  acct.TransferBytes(id, 60);
  CHECK(acct.ProgressText(80).find("Transferring:\n * ") != std::string::npos);
  acct.RestartTransfer(id);
  acct.EndTransfer(id);
  acct.FileFailed();
  acct.AddError(Error(ErrorCode::kInvalidArgument, "bad name"));
  acct.FileTransferred();
  CHECK(acct.bytes() == 0);
  CHECK(acct.total_transfers() == 2);
  const std::string text = acct.SummaryText();
  CHECK(text.find("\nTransferred:            1 / 2, 50%\n") != std::string::npos);
  CHECK(text.find("\nErrors:                 1 (no need to retry)\n") != std::string::npos);
  CHECK(acct.ProgressText(80).find("Transferring:") == std::string::npos);
}

TEST_CASE("accounting: -P lines fit the width, names give way first") {
  Accounting acct;
  acct.AddExpected(10 << 20);
  const std::string name = "a/very/long/folder/name/that/goes/on/and/on/" + std::string(80, 'x');
  const int64_t id = acct.StartTransfer(name, 10 << 20);
  acct.TransferBytes(id, 1 << 20);
  for (int width : {80, 40}) {
    const std::string text = acct.ProgressText(width);
    size_t start = 0;
    while (start <= text.size()) {
      size_t nl = text.find('\n', start);
      if (nl == std::string::npos) nl = text.size();
      const std::string line = text.substr(start, nl - start);
      size_t columns = 0;
      for (char c : line) columns += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
      CHECK_MESSAGE(columns < static_cast<size_t>(width), line);
      CHECK(line.find('\t') == std::string::npos);
      start = nl + 1;
    }
  }
  const std::string wide = acct.ProgressText(80);
  CHECK(wide.find("\u2026") != std::string::npos);  // the name, shortened in the middle
  CHECK(wide.find(": 10% /10Mi, ") != std::string::npos);
  acct.EndTransfer(id);
}

TEST_CASE("accounting: stats are logged every interval") {
  Accounting acct;
  // A log file is the only way to see lines from another thread here; it is read until the
  // periodic line is there (bounded), not slept on.
  char path[] = "/tmp/cvclone-stats-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  log::Destination dest;
  dest.file = path;
  REQUIRE(log::Configure(dest));
  acct.StartStatsLog(std::chrono::milliseconds(1), log::Level::kError, /*one_line=*/true);
  std::string seen;
  for (int i = 0; i < 100000 && seen.find("ERROR :           0 B / 0 B, -, ") == std::string::npos;
       ++i) {
    std::ifstream in(path);
    seen.assign(std::istreambuf_iterator<char>(in), {});
    std::this_thread::yield();
  }
  acct.StopStatsLog();
  REQUIRE(log::Configure(log::Destination{}));
  ::unlink(path);
  CHECK(seen.find("ERROR :           0 B / 0 B, -, ") != std::string::npos);
}

TEST_CASE("accounting: byte and duration formats") {
  CHECK(FormatBytes(0) == "0 B");
  CHECK(FormatBytes(1023) == "1023 B");
  CHECK(FormatBytes(1536) == "1.500 KiB");
  CHECK(FormatBytes(1024.0 * 1024 * 1024) == "1 GiB");  // rclone: whole numbers bare
  CHECK(FormatBytes(3000000) == "2.861 MiB");
  CHECK(FormatBytes(89.7) == "89 B");  // a rate: whole bytes, as rclone's
  // Counts as rclone 1.60's `size` shows them ("Total objects: 1.500k (1500)").
  CHECK(FormatCount(0) == "0");
  CHECK(FormatCount(999) == "999");
  CHECK(FormatCount(1000) == "1k");
  CHECK(FormatCount(1500) == "1.500k");
  CHECK(FormatCount(12345678) == "12.346M");
  CHECK(FormatDuration(std::chrono::duration<double>(2.94)) == "2.9s");
  CHECK(FormatDuration(std::chrono::duration<double>(62)) == "1m2.0s");
  CHECK(FormatDuration(std::chrono::duration<double>(3723)) == "1h2m3.0s");
  CHECK(FormatDuration(std::chrono::duration<double>(3603)) == "1h3.0s");
}

// rclone 1.60's speed: a moving average of each second's bytes over a window growing to 16 s.
TEST_CASE("accounting: the rate is rclone's moving average of the last seconds") {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  const auto t0 = std::chrono::steady_clock::time_point{} + seconds(100);
  MovingRate r(t0);
  CHECK(r.At(t0 + milliseconds(500), 50) == 0);  // no whole second yet
  CHECK(r.At(t0 + seconds(1), 100) == doctest::Approx(100));  // the first second alone
  CHECK(r.At(t0 + seconds(2), 100) == doctest::Approx(50));   // (0 + 100 * 1) / 2
  CHECK(r.At(t0 + seconds(3), 400) == doctest::Approx(133.33).epsilon(0.001));  // (300+50*2)/3
  // Seconds not sampled count at their mean rate: 13 s more at 1,000 B/s.
  const double later = r.At(t0 + seconds(16), 400 + 13000);
  CHECK(later > 800);
  CHECK(later < 1000);
  // A steady rate long enough shows as itself; a stall then brings it down second by second.
  MovingRate steady(t0);
  for (int i = 1; i <= 200; ++i) steady.At(t0 + seconds(i), int64_t{1000} * i);
  CHECK(steady.At(t0 + seconds(200), 200000) == doctest::Approx(1000).epsilon(0.01));
  CHECK(steady.At(t0 + seconds(201), 200000) == doctest::Approx(1000.0 * 15 / 16).epsilon(0.01));
  // A restart from 0 takes nothing back.
  CHECK(steady.At(t0 + seconds(202), 0) >= 0);
}

TEST_CASE("accounting: progress starts and stops cleanly, one owner at a time") {
  Accounting a, b;
  a.StartProgress();
  b.StartProgress();  // ignored while a shows progress
  a.AddBytes(10);
  log::Write(log::Level::kNotice, "a log line while progress is shown");
  CHECK(a.ProgressLine().find("         10 B / 10 B, 100%") == 0);
  a.StopProgress();
  b.StopProgress();
  b.StartProgress();  // now b may
  b.StopProgress();
  CHECK(a.bytes() == 10);
}

}  // namespace
}  // namespace cvclone
