#include "sipwake/sip/name_addr.hpp"

#include <gtest/gtest.h>

using sipwake::sip::NameAddr;

TEST(NameAddr, ParsesQuotedDisplayUriAndHeaderParams) {
  auto na = NameAddr::parse(R"("Alice \"A\"" <sip:alice@example.com;transport=tcp>;tag=abc;+sip.instance="<urn:uuid:1>")");
  ASSERT_TRUE(na) << na.message();
  EXPECT_EQ(na->display, "Alice \"A\"");
  EXPECT_EQ(na->uri.user, "alice");
  EXPECT_EQ(na->uri.param("transport"), "tcp");
  EXPECT_EQ(na->param("TAG"), "abc");
  EXPECT_EQ(na->param("+sip.instance"), "\"<urn:uuid:1>\"");
}

TEST(NameAddr, AddrSpecParamsBelongToTheHeader) {
  auto na = NameAddr::parse("sip:bob@example.com;tag=x;expires=60");
  ASSERT_TRUE(na);
  EXPECT_TRUE(na->uri.params.empty());
  EXPECT_EQ(na->param("tag"), "x");
  EXPECT_EQ(na->param("expires"), "60");
  EXPECT_EQ(na->to_string(), "<sip:bob@example.com>;tag=x;expires=60");
}

TEST(NameAddr, TokenDisplayNameWithoutSpaceBeforeAngle) {
  auto na = NameAddr::parse("caller<sip:caller@example.com>;tag=323");
  ASSERT_TRUE(na);
  EXPECT_EQ(na->display, "caller");
  EXPECT_EQ(na->to_string(), "\"caller\" <sip:caller@example.com>;tag=323");
}

TEST(NameAddr, RoundTripsThroughToString) {
  NameAddr na;
  na.display = "Bob";
  na.uri = *sipwake::sip::Uri::parse("sip:bob@[2001:db8::1]:5062");
  na.set_param("reg-id", "1");
  auto again = NameAddr::parse(na.to_string());
  ASSERT_TRUE(again) << again.message();
  EXPECT_EQ(again->display, "Bob");
  EXPECT_EQ(again->uri.host, "2001:db8::1");
  EXPECT_EQ(again->param("reg-id"), "1");
}

TEST(NameAddr, RejectsTortureDisplayNamesAndUnclosedForms) {
  for (const char* bad : {"\"Mr. J. User <sip:j.user@example.com>", "Bell, Alexander <sip:a@example.com>",
                          "<sip:a@example.com", "sip:user@example.com?Route=%3Csip:x%3E", "\"x\" sip:a@b", "",
                          "< sip:t.watson@example.org >"}) {
    EXPECT_FALSE(NameAddr::parse(bad)) << bad;
  }
}
