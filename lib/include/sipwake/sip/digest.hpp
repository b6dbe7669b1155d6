#pragma once
// HTTP Digest authentication for SIP (RFC 2617, RFC 7616, RFC 8760): client answers and a
// stateless server side with HMAC-protected, expiring nonces.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "sipwake/util/result.hpp"

namespace sipwake::sip {

class Message;

/// Digest algorithms we implement (RFC 8760 adds SHA-256 to SIP).
enum class DigestAlgorithm { md5, md5_sess, sha256, sha256_sess };

/// The token used on the wire ("MD5", "MD5-sess", "SHA-256", "SHA-256-sess").
std::string_view to_string(DigestAlgorithm alg);

/// One WWW-Authenticate / Proxy-Authenticate challenge.
struct DigestChallenge {
  std::string realm, nonce, opaque;
  DigestAlgorithm algorithm = DigestAlgorithm::md5;
  bool qop_auth = false;  ///< the server offered qop "auth"
  bool stale = false;
  bool proxy = false;  ///< came from Proxy-Authenticate (407)

  /// Parses a challenge; rejects other schemes, unsupported algorithms and auth-int-only qop.
  static Result<DigestChallenge> parse(std::string_view header_value, bool proxy);
};

/// Picks the topmost challenge we support from a 401/407 (RFC 8760 2.4); error if none.
Result<DigestChallenge> select_challenge(const Message& response);

/// The header to add to the retried request.
struct DigestAnswer {
  std::string header_name;  ///< "Authorization" or "Proxy-Authorization"
  std::string value;
};

/// Computes the answer to a challenge (qop=auth with nc/cnonce when offered).
DigestAnswer digest_answer(const DigestChallenge& c, std::string_view username, std::string_view password,
                           std::string_view method, std::string_view digest_uri, std::uint32_t nc,
                           std::string_view cnonce);

/// Server side: stateless nonces "<unix time hex>.<HMAC-SHA256 hex>" that expire after a TTL.
class DigestServer {
 public:
  DigestServer(std::string realm, std::string secret, std::chrono::seconds nonce_ttl = std::chrono::seconds{300});

  /// A WWW-Authenticate value with a fresh nonce and qop="auth".
  std::string challenge(DigestAlgorithm alg, bool stale, std::int64_t now_unix) const;

  enum class Verdict { ok, bad_credentials, stale_nonce, malformed };

  /// The parameters of an Authorization / Proxy-Authorization value, unquoted.
  struct Parsed {
    std::string username, realm, nonce, uri, response, cnonce, nc, qop, algorithm, opaque;
  };

  /// Parses a Digest Authorization value; error when a required parameter is missing.
  static Result<Parsed> parse_authorization(std::string_view header_value);

  /// Checks nonce HMAC and age and the response (constant-time). stale_nonce only when the
  /// credentials were right but the nonce expired (RFC 7616 3.3).
  Verdict verify(const Parsed& p, std::string_view method, std::string_view password, std::int64_t now_unix) const;

 private:
  std::string nonce_mac(std::string_view stamp) const;

  std::string m_realm;
  std::string m_secret;
  std::chrono::seconds m_ttl;
};

}  // namespace sipwake::sip
