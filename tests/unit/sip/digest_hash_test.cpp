// Published digest vectors (RFC 2617, RFC 7616) and an independently computed SIP case.
#include "../../../lib/sip/digest_hash.hpp"

#include <gtest/gtest.h>

using sipwake::sip::DigestAlgorithm;
using sipwake::sip::detail::digest_response;

TEST(DigestHash, Rfc2617Section3_5Mufasa) {
  EXPECT_EQ(digest_response(DigestAlgorithm::md5, "Mufasa", "testrealm@host.com", "Circle Of Life", "GET",
                            "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b", "auth"),
            "6629fae49393a05397450978507c4ef1");
}

TEST(DigestHash, Rfc7616Section3_9_1MufasaMd5AndSha256) {
  const char* nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
  const char* cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  EXPECT_EQ(digest_response(DigestAlgorithm::md5, "Mufasa", "http-auth@example.org", "Circle of Life", "GET",
                            "/dir/index.html", nonce, "00000001", cnonce, "auth"),
            "8ca523f5e9506fed4657c9700eebdbec");
  EXPECT_EQ(digest_response(DigestAlgorithm::sha256, "Mufasa", "http-auth@example.org", "Circle of Life", "GET",
                            "/dir/index.html", nonce, "00000001", cnonce, "auth"),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

// Expected values computed with python3 hashlib during development:
//   H = lambda s: hashlib.sha256(s.encode()).hexdigest()
//   ha1 = H('alice:atlanta.example.com:secret'); ha2 = H('REGISTER:sip:atlanta.example.com')
//   H(ha1 + ':84a4cc6f3082121f32b42a2187831a9e:00000001:0a4f113b:auth:' + ha2)
//   and for -sess: ha1 = H(ha1 + ':84a4cc6f3082121f32b42a2187831a9e:0a4f113b') first.
TEST(DigestHash, Rfc8760Sha256RegisterComputedIndependently) {
  EXPECT_EQ(digest_response(DigestAlgorithm::sha256, "alice", "atlanta.example.com", "secret", "REGISTER",
                            "sip:atlanta.example.com", "84a4cc6f3082121f32b42a2187831a9e", "00000001", "0a4f113b",
                            "auth"),
            "86490d42dba28ea63676d8ea4d223eed3887c06ff2d5f225835f7c143652321e");
  EXPECT_EQ(digest_response(DigestAlgorithm::sha256_sess, "alice", "atlanta.example.com", "secret", "REGISTER",
                            "sip:atlanta.example.com", "84a4cc6f3082121f32b42a2187831a9e", "00000001", "0a4f113b",
                            "auth"),
            "2d052499e573a51608bc34de402b34aaca12d643e6b7abc8a22feb671ab578b1");
}
