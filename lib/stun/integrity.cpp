#include "sipwake/stun/integrity.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstring>
#include <memory>

namespace sipwake::stun {
namespace {

// Slicing-by-8 tables: FINGERPRINT is computed or checked on every datagram.
using CrcTables = std::array<std::array<std::uint32_t, 256>, 8>;
constexpr CrcTables make_crc_tables() {
  CrcTables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (std::uint32_t i = 0; i < 256; ++i) {
    for (std::size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  }
  return t;
}
constexpr CrcTables k_crc = make_crc_tables();

// One fetched HMAC implementation and context per thread and digest: fetching per
// call costs more than the MAC itself on a 100k/s server path.
struct MacCtx {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* ctx = nullptr;
  OSSL_PARAM params[2];
  char digest[16];
  explicit MacCtx(const char* name) {
    std::strncpy(digest, name, sizeof digest - 1);
    digest[sizeof digest - 1] = 0;
    mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac != nullptr) ctx = EVP_MAC_CTX_new(mac);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    // Set the digest once: passing it to every EVP_MAC_init re-fetches it (slow).
    if (ctx != nullptr && EVP_MAC_CTX_set_params(ctx, params) != 1) {
      EVP_MAC_CTX_free(ctx);
      ctx = nullptr;
    }
  }
  ~MacCtx() {
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
  }
  MacCtx(const MacCtx&) = delete;
  MacCtx& operator=(const MacCtx&) = delete;

  bool run(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data,
           std::uint8_t* out, std::size_t out_len) {
    if (ctx == nullptr) return false;
    // HMAC accepts an empty key but OpenSSL wants a non-null pointer.
    static const std::uint8_t k_empty = 0;
    const std::uint8_t* k = key.empty() ? &k_empty : key.data();
    if (EVP_MAC_init(ctx, k, key.size(), nullptr) != 1) return false;
    if (EVP_MAC_update(ctx, data.data(), data.size()) != 1) return false;
    std::size_t got = 0;
    return EVP_MAC_final(ctx, out, &got, out_len) == 1 && got == out_len;
  }
};

MacCtx& sha1_ctx() {
  thread_local MacCtx c("SHA1");
  return c;
}
MacCtx& sha256_ctx() {
  thread_local MacCtx c("SHA256");
  return c;
}

// Copies the message up to `end` with the length field set as the sender had it when
// computing the attribute at `end` (RFC 8489 14.5-14.7), into `buf`.
std::size_t adjusted_prefix(const Message& m, std::size_t end, std::size_t attr_total,
                            std::uint8_t* buf) {
  auto bytes = m.bytes();
  std::memcpy(buf, bytes.data(), end);
  std::size_t len = end - k_header_size + attr_total;
  buf[2] = static_cast<std::uint8_t>(len >> 8);
  buf[3] = static_cast<std::uint8_t>(len);
  return end;
}

const Attribute* find_raw(const Message& m, std::uint16_t type) { return m.find(type); }

}  // namespace

std::uint32_t crc32(std::span<const std::uint8_t> data) {
  std::uint32_t c = 0xFFFFFFFFu;
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  while (n >= 8) {
    std::uint32_t lo = c ^ (std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
                            (std::uint32_t{p[3]} << 24));
    c = k_crc[7][lo & 0xFF] ^ k_crc[6][(lo >> 8) & 0xFF] ^ k_crc[5][(lo >> 16) & 0xFF] ^ k_crc[4][lo >> 24] ^
        k_crc[3][p[4]] ^ k_crc[2][p[5]] ^ k_crc[1][p[6]] ^ k_crc[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = k_crc[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::array<std::uint8_t, 20> hmac_sha1(std::span<const std::uint8_t> key,
                                       std::span<const std::uint8_t> data) {
  std::array<std::uint8_t, 20> out{};
  if (!sha1_ctx().run(key, data, out.data(), out.size())) out.fill(0);
  return out;
}

std::array<std::uint8_t, 32> hmac_sha256(std::span<const std::uint8_t> key,
                                         std::span<const std::uint8_t> data) {
  std::array<std::uint8_t, 32> out{};
  if (!sha256_ctx().run(key, data, out.data(), out.size())) out.fill(0);
  return out;
}

bool equal_ct(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Integrity check_fingerprint(const Message& m) {
  const Attribute* a = find_raw(m, attr::fingerprint);
  if (a == nullptr) return Integrity::missing;
  if (a->value.size() != 4) return Integrity::bad;
  std::uint8_t buf[k_max_message];
  std::size_t n = adjusted_prefix(m, a->offset, 8, buf);
  std::uint32_t want = crc32(std::span<const std::uint8_t>(buf, n)) ^ k_fingerprint_xor;
  std::uint32_t got = (std::uint32_t{a->value[0]} << 24) | (std::uint32_t{a->value[1]} << 16) |
                      (std::uint32_t{a->value[2]} << 8) | std::uint32_t{a->value[3]};
  return want == got ? Integrity::ok : Integrity::bad;
}

Integrity check_message_integrity(const Message& m, std::span<const std::uint8_t> key) {
  const Attribute* a = find_raw(m, attr::message_integrity);
  if (a == nullptr) return Integrity::missing;
  if (a->value.size() != 20) return Integrity::bad;
  std::uint8_t buf[k_max_message];
  std::size_t n = adjusted_prefix(m, a->offset, 24, buf);
  auto mac = hmac_sha1(key, std::span<const std::uint8_t>(buf, n));
  return equal_ct(mac, a->value) ? Integrity::ok : Integrity::bad;
}

Integrity check_message_integrity_sha256(const Message& m, std::span<const std::uint8_t> key) {
  const Attribute* a = find_raw(m, attr::message_integrity_sha256);
  if (a == nullptr) return Integrity::missing;
  // RFC 8489 14.6: 16..32 bytes, a multiple of 4.
  std::size_t len = a->value.size();
  if (len < 16 || len > 32 || (len & 3) != 0) return Integrity::bad;
  std::uint8_t buf[k_max_message];
  std::size_t n = adjusted_prefix(m, a->offset, 4 + len, buf);
  auto mac = hmac_sha256(key, std::span<const std::uint8_t>(buf, n));
  return equal_ct(std::span<const std::uint8_t>(mac.data(), len), a->value) ? Integrity::ok
                                                                              : Integrity::bad;
}

Integrity check_short_term(const Message& m, std::span<const std::uint8_t> key) {
  // RFC 8489 9.1.3: with both present, the receiver uses MESSAGE-INTEGRITY-SHA256.
  Integrity r = check_message_integrity_sha256(m, key);
  if (r != Integrity::missing) return r;
  return check_message_integrity(m, key);
}

}  // namespace sipwake::stun
