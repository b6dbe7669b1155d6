#include "sipwake/stun/builder.hpp"

#include <sys/random.h>

#include <cstring>

#include "sipwake/stun/integrity.hpp"
#include "sipwake/util/random.hpp"

namespace sipwake::stun {
namespace {

void wr16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void wr32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

}  // namespace

MessageBuilder::MessageBuilder(Class cls, std::uint16_t m, const TransactionId& txid) {
  m_buf.reserve(128);
  m_buf.resize(k_header_size);
  wr16(m_buf.data(), message_type(cls, m));
  wr16(m_buf.data() + 2, 0);
  wr32(m_buf.data() + 4, k_magic_cookie);
  std::memcpy(m_buf.data() + 8, txid.data(), k_txid_size);
}

MessageBuilder MessageBuilder::classic(Class cls, std::uint16_t m, std::uint32_t cookie,
                                       const TransactionId& txid) {
  MessageBuilder b(cls, m, txid);
  wr32(b.m_buf.data() + 4, cookie);
  return b;
}

TransactionId MessageBuilder::random_transaction_id() {
  TransactionId id{};
  if (getrandom(id.data(), id.size(), 0) != static_cast<ssize_t>(id.size())) {
    for (auto& b : id) b = static_cast<std::uint8_t>(random_between(0, 255));
  }
  return id;
}

void MessageBuilder::set_length(std::size_t body) {
  wr16(m_buf.data() + 2, static_cast<std::uint16_t>(body));
}

std::uint8_t* MessageBuilder::header_for(std::uint16_t type, std::size_t len) {
  std::size_t padded = (len + 3) & ~std::size_t{3};
  std::size_t at = m_buf.size();
  m_buf.resize(at + 4 + padded, 0);  // RFC 8489 14: padding bytes are zero when sent
  wr16(m_buf.data() + at, type);
  wr16(m_buf.data() + at + 2, static_cast<std::uint16_t>(len));
  set_length(m_buf.size() - k_header_size);
  return m_buf.data() + at + 4;
}

MessageBuilder& MessageBuilder::add(std::uint16_t type, std::span<const std::uint8_t> value) {
  std::uint8_t* p = header_for(type, value.size());
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
  return *this;
}

MessageBuilder& MessageBuilder::add_text(std::uint16_t type, std::string_view text) {
  return add(type, as_bytes(text));
}

MessageBuilder& MessageBuilder::add_u32(std::uint16_t type, std::uint32_t v) {
  wr32(header_for(type, 4), v);
  return *this;
}

MessageBuilder& MessageBuilder::add_u64(std::uint16_t type, std::uint64_t v) {
  std::uint8_t* p = header_for(type, 8);
  wr32(p, static_cast<std::uint32_t>(v >> 32));
  wr32(p + 4, static_cast<std::uint32_t>(v));
  return *this;
}

MessageBuilder& MessageBuilder::add_address(std::uint16_t type, const TransportAddress& a) {
  std::size_t n = a.family == 6 ? 16 : 4;
  std::uint8_t* p = header_for(type, 4 + n);
  p[0] = 0;
  p[1] = a.family == 6 ? 0x02 : 0x01;
  wr16(p + 2, a.port);
  std::memcpy(p + 4, a.ip.data(), n);
  return *this;
}

MessageBuilder& MessageBuilder::add_xor_address(std::uint16_t type, const TransportAddress& a) {
  std::size_t n = a.family == 6 ? 16 : 4;
  // Copy the key first: header_for may reallocate the buffer.
  std::uint8_t key[16];
  std::memcpy(key, m_buf.data() + 4, 16);
  std::uint8_t* p = header_for(type, 4 + n);
  p[0] = 0;
  p[1] = a.family == 6 ? 0x02 : 0x01;
  wr16(p + 2, static_cast<std::uint16_t>(a.port ^ ((key[0] << 8) | key[1])));
  for (std::size_t i = 0; i < n; ++i) p[4 + i] = static_cast<std::uint8_t>(a.ip[i] ^ key[i]);
  return *this;
}

MessageBuilder& MessageBuilder::add_error(int code, std::string_view reason) {
  if (reason.size() > 128) reason = reason.substr(0, 128);  // RFC 8489 14.8: < 128 chars
  std::uint8_t* p = header_for(attr::error_code, 4 + reason.size());
  p[0] = 0;
  p[1] = 0;
  p[2] = static_cast<std::uint8_t>((code / 100) & 0x07);
  p[3] = static_cast<std::uint8_t>(code % 100);
  if (!reason.empty()) std::memcpy(p + 4, reason.data(), reason.size());
  return *this;
}

MessageBuilder& MessageBuilder::add_response_port(std::uint16_t port) {
  std::uint8_t* p = header_for(attr::response_port, 4);
  wr16(p, port);
  wr16(p + 2, 0);
  return *this;
}

MessageBuilder& MessageBuilder::add_padding(std::size_t n) {
  if (n > k_max_message) n = k_max_message;
  header_for(attr::padding, n);
  return *this;
}

MessageBuilder& MessageBuilder::add_unknown_attributes(std::span<const std::uint16_t> types) {
  std::size_t n = types.size() > 16 ? 16 : types.size();
  std::uint8_t* p = header_for(attr::unknown_attributes, 2 * n);
  for (std::size_t i = 0; i < n; ++i) wr16(p + 2 * i, types[i]);
  return *this;
}

MessageBuilder& MessageBuilder::add_message_integrity(std::span<const std::uint8_t> key) {
  // RFC 8489 14.5: the length field already counts the MI attribute when hashing.
  std::size_t at = m_buf.size();
  set_length(at + 24 - k_header_size);
  auto mac = hmac_sha1(key, std::span<const std::uint8_t>(m_buf.data(), at));
  add(attr::message_integrity, mac);
  return *this;
}

MessageBuilder& MessageBuilder::add_message_integrity_sha256(std::span<const std::uint8_t> key) {
  std::size_t at = m_buf.size();
  set_length(at + 36 - k_header_size);
  auto mac = hmac_sha256(key, std::span<const std::uint8_t>(m_buf.data(), at));
  add(attr::message_integrity_sha256, mac);
  return *this;
}

MessageBuilder& MessageBuilder::add_fingerprint() {
  std::size_t at = m_buf.size();
  set_length(at + 8 - k_header_size);
  std::uint32_t crc = crc32(std::span<const std::uint8_t>(m_buf.data(), at)) ^ k_fingerprint_xor;
  add_u32(attr::fingerprint, crc);
  return *this;
}

}  // namespace sipwake::stun
