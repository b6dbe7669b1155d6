#include "digest_hash.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <memory>
#include <stdexcept>

#include "text.hpp"

namespace sipwake::sip::detail {

namespace {

std::string to_hex(const unsigned char* p, std::size_t n) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out(n * 2, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = k_hex[p[i] >> 4];
    out[2 * i + 1] = k_hex[p[i] & 0x0f];
  }
  return out;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

bool is_sess(DigestAlgorithm alg) { return alg == DigestAlgorithm::md5_sess || alg == DigestAlgorithm::sha256_sess; }

}  // namespace

std::optional<DigestAlgorithm> parse_algorithm(std::string_view s) {
  if (s.empty() || iequals(s, "MD5")) return DigestAlgorithm::md5;
  if (iequals(s, "MD5-sess")) return DigestAlgorithm::md5_sess;
  if (iequals(s, "SHA-256")) return DigestAlgorithm::sha256;
  if (iequals(s, "SHA-256-sess")) return DigestAlgorithm::sha256_sess;
  return std::nullopt;
}

std::string digest_hex(DigestAlgorithm alg, std::string_view data) {
  const EVP_MD* md = (alg == DigestAlgorithm::md5 || alg == DigestAlgorithm::md5_sess) ? EVP_md5() : EVP_sha256();
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out, &len) != 1) {
    throw std::runtime_error("OpenSSL digest failed");
  }
  return to_hex(out, len);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len) == nullptr) {
    throw std::runtime_error("OpenSSL HMAC failed");
  }
  return to_hex(out, len);
}

std::string digest_response(DigestAlgorithm alg, std::string_view username, std::string_view realm,
                            std::string_view password, std::string_view method, std::string_view uri,
                            std::string_view nonce, std::string_view nc, std::string_view cnonce,
                            std::string_view qop) {
  const auto join = [](std::initializer_list<std::string_view> parts) {
    std::string s;
    bool first = true;
    for (std::string_view p : parts) {
      if (!first) s += ':';
      first = false;
      s += p;
    }
    return s;
  };
  std::string ha1 = digest_hex(alg, join({username, realm, password}));
  // RFC 7616 3.4.2: the -sess variants hash the nonces into A1.
  if (is_sess(alg)) ha1 = digest_hex(alg, join({ha1, nonce, cnonce}));
  const std::string ha2 = digest_hex(alg, join({method, uri}));
  if (qop.empty()) return digest_hex(alg, join({ha1, nonce, ha2}));
  return digest_hex(alg, join({ha1, nonce, nc, cnonce, qop, ha2}));
}

}  // namespace sipwake::sip::detail
