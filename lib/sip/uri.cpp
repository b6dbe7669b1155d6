#include "sipwake/sip/uri.hpp"

#include <algorithm>
#include <charconv>

#include "text.hpp"

namespace sipwake::sip {

namespace {

bool is_host_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

bool is_ipv6_char(char c) noexcept {
  return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' ||
         c == '.';
}

bool has_space(std::string_view s) noexcept {
  return std::any_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
}

Result<std::uint16_t> parse_port(std::string_view s) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || value > 65535) {
    return fail("bad port '" + std::string(s) + "'");
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

Result<Uri> Uri::parse(std::string_view text) {
  std::string_view s = detail::trim(text);
  if (!s.empty() && s.front() == '<') {
    if (s.back() != '>') return fail("URI '<' without closing '>'");
    s = s.substr(1, s.size() - 2);
  }
  if (s.empty()) return fail("empty URI");
  if (detail::has_ctl(s) || has_space(s)) return fail("URI contains whitespace or control characters");

  Uri uri;
  const auto colon = s.find(':');
  if (colon == std::string_view::npos) return fail("URI without scheme");
  uri.scheme = detail::lower(s.substr(0, colon));
  if (uri.scheme != "sip" && uri.scheme != "sips") return fail("unsupported URI scheme '" + uri.scheme + "'");
  s.remove_prefix(colon + 1);

  if (const auto at = s.find('@'); at != std::string_view::npos) {
    uri.user = std::string(s.substr(0, at));
    if (uri.user.empty()) return fail("empty user part before '@'");
    s.remove_prefix(at + 1);
  }
  if (const auto q = s.find('?'); q != std::string_view::npos) {
    uri.headers = std::string(s.substr(q + 1));
    s = s.substr(0, q);
  }
  std::string_view hostport = s.substr(0, s.find(';'));
  if (hostport.size() < s.size()) {
    if (!detail::parse_params(s.substr(hostport.size() + 1), uri.params)) return fail("empty URI parameter");
  }

  std::string_view port_text;
  bool has_port = false;
  if (!hostport.empty() && hostport.front() == '[') {
    const auto close = hostport.find(']');
    if (close == std::string_view::npos) return fail("IPv6 host without ']'");
    uri.host = std::string(hostport.substr(1, close - 1));
    if (uri.host.empty() || !std::all_of(uri.host.begin(), uri.host.end(), is_ipv6_char) ||
        uri.host.find(':') == std::string::npos) {
      return fail("bad IPv6 host '" + uri.host + "'");
    }
    std::string_view rest = hostport.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return fail("junk after IPv6 host");
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    const auto pc = hostport.find(':');
    uri.host = std::string(hostport.substr(0, pc));
    if (pc != std::string_view::npos) {
      port_text = hostport.substr(pc + 1);
      has_port = true;
    }
    if (uri.host.empty()) return fail("URI without host");
    if (!std::all_of(uri.host.begin(), uri.host.end(), is_host_char)) {
      return fail("bad host '" + uri.host + "'");
    }
  }
  if (has_port) {
    auto port = parse_port(port_text);
    if (!port) return port.error();
    uri.port = *port;
  }
  return uri;
}

std::string Uri::to_string() const {
  std::string out;
  out.reserve(scheme.size() + user.size() + host.size() + 32);
  out += scheme;
  out += ':';
  if (!user.empty()) {
    out += user;
    out += '@';
  }
  out += host_port();
  detail::append_params(out, params);
  if (!headers.empty()) {
    out += '?';
    out += headers;
  }
  return out;
}

std::optional<std::string> Uri::param(std::string_view name) const { return detail::find_param(params, name); }

void Uri::set_param(std::string_view name, std::string_view value) { detail::put_param(params, name, value); }

void Uri::remove_param(std::string_view name) {
  std::erase_if(params, [&](const auto& p) { return detail::iequals(p.first, name); });
}

std::string Uri::transport() const {
  if (auto t = param("transport"); t && !t->empty()) return detail::lower(*t);
  return scheme == "sips" ? "tls" : "udp";
}

std::string Uri::host_port() const {
  std::string out;
  const bool v6 = host.find(':') != std::string::npos;
  if (v6) out += '[';
  out += host;
  if (v6) out += ']';
  if (port) {
    out += ':';
    out += std::to_string(*port);
  }
  return out;
}

}  // namespace sipwake::sip
