#include "relay.hpp"

#include <gtest/gtest.h>

namespace sipwake::worgw {
namespace {

sip::Message parse(const std::string& text) {
  auto m = sip::Message::parse(text);
  EXPECT_TRUE(m) << m.message();
  return std::move(*m);
}

const std::string k_invite =
    "INVITE sip:rabbit@192.0.2.5:5070 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKkam1\r\n"
    "Via: SIP/2.0/UDP 192.0.2.9:5062;branch=z9hG4bKcaller;rport=5062\r\n"
    "Record-Route: <sip:192.0.2.1;lr>\r\n"
    "From: <sip:shark@example.net>;tag=s1\r\n"
    "To: <sip:rabbit@example.com>\r\n"
    "Call-ID: c1@example.net\r\n"
    "CSeq: 7 INVITE\r\n"
    "Max-Forwards: 69\r\n"
    "Contact: <sip:shark@192.0.2.9:5062>\r\n"
    "Content-Length: 0\r\n\r\n";

const Self k_self{"192.0.2.5", 5070};

TEST(Relay, RelayedInviteTargetsTheDeviceWithOurViaAndRecordRouteOnTop) {
  sip::Message in = parse(k_invite);
  auto target = *sip::Uri::parse("sip:rabbit@100.64.0.2:5060");
  sip::Message out = relayed_invite(in, target, k_self, "z9hG4bKwgabc");
  EXPECT_EQ(out.request_uri().host, "100.64.0.2");
  auto vias = out.vias();
  ASSERT_EQ(vias.size(), 3u);
  EXPECT_EQ(vias[0].branch, "z9hG4bKwgabc");
  EXPECT_TRUE(vias[0].has_rport);
  EXPECT_TRUE(k_self.owns(vias[0]));
  EXPECT_FALSE(k_self.owns(vias[1]));
  auto rr = out.headers("Record-Route");
  ASSERT_EQ(rr.size(), 2u);
  EXPECT_EQ(rr[0], "<sip:192.0.2.5:5070;lr>");
  EXPECT_EQ(out.max_forwards(), 68u);
  EXPECT_EQ(out.call_id(), "c1@example.net");
}

TEST(Relay, AckForAnErrorKeepsTheBranchAndTakesTheResponsesToTag) {
  sip::Message in = parse(k_invite);
  sip::Message relayed = relayed_invite(in, *sip::Uri::parse("sip:rabbit@100.64.0.2"), k_self, "z9hG4bKwgx");
  auto busy = local_response(relayed, 486, "devtag");
  ASSERT_TRUE(busy);
  sip::Message ack = ack_for(relayed, *busy);
  EXPECT_EQ(ack.method(), "ACK");
  EXPECT_EQ(ack.top_via()->branch, "z9hG4bKwgx");
  EXPECT_EQ(ack.vias().size(), 1u);  // hop-by-hop: only our Via
  EXPECT_EQ(ack.cseq()->number, 7u);
  EXPECT_EQ(ack.cseq()->method, "ACK");
  EXPECT_EQ(ack.to()->param("tag").value_or(""), "devtag");
  EXPECT_EQ(ack.request_uri().host, "100.64.0.2");
}

TEST(Relay, CancelMatchesTheRelayedInvite) {
  sip::Message in = parse(k_invite);
  sip::Message relayed = relayed_invite(in, *sip::Uri::parse("sip:rabbit@100.64.0.2"), k_self, "z9hG4bKwgy");
  sip::Message c = cancel_for(relayed);
  EXPECT_EQ(c.method(), "CANCEL");
  EXPECT_EQ(c.top_via()->branch, "z9hG4bKwgy");
  EXPECT_EQ(c.cseq()->number, 7u);
  EXPECT_EQ(c.request_uri().to_string(), relayed.request_uri().to_string());
  EXPECT_FALSE(c.to()->param("tag"));
}

TEST(Relay, LocalResponsesCarryAToTagExceptTrying) {
  sip::Message in = parse(k_invite);
  EXPECT_FALSE(local_response(in, 100, "t")->to()->param("tag"));
  EXPECT_EQ(local_response(in, 180, "t")->to()->param("tag").value_or(""), "t");
  EXPECT_EQ(local_response(in, 480, "t")->to()->param("tag").value_or(""), "t");
}

TEST(Relay, RawErrorResponseCopiesTheAddressingHeadersOfUnparsableRequests) {
  std::string bad =
      "INVITE sip:rabbit@x SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKq\r\nFrom: <sip:a@b>;tag=1\r\n"
      "To: <sip:c@d>\r\nCall-ID: x\r\nCSeq: banana INVITE\r\nContent-Length: 0\r\n\r\n";
  std::string r = raw_error_response(bad, 400, "Bad CSeq\r\ninjected: yes");
  EXPECT_EQ(r.rfind("SIP/2.0 400 Bad CSeq  injected: yes\r\n", 0), 0u);  // CR/LF cannot smuggle headers
  EXPECT_NE(r.find("Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKq\r\n"), std::string::npos);
  EXPECT_NE(r.find("CSeq: banana INVITE\r\n"), std::string::npos);
  EXPECT_TRUE(sip::Message::parse(r) || true);  // best effort: it need not parse itself
  EXPECT_EQ(raw_error_response("SIP/2.0 200 OK\r\nVia: x\r\n\r\n", 400, "x"), "");  // never answer a response
  EXPECT_EQ(raw_error_response("garbage without headers", 400, "x"), "");
}

TEST(Relay, SelfRecognisesItsOwnRouteAndVia) {
  EXPECT_TRUE(k_self.is_us(*sip::Uri::parse("sip:192.0.2.5:5070;lr")));
  EXPECT_FALSE(k_self.is_us(*sip::Uri::parse("sip:192.0.2.5;lr")));
  sip::Via v;
  v.host = "192.0.2.5";
  v.port = 5070;
  v.branch = "z9hG4bKother";
  EXPECT_FALSE(k_self.owns(v));  // right address, someone else's branch
}

}  // namespace
}  // namespace sipwake::worgw
