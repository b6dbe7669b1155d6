#include "protocol.hpp"

#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "sipwake/stun/builder.hpp"

namespace sipwake::natkeep {
namespace {

using test::key;

struct WakeFixture : ::testing::Test {
  DeviceKey k = key('a');
  stun::TransactionId txid = stun::MessageBuilder::random_transaction_id();
  Bytes wake = build_wake("dev1", k, 100, 1'000'000, R"({"caller":"alice"})", txid);
  WakeCheck check(const Bytes& data, const DeviceKey& with, std::uint64_t last = 0,
                  stun::TransactionId last_txid = {}, std::uint64_t now = 1'000'500) {
    auto m = stun::Message::parse(data);
    EXPECT_TRUE(m.ok());
    Wake w;
    return check_wake(*m, "dev1", with, last, last_txid, now, 60'000, w);
  }
};

TEST_F(WakeFixture, GenuineWakeIsAccepted) { EXPECT_EQ(check(wake, k), WakeCheck::ok); }
TEST_F(WakeFixture, WakeSignedWithAnotherKeyIsForged) {
  EXPECT_EQ(check(wake, key('b')), WakeCheck::bad_integrity);
}
TEST_F(WakeFixture, SameDatagramAgainIsARepeatNotANewWake) {
  EXPECT_EQ(check(wake, k, 100, txid), WakeCheck::repeat);
}
TEST_F(WakeFixture, OldCounterInANewTransactionIsAReplay) {
  EXPECT_EQ(check(wake, k, 100), WakeCheck::replay);
  EXPECT_EQ(check(wake, k, 200), WakeCheck::replay);
}
TEST_F(WakeFixture, WakeFromOutsideTheTimeWindowIsStale) {
  EXPECT_EQ(check(wake, k, 0, {}, 1'000'000 + 61'000), WakeCheck::stale);
}
TEST_F(WakeFixture, WakeForAnotherDeviceIsRejected) {
  auto other = build_wake("dev2", k, 100, 1'000'000, "{}", txid);
  EXPECT_EQ(check(other, k), WakeCheck::wrong_device);
}
TEST_F(WakeFixture, TamperedPayloadFailsIntegrity) {
  Bytes t = wake;
  for (std::size_t i = 0; i + 5 < t.size(); ++i) {
    if (t[i] == 'a' && t[i + 1] == 'l' && t[i + 2] == 'i') t[i] = 'A';
  }
  EXPECT_EQ(check(t, k), WakeCheck::bad_integrity);
}

TEST(NatkeepProtocol, KeepaliveIsAStandardBindingRequestWithShortTermCredentials) {
  auto bytes = build_keepalive("dev1", key('a'), 7, stun::MessageBuilder::random_transaction_id(), 4000);
  auto m = stun::Message::parse(bytes);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->method(), stun::method::binding);
  EXPECT_EQ(m->username().value_or(""), "dev1");
  EXPECT_EQ(m->u64(stun::attr::natkeep_counter).value_or(0), 7u);
  EXPECT_EQ(m->response_port().value_or(0), 4000);
  EXPECT_TRUE(m->unknown_required().empty());  // any RFC 8489 server can parse it
}

}  // namespace
}  // namespace sipwake::natkeep
