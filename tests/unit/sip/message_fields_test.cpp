// Typed accessors: Via (received/rport), CSeq, Contacts incl. "*", numeric headers.
#include <gtest/gtest.h>

#include "sip_test_util.hpp"

using sipwake::sip::Message;
using sipwake::sip::test::parse_lf;

namespace {

const char* const k_register =
    "REGISTER sip:example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKr1;received=203.0.113.9;rport=40000\n"
    "Via: SIP/2.0/TCP [2001:db8::5]:5060;branch=z9hG4bKr2;rport\n"
    "From: <sip:alice@example.com>;tag=a1\n"
    "To: <sip:alice@example.com>\n"
    "Call-ID: reg-1\n"
    "CSeq: 42 REGISTER\n"
    "Contact: <sip:alice@10.0.0.5:5062;ob>;expires=600;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\";reg-id=1,\n"
    " \"Desk\" <sip:alice@192.0.2.7>;q=0.5\n"
    "Contact: sip:alice@192.0.2.8;expires=30\n"
    "Expires: 3600\n"
    "Max-Forwards: 69\n"
    "Content-Length: 0\n"
    "\n";

}  // namespace

TEST(MessageFields, ViaReceivedAndRportAreExtracted) {
  Message m = parse_lf(k_register);
  const auto vias = m.vias();
  ASSERT_EQ(vias.size(), 2u);
  EXPECT_EQ(vias[0].transport, "UDP");
  EXPECT_EQ(vias[0].host, "10.0.0.5");
  EXPECT_EQ(vias[0].port, 5062);
  EXPECT_EQ(vias[0].branch, "z9hG4bKr1");
  EXPECT_EQ(vias[0].received, "203.0.113.9");
  EXPECT_TRUE(vias[0].has_rport);
  EXPECT_EQ(vias[0].rport, 40000);
  EXPECT_EQ(vias[1].transport, "TCP");
  EXPECT_EQ(vias[1].host, "2001:db8::5");
  EXPECT_TRUE(vias[1].has_rport);
  EXPECT_FALSE(vias[1].rport);
  EXPECT_FALSE(vias[1].received);
}

TEST(MessageFields, PushViaBecomesTopAndPopRemovesIt) {
  Message m = parse_lf(k_register);
  sipwake::sip::Via v;
  v.transport = "TCP";
  v.host = "::1";
  v.port = 5070;
  v.branch = "z9hG4bKtop";
  v.has_rport = true;
  m.push_via(v);
  auto again = Message::parse(m.to_string());
  ASSERT_TRUE(again) << again.message();
  auto top = again->top_via();
  ASSERT_TRUE(top);
  EXPECT_EQ(top->branch, "z9hG4bKtop");
  EXPECT_EQ(top->host, "::1");
  EXPECT_TRUE(top->has_rport);
  EXPECT_EQ(again->vias().size(), 3u);
  m.pop_via();
  EXPECT_EQ(m.top_via()->branch, "z9hG4bKr1");
}

TEST(MessageFields, MultipleContactsAcrossCommasAndLines) {
  Message m = parse_lf(k_register);
  const auto contacts = m.contacts();
  ASSERT_EQ(contacts.size(), 3u);
  EXPECT_EQ(contacts[0].uri.param("ob"), "");
  EXPECT_EQ(contacts[0].param("expires"), "600");
  EXPECT_EQ(contacts[0].param("reg-id"), "1");
  EXPECT_EQ(contacts[0].param("+sip.instance"), "\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\"");
  EXPECT_EQ(contacts[1].display, "Desk");
  EXPECT_EQ(contacts[2].uri.host, "192.0.2.8");
  EXPECT_EQ(contacts[2].param("expires"), "30");
  EXPECT_FALSE(m.contact_star());
}

TEST(MessageFields, ContactStarIsRecognisedAndWritten) {
  Message m = parse_lf(
      "REGISTER sip:example.com SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@example.com>;tag=1\n"
      "To: <sip:a@example.com>\nCall-ID: s\nCSeq: 3 REGISTER\nContact: *\nExpires: 0\nContent-Length: 0\n\n");
  EXPECT_TRUE(m.contact_star());
  EXPECT_TRUE(m.contacts().empty());
  EXPECT_EQ(m.expires(), 0u);
  Message built = parse_lf(k_register);
  built.set_contact_star();
  auto again = Message::parse(built.to_string());
  ASSERT_TRUE(again) << again.message();
  EXPECT_TRUE(again->contact_star());
  built.remove_header("Contact");
  built.add_contact(*sipwake::sip::NameAddr::parse("<sip:x@y>;expires=5"));
  EXPECT_FALSE(built.contact_star());
  EXPECT_EQ(built.contacts().at(0).param("expires"), "5");
}

TEST(MessageFields, NumericHeaders) {
  Message m = parse_lf(k_register);
  EXPECT_EQ(m.expires(), 3600u);
  EXPECT_EQ(m.max_forwards(), 69u);
  EXPECT_FALSE(m.min_expires());
  EXPECT_FALSE(m.retry_after());
  m.set_header("Min-Expires", "1800");
  m.set_header("Retry-After", "120 (I'm in a meeting);duration=60");
  EXPECT_EQ(m.min_expires(), 1800u);
  EXPECT_EQ(m.retry_after(), 120u);
  EXPECT_EQ(m.cseq()->number, 42u);
}
