#include <gtest/gtest.h>

#include "sipwake/sip/digest.hpp"
#include "sipwake/sip/message.hpp"

using namespace sipwake::sip;

namespace {

Message response(int code, const std::vector<std::string>& challenges) {
  std::string s = "SIP/2.0 " + std::to_string(code) +
                  " X\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\n"
                  "Call-ID: c\r\nCSeq: 1 REGISTER\r\n";
  const char* name = code == 407 ? "Proxy-Authenticate" : "WWW-Authenticate";
  for (const auto& c : challenges) s += std::string(name) + ": " + c + "\r\n";
  s += "Content-Length: 0\r\n\r\n";
  auto m = Message::parse(s);
  EXPECT_TRUE(m) << m.message();
  return std::move(m).value();
}

}  // namespace

TEST(DigestChallenge, ParsesAllFields) {
  auto c = DigestChallenge::parse(
      R"(Digest realm="atlanta.example.com", nonce="abc", opaque="op", algorithm=SHA-256, qop="auth,auth-int", stale=TRUE)",
      false);
  ASSERT_TRUE(c) << c.message();
  EXPECT_EQ(c->realm, "atlanta.example.com");
  EXPECT_EQ(c->nonce, "abc");
  EXPECT_EQ(c->opaque, "op");
  EXPECT_EQ(c->algorithm, DigestAlgorithm::sha256);
  EXPECT_TRUE(c->qop_auth);
  EXPECT_TRUE(c->stale);
}

TEST(DigestChallenge, RejectsUnsupportedWithAClearMessage) {
  auto alg = DigestChallenge::parse(R"(Digest realm="r", nonce="n", algorithm=SHA-512-256)", false);
  ASSERT_FALSE(alg);
  EXPECT_NE(alg.message().find("SHA-512-256"), std::string::npos);
  auto qop = DigestChallenge::parse(R"(Digest realm="r", nonce="n", qop="auth-int")", false);
  ASSERT_FALSE(qop);
  EXPECT_NE(qop.message().find("auth-int"), std::string::npos);
  EXPECT_FALSE(DigestChallenge::parse(R"(Basic realm="r")", false));
  EXPECT_FALSE(DigestChallenge::parse(R"(Digest realm="r)", false));
}

TEST(SelectChallenge, PrefersTheTopmostSupportedChallenge) {
  auto m = response(401, {R"(Digest realm="r", nonce="n1", algorithm=SHA-512-256, qop="auth")",
                          R"(Digest realm="r", nonce="n2", algorithm=SHA-256, qop="auth")",
                          R"(Digest realm="r", nonce="n3", algorithm=MD5, qop="auth")"});
  auto c = select_challenge(m);
  ASSERT_TRUE(c) << c.message();
  EXPECT_EQ(c->nonce, "n2");
  EXPECT_EQ(c->algorithm, DigestAlgorithm::sha256);
  EXPECT_FALSE(c->proxy);
}

TEST(SelectChallenge, ProxyChallengeIsAnsweredWithProxyAuthorization) {
  auto m = response(407, {R"(Digest realm="p", nonce="pn", qop="auth")"});
  auto c = select_challenge(m);
  ASSERT_TRUE(c) << c.message();
  EXPECT_TRUE(c->proxy);
  auto a = digest_answer(*c, "bob", "pw", "INVITE", "sip:x@p", 1, "cn");
  EXPECT_EQ(a.header_name, "Proxy-Authorization");
}

TEST(SelectChallenge, ErrorWhenNoneIsSupported) {
  auto m = response(401, {R"(Digest realm="r", nonce="n1", algorithm=AKAv1-MD5)"});
  auto c = select_challenge(m);
  ASSERT_FALSE(c);
  EXPECT_NE(c.message().find("AKAv1-MD5"), std::string::npos);
}

TEST(DigestAnswer, Rfc2617ExampleProducesTheKnownResponse) {
  DigestChallenge c;
  c.realm = "testrealm@host.com";
  c.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  c.opaque = "5ccc069c403ebaf9f0171e9517f40e41";
  c.qop_auth = true;
  auto a = digest_answer(c, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", 1, "0a4f113b");
  EXPECT_EQ(a.header_name, "Authorization");
  EXPECT_NE(a.value.find("response=\"6629fae49393a05397450978507c4ef1\""), std::string::npos) << a.value;
  EXPECT_NE(a.value.find("nc=00000001"), std::string::npos);
  EXPECT_NE(a.value.find("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""), std::string::npos);
  auto parsed = DigestServer::parse_authorization(a.value);
  ASSERT_TRUE(parsed) << parsed.message();
  EXPECT_EQ(parsed->cnonce, "0a4f113b");
  EXPECT_EQ(parsed->qop, "auth");
}
