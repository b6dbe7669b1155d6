#pragma once
// Private: the hash functions digest authentication needs, via OpenSSL libcrypto.

#include <optional>
#include <string>
#include <string_view>

#include "sipwake/sip/digest.hpp"

namespace sipwake::sip::detail {

/// The algorithm for a wire token (empty means MD5, RFC 7616 3.3); nothing when unsupported.
std::optional<DigestAlgorithm> parse_algorithm(std::string_view token);

/// Lowercase hex of MD5 or SHA-256 of `data`, per the algorithm's base hash.
std::string digest_hex(DigestAlgorithm alg, std::string_view data);

/// Lowercase hex of HMAC-SHA256(key, data).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

/// The request-digest of RFC 7616 3.4.1 (RFC 2069 form when qop is empty).
std::string digest_response(DigestAlgorithm alg, std::string_view username, std::string_view realm,
                            std::string_view password, std::string_view method, std::string_view uri,
                            std::string_view nonce, std::string_view nc, std::string_view cnonce,
                            std::string_view qop);

}  // namespace sipwake::sip::detail
