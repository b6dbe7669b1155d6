#include "sipwake/reg/registration.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace sipwake::reg {
namespace {

Config alice() {
  Config c;
  c.registrar = *sip::Uri::parse("sip:192.0.2.10:5060");
  c.aor = *sip::Uri::parse("sip:alice@example.com");
  c.password = "secret";
  c.expires = 600;
  c.refresh_jitter = 0.0;  // deterministic refresh times
  return c;
}

const std::string k_local = "sip:alice@10.0.0.2:5062";

Response ok(std::uint32_t cseq, std::uint32_t expires, const std::string& contact = k_local) {
  Response r;
  r.status = 200;
  r.reason = "OK";
  r.cseq = cseq;
  r.contacts.push_back({contact, expires, {}});
  return r;
}

Response challenge(std::uint32_t cseq, const std::string& nonce, bool stale = false) {
  Response r;
  r.status = 401;
  r.reason = "Unauthorized";
  r.cseq = cseq;
  sip::DigestChallenge c;
  c.realm = "example.com";
  c.nonce = nonce;
  c.qop_auth = true;
  c.stale = stale;
  r.challenge = c;
  return r;
}

Response status(std::uint32_t cseq, int code, const std::string& reason) {
  Response r;
  r.status = code;
  r.reason = reason;
  r.cseq = cseq;
  return r;
}

bool has_event(const Output& out, const std::string& name) {
  return std::any_of(out.events.begin(), out.events.end(), [&](const Event& e) { return e.name == name; });
}

const Event& event(const Output& out, const std::string& name) {
  for (const auto& e : out.events) {
    if (e.name == name) return e;
  }
  throw std::runtime_error("no event " + name);
}

struct Fixture : ::testing::Test {
  ManualClock clock;
};

TEST_F(Fixture, StartSendsRegisterWithContactAndExpiresAndReportsSentFirst) {
  Registration r(alice(), clock);
  Output out = r.start(Registration::Mode::register_, k_local);
  ASSERT_TRUE(out.send);
  ASSERT_EQ(out.send->contacts.size(), 1u);
  EXPECT_EQ(out.send->contacts[0].uri, k_local);
  EXPECT_EQ(out.send->contacts[0].expires, 600u);
  EXPECT_FALSE(out.send->authorization);
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].name, "register.sent");
  EXPECT_EQ(r.state(), Registration::State::registering);
}

TEST_F(Fixture, ChallengeIsAnsweredOnceThenGrantedExpiryArmsRefreshAtNinetyPercent) {
  Registration r(alice(), clock);
  Output first = r.start(Registration::Mode::register_, k_local);
  Output second = r.on_response(challenge(first.send->cseq, "n1"));
  ASSERT_TRUE(second.send);
  ASSERT_TRUE(second.send->authorization);
  EXPECT_EQ(second.send->authorization->header_name, "Authorization");
  EXPECT_NE(second.send->authorization->value.find("nonce=\"n1\""), std::string::npos);
  EXPECT_GT(second.send->cseq, first.send->cseq);

  Output done = r.on_response(ok(second.send->cseq, 300));
  EXPECT_EQ(r.state(), Registration::State::registered);
  EXPECT_EQ(r.granted_expires(), 300u);
  EXPECT_EQ(event(done, "register.ok").fields["expires"], 300);
  ASSERT_TRUE(done.arm_timer);
  EXPECT_EQ(done.arm_timer->count(), 270000);
}

TEST_F(Fixture, SameNonceChallengedAgainMeansWrongPasswordAndStops) {
  Registration r(alice(), clock);
  Output a = r.start(Registration::Mode::register_, k_local);
  Output b = r.on_response(challenge(a.send->cseq, "n1"));
  Output c = r.on_response(challenge(b.send->cseq, "n1"));
  EXPECT_FALSE(c.send);
  EXPECT_TRUE(has_event(c, "register.failed"));
  EXPECT_EQ(r.outcome(), Outcome::failed);
  EXPECT_NE(r.failure().find("authentication failed"), std::string::npos);
  // The password never appears in events or the failure line.
  EXPECT_EQ(event(c, "register.failed").fields.dump().find("secret"), std::string::npos);
  EXPECT_EQ(r.failure().find("secret"), std::string::npos);
}

TEST_F(Fixture, StaleNonceIsAnsweredAgain) {
  Registration r(alice(), clock);
  Output a = r.start(Registration::Mode::register_, k_local);
  Output b = r.on_response(challenge(a.send->cseq, "n1"));
  Output c = r.on_response(challenge(b.send->cseq, "n1", true));
  ASSERT_TRUE(c.send);
  EXPECT_TRUE(c.send->authorization);
}

TEST_F(Fixture, EndlessFreshChallengesStopAfterTwoAnswers) {
  Registration r(alice(), clock);
  Output out = r.start(Registration::Mode::register_, k_local);
  int answers = 0;
  for (int i = 0; i < 10 && out.send; ++i) {
    out = r.on_response(challenge(out.send->cseq, "nonce" + std::to_string(i)));
    if (out.send) ++answers;
  }
  EXPECT_EQ(answers, 2);
  EXPECT_EQ(r.outcome(), Outcome::failed);
}

TEST_F(Fixture, IntervalTooBriefRetriesAtOnceWithMinExpires) {
  Registration r(alice(), clock);
  Output a = r.start(Registration::Mode::register_, k_local);
  Response brief = status(a.send->cseq, 423, "Interval Too Brief");
  brief.min_expires = 1800;
  Output b = r.on_response(brief);
  ASSERT_TRUE(b.send);
  EXPECT_EQ(b.send->contacts[0].expires, 1800u);
  EXPECT_TRUE(has_event(b, "register.retry"));
}

TEST_F(Fixture, ServiceUnavailableWaitsAtLeastRetryAfterThenTriesAgain) {
  Registration r(alice(), clock);
  Output a = r.start(Registration::Mode::register_, k_local);
  Response busy = status(a.send->cseq, 503, "Service Unavailable");
  busy.retry_after = 2;
  Output b = r.on_response(busy);
  EXPECT_FALSE(b.send);
  ASSERT_TRUE(b.arm_timer);
  EXPECT_GE(b.arm_timer->count(), 2000);
  EXPECT_LE(b.arm_timer->count(), 2200);
  EXPECT_GE(event(b, "register.retry").fields["in_ms"].get<long long>(), 2000);
  EXPECT_EQ(r.state(), Registration::State::retry_wait);
  Output c = r.on_timer();
  ASSERT_TRUE(c.send);
  EXPECT_EQ(r.state(), Registration::State::registering);
}

TEST_F(Fixture, ForbiddenIsFinalEvenWhenLongRunning) {
  Registration r(alice(), clock);
  Output a = r.start(Registration::Mode::register_, k_local);
  Output b = r.on_response(status(a.send->cseq, 403, "Forbidden"));
  EXPECT_TRUE(has_event(b, "register.failed"));
  EXPECT_TRUE(r.finished());
  EXPECT_EQ(r.failure(), "403 Forbidden");
}

TEST_F(Fixture, TimeoutIsRetriedWithBackoffWhenLongRunningButFinalWithOnce) {
  Registration running(alice(), clock);
  Output a = running.start(Registration::Mode::register_, k_local);
  Output b = running.on_failure(a.send->cseq, "no response");
  EXPECT_EQ(running.state(), Registration::State::retry_wait);
  ASSERT_TRUE(b.arm_timer);
  EXPECT_GT(b.arm_timer->count(), 0);

  Config once_cfg = alice();
  once_cfg.once = true;
  Registration once(once_cfg, clock);
  Output c = once.start(Registration::Mode::register_, k_local);
  once.on_failure(c.send->cseq, "no response");
  EXPECT_EQ(once.outcome(), Outcome::failed);
}

TEST_F(Fixture, PublicAddressFromRportReplacesContactAndRemovesTheOldOne) {
  Registration r(alice(), clock);
  Output a = r.start(Registration::Mode::register_, k_local);
  Response seen = ok(a.send->cseq, 600);
  seen.public_host = "198.51.100.7";
  seen.public_port = 40000;
  Output b = r.on_response(seen);
  EXPECT_TRUE(has_event(b, "contact.public-changed"));
  ASSERT_TRUE(b.send);
  ASSERT_EQ(b.send->contacts.size(), 2u);
  EXPECT_EQ(b.send->contacts[0].uri, "sip:alice@198.51.100.7:40000");
  EXPECT_EQ(b.send->contacts[0].expires, 600u);
  EXPECT_EQ(b.send->contacts[1].uri, k_local);
  EXPECT_EQ(b.send->contacts[1].expires, 0u);

  Response again = ok(b.send->cseq, 600, "sip:alice@198.51.100.7:40000");
  again.public_host = "198.51.100.7";
  again.public_port = 40000;
  Output c = r.on_response(again);
  EXPECT_TRUE(has_event(c, "register.ok"));
  EXPECT_FALSE(c.send);
  EXPECT_EQ(r.contact(), "sip:alice@198.51.100.7:40000");
}

TEST_F(Fixture, FixedContactIsNeverRewritten) {
  Config cfg = alice();
  cfg.contact_fixed = true;
  Registration r(cfg, clock);
  Output a = r.start(Registration::Mode::register_, k_local);
  Response seen = ok(a.send->cseq, 600);
  seen.public_host = "198.51.100.7";
  seen.public_port = 40000;
  Output b = r.on_response(seen);
  EXPECT_FALSE(has_event(b, "contact.public-changed"));
  EXPECT_EQ(r.state(), Registration::State::registered);
}

TEST_F(Fixture, ResponseToAnOlderRequestIsIgnored) {
  Registration r(alice(), clock);
  Output a = r.start(Registration::Mode::register_, k_local);
  Output b = r.reregister(k_local);
  ASSERT_TRUE(b.send);
  Output stale = r.on_response(ok(a.send->cseq, 600));
  EXPECT_TRUE(stale.events.empty());
  EXPECT_EQ(r.state(), Registration::State::registering);
}

TEST_F(Fixture, ReregisterWithNewLocalAddressMovesTheBinding) {
  Registration r(alice(), clock);
  Output a = r.start(Registration::Mode::register_, k_local);
  r.on_response(ok(a.send->cseq, 600));
  Output b = r.reregister("sip:alice@10.9.9.9:5062");
  ASSERT_TRUE(b.send);
  EXPECT_TRUE(b.cancel_timer);
  ASSERT_EQ(b.send->contacts.size(), 2u);
  EXPECT_EQ(b.send->contacts[0].uri, "sip:alice@10.9.9.9:5062");
  EXPECT_EQ(b.send->contacts[1].expires, 0u);
}

TEST_F(Fixture, StopUnregistersTheBindingAndFinishes) {
  Registration r(alice(), clock);
  Output a = r.start(Registration::Mode::register_, k_local);
  r.on_response(ok(a.send->cseq, 600));
  Output b = r.stop();
  ASSERT_TRUE(b.send);
  EXPECT_EQ(b.send->contacts[0].expires, 0u);
  Output c = r.on_response(ok(b.send->cseq, 0));
  EXPECT_TRUE(has_event(c, "unregister.ok"));
  EXPECT_EQ(r.outcome(), Outcome::unregistered);
}

TEST_F(Fixture, UnregisterAllSendsContactStarWithExpiresZero) {
  Registration r(alice(), clock);
  Output a = r.start(Registration::Mode::unregister_all, "");
  ASSERT_TRUE(a.send);
  EXPECT_TRUE(a.send->star);
  EXPECT_EQ(a.send->expires_header, 0u);
  EXPECT_TRUE(a.send->contacts.empty());
}

TEST_F(Fixture, QueryReportsEachBinding) {
  Registration r(alice(), clock);
  Output a = r.start(Registration::Mode::query, "");
  ASSERT_TRUE(a.send);
  EXPECT_TRUE(a.send->contacts.empty());
  Response list = ok(a.send->cseq, 100, "sip:alice@10.0.0.3:5060");
  list.contacts.push_back({"sip:alice@10.0.0.4:5060", 200, {}});
  Output b = r.on_response(list);
  EXPECT_EQ(std::count_if(b.events.begin(), b.events.end(), [](const Event& e) { return e.name == "query.binding"; }),
            2);
  EXPECT_EQ(event(b, "query.ok").fields["bindings"], 2);
  EXPECT_EQ(r.outcome(), Outcome::queried);
}

TEST_F(Fixture, FirstRefreshTakesItsSlotThenFullPeriods) {
  Config cfg = alice();
  cfg.first_refresh_slot = 0.25;
  Registration r(cfg, clock);
  Output a = r.start(Registration::Mode::register_, k_local);
  Output b = r.on_response(ok(a.send->cseq, 1000));
  EXPECT_EQ(b.arm_timer->count(), 225000);  // a quarter of 900 s
  Output c = r.on_timer();
  ASSERT_TRUE(c.send);
  EXPECT_TRUE(event(c, "register.sent").fields["refresh"].get<bool>());
  Output d = r.on_response(ok(c.send->cseq, 1000));
  EXPECT_EQ(d.arm_timer->count(), 900000);
}

TEST_F(Fixture, ShortGrantsRefreshWithAtLeastThreeSecondsInHandButNotBeforeHalfway) {
  Registration r(alice(), clock);
  Output a = r.start(Registration::Mode::register_, k_local);
  Output b = r.on_response(ok(a.send->cseq, 20));
  EXPECT_EQ(b.arm_timer->count(), 17000);  // not 18 s: a 1 s registrar clock could drop us
  Output c = r.on_timer();
  Output d = r.on_response(ok(c.send->cseq, 4));
  EXPECT_EQ(d.arm_timer->count(), 2000);  // half of a very short grant
}

TEST_F(Fixture, EarlyPhaseReachedOnlyAfterALateRegistrationMovesToTheNextPeriod) {
  Config cfg = alice();
  cfg.first_refresh_slot = 0.01;  // phase 9 s into a 900 s period
  Registration r(cfg, clock);
  clock.advance(Duration{30000});  // registered 30 s after creation (a long first round)
  Output a = r.start(Registration::Mode::register_, k_local);
  Output b = r.on_response(ok(a.send->cseq, 1000));
  // Not in a burst right now: at the phase of the next period, 909 s from creation.
  EXPECT_EQ(b.arm_timer->count(), 909000 - 30000);
  EXPECT_LE(b.arm_timer->count(), 900000);  // still before 90 % of the grant
}

TEST_F(Fixture, PushAndOutboundParametersAreOnTheContact) {
  Config cfg = alice();
  cfg.instance = "urn:uuid:00000000-0000-0000-0000-000000000001";
  cfg.reg_id = 1;
  cfg.pn_provider = "apns";
  cfg.pn_prid = "00fc13adff78512";
  cfg.pn_param = "ABCD1234.com.example.voip";
  Registration r(cfg, clock);
  Output a = r.start(Registration::Mode::register_, k_local);
  const Binding& b = a.send->contacts.at(0);
  // RFC 8599: URI parameters; RFC 5626: header parameters.
  EXPECT_NE(b.uri.find("pn-provider=apns"), std::string::npos);
  EXPECT_NE(b.uri.find("pn-prid=00fc13adff78512"), std::string::npos);
  EXPECT_NE(b.uri.find("pn-param=ABCD1234.com.example.voip"), std::string::npos);
  ASSERT_EQ(b.params.size(), 2u);
  EXPECT_EQ(b.params[0].first, "+sip.instance");
  EXPECT_EQ(b.params[0].second, "\"<urn:uuid:00000000-0000-0000-0000-000000000001>\"");
  EXPECT_EQ(b.params[1], (std::pair<std::string, std::string>{"reg-id", "1"}));
}

TEST_F(Fixture, RefreshReusesTheChallengeSoAValidNonceNeedsNoExtraRoundTrip) {
  Registration r(alice(), clock);
  Output a = r.start(Registration::Mode::register_, k_local);
  Output b = r.on_response(challenge(a.send->cseq, "n1"));
  r.on_response(ok(b.send->cseq, 600));
  Output c = r.on_timer();
  ASSERT_TRUE(c.send);
  ASSERT_TRUE(c.send->authorization);
  EXPECT_NE(c.send->authorization->value.find("nc=00000002"), std::string::npos);
}

TEST_F(Fixture, ReregisterFromTheSameLocalAddressKeepsTheLearnedPublicContact) {
  Registration r(alice(), clock);
  Output a = r.start(Registration::Mode::register_, k_local);
  Response seen = ok(a.send->cseq, 600);
  seen.public_host = "198.51.100.7";
  seen.public_port = 40000;
  Output b = r.on_response(seen);
  r.on_response(ok(b.send->cseq, 600, "sip:alice@198.51.100.7:40000"));
  Output c = r.reregister(k_local);
  ASSERT_TRUE(c.send);
  ASSERT_EQ(c.send->contacts.size(), 1u);  // nothing private re-registered, nothing removed
  EXPECT_EQ(c.send->contacts[0].uri, "sip:alice@198.51.100.7:40000");
}

TEST_F(Fixture, UnregisterWithoutContactRemovesOnlyThisHostsBindingsFoundByQuery) {
  Registration r(alice(), clock);
  Output a = r.start(Registration::Mode::unregister, "sip:alice@10.0.0.2:40123");
  ASSERT_TRUE(a.send);
  EXPECT_TRUE(a.send->contacts.empty());  // first a query
  Response list = ok(a.send->cseq, 100, "sip:alice@10.0.0.2:5062");
  list.contacts.push_back({"sip:alice@10.0.0.9:5060", 100, {}});    // another host: kept
  list.contacts.push_back({"sip:alice@198.51.100.7:4000", 100, {}});  // our public address
  list.public_host = "198.51.100.7";
  list.public_port = 4000;
  Output b = r.on_response(list);
  ASSERT_TRUE(b.send);
  ASSERT_EQ(b.send->contacts.size(), 2u);
  EXPECT_EQ(b.send->contacts[0].uri, "sip:alice@10.0.0.2:5062");
  EXPECT_EQ(b.send->contacts[0].expires, 0u);
  EXPECT_EQ(b.send->contacts[1].uri, "sip:alice@198.51.100.7:4000");
  Output c = r.on_response(ok(b.send->cseq, 0));
  EXPECT_EQ(event(c, "unregister.ok").fields["removed"], 2);
  EXPECT_EQ(r.outcome(), Outcome::unregistered);
}

TEST_F(Fixture, FailedQueryIsReportedAsQueryFailed) {
  Registration r(alice(), clock);
  Output a = r.start(Registration::Mode::query, "");
  Output b = r.on_response(status(a.send->cseq, 404, "Not Found"));
  EXPECT_TRUE(has_event(b, "query.failed"));
  EXPECT_FALSE(has_event(b, "register.failed"));
}

}  // namespace
}  // namespace sipwake::reg
