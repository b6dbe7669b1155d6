#pragma once
// A parsed STUN message: a bounds-checked view over one datagram (RFC 8489 5, 14).

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "sipwake/stun/address.hpp"
#include "sipwake/stun/constants.hpp"
#include "sipwake/util/result.hpp"

namespace sipwake::stun {

/// 96-bit transaction ID (RFC 3489 messages carry the cookie bytes as part of theirs).
using TransactionId = std::array<std::uint8_t, k_txid_size>;

/// One attribute as found in the datagram; `value` points into the datagram.
struct Attribute {
  std::uint16_t type = 0;
  std::uint16_t offset = 0;  ///< of the attribute header, from the start of the message
  std::span<const std::uint8_t> value;
};

/// RFC 8489 14.8 ERROR-CODE.
struct ErrorCode {
  int code = 0;
  std::string_view reason;
};

/// A STUN message parsed from a datagram. It does not own the bytes: keep the datagram
/// alive while using it. Parsing never reads past the datagram.
class Message {
 public:
  /// Parses `data`; `allow_classic` accepts RFC 3489 messages (no magic cookie).
  static Result<Message> parse(std::span<const std::uint8_t> data, bool allow_classic = true);
  /// Quick test (RFC 8489 6.3 / RFC 7983): could this datagram be STUN at all?
  static bool looks_like_stun(std::span<const std::uint8_t> data);

  Class cls() const { return class_of(m_type); }
  std::uint16_t method() const { return method_of(m_type); }
  std::uint16_t type() const { return m_type; }
  /// True when the magic cookie is absent (an RFC 3489 peer).
  bool classic() const { return m_classic; }
  const TransactionId& transaction_id() const { return m_txid; }
  /// The 4 bytes where the magic cookie sits (part of an RFC 3489 transaction ID).
  std::uint32_t cookie() const { return m_cookie; }
  std::span<const std::uint8_t> bytes() const { return m_data; }

  /// All attributes in order, including those after MESSAGE-INTEGRITY.
  std::span<const Attribute> attributes() const { return {m_attrs.data(), m_count}; }
  /// First attribute of `type` that counts (RFC 8489 14: after MESSAGE-INTEGRITY only
  /// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT count; after FINGERPRINT nothing).
  const Attribute* find(std::uint16_t type) const;
  /// Comprehension-required attribute types we do not understand (for a 420).
  std::vector<std::uint16_t> unknown_required() const;

  /// Typed accessors; nullopt when absent or malformed.
  std::optional<TransportAddress> xor_mapped_address() const;
  std::optional<TransportAddress> mapped_address() const;
  std::optional<TransportAddress> address_attr(std::uint16_t type) const;
  std::optional<std::string_view> username() const { return text(attr::username); }
  std::optional<std::string_view> software() const { return text(attr::software); }
  std::optional<std::string_view> text(std::uint16_t type) const;
  std::optional<ErrorCode> error_code() const;
  std::optional<std::uint32_t> change_request() const;
  std::optional<std::uint16_t> response_port() const;
  std::optional<std::uint64_t> u64(std::uint16_t type) const;

 private:
  std::span<const std::uint8_t> m_data;
  std::uint16_t m_type = 0;
  bool m_classic = false;
  std::uint32_t m_cookie = 0;
  TransactionId m_txid{};
  std::array<Attribute, k_max_attributes> m_attrs{};
  std::size_t m_count = 0;
  std::size_t m_counted = 0;  ///< attributes up to and including the last that counts
};

/// Decodes a (XOR-)MAPPED-ADDRESS style value; `xor_key` is the 16 bytes cookie+txid
/// for XOR-MAPPED-ADDRESS, null for plain MAPPED-ADDRESS.
std::optional<TransportAddress> decode_address(std::span<const std::uint8_t> value,
                                               const std::uint8_t* xor_key);

}  // namespace sipwake::stun
