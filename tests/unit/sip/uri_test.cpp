#include "sipwake/sip/uri.hpp"

#include <gtest/gtest.h>

using sipwake::sip::Uri;

TEST(Uri, ParsesUserHostPortAndParams) {
  auto u = Uri::parse("sip:alice@example.com:5070;transport=TCP;lr");
  ASSERT_TRUE(u) << u.message();
  EXPECT_EQ(u->scheme, "sip");
  EXPECT_EQ(u->user, "alice");
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->port, 5070);
  EXPECT_EQ(u->param("TRANSPORT"), "TCP");
  EXPECT_EQ(u->param("lr"), "");
  EXPECT_EQ(u->transport(), "tcp");
  EXPECT_EQ(u->to_string(), "sip:alice@example.com:5070;transport=TCP;lr");
}

TEST(Uri, Ipv6HostRoundTripsWithBrackets) {
  auto u = Uri::parse("<sip:[::1]:5070>");
  ASSERT_TRUE(u) << u.message();
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 5070);
  EXPECT_EQ(u->host_port(), "[::1]:5070");
  EXPECT_EQ(u->to_string(), "sip:[::1]:5070");
  auto again = Uri::parse(u->to_string());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->host, "::1");
}

TEST(Uri, SipsDefaultsToTlsAndSchemeIsLowercased) {
  auto u = Uri::parse("SIPS:bob@example.org");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "sips");
  EXPECT_EQ(u->transport(), "tls");
  EXPECT_FALSE(u->port);
  EXPECT_EQ(Uri::parse("sip:example.org")->transport(), "udp");
}

TEST(Uri, SetParamReplacesOrAppends) {
  auto u = Uri::parse("sip:a@b;transport=udp");
  ASSERT_TRUE(u);
  u->set_param("Transport", "tcp");
  u->set_param("ob", "");
  EXPECT_EQ(u->to_string(), "sip:a@b;transport=tcp;ob");
  u->remove_param("ob");
  EXPECT_EQ(u->to_string(), "sip:a@b;transport=tcp");
}

TEST(Uri, KeepsUriHeadersVerbatim) {
  auto u = Uri::parse("sip:a@b?subject=hi");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->headers, "subject=hi");
  EXPECT_EQ(u->to_string(), "sip:a@b?subject=hi");
}

TEST(Uri, RejectsMalformedInputWithReason) {
  for (const char* bad : {"", "example.com", "http://x", "sip:", "sip:a@", "sip:@h", "sip:h:99999", "sip:h:x",
                          "sip:[::1", "sip:[zz]", "sip:a b@h", "<sip:a@h", "sip:h;;x", "sip:h\x01"}) {
    auto u = Uri::parse(bad);
    EXPECT_FALSE(u) << bad;
    if (!u) {
      EXPECT_FALSE(u.message().empty());
    }
  }
}
