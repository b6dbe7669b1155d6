#pragma once
// Builds STUN messages attribute by attribute, then seals them with MESSAGE-INTEGRITY,
// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT (RFC 8489 14.5, 14.6, 14.7).

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "sipwake/stun/message.hpp"

namespace sipwake::stun {

/// A message under construction. Attributes are appended in call order; integrity and
/// fingerprint must come last, in that order.
class MessageBuilder {
 public:
  /// An RFC 8489 message of the given class/method and transaction ID.
  MessageBuilder(Class cls, std::uint16_t method, const TransactionId& txid);
  /// An RFC 3489 response: `cookie` is the first 4 bytes of the peer's 16-byte ID.
  static MessageBuilder classic(Class cls, std::uint16_t method, std::uint32_t cookie,
                                const TransactionId& txid);
  /// A new random transaction ID from the OS.
  static TransactionId random_transaction_id();

  MessageBuilder& add(std::uint16_t type, std::span<const std::uint8_t> value);
  MessageBuilder& add_text(std::uint16_t type, std::string_view text);
  MessageBuilder& add_u32(std::uint16_t type, std::uint32_t v);
  MessageBuilder& add_u64(std::uint16_t type, std::uint64_t v);
  MessageBuilder& add_address(std::uint16_t type, const TransportAddress& a);
  MessageBuilder& add_xor_address(std::uint16_t type, const TransportAddress& a);
  MessageBuilder& add_error(int code, std::string_view reason);
  MessageBuilder& add_change_request(std::uint32_t flags) { return add_u32(attr::change_request, flags); }
  /// RFC 5780 7.5: port in the high 16 bits, 2 bytes reserved.
  MessageBuilder& add_response_port(std::uint16_t port);
  /// RFC 5780 7.6: `n` zero bytes (rounded up to a multiple of 4 on the wire).
  MessageBuilder& add_padding(std::size_t n);
  MessageBuilder& add_unknown_attributes(std::span<const std::uint16_t> types);
  /// HMAC-SHA1 over the message so far (short-term credential key = password).
  MessageBuilder& add_message_integrity(std::span<const std::uint8_t> key);
  /// HMAC-SHA256 over the message so far, full 32 bytes.
  MessageBuilder& add_message_integrity_sha256(std::span<const std::uint8_t> key);
  MessageBuilder& add_fingerprint();

  /// Bytes the message would have now.
  std::size_t size() const { return m_buf.size(); }
  /// The finished datagram.
  const std::vector<std::uint8_t>& bytes() const { return m_buf; }
  std::vector<std::uint8_t> take() && { return std::move(m_buf); }

 private:
  void set_length(std::size_t body);
  std::uint8_t* header_for(std::uint16_t type, std::size_t len);
  std::vector<std::uint8_t> m_buf;
};

}  // namespace sipwake::stun
