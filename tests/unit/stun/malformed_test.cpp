#include <gtest/gtest.h>

#include "sipwake/stun/integrity.hpp"
#include "sipwake/stun/message.hpp"
#include "testdata.hpp"

namespace sipwake::stun {
namespace {

// Touches everything a server would read from an untrusted message.
void read_all(const Message& m) {
  (void)m.xor_mapped_address();
  (void)m.mapped_address();
  (void)m.address_attr(attr::other_address);
  (void)m.username();
  (void)m.error_code();
  (void)m.change_request();
  (void)m.response_port();
  (void)m.unknown_required();
  (void)check_fingerprint(m);
  (void)check_short_term(m, as_bytes("k"));
}

TEST(StunMalformed, EveryTruncationOfTheSampleRequestIsRejectedCleanly) {
  auto bytes = test::load_hex("rfc5769-2.1-request.hex");
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto m = Message::parse(std::span<const std::uint8_t>(bytes.data(), n));
    EXPECT_FALSE(m.ok()) << "prefix " << n;
  }
}

TEST(StunMalformed, EverySingleByteCorruptionParsesOrFailsWithoutOverrun) {
  auto orig = test::load_hex("rfc5769-2.3-response-ipv6.hex");
  for (std::size_t i = 0; i < orig.size(); ++i) {
    for (std::uint8_t x : {std::uint8_t{0x01}, std::uint8_t{0x80}, std::uint8_t{0xff}}) {
      auto bytes = orig;
      bytes[i] ^= x;
      auto m = Message::parse(bytes);
      if (m.ok()) read_all(*m);
    }
  }
}

TEST(StunMalformed, AttributeLengthPastTheEndIsRejected) {
  auto bytes = test::load_hex("rfc5769-2.2-response-ipv4.hex");
  bytes[22] = 0x01;  // SOFTWARE length 0x010b: beyond the datagram
  EXPECT_FALSE(Message::parse(bytes).ok());
}

TEST(StunMalformed, AddressWithWrongLengthForFamilyIsIgnored) {
  auto bytes = test::load_hex("rfc5769-2.2-response-ipv4.hex");
  bytes[41] = 0x02;  // claims IPv6 in an 8-byte value
  auto m = Message::parse(bytes);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->xor_mapped_address().has_value());
}

}  // namespace
}  // namespace sipwake::stun
