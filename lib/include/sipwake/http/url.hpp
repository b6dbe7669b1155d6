#pragma once
// http:// and https:// URLs as the HTTP client needs them (RFC 3986, authority and path only).

#include <cstdint>
#include <string>
#include <string_view>

#include "sipwake/util/result.hpp"

namespace sipwake::http {

/// A parsed absolute http(s) URL; host keeps IPv6 without brackets.
struct Url {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string path;  ///< path and query, "/" when empty

  /// Parses http://HOST[:PORT][/PATH] and https://...; userinfo and fragments are refused.
  static Result<Url> parse(std::string_view text);
  /// HOST[:PORT] for the Host header (port only when not the scheme's default).
  std::string host_header() const;
  /// scheme://host:port without the path: safe to log (push URLs often carry a token in the path).
  std::string origin() const;
};

}  // namespace sipwake::http
