// Digest client side: parsing challenges, choosing one, answering it.
#include <cstdio>

#include "digest_hash.hpp"
#include "sipwake/sip/digest.hpp"
#include "sipwake/sip/message.hpp"
#include "text.hpp"

namespace sipwake::sip {

std::string_view to_string(DigestAlgorithm alg) {
  switch (alg) {
    case DigestAlgorithm::md5: return "MD5";
    case DigestAlgorithm::md5_sess: return "MD5-sess";
    case DigestAlgorithm::sha256: return "SHA-256";
    case DigestAlgorithm::sha256_sess: return "SHA-256-sess";
  }
  return "MD5";
}

namespace {

// Splits "Digest a=b, ..." into the scheme and the parameter text.
bool split_scheme(std::string_view value, std::string_view& params) {
  value = detail::trim(value);
  const auto sp = value.find_first_of(" \t");
  if (sp == std::string_view::npos || !detail::iequals(value.substr(0, sp), "digest")) return false;
  params = value.substr(sp + 1);
  return true;
}

}  // namespace

Result<DigestChallenge> DigestChallenge::parse(std::string_view header_value, bool proxy) {
  std::string_view rest;
  if (!split_scheme(header_value, rest)) return fail("not a Digest challenge");
  detail::Params params;
  if (!detail::parse_auth_params(rest, params)) return fail("malformed Digest challenge parameters");
  DigestChallenge c;
  c.proxy = proxy;
  bool has_realm = false, has_nonce = false, has_qop = false;
  for (const auto& [name, value] : params) {
    if (name == "realm") {
      c.realm = value;
      has_realm = true;
    } else if (name == "nonce") {
      c.nonce = value;
      has_nonce = true;
    } else if (name == "opaque") {
      c.opaque = value;
    } else if (name == "stale") {
      c.stale = detail::iequals(value, "true");
    } else if (name == "algorithm") {
      auto alg = detail::parse_algorithm(value);
      if (!alg) return fail("unsupported digest algorithm '" + value + "'");
      c.algorithm = *alg;
    } else if (name == "qop") {
      has_qop = true;
      for (std::string_view q : detail::split_outside_quotes(value, ',')) {
        if (detail::iequals(q, "auth")) c.qop_auth = true;
      }
    }
  }
  if (!has_realm || !has_nonce) return fail("Digest challenge without realm or nonce");
  if (has_qop && !c.qop_auth) return fail("Digest challenge offers only qop=auth-int, which is not supported");
  return c;
}

Result<DigestChallenge> select_challenge(const Message& response) {
  const bool proxy = response.status() == 407;
  const auto values = response.headers(proxy ? "Proxy-Authenticate" : "WWW-Authenticate");
  if (values.empty()) return fail(proxy ? "407 without Proxy-Authenticate" : "no WWW-Authenticate header");
  std::string reasons;
  // RFC 8760 2.4: the server lists its preferred challenge first; take the first we support.
  for (const std::string& v : values) {
    auto c = DigestChallenge::parse(v, proxy);
    if (c) return c;
    if (!reasons.empty()) reasons += "; ";
    reasons += c.message();
  }
  return fail("no supported digest challenge (" + reasons + ")");
}

DigestAnswer digest_answer(const DigestChallenge& c, std::string_view username, std::string_view password,
                           std::string_view method, std::string_view digest_uri, std::uint32_t nc,
                           std::string_view cnonce) {
  char nc_hex[9];
  std::snprintf(nc_hex, sizeof nc_hex, "%08x", nc);
  const std::string_view qop = c.qop_auth ? "auth" : "";
  const std::string response = detail::digest_response(c.algorithm, username, c.realm, password, method, digest_uri,
                                                       c.nonce, nc_hex, cnonce, qop);
  std::string v = "Digest username=" + detail::quote(username) + ", realm=" + detail::quote(c.realm) +
                  ", nonce=" + detail::quote(c.nonce) + ", uri=" + detail::quote(digest_uri) +
                  ", response=\"" + response + "\", algorithm=" + std::string(to_string(c.algorithm));
  if (c.qop_auth) {
    v += ", cnonce=" + detail::quote(cnonce) + ", nc=" + nc_hex + ", qop=auth";
  }
  if (!c.opaque.empty()) v += ", opaque=" + detail::quote(c.opaque);
  return DigestAnswer{c.proxy ? "Proxy-Authorization" : "Authorization", std::move(v)};
}

}  // namespace sipwake::sip
