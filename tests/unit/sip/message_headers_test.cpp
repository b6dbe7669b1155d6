// Generic header access: names, compact forms, list headers, add/set/remove.
#include <gtest/gtest.h>

#include "sip_test_util.hpp"

using sipwake::sip::Message;
using sipwake::sip::test::parse_lf;

namespace {

const char* const k_compact =
    "MESSAGE sip:b@example.com SIP/2.0\n"
    "v: SIP/2.0/UDP h1;branch=z9hG4bK1, SIP/2.0/TCP h2;branch=z9hG4bK2\n"
    "f: <sip:a@example.com>;tag=9\n"
    "t: <sip:b@example.com>\n"
    "i: compact-1\n"
    "CSeq: 2 MESSAGE\n"
    "m: <sip:a@h1>\n"
    "k: path, gruu\n"
    "s: hello\n"
    "o: presence\n"
    "c: text/plain\n"
    "l: 2\n"
    "\n"
    "hi";

}  // namespace

TEST(MessageHeaders, CompactFormsAreEquivalentToFullNames) {
  Message m = parse_lf(k_compact);
  EXPECT_EQ(m.header("Via"), m.header("v"));
  EXPECT_EQ(m.headers("VIA").size(), 2u);
  EXPECT_EQ(m.header("call-id"), "compact-1");
  EXPECT_EQ(m.header("I"), "compact-1");
  EXPECT_EQ(m.header("Content-Type"), "text/plain");
  EXPECT_EQ(m.header("Subject"), "hello");
  EXPECT_EQ(m.header("Event"), "presence");
  EXPECT_EQ(m.header("Contact"), "<sip:a@h1>");
  EXPECT_EQ(m.body(), "hi");
  const std::string wire = m.to_string();
  EXPECT_NE(wire.find("Supported: path\r\n"), std::string::npos) << wire;
  EXPECT_NE(wire.find("Subject: hello\r\n"), std::string::npos) << wire;
}

TEST(MessageHeaders, CommaListHeadersCountAsSeveralValues) {
  Message m = parse_lf(k_compact);
  EXPECT_EQ(m.headers("Supported"), (std::vector<std::string>{"path", "gruu"}));
  m.add_header("Allow", "INVITE, ACK, BYE");
  EXPECT_EQ(m.headers("allow").size(), 3u);
  m.add_header("Require", "100rel, timer");
  EXPECT_EQ(m.headers("require"), (std::vector<std::string>{"100rel", "timer"}));
  // Not a list header: the comma stays inside one value.
  m.add_header("Subject", "a, b");
  EXPECT_EQ(m.headers("subject"), (std::vector<std::string>{"hello", "a, b"}));
}

TEST(MessageHeaders, SetReplacesAddAppendsRemoveDeletes) {
  Message m = parse_lf(k_compact);
  m.add_header("X-Trace", "1");
  m.add_header("x-trace", "2");
  EXPECT_EQ(m.headers("X-TRACE"), (std::vector<std::string>{"1", "2"}));
  m.set_header("X-Trace", "3");
  EXPECT_EQ(m.headers("x-trace"), (std::vector<std::string>{"3"}));
  m.remove_header("x-trace");
  EXPECT_FALSE(m.header("X-Trace"));
  m.set_header("v", "SIP/2.0/TLS only;branch=z9hG4bK3");
  ASSERT_EQ(m.vias().size(), 1u);
  EXPECT_EQ(m.top_via()->transport, "TLS");
  m.remove_header("Subject");
  EXPECT_FALSE(m.header("s"));
  auto again = Message::parse(m.to_string());
  ASSERT_TRUE(again) << again.message();
  EXPECT_EQ(again->header("x-trace"), std::nullopt);
  EXPECT_EQ(again->top_via()->host, "only");
}

TEST(MessageHeaders, AddingASingleInstanceHeaderReplacesIt) {
  Message m = parse_lf(k_compact);
  m.add_header("Call-ID", "new-id");
  EXPECT_EQ(m.headers("Call-ID"), (std::vector<std::string>{"new-id"}));
}

TEST(MessageHeaders, AuthHeadersKeepTheirCommasInOneValue) {
  Message m = parse_lf(k_compact);
  m.add_header("WWW-Authenticate", R"(Digest realm="a", nonce="n1", algorithm=SHA-256, qop="auth")");
  m.add_header("WWW-Authenticate", R"(Digest realm="a", nonce="n2")");
  const auto values = m.headers("www-authenticate");
  ASSERT_EQ(values.size(), 2u);
  EXPECT_NE(values[0].find("SHA-256"), std::string::npos) << values[0];
  EXPECT_NE(values[1].find("n2"), std::string::npos) << values[1];
}
