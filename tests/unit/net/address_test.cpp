#include "sipwake/net/address.hpp"
#include "sipwake/net/endpoint.hpp"

#include <gtest/gtest.h>

namespace sipwake::net {
namespace {

TEST(Address, ParsesIpv4AndBracketedIpv6WithPort) {
  auto a = Address::parse("192.0.2.1:5060");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host(), "192.0.2.1");
  EXPECT_EQ(a->port(), 5060);
  EXPECT_EQ(a->to_string(), "192.0.2.1:5060");
  auto b = Address::parse("[2001:db8::1]:5070");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->is_v6());
  EXPECT_EQ(b->host(), "2001:db8::1");
  EXPECT_EQ(b->to_string(), "[2001:db8::1]:5070");
}

TEST(Address, RejectsUnbracketedIpv6NamesAndBadPorts) {
  EXPECT_FALSE(Address::parse("2001:db8::1:5060"));
  EXPECT_FALSE(Address::parse("example.com:5060"));
  EXPECT_FALSE(Address::parse("192.0.2.1:70000"));
  EXPECT_FALSE(Address::parse("192.0.2.1:"));
  EXPECT_FALSE(Address::parse("192.0.2.1"));
}

TEST(Address, EqualityAndHashCoverHostAndPort) {
  auto a = *Address::parse("127.0.0.1:1");
  auto b = *Address::parse("127.0.0.1:1");
  auto c = *Address::parse("127.0.0.1:2");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_NE(a, c);
  EXPECT_TRUE(a.is_loopback());
}

TEST(Address, SourceAddressForLoopbackIsLoopback) {
  auto src = source_address_for(*Address::parse("127.0.0.1:9"));
  ASSERT_TRUE(src) << src.message();
  EXPECT_TRUE(src->is_loopback());
}

TEST(Endpoint, ParsesEveryDocumentedForm) {
  auto u = Endpoint::parse("udp:127.0.0.1:7001");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->kind, Endpoint::Kind::udp);
  EXPECT_EQ(u->port, 7001);
  auto t = Endpoint::parse("tcp:[::1]:7002");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->host, "::1");
  EXPECT_EQ(t->to_string(), "tcp:[::1]:7002");
  auto x = Endpoint::parse("unix:/run/sipwake/worsend.sock");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->path, "/run/sipwake/worsend.sock");
  EXPECT_EQ(Endpoint::parse("-")->kind, Endpoint::Kind::stdio);
}

TEST(Endpoint, RejectsUnknownSchemesAndMissingPorts) {
  EXPECT_FALSE(Endpoint::parse("sctp:1.2.3.4:5"));
  EXPECT_FALSE(Endpoint::parse("udp:1.2.3.4"));
  EXPECT_FALSE(Endpoint::parse("udp::5"));
  EXPECT_FALSE(Endpoint::parse("unix:"));
  EXPECT_FALSE(Endpoint::parse("nonsense"));
}

}  // namespace
}  // namespace sipwake::net
