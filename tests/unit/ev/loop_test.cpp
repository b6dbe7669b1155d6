#include "sipwake/ev/line_reader.hpp"
#include "sipwake/ev/loop.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>

namespace sipwake::ev {
namespace {

TEST(Timer, FiresOnceAfterItsDelayAndCanBeRearmed) {
  Loop loop;
  int fired = 0;
  Timer t(loop, [&] {
    if (++fired < 3) t.arm(Duration{5});
  });
  TimePoint start = loop.now();
  t.arm(Duration{10});
  loop.run();
  EXPECT_EQ(fired, 3);
  EXPECT_GE((loop.now() - start).count(), 20);
  EXPECT_FALSE(t.armed());
}

TEST(Timer, CancelledTimerNeverFires) {
  Loop loop;
  bool fired = false;
  Timer t(loop, [&] { fired = true; });
  Timer stop(loop, [&] { loop.stop(); });
  t.arm(Duration{10});
  t.cancel();
  stop.arm(Duration{30});
  loop.run();
  EXPECT_FALSE(fired);
}

TEST(SignalWatch, DeliversTheSignalOnTheLoop) {
  Loop loop;
  bool got = false;
  SignalWatch w(loop, SIGUSR1, [&] {
    got = true;
    loop.stop();
  });
  Timer raise_it(loop, [] { ::raise(SIGUSR1); });
  Timer watchdog(loop, [&] { loop.stop(); });
  raise_it.arm(Duration{1});
  watchdog.arm(Duration{2000});
  loop.run();
  EXPECT_TRUE(got);
}

TEST(LineReader, SplitsLinesStripsCrAndReportsEofWithTheLastPartialLine) {
  Loop loop;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::vector<std::string> lines;
  bool eof = false;
  LineReader r(loop, fds[0],
               {[&](std::string_view l) { lines.emplace_back(l); }, nullptr, [&] {
                  eof = true;
                  loop.stop();
                }});
  static constexpr char k_data[] = "reregister\r\n{\"op\":\"status\"}\nlast";
  ASSERT_EQ(::write(fds[1], k_data, sizeof k_data - 1), static_cast<ssize_t>(sizeof k_data - 1));
  ::close(fds[1]);
  Timer watchdog(loop, [&] { loop.stop(); });
  watchdog.arm(Duration{2000});
  loop.run();
  ::close(fds[0]);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "reregister");
  EXPECT_EQ(lines[2], "last");
  EXPECT_TRUE(eof);
}

TEST(LineReader, OversizedLineIsReportedAndSkippedNotDelivered) {
  Loop loop;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::vector<std::string> lines;
  int overflows = 0;
  LineReader r(loop, fds[0], {[&](std::string_view l) { lines.emplace_back(l); }, [&] { ++overflows; }, [&] { loop.stop(); }},
               16);
  std::vector<char> data(100, 'x');
  for (char c : std::string_view("\nok\n")) data.push_back(c);
  ASSERT_EQ(::write(fds[1], data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ::close(fds[1]);
  Timer watchdog(loop, [&] { loop.stop(); });
  watchdog.arm(Duration{2000});
  loop.run();
  ::close(fds[0]);
  EXPECT_EQ(overflows, 1);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "ok");
}

}  // namespace
}  // namespace sipwake::ev

namespace sipwake::ev {
namespace {

TEST(LineReader, RegularFileIsReadToTheEndInsteadOfRefusedByEpoll) {
  Loop loop;
  char path[] = "/tmp/sipwake-lines-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  static constexpr char k_text[] = "reregister\n{\"op\":\"status\"}\n";
  ASSERT_EQ(::write(fd, k_text, sizeof k_text - 1), static_cast<ssize_t>(sizeof k_text - 1));
  ::lseek(fd, 0, SEEK_SET);
  std::vector<std::string> lines;
  bool eof = false;
  LineReader r(loop, fd, {[&](std::string_view l) { lines.emplace_back(l); }, nullptr, [&] {
                            eof = true;
                            loop.stop();
                          }});
  Timer watchdog(loop, [&] { loop.stop(); });
  watchdog.arm(Duration{2000});
  loop.run();
  ::close(fd);
  ::unlink(path);
  EXPECT_EQ(lines.size(), 2u);
  EXPECT_TRUE(eof);
}

}  // namespace
}  // namespace sipwake::ev
