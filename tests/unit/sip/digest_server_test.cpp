#include <gtest/gtest.h>

#include "sipwake/sip/digest.hpp"

using namespace sipwake::sip;

namespace {

constexpr std::int64_t k_now = 1'800'000'000;

DigestServer::Parsed answer(const DigestServer& server, DigestAlgorithm alg, const char* password) {
  auto c = DigestChallenge::parse(server.challenge(alg, false, k_now), false);
  EXPECT_TRUE(c) << c.message();
  auto a = digest_answer(*c, "alice", password, "REGISTER", "sip:example.com", 1, "c0ffee");
  auto p = DigestServer::parse_authorization(a.value);
  EXPECT_TRUE(p) << p.message();
  return *p;
}

}  // namespace

TEST(DigestServer, ChallengeAnswerVerifyIsOkForEveryAlgorithm) {
  DigestServer server("example.com", "hmac-secret");
  for (auto alg : {DigestAlgorithm::md5, DigestAlgorithm::md5_sess, DigestAlgorithm::sha256,
                   DigestAlgorithm::sha256_sess}) {
    auto p = answer(server, alg, "pw");
    EXPECT_EQ(server.verify(p, "REGISTER", "pw", k_now + 10), DigestServer::Verdict::ok) << to_string(alg);
  }
}

TEST(DigestServer, WrongPasswordIsBadCredentials) {
  DigestServer server("example.com", "hmac-secret");
  auto p = answer(server, DigestAlgorithm::sha256, "wrong");
  EXPECT_EQ(server.verify(p, "REGISTER", "pw", k_now), DigestServer::Verdict::bad_credentials);
}

TEST(DigestServer, TamperedNonceIsBadCredentials) {
  DigestServer server("example.com", "hmac-secret");
  auto p = answer(server, DigestAlgorithm::md5, "pw");
  p.nonce[3] = p.nonce[3] == '1' ? '2' : '1';  // shift the timestamp; the MAC no longer matches
  EXPECT_EQ(server.verify(p, "REGISTER", "pw", k_now), DigestServer::Verdict::bad_credentials);
  DigestServer other("example.com", "another-secret");
  auto q = answer(server, DigestAlgorithm::md5, "pw");
  EXPECT_EQ(other.verify(q, "REGISTER", "pw", k_now), DigestServer::Verdict::bad_credentials);
}

TEST(DigestServer, ExpiredNonceWithRightPasswordIsStale) {
  DigestServer server("example.com", "hmac-secret", std::chrono::seconds{60});
  auto p = answer(server, DigestAlgorithm::sha256, "pw");
  EXPECT_EQ(server.verify(p, "REGISTER", "pw", k_now + 60), DigestServer::Verdict::ok);
  EXPECT_EQ(server.verify(p, "REGISTER", "pw", k_now + 61), DigestServer::Verdict::stale_nonce);
  EXPECT_EQ(server.verify(p, "REGISTER", "bad", k_now + 61), DigestServer::Verdict::bad_credentials);
  EXPECT_NE(server.challenge(DigestAlgorithm::sha256, true, k_now).find("stale=true"), std::string::npos);
}

TEST(DigestServer, UnknownAlgorithmOrQopIsMalformed) {
  DigestServer server("example.com", "hmac-secret");
  auto p = answer(server, DigestAlgorithm::md5, "pw");
  p.algorithm = "SHA-512-256";
  EXPECT_EQ(server.verify(p, "REGISTER", "pw", k_now), DigestServer::Verdict::malformed);
  auto q = answer(server, DigestAlgorithm::md5, "pw");
  q.qop = "auth-int";
  EXPECT_EQ(server.verify(q, "REGISTER", "pw", k_now), DigestServer::Verdict::malformed);
}

TEST(DigestServer, ParseAuthorizationRequiresTheCoreParameters) {
  EXPECT_FALSE(DigestServer::parse_authorization(R"(Digest username="a", realm="r", nonce="n", uri="u")"));
  EXPECT_FALSE(DigestServer::parse_authorization(R"(Basic YWxhZGRpbjpvcGVuc2VzYW1l)"));
  auto p = DigestServer::parse_authorization(
      R"(Digest username="a\"b", realm="r", nonce="n", uri="sip:x", response="00", algorithm=MD5)");
  ASSERT_TRUE(p) << p.message();
  EXPECT_EQ(p->username, "a\"b");
  EXPECT_EQ(p->algorithm, "MD5");
}
