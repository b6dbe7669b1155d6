#include "sipwake/txn/server_transaction.hpp"

#include <gtest/gtest.h>

namespace sipwake::txn {
namespace {

TEST(InviteServer, RetransmittedInviteGetsTheLastProvisionalAgain) {
  ManualClock c;
  InviteServer t(false, c.now());
  t.on_send(180, c.now());
  EXPECT_TRUE(t.on_retransmission(c.now()).resend);
}

TEST(InviteServer, ErrorResponseIsRetransmittedUntilAck) {
  ManualClock c;
  TimePoint start = c.now();
  InviteServer t(false, start);
  t.on_send(480, start);
  EXPECT_EQ(*t.next_deadline(), start + Duration{500});
  EXPECT_TRUE(t.on_timer(start + Duration{500}).resend);
  EXPECT_EQ(*t.next_deadline(), start + Duration{1500});
  ServerStep ack = t.on_ack(start + Duration{700});
  EXPECT_TRUE(ack.ack_received);
  EXPECT_EQ(t.state(), InviteServer::State::confirmed);
  EXPECT_TRUE(t.on_timer(start + Duration{5700}).terminated);
}

TEST(InviteServer, NoAckTimesOutAfter64T1) {
  ManualClock c;
  TimePoint start = c.now();
  InviteServer t(false, start);
  t.on_send(487, start);
  bool timed_out = false;
  while (auto d = t.next_deadline()) {
    ServerStep s = t.on_timer(*d);
    if (s.timed_out) {
      timed_out = true;
      EXPECT_EQ(*d, start + Duration{32000});
    }
    if (s.terminated) break;
  }
  EXPECT_TRUE(timed_out);
}

TEST(InviteServer, SuccessIsAcceptedAndAbsorbsRetransmittedInvites) {
  ManualClock c;
  InviteServer t(false, c.now());
  t.on_send(200, c.now());
  EXPECT_EQ(t.state(), InviteServer::State::accepted);
  EXPECT_FALSE(t.on_retransmission(c.now()).resend);
}

TEST(NonInviteServer, FinalResponseIsResentForRetransmissionsUntilTimerJ) {
  ManualClock c;
  TimePoint start = c.now();
  NonInviteServer t(false, start);
  EXPECT_FALSE(t.on_retransmission(start).resend);  // Trying absorbs
  t.on_send(200, start);
  EXPECT_TRUE(t.on_retransmission(start + Duration{100}).resend);
  EXPECT_TRUE(t.on_timer(start + Duration{32000}).terminated);
}

TEST(NonInviteServer, ReliableTransportTerminatesOnFinal) {
  ManualClock c;
  NonInviteServer t(true, c.now());
  EXPECT_TRUE(t.on_send(401, c.now()).terminated);
}

}  // namespace
}  // namespace sipwake::txn
