#pragma once
// Message authentication and fingerprint checks (RFC 8489 9.1, 14.5-14.7).

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "sipwake/stun/message.hpp"

namespace sipwake::stun {

/// CRC-32 (ISO-HDLC, as in zlib) of `data`.
std::uint32_t crc32(std::span<const std::uint8_t> data);
/// HMAC-SHA1 of `data` with `key`.
std::array<std::uint8_t, 20> hmac_sha1(std::span<const std::uint8_t> key,
                                       std::span<const std::uint8_t> data);
/// HMAC-SHA256 of `data` with `key`.
std::array<std::uint8_t, 32> hmac_sha256(std::span<const std::uint8_t> key,
                                         std::span<const std::uint8_t> data);
/// Constant-time comparison of equal-length byte strings.
bool equal_ct(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);
/// A string's bytes, for passing passwords and keys.
inline std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// Outcome of an integrity check.
enum class Integrity { ok, missing, bad };

/// RFC 8489 14.7: FINGERPRINT present and correct (missing when absent).
Integrity check_fingerprint(const Message& m);
/// RFC 8489 14.5: MESSAGE-INTEGRITY (HMAC-SHA1) with `key`.
Integrity check_message_integrity(const Message& m, std::span<const std::uint8_t> key);
/// RFC 8489 14.6: MESSAGE-INTEGRITY-SHA256 with `key` (truncations to >= 16 bytes accepted).
Integrity check_message_integrity_sha256(const Message& m, std::span<const std::uint8_t> key);

/// RFC 8489 9.1.3: a short-term credential check. The strongest integrity attribute
/// present must verify; if SHA-256 is present it is the one that counts.
Integrity check_short_term(const Message& m, std::span<const std::uint8_t> key);

}  // namespace sipwake::stun
