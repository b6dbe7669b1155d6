#include "sipwake/sip/message.hpp"

#include <gtest/gtest.h>

#include "sip_test_util.hpp"

using sipwake::sip::Message;
using sipwake::sip::Uri;
using sipwake::sip::test::crlf;

namespace {

const std::string k_invite = crlf(
    "INVITE sip:bob@example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds\n"
    "Max-Forwards: 70\n"
    "To: Bob <sip:bob@example.com>\n"
    "From: Alice <sip:alice@example.com>;tag=1928301774\n"
    "Call-ID: a84b4c76e66710@pc33.example.com\n"
    "CSeq: 314159 INVITE\n"
    "Contact: <sip:alice@pc33.example.com>\n"
    "X-Custom: one, two\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 5\n"
    "\n"
    "v=0\n");

}  // namespace

TEST(Message, ParseSerializeParseRoundTripKeepsEverything) {
  auto m = Message::parse(k_invite);
  ASSERT_TRUE(m) << m.message();
  EXPECT_TRUE(m->is_request());
  EXPECT_EQ(m->method(), "INVITE");
  EXPECT_EQ(m->request_uri().to_string(), "sip:bob@example.com");
  const std::string wire = m->to_string();
  EXPECT_NE(wire.find("Max-Forwards: 70\r\n"), std::string::npos) << wire;
  EXPECT_NE(wire.find("X-Custom: one, two\r\n"), std::string::npos) << wire;
  auto again = Message::parse(wire);
  ASSERT_TRUE(again) << again.message() << "\n" << wire;
  EXPECT_EQ(again->call_id(), "a84b4c76e66710@pc33.example.com");
  EXPECT_EQ(again->cseq()->number, 314159u);
  EXPECT_EQ(again->cseq()->method, "INVITE");
  EXPECT_EQ(again->from()->param("tag"), "1928301774");
  EXPECT_EQ(again->to()->display, "Bob");
  EXPECT_EQ(again->body(), "v=0\r\n");
  EXPECT_EQ(again->header("x-custom"), "one, two");
  EXPECT_EQ(again->to_string(), wire);
}

TEST(Message, ResponseParsesStatusAndReason) {
  auto m = Message::parse(crlf(
      "SIP/2.0 486 Busy Here\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@b>;tag=1\nTo: <sip:c@d>;tag=2\n"
      "Call-ID: x\nCSeq: 1 INVITE\nContent-Length: 0\n\n"));
  ASSERT_TRUE(m) << m.message();
  EXPECT_FALSE(m->is_request());
  EXPECT_EQ(m->status(), 486);
  EXPECT_EQ(m->reason(), "Busy Here");
  EXPECT_EQ(m->method(), "");
}

TEST(Message, ContentLengthFollowsTheBody) {
  auto m = Message::parse(k_invite);
  ASSERT_TRUE(m);
  m->set_body("text/plain", "hello world");
  const std::string wire = m->to_string();
  auto again = Message::parse(wire);
  ASSERT_TRUE(again) << again.message() << "\n" << wire;
  EXPECT_EQ(again->body(), "hello world");
  EXPECT_EQ(again->header("Content-Type"), "text/plain");
  m->set_body({}, {});
  auto empty = Message::parse(m->to_string());
  ASSERT_TRUE(empty) << empty.message();
  EXPECT_EQ(empty->body(), "");
  EXPECT_EQ(empty->header("Content-Length"), "0");
  EXPECT_FALSE(empty->header("Content-Type"));
}

TEST(Message, BuiltRequestSerializesAndParses) {
  auto m = Message::request("REGISTER", *Uri::parse("sip:registrar.example.com"));
  m.push_via({"UDP", "192.0.2.1", 5060, "z9hG4bKabc", std::nullopt, true, std::nullopt});
  m.set_from(*sipwake::sip::NameAddr::parse("<sip:alice@example.com>;tag=t1"));
  m.set_to(*sipwake::sip::NameAddr::parse("<sip:alice@example.com>"));
  m.set_call_id("cid-1");
  m.set_cseq(7, "REGISTER");
  m.set_header("Max-Forwards", "70");
  m.set_header("Expires", "600");
  const std::string wire = m.to_string();
  EXPECT_NE(wire.find("Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport\r\n"), std::string::npos) << wire;
  auto again = Message::parse(wire);
  ASSERT_TRUE(again) << again.message() << "\n" << wire;
  EXPECT_EQ(again->method(), "REGISTER");
  EXPECT_EQ(again->expires(), 600u);
  EXPECT_EQ(again->max_forwards(), 70u);
}

TEST(Message, ResponseToCopiesViasFromToCallIdCSeqOnly) {
  auto req = Message::parse(crlf(
      "OPTIONS sip:b@example.com SIP/2.0\nVia: SIP/2.0/UDP p1;branch=z9hG4bK1\nVia: SIP/2.0/TCP p2;branch=z9hG4bK2\n"
      "From: <sip:a@example.com>;tag=1\nTo: <sip:b@example.com>\nCall-ID: c1\nCSeq: 5 OPTIONS\n"
      "Max-Forwards: 70\nContact: <sip:a@p1>\nContent-Length: 0\n\n"));
  ASSERT_TRUE(req) << req.message();
  auto resp = Message::response_to(*req, 423);
  ASSERT_TRUE(resp) << resp.message();
  EXPECT_EQ(resp->status(), 423);
  EXPECT_EQ(resp->reason(), "Interval Too Brief");
  ASSERT_EQ(resp->vias().size(), 2u);
  EXPECT_EQ(resp->vias()[1].host, "p2");
  EXPECT_EQ(resp->call_id(), "c1");
  EXPECT_EQ(resp->cseq()->method, "OPTIONS");
  EXPECT_EQ(resp->from()->param("tag"), "1");
  EXPECT_FALSE(resp->header("Max-Forwards"));
  EXPECT_TRUE(resp->contacts().empty());
  auto custom = Message::response_to(*req, 200, "Fine");
  ASSERT_TRUE(custom);
  EXPECT_EQ(custom->reason(), "Fine");
  EXPECT_TRUE(Message::parse(resp->to_string()));
  EXPECT_FALSE(Message::response_to(*resp, 200));
  EXPECT_FALSE(Message::response_to(*req, 99));
}

TEST(Message, CloneIsIndependent) {
  auto m = Message::parse(k_invite);
  ASSERT_TRUE(m);
  Message copy = m->clone();
  copy.set_call_id("other");
  EXPECT_EQ(m->call_id(), "a84b4c76e66710@pc33.example.com");
  EXPECT_EQ(copy.call_id(), "other");
}

TEST(Message, RejectsCheaplyBeforeTheParser) {
  EXPECT_FALSE(Message::parse(""));
  EXPECT_FALSE(Message::parse("\r\n\r\n"));
  EXPECT_FALSE(Message::parse(std::string(70 * 1024, 'a')));
  std::string nul = k_invite;
  nul[40] = '\0';
  auto r = Message::parse(nul);
  ASSERT_FALSE(r);
  EXPECT_NE(r.message().find("NUL"), std::string::npos);
  EXPECT_FALSE(Message::parse(crlf("Via: SIP/2.0/UDP h\nCall-ID: x\n\n")));
  EXPECT_FALSE(Message::parse(k_invite.substr(0, 60)));
}

TEST(Message, MissingMandatoryHeadersAreRejected) {
  auto r = Message::parse(crlf("OPTIONS sip:b@example.com SIP/2.0\nVia: SIP/2.0/UDP p1;branch=z9hG4bK1\n"
                               "From: <sip:a@example.com>;tag=1\nTo: <sip:b@example.com>\nCSeq: 5 OPTIONS\n\n"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), "missing Call-ID");
}
