#include "sipwake/stun/message.hpp"

#include <algorithm>
#include <cstring>

namespace sipwake::stun {
namespace {

std::uint16_t rd16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t rd32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// Comprehension-required types this codec understands; anything else below 0x8000 in a
// request earns a 420 (RFC 8489 6.3.1.1).
constexpr std::uint16_t k_known_required[] = {
    attr::mapped_address, attr::response_address, attr::change_request, attr::source_address,
    attr::changed_address, attr::username, attr::message_integrity, attr::error_code,
    attr::unknown_attributes, attr::realm, attr::nonce, attr::message_integrity_sha256,
    attr::password_algorithm, attr::userhash, attr::xor_mapped_address, attr::priority,
    attr::use_candidate, attr::padding, attr::response_port};

}  // namespace

bool Message::looks_like_stun(std::span<const std::uint8_t> data) {
  // RFC 7983: first byte 0..3; RFC 8489 6.3: length multiple of 4 and consistent.
  if (data.size() < k_header_size || (data[0] & 0xC0) != 0) return false;
  std::size_t len = rd16(data.data() + 2);
  return (len & 3) == 0 && len + k_header_size == data.size();
}

Result<Message> Message::parse(std::span<const std::uint8_t> data, bool allow_classic) {
  if (data.size() < k_header_size) return fail("stun: datagram shorter than a header");
  if (data.size() > k_max_message) return fail("stun: datagram too large");
  const std::uint8_t* p = data.data();
  if ((p[0] & 0xC0) != 0) return fail("stun: first two bits not zero");
  std::size_t len = rd16(p + 2);
  if ((len & 3) != 0) return fail("stun: length not a multiple of 4");
  if (len + k_header_size != data.size()) return fail("stun: length does not match datagram");

  Message m;
  m.m_data = data;
  m.m_type = rd16(p);
  m.m_cookie = rd32(p + 4);
  m.m_classic = m.m_cookie != k_magic_cookie;
  if (m.m_classic && !allow_classic) return fail("stun: no magic cookie");
  std::memcpy(m.m_txid.data(), p + 8, k_txid_size);

  std::size_t off = k_header_size;
  bool after_integrity = false;
  bool after_fingerprint = false;
  while (off < data.size()) {
    if (data.size() - off < 4) return fail("stun: truncated attribute header");
    if (m.m_count == k_max_attributes) return fail("stun: too many attributes");
    if (after_fingerprint) return fail("stun: attribute after FINGERPRINT");
    std::uint16_t type = rd16(p + off);
    std::size_t alen = rd16(p + off + 2);
    std::size_t padded = (alen + 3) & ~std::size_t{3};
    if (data.size() - off - 4 < padded) return fail("stun: attribute overruns the message");
    Attribute& a = m.m_attrs[m.m_count++];
    a.type = type;
    a.offset = static_cast<std::uint16_t>(off);
    a.value = data.subspan(off + 4, alen);
    // RFC 8489 14.5: after MESSAGE-INTEGRITY only MI-SHA256 and FINGERPRINT count.
    bool counts = !after_integrity || type == attr::message_integrity_sha256 ||
                  type == attr::fingerprint;
    if (counts) m.m_counted = m.m_count;
    if (type == attr::message_integrity || type == attr::message_integrity_sha256) {
      after_integrity = true;
    }
    if (type == attr::fingerprint) after_fingerprint = true;
    off += 4 + padded;
  }
  return m;
}

const Attribute* Message::find(std::uint16_t type) const {
  for (std::size_t i = 0; i < m_counted; ++i) {
    const Attribute& a = m_attrs[i];
    if (a.type == type) return &a;
  }
  return nullptr;
}

std::vector<std::uint16_t> Message::unknown_required() const {
  std::vector<std::uint16_t> out;
  for (std::size_t i = 0; i < m_counted; ++i) {
    std::uint16_t t = m_attrs[i].type;
    if (!attr::comprehension_required(t)) continue;
    if (std::find(std::begin(k_known_required), std::end(k_known_required), t) !=
        std::end(k_known_required)) {
      continue;
    }
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  }
  return out;
}

std::optional<TransportAddress> decode_address(std::span<const std::uint8_t> v,
                                               const std::uint8_t* xor_key) {
  // RFC 8489 14.1/14.2: 0, family, port, address (4 or 16 bytes).
  if (v.size() < 4) return std::nullopt;
  TransportAddress a;
  std::size_t n = 0;
  if (v[1] == 0x01 && v.size() == 8) {
    a.family = 4;
    n = 4;
  } else if (v[1] == 0x02 && v.size() == 20) {
    a.family = 6;
    n = 16;
  } else {
    return std::nullopt;
  }
  a.port = rd16(v.data() + 2);
  for (std::size_t i = 0; i < n; ++i) a.ip[i] = v[4 + i];
  if (xor_key != nullptr) {
    a.port = static_cast<std::uint16_t>(a.port ^ rd16(xor_key));
    for (std::size_t i = 0; i < n; ++i) a.ip[i] = static_cast<std::uint8_t>(a.ip[i] ^ xor_key[i]);
  }
  return a;
}

std::optional<TransportAddress> Message::address_attr(std::uint16_t type) const {
  const Attribute* a = find(type);
  if (a == nullptr) return std::nullopt;
  bool xored = type == attr::xor_mapped_address;
  if (xored && m_classic) return std::nullopt;
  // The XOR key is the magic cookie followed by the transaction ID (RFC 8489 14.2).
  return decode_address(a->value, xored ? m_data.data() + 4 : nullptr);
}

std::optional<TransportAddress> Message::xor_mapped_address() const {
  return address_attr(attr::xor_mapped_address);
}
std::optional<TransportAddress> Message::mapped_address() const {
  return address_attr(attr::mapped_address);
}

std::optional<std::string_view> Message::text(std::uint16_t type) const {
  const Attribute* a = find(type);
  if (a == nullptr) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(a->value.data()), a->value.size());
}

std::optional<ErrorCode> Message::error_code() const {
  const Attribute* a = find(attr::error_code);
  if (a == nullptr || a->value.size() < 4) return std::nullopt;
  int cls = a->value[2] & 0x07;
  int num = a->value[3];
  if (cls < 3 || cls > 6 || num > 99) return std::nullopt;
  ErrorCode e;
  e.code = cls * 100 + num;
  e.reason = std::string_view(reinterpret_cast<const char*>(a->value.data() + 4),
                              a->value.size() - 4);
  return e;
}

std::optional<std::uint32_t> Message::change_request() const {
  const Attribute* a = find(attr::change_request);
  if (a == nullptr || a->value.size() != 4) return std::nullopt;
  return rd32(a->value.data());
}

std::optional<std::uint16_t> Message::response_port() const {
  const Attribute* a = find(attr::response_port);
  if (a == nullptr || a->value.size() != 4) return std::nullopt;
  return rd16(a->value.data());
}

std::optional<std::uint64_t> Message::u64(std::uint16_t type) const {
  const Attribute* a = find(type);
  if (a == nullptr || a->value.size() != 8) return std::nullopt;
  return (std::uint64_t{rd32(a->value.data())} << 32) | rd32(a->value.data() + 4);
}

}  // namespace sipwake::stun
