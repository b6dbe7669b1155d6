#include "transports.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "sipwake/net/line_server.hpp"

using namespace sipwake;
using namespace sipwake::worsend;

namespace {

// A stand-in for natkeep serve's control socket: records requests, answers per `answer`.
struct FakeNatkeep {
  std::vector<nlohmann::json> requests;
  std::function<std::optional<nlohmann::json>(const nlohmann::json&)> answer;
  std::unique_ptr<net::LineServer> server;
  std::string path;

  explicit FakeNatkeep(ev::Loop& loop) {
    path = "/tmp/worsend-fake-natkeep-" + std::to_string(::getpid()) + ".sock";
    auto ep = net::Endpoint::parse("unix:" + path);
    auto s = net::LineServer::listen(loop, *ep, [this](std::string_view line, std::shared_ptr<net::ReplyChannel> ch) {
      auto j = nlohmann::json::parse(line);
      requests.push_back(j);
      if (auto r = answer(j)) ch->send_line(r->dump());
    });
    EXPECT_TRUE(s.ok());
    server = std::move(*s);
  }
};

AttemptInfo udp_attempt(const std::string& target, Duration timeout = Duration{1000}) {
  AttemptInfo a;
  a.job = 7;
  a.attempt = 1;
  a.device = "rabbit";
  a.call_id = "call-1";
  a.caller = "sip:shark@x";
  a.transport.kind = TransportKind::udp;
  a.transport.target = target;
  a.transport.natkeep_device = "phone-1";
  a.transport.timeout = timeout;
  return a;
}

struct Rig {
  ev::Loop loop;
  std::vector<std::tuple<JobId, unsigned, AttemptResult>> results;
  std::unique_ptr<Transports> t;
  Rig() {
    auto http = http::Client::create(loop);
    t = std::make_unique<Transports>(loop, std::move(*http), [this](JobId j, unsigned a, const AttemptResult& r) {
      results.emplace_back(j, a, r);
      loop.stop();
    });
  }
  void run_for(Duration d) {
    ev::Timer guard(loop, [this] { loop.stop(); });
    guard.arm(d);
    loop.run();
  }
};

}  // namespace

TEST(Transports, UdpAsksNatkeepForTheMappedDeviceAndReportsItsAck) {
  Rig r;
  FakeNatkeep nk(r.loop);
  nk.answer = [](const nlohmann::json& j) { return nlohmann::json{{"id", j["id"]}, {"ok", true}, {"rtt_ms", 3}}; };
  r.t->start(udp_attempt("unix:" + nk.path, Duration{1500}));
  r.run_for(Duration{3000});
  ASSERT_EQ(nk.requests.size(), 1u);
  const auto& q = nk.requests[0];
  EXPECT_EQ(q["op"], "wake");
  EXPECT_EQ(q["device"], "phone-1");
  EXPECT_EQ(q["timeout_ms"], 1500);
  EXPECT_EQ(q["payload"]["call_id"], "call-1");
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(std::get<0>(r.results[0]), 7u);
  EXPECT_TRUE(std::get<2>(r.results[0]).ok);
  EXPECT_EQ(r.t->active(), 0u);
}

TEST(Transports, UdpErrorsCarryNatkeepsReason) {
  Rig r;
  FakeNatkeep nk(r.loop);
  nk.answer = [](const nlohmann::json& j) { return nlohmann::json{{"id", j["id"]}, {"ok", false}, {"error", "no binding"}}; };
  r.t->start(udp_attempt("unix:" + nk.path));
  r.run_for(Duration{3000});
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_FALSE(std::get<2>(r.results[0]).ok);
  EXPECT_EQ(std::get<2>(r.results[0]).error, "natkeep: no binding");
}

TEST(Transports, UdpWithoutNatkeepFailsThroughTheLoop) {
  Rig r;
  r.t->start(udp_attempt("unix:/nonexistent/natkeep.sock"));
  EXPECT_TRUE(r.results.empty());  // never from inside start()
  r.run_for(Duration{3000});
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_FALSE(std::get<2>(r.results[0]).ok);
  EXPECT_NE(std::get<2>(r.results[0]).error.find("natkeep"), std::string::npos);
}

TEST(Transports, SilentNatkeepIsBoundedByTheGuard) {
  Rig r;
  FakeNatkeep nk(r.loop);
  nk.answer = [](const nlohmann::json&) { return std::nullopt; };
  r.t->start(udp_attempt("unix:" + nk.path, Duration{100}));
  r.run_for(Duration{5000});
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_NE(std::get<2>(r.results[0]).error.find("no answer"), std::string::npos);
}

TEST(Transports, AbortedAttemptNeverReports) {
  Rig r;
  FakeNatkeep nk(r.loop);
  nk.answer = [](const nlohmann::json& j) { return nlohmann::json{{"id", j["id"]}, {"ok", true}}; };
  r.t->start(udp_attempt("unix:" + nk.path));
  r.t->abort(7, 1);
  r.run_for(Duration{300});
  EXPECT_TRUE(r.results.empty());
  EXPECT_EQ(r.t->active(), 0u);
}

TEST(Transports, ExecGetsThePayloadAndExitStatusDecides) {
  Rig r;
  AttemptInfo a = udp_attempt("");
  a.transport.kind = TransportKind::exec;
  a.transport.target = "read line; case \"$line\" in *'\"call_id\":\"call-1\"'*) [ \"$WORSEND_DEVICE\" = rabbit ];; *) exit 9;; esac";
  r.t->start(a);
  r.run_for(Duration{5000});
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_TRUE(std::get<2>(r.results[0]).ok) << std::get<2>(r.results[0]).error;
}
