#include "sipwake/txn/client_transaction.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace sipwake::txn {
namespace {

// Drives the transaction's timers until `until`, recording when it retransmits.
template <typename Txn>
std::vector<long long> retransmit_times(Txn& t, TimePoint start, TimePoint until, bool* timed_out) {
  std::vector<long long> times;
  while (auto d = t.next_deadline()) {
    if (*d > until) break;
    Step s = t.on_timer(*d);
    if (s.retransmit) times.push_back((*d - start).count());
    if (s.timed_out) *timed_out = true;
    if (s.terminated) break;
  }
  return times;
}

TEST(NonInviteClient, UdpRetransmitsDoublingUpToT2ThenTimesOutAt64T1) {
  ManualClock clock;
  TimePoint start = clock.now();
  NonInviteClient t(false, start);
  bool timed_out = false;
  auto times = retransmit_times(t, start, start + Duration{40000}, &timed_out);
  std::vector<long long> expected = {500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500};
  EXPECT_EQ(times, expected);
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(t.state(), NonInviteClient::State::terminated);
}

TEST(NonInviteClient, ProvisionalResponseSlowsRetransmitsToT2) {
  ManualClock clock;
  TimePoint start = clock.now();
  NonInviteClient t(false, start);
  Step s = t.on_response(100, start + Duration{100});
  EXPECT_TRUE(s.deliver);
  EXPECT_EQ(t.state(), NonInviteClient::State::proceeding);
  EXPECT_EQ(*t.next_deadline(), start + Duration{4100});
}

TEST(NonInviteClient, FinalResponseOverUdpLingersForT4AndAbsorbsRetransmissions) {
  ManualClock clock;
  TimePoint start = clock.now();
  NonInviteClient t(false, start);
  Step s = t.on_response(200, start + Duration{20});
  EXPECT_TRUE(s.deliver);
  EXPECT_FALSE(s.terminated);
  EXPECT_FALSE(t.on_response(200, start + Duration{30}).deliver);
  EXPECT_EQ(*t.next_deadline(), start + Duration{5020});
  EXPECT_TRUE(t.on_timer(start + Duration{5020}).terminated);
}

TEST(NonInviteClient, ReliableTransportNeverRetransmitsAndTerminatesOnFinal) {
  ManualClock clock;
  TimePoint start = clock.now();
  NonInviteClient t(true, start);
  EXPECT_EQ(*t.next_deadline(), start + Duration{32000});
  Step s = t.on_response(401, start + Duration{5});
  EXPECT_TRUE(s.deliver);
  EXPECT_TRUE(s.terminated);
  EXPECT_FALSE(t.next_deadline().has_value());
}

TEST(InviteClient, UdpTimerADoublesWithoutCapUntilTimerB) {
  ManualClock clock;
  TimePoint start = clock.now();
  InviteClient t(false, start);
  bool timed_out = false;
  auto times = retransmit_times(t, start, start + Duration{40000}, &timed_out);
  std::vector<long long> expected = {500, 1500, 3500, 7500, 15500, 31500};
  EXPECT_EQ(times, expected);
  EXPECT_TRUE(timed_out);
}

TEST(InviteClient, ErrorResponseIsAckedAndRetransmittedErrorsAckedAgainNotDelivered) {
  ManualClock clock;
  TimePoint start = clock.now();
  InviteClient t(false, start);
  Step s = t.on_response(486, start + Duration{10});
  EXPECT_TRUE(s.deliver);
  EXPECT_TRUE(s.send_ack);
  Step again = t.on_response(486, start + Duration{600});
  EXPECT_FALSE(again.deliver);
  EXPECT_TRUE(again.send_ack);
}

TEST(InviteClient, SuccessGoesToAcceptedAndPassesRetransmitted2xxUp) {
  ManualClock clock;
  TimePoint start = clock.now();
  InviteClient t(false, start);
  EXPECT_TRUE(t.on_response(180, start + Duration{10}).deliver);
  Step ok = t.on_response(200, start + Duration{20});
  EXPECT_TRUE(ok.deliver);
  EXPECT_FALSE(ok.send_ack);  // the TU ACKs a 2xx, not the transaction
  EXPECT_EQ(t.state(), InviteClient::State::accepted);
  EXPECT_TRUE(t.on_response(200, start + Duration{520}).deliver);
  EXPECT_TRUE(t.on_timer(start + Duration{20 + 32000}).terminated);
}

TEST(InviteClient, ProvisionalResponseStopsTimerBSoRingingIsNotCutOff) {
  ManualClock clock;
  TimePoint start = clock.now();
  InviteClient t(false, start);
  t.on_response(180, start + Duration{100});
  EXPECT_FALSE(t.next_deadline().has_value());
}

}  // namespace
}  // namespace sipwake::txn
