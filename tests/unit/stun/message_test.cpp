#include "sipwake/stun/message.hpp"

#include <gtest/gtest.h>

#include "sipwake/stun/builder.hpp"
#include "sipwake/stun/integrity.hpp"
#include "testdata.hpp"

namespace sipwake::stun {
namespace {

const std::string k_password = "VOkJxbRl1RmTxUk/WvJxBt";

TEST(StunMessage, Rfc5769SampleRequestParsesAndAuthenticates) {
  auto bytes = test::load_hex("rfc5769-2.1-request.hex");
  ASSERT_EQ(bytes.size(), 108u);
  auto m = Message::parse(bytes);
  ASSERT_TRUE(m.ok()) << m.message();
  EXPECT_EQ(m->cls(), Class::request);
  EXPECT_EQ(m->method(), method::binding);
  EXPECT_FALSE(m->classic());
  EXPECT_EQ(m->username().value_or(""), "evtj:h6vY");
  EXPECT_EQ(m->software().value_or(""), "STUN test client");
  EXPECT_EQ(check_fingerprint(*m), Integrity::ok);
  EXPECT_EQ(check_message_integrity(*m, as_bytes(k_password)), Integrity::ok);
  EXPECT_EQ(check_short_term(*m, as_bytes(k_password)), Integrity::ok);
  EXPECT_EQ(check_short_term(*m, as_bytes("wrong")), Integrity::bad);
  // PRIORITY is comprehension-required but known (RFC 8445).
  EXPECT_TRUE(m->unknown_required().empty());
}

TEST(StunMessage, Rfc5769Ipv4ResponseYieldsMappedAddress) {
  auto bytes = test::load_hex("rfc5769-2.2-response-ipv4.hex");
  auto m = Message::parse(bytes);
  ASSERT_TRUE(m.ok()) << m.message();
  EXPECT_EQ(m->cls(), Class::success);
  auto a = m->xor_mapped_address();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->to_string(), "192.0.2.1:32853");
  EXPECT_EQ(check_fingerprint(*m), Integrity::ok);
  EXPECT_EQ(check_message_integrity(*m, as_bytes(k_password)), Integrity::ok);
}

TEST(StunMessage, Rfc5769Ipv6ResponseYieldsMappedAddress) {
  auto bytes = test::load_hex("rfc5769-2.3-response-ipv6.hex");
  auto m = Message::parse(bytes);
  ASSERT_TRUE(m.ok()) << m.message();
  auto a = m->xor_mapped_address();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->to_string(), "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
  EXPECT_EQ(check_fingerprint(*m), Integrity::ok);
  EXPECT_EQ(check_message_integrity(*m, as_bytes(k_password)), Integrity::ok);
}

TEST(StunMessage, BuilderEncodesXorMappedAddressLikeRfc5769Vectors) {
  // The vectors pad SOFTWARE with spaces (any padding is allowed), so compare the
  // XOR-MAPPED-ADDRESS attribute bytes the builder writes for the same transaction.
  for (auto [file, addr] : {std::pair{"rfc5769-2.2-response-ipv4.hex", "192.0.2.1:32853"},
                            std::pair{"rfc5769-2.3-response-ipv6.hex",
                                      "[2001:db8:1234:5678:11:2233:4455:6677]:32853"}}) {
    auto want = test::load_hex(file);
    TransactionId id;
    std::copy(want.begin() + 8, want.begin() + 20, id.begin());
    MessageBuilder b(Class::success, method::binding, id);
    b.add_xor_address(attr::xor_mapped_address, *TransportAddress::parse(addr));
    const auto& got = b.bytes();
    std::vector<std::uint8_t> got_attr(got.begin() + 20, got.end());
    std::vector<std::uint8_t> want_attr(want.begin() + 36,
                                        want.begin() + 36 + static_cast<long>(got_attr.size()));
    EXPECT_EQ(got_attr, want_attr) << file;
  }
}

TEST(StunMessage, BuiltMessageRoundTripsWithBothIntegritiesAndFingerprint) {
  auto id = MessageBuilder::random_transaction_id();
  MessageBuilder b(Class::request, method::binding, id);
  b.add_text(attr::username, "dev-1");
  b.add_xor_address(attr::xor_mapped_address, *TransportAddress::parse("[2001:db8::7]:4000"));
  b.add_change_request(change::ip | change::port);
  b.add_response_port(5555);
  b.add_message_integrity(as_bytes("key"));
  b.add_message_integrity_sha256(as_bytes("key"));
  b.add_fingerprint();
  auto m = Message::parse(b.bytes());
  ASSERT_TRUE(m.ok()) << m.message();
  EXPECT_EQ(m->transaction_id(), id);
  EXPECT_EQ(m->username().value_or(""), "dev-1");
  EXPECT_EQ(m->xor_mapped_address()->to_string(), "[2001:db8::7]:4000");
  EXPECT_EQ(m->change_request().value_or(0), change::ip | change::port);
  EXPECT_EQ(m->response_port().value_or(0), 5555);
  EXPECT_EQ(check_message_integrity(*m, as_bytes("key")), Integrity::ok);
  EXPECT_EQ(check_message_integrity_sha256(*m, as_bytes("key")), Integrity::ok);
  EXPECT_EQ(check_short_term(*m, as_bytes("other")), Integrity::bad);
  EXPECT_EQ(check_fingerprint(*m), Integrity::ok);
}

TEST(StunMessage, TamperedByteFailsIntegrityAndFingerprint) {
  MessageBuilder b(Class::request, method::binding, MessageBuilder::random_transaction_id());
  b.add_text(attr::username, "dev-1");
  b.add_message_integrity_sha256(as_bytes("k"));
  b.add_fingerprint();
  auto bytes = b.bytes();
  bytes[25] ^= 0x01;  // inside USERNAME
  auto m = Message::parse(bytes);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(check_short_term(*m, as_bytes("k")), Integrity::bad);
  EXPECT_EQ(check_fingerprint(*m), Integrity::bad);
}

TEST(StunMessage, AttributesAfterMessageIntegrityAreIgnored) {
  MessageBuilder b(Class::request, method::binding, MessageBuilder::random_transaction_id());
  b.add_message_integrity(as_bytes("k"));
  b.add_text(attr::username, "sneaky");
  auto m = Message::parse(b.bytes());
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->username().has_value());
  EXPECT_EQ(m->attributes().size(), 2u);
}

TEST(StunMessage, ErrorCodeAndUnknownAttributesRoundTrip) {
  MessageBuilder b(Class::error, method::binding, MessageBuilder::random_transaction_id());
  b.add_error(420, "Unknown Attribute");
  std::uint16_t unknown[] = {0x7777};
  b.add_unknown_attributes(unknown);
  auto m = Message::parse(b.bytes());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->cls(), Class::error);
  EXPECT_EQ(m->error_code()->code, 420);
  EXPECT_EQ(m->error_code()->reason, "Unknown Attribute");
}

TEST(StunMessage, UnknownComprehensionRequiredAttributeIsReported) {
  MessageBuilder b(Class::request, method::binding, MessageBuilder::random_transaction_id());
  std::uint8_t v[4] = {1, 2, 3, 4};
  b.add(0x7777, v);
  b.add(0xC123, v);  // comprehension-optional: silently ignored
  auto m = Message::parse(b.bytes());
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->unknown_required().size(), 1u);
  EXPECT_EQ(m->unknown_required()[0], 0x7777);
}

TEST(StunMessage, PaddingMakesTheRequestAsLargeAsAsked) {
  MessageBuilder b(Class::request, method::binding, MessageBuilder::random_transaction_id());
  b.add_padding(101);
  EXPECT_EQ(b.size(), 20u + 4u + 104u);
  EXPECT_TRUE(Message::parse(b.bytes()).ok());
}

TEST(StunMessage, MethodAndClassEncodeLikeRfc8489Figure3) {
  EXPECT_EQ(message_type(Class::request, method::binding), 0x0001);
  EXPECT_EQ(message_type(Class::success, method::binding), 0x0101);
  EXPECT_EQ(message_type(Class::error, method::binding), 0x0111);
  EXPECT_EQ(message_type(Class::indication, method::binding), 0x0011);
  for (std::uint16_t mth : {std::uint16_t{0x001}, std::uint16_t{0x801}, std::uint16_t{0xFFF}}) {
    for (Class c : {Class::request, Class::indication, Class::success, Class::error}) {
      auto t = message_type(c, mth);
      EXPECT_EQ(method_of(t), mth);
      EXPECT_EQ(class_of(t), c);
    }
  }
}

TEST(StunMessage, ClassicRfc3489RequestIsAcceptedOnlyWhenAllowed) {
  std::vector<std::uint8_t> req(20, 0);
  req[1] = 0x01;
  for (int i = 4; i < 20; ++i) req[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
  auto m = Message::parse(req);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->classic());
  EXPECT_FALSE(Message::parse(req, false).ok());
}

}  // namespace
}  // namespace sipwake::stun
