#pragma once
// STUN wire constants (RFC 8489, RFC 5780): classes, methods, attribute types.

#include <cstddef>
#include <cstdint>

namespace sipwake::stun {

/// RFC 8489 5: the fixed value that marks an RFC 5389+ message.
inline constexpr std::uint32_t k_magic_cookie = 0x2112A442;
/// RFC 8489 14.7: FINGERPRINT is CRC-32 of the message XOR this value ("STUN").
inline constexpr std::uint32_t k_fingerprint_xor = 0x5354554E;
/// Size of the fixed message header.
inline constexpr std::size_t k_header_size = 20;
/// Size of a transaction ID (RFC 5389+; RFC 3489 used the cookie bytes too).
inline constexpr std::size_t k_txid_size = 12;
/// Largest datagram we ever build or accept (fits any sane path MTU).
inline constexpr std::size_t k_max_message = 1500;
/// Most attributes a parsed message may carry; more is treated as malformed.
inline constexpr std::size_t k_max_attributes = 32;

/// RFC 8489 5: the two class bits of the message type.
enum class Class : std::uint8_t { request = 0, indication = 1, success = 2, error = 3 };

/// Methods: Binding from RFC 8489; natkeep's wake uses a private method number.
namespace method {
inline constexpr std::uint16_t binding = 0x001;
/// natkeep wake (server -> device) and its acknowledgement; unregistered, RFC 8489 18.3
/// "designated expert" range, used only between natkeep peers.
inline constexpr std::uint16_t natkeep_wake = 0x801;
}  // namespace method

/// Attribute types (RFC 8489 18.3, RFC 5780 7, RFC 8445 for the ICE ones we recognise).
namespace attr {
inline constexpr std::uint16_t mapped_address = 0x0001;
inline constexpr std::uint16_t response_address = 0x0002;  // RFC 3489, deprecated
inline constexpr std::uint16_t change_request = 0x0003;    // RFC 5780 7.2
inline constexpr std::uint16_t source_address = 0x0004;    // RFC 3489, deprecated
inline constexpr std::uint16_t changed_address = 0x0005;   // RFC 3489, deprecated
inline constexpr std::uint16_t username = 0x0006;
inline constexpr std::uint16_t message_integrity = 0x0008;
inline constexpr std::uint16_t error_code = 0x0009;
inline constexpr std::uint16_t unknown_attributes = 0x000A;
inline constexpr std::uint16_t realm = 0x0014;
inline constexpr std::uint16_t nonce = 0x0015;
inline constexpr std::uint16_t message_integrity_sha256 = 0x001C;
inline constexpr std::uint16_t password_algorithm = 0x001D;
inline constexpr std::uint16_t userhash = 0x001E;
inline constexpr std::uint16_t xor_mapped_address = 0x0020;
inline constexpr std::uint16_t priority = 0x0024;        // RFC 8445
inline constexpr std::uint16_t use_candidate = 0x0025;   // RFC 8445
inline constexpr std::uint16_t padding = 0x0026;         // RFC 5780 7.6
inline constexpr std::uint16_t response_port = 0x0027;   // RFC 5780 7.5
inline constexpr std::uint16_t password_algorithms = 0x8002;
inline constexpr std::uint16_t alternate_domain = 0x8003;
inline constexpr std::uint16_t software = 0x8022;
inline constexpr std::uint16_t alternate_server = 0x8023;
inline constexpr std::uint16_t fingerprint = 0x8028;
inline constexpr std::uint16_t ice_controlled = 0x8029;
inline constexpr std::uint16_t ice_controlling = 0x802A;
inline constexpr std::uint16_t response_origin = 0x802B;  // RFC 5780 7.3
inline constexpr std::uint16_t other_address = 0x802C;    // RFC 5780 7.4
/// natkeep private attributes (comprehension-optional range, never sent to others).
inline constexpr std::uint16_t natkeep_counter = 0xC0A0;
inline constexpr std::uint16_t natkeep_time = 0xC0A1;
inline constexpr std::uint16_t natkeep_payload = 0xC0A2;

/// RFC 8489 14: types below 0x8000 must be understood or the request is rejected (420).
constexpr bool comprehension_required(std::uint16_t type) { return type < 0x8000; }
}  // namespace attr

/// RFC 5780 7.2: CHANGE-REQUEST flag bits.
namespace change {
inline constexpr std::uint32_t ip = 0x4;
inline constexpr std::uint32_t port = 0x2;
}  // namespace change

/// Message type field (14 bits) from class and method (RFC 8489 5, figure 3).
constexpr std::uint16_t message_type(Class c, std::uint16_t m) {
  auto cls = static_cast<std::uint16_t>(c);
  return static_cast<std::uint16_t>((m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) |
                                    ((cls & 0x1) << 4) | ((cls & 0x2) << 7));
}
/// Class bits of a message type.
constexpr Class class_of(std::uint16_t type) {
  return static_cast<Class>(((type >> 4) & 0x1) | ((type >> 7) & 0x2));
}
/// Method bits of a message type.
constexpr std::uint16_t method_of(std::uint16_t type) {
  return static_cast<std::uint16_t>((type & 0x000F) | ((type >> 1) & 0x0070) |
                                    ((type >> 2) & 0x0F80));
}

}  // namespace sipwake::stun
