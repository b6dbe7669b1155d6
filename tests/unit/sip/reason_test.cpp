#include "sipwake/sip/reason.hpp"

#include <gtest/gtest.h>

using sipwake::sip::reason_phrase;

TEST(ReasonPhrase, Rfc3261DefaultsIncludingRegistrationAndProxyCodes) {
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(423), "Interval Too Brief");
  EXPECT_EQ(reason_phrase(480), "Temporarily Unavailable");
  EXPECT_EQ(reason_phrase(483), "Too Many Hops");
  EXPECT_EQ(reason_phrase(487), "Request Terminated");
  EXPECT_EQ(reason_phrase(503), "Service Unavailable");
}

TEST(ReasonPhrase, UnknownCodesGetTheirClassPhrase) {
  EXPECT_EQ(reason_phrase(499), "Client Error");
  EXPECT_EQ(reason_phrase(699), "Global Failure");
}
