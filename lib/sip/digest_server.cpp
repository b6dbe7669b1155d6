// Digest server side: stateless nonces and verification of Authorization headers.
#include <openssl/crypto.h>

#include <charconv>
#include <cstdio>

#include "digest_hash.hpp"
#include "sipwake/sip/digest.hpp"
#include "text.hpp"

namespace sipwake::sip {

namespace {

bool equal_ct(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

constexpr std::size_t k_stamp_len = 16;  // 64-bit unix time in hex

}  // namespace

DigestServer::DigestServer(std::string realm, std::string secret, std::chrono::seconds nonce_ttl)
    : m_realm(std::move(realm)), m_secret(std::move(secret)), m_ttl(nonce_ttl) {}

std::string DigestServer::nonce_mac(std::string_view stamp) const {
  // Binding the realm keeps a nonce from one realm from being replayed in another.
  return detail::hmac_sha256_hex(m_secret, std::string(stamp) + ":" + m_realm).substr(0, 32);
}

std::string DigestServer::challenge(DigestAlgorithm alg, bool stale, std::int64_t now_unix) const {
  char stamp[k_stamp_len + 1];
  std::snprintf(stamp, sizeof stamp, "%016llx", static_cast<unsigned long long>(now_unix));
  const std::string nonce = std::string(stamp) + "." + nonce_mac(stamp);
  std::string v = "Digest realm=" + detail::quote(m_realm) + ", nonce=\"" + nonce + "\", algorithm=" +
                  std::string(to_string(alg)) + ", qop=\"auth\"";
  if (stale) v += ", stale=true";
  return v;
}

Result<DigestServer::Parsed> DigestServer::parse_authorization(std::string_view header_value) {
  std::string_view value = detail::trim(header_value);
  const auto sp = value.find_first_of(" \t");
  if (sp == std::string_view::npos || !detail::iequals(value.substr(0, sp), "digest")) {
    return fail("not a Digest authorization");
  }
  detail::Params params;
  if (!detail::parse_auth_params(value.substr(sp + 1), params)) return fail("malformed Digest authorization parameters");
  Parsed p;
  bool seen[5] = {};
  for (auto& [name, v] : params) {
    if (name == "username") { p.username = std::move(v); seen[0] = true; }
    else if (name == "realm") { p.realm = std::move(v); seen[1] = true; }
    else if (name == "nonce") { p.nonce = std::move(v); seen[2] = true; }
    else if (name == "uri") { p.uri = std::move(v); seen[3] = true; }
    else if (name == "response") { p.response = std::move(v); seen[4] = true; }
    else if (name == "cnonce") p.cnonce = std::move(v);
    else if (name == "nc") p.nc = std::move(v);
    else if (name == "qop") p.qop = std::move(v);
    else if (name == "algorithm") p.algorithm = std::move(v);
    else if (name == "opaque") p.opaque = std::move(v);
  }
  static constexpr const char* k_names[] = {"username", "realm", "nonce", "uri", "response"};
  for (int i = 0; i < 5; ++i) {
    if (!seen[i]) return fail(std::string("Digest authorization without ") + k_names[i]);
  }
  return p;
}

DigestServer::Verdict DigestServer::verify(const Parsed& p, std::string_view method, std::string_view password,
                                           std::int64_t now_unix) const {
  const auto alg = detail::parse_algorithm(p.algorithm);
  if (!alg) return Verdict::malformed;
  if (!p.qop.empty() && (!detail::iequals(p.qop, "auth") || p.nc.size() != 8 || p.cnonce.empty())) {
    return Verdict::malformed;
  }
  if (p.realm != m_realm) return Verdict::bad_credentials;
  const auto dot = p.nonce.find('.');
  if (dot != k_stamp_len) return Verdict::bad_credentials;
  const std::string_view stamp = std::string_view(p.nonce).substr(0, dot);
  if (!equal_ct(std::string_view(p.nonce).substr(dot + 1), nonce_mac(stamp))) return Verdict::bad_credentials;
  unsigned long long issued = 0;
  const auto [end, ec] = std::from_chars(stamp.data(), stamp.data() + stamp.size(), issued, 16);
  if (ec != std::errc{} || end != stamp.data() + stamp.size()) return Verdict::bad_credentials;

  const std::string expected = detail::digest_response(*alg, p.username, p.realm, password, method, p.uri,
                                                       p.nonce, p.nc, p.cnonce, p.qop.empty() ? "" : "auth");
  if (!equal_ct(detail::lower(p.response), expected)) return Verdict::bad_credentials;
  const auto age = now_unix - static_cast<std::int64_t>(issued);
  if (age < 0 || age > m_ttl.count()) return Verdict::stale_nonce;
  return Verdict::ok;
}

}  // namespace sipwake::sip
