#include "sipwake/net/endpoint.hpp"

#include <charconv>

namespace sipwake::net {

Result<Endpoint> Endpoint::parse(std::string_view text) {
  Endpoint ep;
  if (text == "-") {
    ep.kind = Kind::stdio;
    return ep;
  }
  auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return fail("bad endpoint '" + std::string(text) +
                "' (want udp:HOST:PORT, tcp:HOST:PORT, tls:HOST:PORT, unix:PATH or -)");
  }
  std::string_view scheme = text.substr(0, colon);
  std::string_view rest = text.substr(colon + 1);
  if (scheme == "unix") {
    if (rest.empty()) return fail("bad endpoint '" + std::string(text) + "': empty path");
    ep.kind = Kind::unix_path;
    ep.path = std::string(rest);
    return ep;
  }
  if (scheme == "udp") ep.kind = Kind::udp;
  else if (scheme == "tcp") ep.kind = Kind::tcp;
  else if (scheme == "tls") ep.kind = Kind::tls;
  else return fail("bad endpoint '" + std::string(text) + "': unknown scheme '" + std::string(scheme) + "'");

  std::string_view host;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      return fail("bad endpoint '" + std::string(text) + "': want [IPv6]:PORT");
    }
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    auto pc = rest.rfind(':');
    if (pc == std::string_view::npos || rest.find(':') != pc) {
      return fail("bad endpoint '" + std::string(text) + "': want HOST:PORT (IPv6 in brackets)");
    }
    host = rest.substr(0, pc);
    port = rest.substr(pc + 1);
  }
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || port.empty() || ec != std::errc{} || p != port.data() + port.size() ||
      value > 65535) {
    return fail("bad endpoint '" + std::string(text) + "': bad host or port");
  }
  ep.host = std::string(host);
  ep.port = static_cast<std::uint16_t>(value);
  return ep;
}

std::string Endpoint::to_string() const {
  switch (kind) {
    case Kind::stdio: return "-";
    case Kind::unix_path: return "unix:" + path;
    default: break;
  }
  std::string scheme = kind == Kind::udp ? "udp" : kind == Kind::tcp ? "tcp" : "tls";
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + ":" + h + ":" + std::to_string(port);
}

}  // namespace sipwake::net
