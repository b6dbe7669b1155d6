#include "server.hpp"

#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "sipwake/stun/builder.hpp"
#include "sipwake/stun/integrity.hpp"

namespace sipwake::natkeep {
namespace {

using namespace sipwake::stun;
using test::addr;
using test::key;
using nlohmann::json;

struct ServerFixture : ::testing::Test {
  ManualClock clock;
  BindingTable table;
  test::Recorder rec;
  std::uint64_t wall = 1'800'000'000'000;
  std::unique_ptr<Server> server;
  std::vector<Outgoing> out;
  TransportAddress device_addr = addr("198.51.100.1:40000");
  std::uint64_t counter = 1;

  void SetUp() override {
    table.set_key("dev1", key('a'));
    table.set_key("dev2", key('b'));
    Server::Config cfg;
    cfg.locals = {addr("203.0.113.10:3478"), addr("203.0.113.10:3479"), addr("203.0.113.11:3478"),
                  addr("203.0.113.11:3479")};
    cfg.has_alt = true;
    server = std::make_unique<Server>(cfg, table, clock, [this] { return wall; }, rec.fn());
  }
  void feed(const Bytes& b, const TransportAddress& from, std::uint8_t local = 0) {
    out.clear();
    server->on_datagram(local, from, b, out);
  }
  Bytes keepalive(const char* dev, char k, std::uint64_t c, std::uint16_t rport = 0) {
    return build_keepalive(dev, key(k), c, MessageBuilder::random_transaction_id(), rport);
  }
  json request(const json& req) {
    json got;
    out.clear();
    server->on_request(req.dump(), [&](const json& j) { got = j; }, out);
    return got;
  }
};

Bytes binding_request(std::size_t padding = 0, std::uint32_t change = 0) {
  MessageBuilder b(Class::request, method::binding, MessageBuilder::random_transaction_id());
  if (change) b.add_change_request(change);
  if (padding) b.add_padding(padding);
  return b.bytes();
}

TEST_F(ServerFixture, PaddedAnonymousBindingGetsXorMappedAndRfc5780Addresses) {
  auto req = binding_request(100);
  feed(req, device_addr);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_LE(out[0].data.size(), req.size());
  auto m = Message::parse(out[0].data);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->xor_mapped_address(), device_addr);
  EXPECT_EQ(m->address_attr(attr::other_address), addr("203.0.113.11:3479"));
  EXPECT_EQ(m->address_attr(attr::response_origin), addr("203.0.113.10:3478"));
}

TEST_F(ServerFixture, AnonymousSourceNeverGetsMoreBytesThanItSent) {
  std::size_t sent = 0;
  std::size_t received = 0;
  for (int i = 0; i < 6; ++i) {
    auto req = binding_request();  // 20 bytes: smaller than any useful answer
    feed(req, device_addr);
    sent += req.size();
    for (auto& o : out) received += o.data.size();
    EXPECT_LE(received, sent);
  }
  EXPECT_GT(received, 0u);  // retransmissions earn enough credit for an answer
}

TEST_F(ServerFixture, ChangeRequestIsAnsweredFromTheAlternateSocket) {
  feed(binding_request(100, change::ip | change::port), device_addr);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].local, Local::alt_both);
  feed(binding_request(100, change::port), device_addr);
  EXPECT_EQ(out[0].local, Local::alt_port);
}

TEST_F(ServerFixture, AnonymousFloodFromOneSourceIsRateLimited) {
  int answered = 0;
  for (int i = 0; i < 200; ++i) {
    feed(binding_request(100), device_addr);
    answered += static_cast<int>(out.size());
  }
  EXPECT_LE(answered, 41);
  clock.advance(Duration{1000});
  feed(binding_request(100), addr("198.51.100.99:1"));
  EXPECT_EQ(out.size(), 1u);  // other sources are unaffected
}

TEST_F(ServerFixture, ClassicRfc3489RequestGetsMappedAddressAndItsOwnTransactionId) {
  Bytes req(20 + 8 + 100 * 4, 0);
  req[1] = 0x01;
  std::size_t body = req.size() - 20;
  req[2] = static_cast<std::uint8_t>(body >> 8);
  req[3] = static_cast<std::uint8_t>(body);
  for (std::size_t i = 4; i < 20; ++i) req[i] = static_cast<std::uint8_t>(i);
  req[21] = 0x03;  // CHANGE-REQUEST, value 0
  req[23] = 0x04;
  req[28] = 0x00;  // unknown-but-optional padding attribute follows
  req[29] = 0x26;
  req[30] = 0x01;
  req[31] = static_cast<std::uint8_t>(400 - 4 - 256);
  feed(req, device_addr);
  ASSERT_EQ(out.size(), 1u);
  auto m = Message::parse(out[0].data);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->classic());
  EXPECT_TRUE(std::equal(out[0].data.begin() + 4, out[0].data.begin() + 20, req.begin() + 4));
  EXPECT_EQ(m->mapped_address(), device_addr);
}

TEST_F(ServerFixture, AuthenticKeepaliveCreatesTheBindingAndTheAnswerIsSignedWithTheDeviceKey) {
  feed(keepalive("dev1", 'a', counter), device_addr);
  ASSERT_EQ(out.size(), 1u);
  auto m = Message::parse(out[0].data);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(check_message_integrity_sha256(*m, key('a').span()), Integrity::ok);
  EXPECT_EQ(m->xor_mapped_address(), device_addr);
  EXPECT_EQ(table.find("dev1")->mapped, device_addr);
  EXPECT_EQ(rec.count("binding.new"), 1u);
}

TEST_F(ServerFixture, ForgedKeepaliveIsDroppedAndLeavesNoBinding) {
  feed(keepalive("dev1", 'b', counter), device_addr);  // dev2's key, dev1's name
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(table.find("dev1")->mapped.valid());
  ASSERT_NE(rec.last("keepalive.rejected"), nullptr);
  EXPECT_EQ((*rec.last("keepalive.rejected"))["reason"], "bad-integrity");
}

TEST_F(ServerFixture, ReplayedKeepaliveFromElsewhereCannotMoveTheBinding) {
  auto ka = keepalive("dev1", 'a', 10);
  feed(ka, device_addr);
  ASSERT_EQ(out.size(), 1u);
  feed(ka, addr("192.0.2.66:5555"));  // attacker replays the captured datagram
  // Only a signed 438 carrying the counter to beat, smaller than what was sent.
  ASSERT_EQ(out.size(), 1u);
  EXPECT_LE(out[0].data.size(), ka.size());
  auto stale = Message::parse(out[0].data);
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(stale->cls(), Class::error);
  EXPECT_EQ(stale->error_code()->code, 438);
  EXPECT_EQ(stale->u64(attr::natkeep_counter).value_or(0), 10u);
  EXPECT_EQ(check_message_integrity_sha256(*stale, key('a').span()), Integrity::ok);
  EXPECT_EQ(table.find("dev1")->mapped, device_addr);
  feed(ka, device_addr);  // the device's own retransmission is answered again
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Message::parse(out[0].data)->cls(), Class::success);
  feed(keepalive("dev1", 'a', 9), addr("192.0.2.66:5555"));  // older counter, new transaction
  for (auto& o : out) EXPECT_EQ(Message::parse(o.data)->cls(), Class::error);
  EXPECT_EQ(table.find("dev1")->mapped, device_addr);
}

TEST_F(ServerFixture, NewerKeepaliveFromANewAddressMovesTheBinding) {
  feed(keepalive("dev1", 'a', 1), device_addr);
  feed(keepalive("dev1", 'a', 2), addr("198.51.100.2:41000"));
  EXPECT_EQ(table.find("dev1")->mapped, addr("198.51.100.2:41000"));
  ASSERT_NE(rec.last("binding.changed"), nullptr);
  EXPECT_EQ((*rec.last("binding.changed"))["old"], "198.51.100.1:40000");
}

TEST_F(ServerFixture, SiblingTrialIsAnsweredOnTheResponsePortWithoutMovingTheBinding) {
  feed(keepalive("dev1", 'a', 1), device_addr);
  auto sib = addr("198.51.100.1:40001");
  feed(keepalive("dev1", 'a', 2, 40000), sib);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to, device_addr);
  EXPECT_EQ(table.find("dev1")->mapped, device_addr);
}

TEST_F(ServerFixture, WakeGoesToTheBindingAndRepliesWhenTheDeviceAcknowledges) {
  feed(keepalive("dev1", 'a', 1), device_addr, Local::primary);
  json reply;
  out.clear();
  server->on_request(R"({"id":7,"op":"wake","device":"dev1","payload":{"caller":"alice"}})",
                     [&](const json& j) { reply = j; }, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to, device_addr);
  EXPECT_EQ(out[0].local, Local::primary);
  EXPECT_TRUE(reply.is_null());  // not yet: waits for the ack
  auto wake = Message::parse(out[0].data);
  ASSERT_TRUE(wake.ok());
  auto forged = build_wake_ack("dev1", key('b'), 5, wake->transaction_id());
  feed(forged, device_addr);
  EXPECT_TRUE(reply.is_null());
  feed(build_wake_ack("dev1", key('a'), 5, wake->transaction_id()), device_addr);
  EXPECT_EQ(reply["id"], 7);
  EXPECT_EQ(reply["ok"], true);
  EXPECT_EQ(server->pending_wakes(), 0u);
}

TEST_F(ServerFixture, UnacknowledgedWakeIsRetransmittedThenFailsAtTheDeadline) {
  feed(keepalive("dev1", 'a', 1), device_addr);
  json reply;
  out.clear();
  server->on_request(R"({"id":"x","op":"wake","device":"dev1","timeout_ms":3000})",
                     [&](const json& j) { reply = j; }, out);
  int sends = 1;
  for (int i = 0; i < 40; ++i) {
    clock.advance(Duration{100});
    out.clear();
    server->tick(out);
    sends += static_cast<int>(out.size());
  }
  EXPECT_GE(sends, 3);
  EXPECT_LE(sends, 5);
  EXPECT_EQ(reply["ok"], false);
  EXPECT_EQ(reply["error"], "not acknowledged within 3000 ms");
}

TEST_F(ServerFixture, ControlErrorsAreOneReplyEach) {
  EXPECT_EQ(request({{"id", 1}, {"op", "wake"}, {"device", "ghost"}})["error"], "unknown device");
  EXPECT_EQ(request({{"id", 2}, {"op", "wake"}, {"device", "dev2"}})["error"], "no binding");
  EXPECT_EQ(request({{"id", 3}, {"op", "dance"}})["ok"], false);
  EXPECT_EQ(request({{"op", "stats"}})["error"], "malformed request: no id");
  json got;
  server->on_request("{not json", [&](const json& j) { got = j; }, out);
  EXPECT_TRUE(got["id"].is_null());
  EXPECT_EQ(got["ok"], false);
  auto stats = request({{"id", 4}, {"op", "stats"}});
  EXPECT_EQ(stats["devices"], 2);
}

TEST_F(ServerFixture, GarbageDatagramsAreDroppedSilently) {
  Bytes junk = {0x16, 0x03, 0x01, 0x00};
  feed(junk, device_addr);
  EXPECT_TRUE(out.empty());
  Bytes big(1400, 0xff);
  feed(big, device_addr);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace sipwake::natkeep
