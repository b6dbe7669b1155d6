#include "sipwake/proc/runner.hpp"

#include <gtest/gtest.h>

#include <csignal>

using namespace sipwake;

namespace {

std::optional<proc::Outcome> run_one(proc::Spec spec, Duration guard_after = Duration{5000}) {
  ev::Loop loop;
  proc::Runner runner(loop);
  std::optional<proc::Outcome> got;
  auto started = runner.start(std::move(spec), [&](const proc::Outcome& o) {
    got = o;
    loop.stop();
  });
  EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.message());
  ev::Timer guard(loop, [&] { loop.stop(); });
  guard.arm(guard_after);
  loop.run();
  return got;
}

}  // namespace

TEST(ProcRunner, PassesEnvironmentAndStdinAndCapturesOutput) {
  proc::Spec s;
  s.argv = {"/bin/sh", "-c", "echo \"dev=$WORSEND_DEVICE\"; cat; echo oops >&2; exit 0"};
  s.env = {{"WORSEND_DEVICE", "rabbit"}};
  s.stdin_data = R"({"op":"wake"})";
  auto o = run_one(s);
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->success());
  EXPECT_EQ(o->out, "dev=rabbit\n{\"op\":\"wake\"}");
  EXPECT_EQ(o->err, "oops\n");
}

TEST(ProcRunner, NonZeroExitIsDescribedWithFirstStderrLine) {
  proc::Spec s;
  s.argv = {"/bin/sh", "-c", "echo 'gateway down' >&2; echo more >&2; exit 3"};
  auto o = run_one(s);
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->success());
  EXPECT_EQ(o->exit_code, 3);
  EXPECT_EQ(o->describe(), "exit 3: gateway down");
}

TEST(ProcRunner, TimeoutSendsTermThenKillToTheWholeGroup) {
  proc::Spec s;
  // Ignores SIGTERM, so only the SIGKILL after the grace ends it.
  s.argv = {"/bin/sh", "-c", "trap '' TERM; sleep 30 & wait; sleep 30"};
  s.timeout = Duration{200};
  s.kill_grace = Duration{200};
  auto o = run_one(s);
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->timed_out);
  EXPECT_EQ(o->signal, SIGKILL);
  EXPECT_LT(o->elapsed.count(), 3000);
  EXPECT_NE(o->describe().find("timed out"), std::string::npos);
}

TEST(ProcRunner, OutputIsCapped) {
  proc::Spec s;
  s.argv = {"/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x"};
  s.max_output = 1000;
  auto o = run_one(s);
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->success());
  EXPECT_EQ(o->out.size(), 1000u);
  EXPECT_TRUE(o->truncated);
}

TEST(ProcRunner, MissingProgramFailsToStart) {
  ev::Loop loop;
  proc::Runner runner(loop);
  proc::Spec s;
  s.argv = {"/nonexistent/prog"};
  auto r = runner.start(s, [](const proc::Outcome&) {});
  EXPECT_FALSE(r.ok());
}

TEST(ProcRunner, CancelledChildIsReapedWithoutCallback) {
  ev::Loop loop;
  proc::Runner runner(loop);
  proc::Spec s;
  s.argv = {"/bin/sh", "-c", "sleep 30"};
  bool called = false;
  auto h = runner.start(s, [&](const proc::Outcome&) { called = true; });
  ASSERT_TRUE(h.ok());
  runner.cancel(*h);
  ev::Timer t(loop, [&] {
    if (runner.running() == 0) loop.stop();
    else t.arm(Duration{20});
  });
  t.arm(Duration{20});
  ev::Timer guard(loop, [&] { loop.stop(); });
  guard.arm(Duration{3000});
  loop.run();
  EXPECT_EQ(runner.running(), 0u);
  EXPECT_FALSE(called);
}
