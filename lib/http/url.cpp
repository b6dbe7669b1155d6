#include "sipwake/http/url.hpp"

#include <charconv>

namespace sipwake::http {

Result<Url> Url::parse(std::string_view text) {
  Url u;
  std::string_view rest;
  if (text.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = text.substr(8);
  } else if (text.rfind("http://", 0) == 0) {
    rest = text.substr(7);
  } else {
    return fail("URL must start with http:// or https://");
  }
  if (auto hash = rest.find('#'); hash != std::string_view::npos) return fail("URL must not have a fragment");
  auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  u.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (u.path[0] == '?') u.path.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) {
    return fail("URL must not carry credentials; use a token file");
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("URL: unterminated IPv6 literal");
    u.host = std::string(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail("URL: junk after IPv6 literal");
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (u.host.empty()) return fail("URL has no host");
  for (char c : u.host) {
    if (c <= ' ' || c == '/' || c == '\\' || c == '%') return fail("URL host has an invalid character");
  }
  for (char c : u.path) {
    if (c <= ' ' || c == 0x7f) return fail("URL path has a space or control character");
  }
  u.port = u.tls ? 443 : 80;
  if (!port_text.empty()) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
    if (ec != std::errc{} || p != port_text.data() + port_text.size() || v == 0 || v > 65535) {
      return fail("URL port must be 1..65535");
    }
    u.port = static_cast<std::uint16_t>(v);
  }
  return u;
}

std::string Url::host_header() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) h += ":" + std::to_string(port);
  return h;
}

std::string Url::origin() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return std::string(tls ? "https://" : "http://") + h + ":" + std::to_string(port);
}

}  // namespace sipwake::http
