#include "coordinator.hpp"

#include <gtest/gtest.h>

#include <map>

using namespace sipwake;
using namespace sipwake::worsend;

namespace {

Transport tr(TransportKind k, std::string target, Duration timeout = Duration{1000}) {
  Transport t;
  t.kind = k;
  t.target = std::move(target);
  t.timeout = timeout;
  return t;
}

Request wake_req(nlohmann::json id, std::string device, std::string caller = "sip:shark@example.net",
                 std::string call_id = "", Duration deadline = Duration{0}) {
  Request r;
  r.op = Request::Op::wake;
  r.id = std::move(id);
  r.device = std::move(device);
  r.caller = std::move(caller);
  r.call_id = std::move(call_id);
  r.deadline = deadline;
  return r;
}

// Drives a Coordinator with a ManualClock and collects what it asks for.
struct Harness {
  ManualClock clock;
  std::map<std::string, Device> devices;
  CoordinatorConfig cfg;
  std::unique_ptr<Coordinator> c;
  std::vector<Action> replies, starts, aborts, records;

  explicit Harness(CoordinatorConfig config = {}) : cfg(config) {
    Device rabbit;
    rabbit.id = "rabbit";
    rabbit.transports = {tr(TransportKind::udp, "unix:/run/natkeep.sock"), tr(TransportKind::http, "https://push.example/x"),
                         tr(TransportKind::exec, "/usr/local/bin/sms")};
    devices["rabbit"] = rabbit;
    Device dog;
    dog.id = "dog";
    dog.transports = {tr(TransportKind::http, "http://127.0.0.1/dog")};
    devices["dog"] = dog;
    c = std::make_unique<Coordinator>(clock, cfg, [this](const std::string& id) -> std::optional<Device> {
      auto it = devices.find(id);
      if (it == devices.end()) return std::nullopt;
      return it->second;
    });
  }
  void take(std::vector<Action> v) {
    for (auto& a : v) {
      switch (a.kind) {
        case Action::Kind::reply: replies.push_back(a); break;
        case Action::Kind::start: starts.push_back(a); break;
        case Action::Kind::abort: aborts.push_back(a); break;
        case Action::Kind::record: records.push_back(a); break;
      }
    }
  }
  void wake(WaiterId w, Request r) { take(c->wake(w, r)); }
  void result(const Action& start, bool ok, std::string error = "", std::optional<Duration> retry_after = std::nullopt) {
    take(c->attempt_done(start.attempt.job, start.attempt.attempt, AttemptResult{ok, std::move(error), retry_after}));
  }
  void advance(Duration d) {
    clock.advance(d);
    take(c->tick());
  }
  const Action* reply_for(WaiterId w) const {
    for (const auto& r : replies) {
      if (r.waiter == w) return &r;
    }
    return nullptr;
  }
  std::size_t count_records(const std::string& event) const {
    std::size_t n = 0;
    for (const auto& r : records) n += r.event == event;
    return n;
  }
};

}  // namespace

TEST(Coordinator, FirstTransportConfirmedRepliesOkViaIt) {
  Harness h;
  h.wake(1, wake_req("a", "rabbit", "sip:shark@x", "call-1"));
  ASSERT_EQ(h.starts.size(), 1u);
  EXPECT_EQ(h.starts[0].attempt.transport.kind, TransportKind::udp);
  EXPECT_EQ(h.starts[0].attempt.call_id, "call-1");
  h.clock.advance(Duration{12});
  h.result(h.starts[0], true);
  const Action* r = h.reply_for(1);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->body["ok"], true);
  EXPECT_EQ(r->body["via"], "udp");
  EXPECT_EQ(r->body["latency_ms"], 12);
  EXPECT_EQ(r->body["id"], "a");
  EXPECT_EQ(h.c->jobs(), 0u);
  EXPECT_EQ(h.count_records("wake.ok"), 1u);
}

TEST(Coordinator, FallsBackInTheDevicesOrder) {
  Harness h;
  h.wake(1, wake_req("a", "rabbit"));
  h.result(h.starts[0], false, "natkeep: no binding");
  ASSERT_EQ(h.starts.size(), 2u);
  EXPECT_EQ(h.starts[1].attempt.transport.kind, TransportKind::http);
  h.result(h.starts[1], false, "HTTP 500");
  ASSERT_EQ(h.starts.size(), 3u);
  EXPECT_EQ(h.starts[2].attempt.transport.kind, TransportKind::exec);
  h.result(h.starts[2], true);
  EXPECT_EQ(h.reply_for(1)->body["via"], "exec");
  EXPECT_EQ(h.reply_for(1)->body["attempts"], 3);
}

TEST(Coordinator, ConcurrentRequestsForOneDeviceShareOneSignal) {
  Harness h;
  for (WaiterId w = 1; w <= 10; ++w) {
    h.wake(w, wake_req(nlohmann::json(w), "rabbit", "sip:caller" + std::to_string(w) + "@x", "call-" + std::to_string(w)));
  }
  EXPECT_EQ(h.starts.size(), 1u);
  EXPECT_EQ(h.c->waiters(), 10u);
  EXPECT_EQ(h.count_records("wake.coalesced"), 9u);
  h.result(h.starts[0], true);
  ASSERT_EQ(h.replies.size(), 10u);
  for (const auto& r : h.replies) {
    EXPECT_EQ(r.body["ok"], true);
    EXPECT_EQ(r.body["job"], h.starts[0].attempt.job);
  }
}

TEST(Coordinator, DeviceRateLimitDeniesWithLimitAndReason) {
  CoordinatorConfig cfg;
  cfg.device_rate = RateLimit{2, Duration{60'000}};
  Harness h(cfg);
  for (WaiterId w = 1; w <= 2; ++w) {
    h.wake(w, wake_req(w, "dog"));
    h.result(h.starts.back(), true);
  }
  h.wake(3, wake_req(3, "dog"));
  const Action* r = h.reply_for(3);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->body["ok"], false);
  EXPECT_EQ(r->body["error"], "denied: rate limit");
  EXPECT_EQ(r->body["limit"]["scope"], "device");
  EXPECT_EQ(r->body["limit"]["count"], 2);
  EXPECT_EQ(r->body["limit"]["window_s"], 60);
  EXPECT_NE(r->body["reason"].get<std::string>().find("dog"), std::string::npos);
  EXPECT_GT(r->body["retry_after_ms"].get<long long>(), 0);
  EXPECT_EQ(h.starts.size(), 2u);
  // The window slides: a minute later the device may be woken again.
  h.clock.advance(Duration{60'001});
  h.wake(4, wake_req(4, "dog"));
  EXPECT_EQ(h.starts.size(), 3u);
}

TEST(Coordinator, PerDeviceRateOverridesTheDefault) {
  Harness h;
  h.devices["dog"].rate = RateLimit{1, Duration{3600'000}};
  h.wake(1, wake_req(1, "dog"));
  h.result(h.starts.back(), true);
  h.wake(2, wake_req(2, "dog"));
  EXPECT_EQ(h.reply_for(2)->body["limit"]["count"], 1);
}

TEST(Coordinator, CallerRateLimitCountsEveryRequestEvenCoalesced) {
  CoordinatorConfig cfg;
  cfg.caller_rate = RateLimit{3, Duration{10'000}};
  Harness h(cfg);
  for (WaiterId w = 1; w <= 4; ++w) h.wake(w, wake_req(w, "rabbit", "sip:tiger@x"));
  const Action* r = h.reply_for(4);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->body["error"], "denied: rate limit");
  EXPECT_EQ(r->body["limit"]["scope"], "caller");
  EXPECT_EQ(h.c->waiters(), 3u);
  // Another caller is not affected.
  h.wake(5, wake_req(5, "rabbit", "sip:dog@x"));
  EXPECT_EQ(h.reply_for(5), nullptr);
}

TEST(Coordinator, DeadlineExpiryFailsTheWaiterAndLateConfirmationIsOnlyLogged) {
  Harness h;
  h.devices["rabbit"].transports = {tr(TransportKind::http, "http://x/", Duration{10'000})};
  h.wake(1, wake_req(1, "rabbit", "", "c1", Duration{2000}));
  ASSERT_EQ(h.c->next_wakeup(), h.clock.now() + Duration{2000});
  h.advance(Duration{1999});
  EXPECT_EQ(h.reply_for(1), nullptr);
  h.advance(Duration{1});
  const Action* r = h.reply_for(1);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->body["ok"], false);
  EXPECT_NE(r->body["error"].get<std::string>().find("deadline exceeded"), std::string::npos);
  EXPECT_EQ(h.c->jobs(), 0u);
  EXPECT_EQ(h.c->late_watches(), 1u);
  h.advance(Duration{500});
  h.result(h.starts[0], true);  // the device answered after all
  EXPECT_EQ(h.replies.size(), 1u);  // nobody is told it succeeded
  EXPECT_EQ(h.count_records("wake.late"), 1u);
  EXPECT_EQ(h.c->counters().late, 1u);
  EXPECT_EQ(h.c->late_watches(), 0u);
}

TEST(Coordinator, RetriesWithBackoffWithinTheDeadline) {
  CoordinatorConfig cfg;
  cfg.backoff = Backoff::Params{Duration{400}, Duration{400}, 0.0};
  cfg.max_rounds = 3;
  Harness h(cfg);
  h.wake(1, wake_req(1, "dog", "", "", Duration{5000}));
  h.result(h.starts[0], false, "HTTP 500");
  EXPECT_EQ(h.starts.size(), 1u);
  EXPECT_EQ(h.count_records("wake.retry"), 1u);
  h.advance(Duration{399});
  EXPECT_EQ(h.starts.size(), 1u);
  h.advance(Duration{1});
  ASSERT_EQ(h.starts.size(), 2u);
  h.result(h.starts[1], false, "HTTP 500");
  h.advance(Duration{400});
  ASSERT_EQ(h.starts.size(), 3u);
  h.result(h.starts[2], false, "HTTP 500");
  ASSERT_NE(h.reply_for(1), nullptr);
  EXPECT_NE(h.reply_for(1)->body["error"].get<std::string>().find("all transports failed 3 times"), std::string::npos);
  EXPECT_EQ(h.c->jobs(), 0u);
}

TEST(Coordinator, RetryAfterFromThePeerIsHonoured) {
  CoordinatorConfig cfg;
  cfg.backoff = Backoff::Params{Duration{100}, Duration{100}, 0.0};
  Harness h(cfg);
  h.wake(1, wake_req(1, "dog", "", "", Duration{20'000}));
  h.result(h.starts[0], false, "HTTP 503", Duration{3000});
  h.advance(Duration{2000});
  EXPECT_EQ(h.starts.size(), 1u);
  h.advance(Duration{1500});
  EXPECT_EQ(h.starts.size(), 2u);
}

TEST(Coordinator, NoRetryWhenTheDeadlineLeavesNoTime) {
  CoordinatorConfig cfg;
  cfg.backoff = Backoff::Params{Duration{5000}, Duration{5000}, 0.0};
  Harness h(cfg);
  h.wake(1, wake_req(1, "dog", "", "", Duration{1000}));
  h.result(h.starts[0], false, "HTTP 500");
  ASSERT_NE(h.reply_for(1), nullptr);
  EXPECT_NE(h.reply_for(1)->body["error"].get<std::string>().find("no time left"), std::string::npos);
}

TEST(Coordinator, UnknownDeviceIsAnErrorReply) {
  Harness h;
  h.wake(1, wake_req(1, "nobody"));
  ASSERT_NE(h.reply_for(1), nullptr);
  EXPECT_EQ(h.reply_for(1)->body["error"], "unknown device");
  EXPECT_TRUE(h.starts.empty());
}

TEST(Coordinator, CancelByCallIdAbortsWhenNobodyIsLeft) {
  Harness h;
  h.wake(1, wake_req(1, "rabbit", "a", "call-A"));
  h.wake(2, wake_req(2, "rabbit", "b", "call-B"));
  Request c;
  c.op = Request::Op::cancel;
  c.id = "x1";
  c.call_id = "call-A";
  h.take(h.c->cancel(10, c));
  EXPECT_EQ(h.reply_for(1)->body["error"], "cancelled");
  EXPECT_EQ(h.reply_for(10)->body["cancelled"], 1);
  EXPECT_TRUE(h.aborts.empty());
  c.call_id = "call-B";
  h.take(h.c->cancel(11, c));
  ASSERT_EQ(h.aborts.size(), 1u);
  EXPECT_EQ(h.aborts[0].attempt.job, h.starts[0].attempt.job);
  EXPECT_EQ(h.c->jobs(), 0u);
  h.result(h.starts[0], true);  // a stale result changes nothing
  EXPECT_EQ(h.replies.size(), 4u);
}

TEST(Coordinator, CancelNamingADeviceLeavesOtherDevicesAlone) {
  Harness h;
  h.wake(1, wake_req(1, "rabbit", "a", "same-call"));
  h.wake(2, wake_req(2, "dog", "a", "same-call"));
  Request c;
  c.op = Request::Op::cancel;
  c.id = "x";
  c.call_id = "same-call";
  c.device = "dog";
  h.take(h.c->cancel(10, c));
  EXPECT_EQ(h.reply_for(2)->body["error"], "cancelled");
  EXPECT_EQ(h.reply_for(1), nullptr);
  EXPECT_EQ(h.c->jobs(), 1u);
}

TEST(Coordinator, ShutdownAnswersEveryoneAndAborts) {
  Harness h;
  h.wake(1, wake_req(1, "rabbit"));
  h.wake(2, wake_req(2, "dog"));
  h.take(h.c->shutdown());
  EXPECT_EQ(h.reply_for(1)->body["error"], "failed: shutting down");
  EXPECT_EQ(h.reply_for(2)->body["error"], "failed: shutting down");
  EXPECT_EQ(h.aborts.size(), 2u);
  EXPECT_EQ(h.c->jobs(), 0u);
}

TEST(Coordinator, LaterWaiterExtendsTheJobBeyondTheFirstDeadline) {
  Harness h;
  h.devices["rabbit"].transports = {tr(TransportKind::udp, "unix:/x", Duration{30'000})};
  h.wake(1, wake_req(1, "rabbit", "a", "", Duration{1000}));
  h.wake(2, wake_req(2, "rabbit", "b", "", Duration{5000}));
  h.advance(Duration{1000});
  ASSERT_NE(h.reply_for(1), nullptr);
  EXPECT_EQ(h.reply_for(2), nullptr);
  EXPECT_EQ(h.c->jobs(), 1u);
  h.result(h.starts[0], true);
  EXPECT_EQ(h.reply_for(2)->body["ok"], true);
}

TEST(Coordinator, StatusListsJobsInFlight) {
  Harness h;
  h.wake(1, wake_req(1, "rabbit"));
  Request s;
  s.op = Request::Op::status;
  s.id = "s";
  h.take(h.c->status(9, s));
  const Action* r = h.reply_for(9);
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->body["in_flight"].size(), 1u);
  EXPECT_EQ(r->body["in_flight"][0]["device"], "rabbit");
  EXPECT_EQ(r->body["counters"]["requests"], 1);
}
