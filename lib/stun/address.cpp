#include "sipwake/stun/address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

namespace sipwake::stun {

std::string TransportAddress::ip_string() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (family == 4) {
    inet_ntop(AF_INET, ip.data(), buf, sizeof buf);
  } else if (family == 6) {
    inet_ntop(AF_INET6, ip.data(), buf, sizeof buf);
  } else {
    return "-";
  }
  return buf;
}

std::string TransportAddress::to_string() const {
  if (family == 6) return "[" + ip_string() + "]:" + std::to_string(port);
  return ip_string() + ":" + std::to_string(port);
}

bool TransportAddress::same_ip(const TransportAddress& o) const {
  if (family != o.family) return false;
  std::size_t n = family == 4 ? 4 : 16;
  return std::memcmp(ip.data(), o.ip.data(), n) == 0;
}

Result<TransportAddress> TransportAddress::from_ip(std::string_view text, std::uint16_t port) {
  std::string s(text);
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  TransportAddress a;
  a.port = port;
  if (inet_pton(AF_INET, s.c_str(), a.ip.data()) == 1) {
    a.family = 4;
  } else if (inet_pton(AF_INET6, s.c_str(), a.ip.data()) == 1) {
    a.family = 6;
  } else {
    return fail("not a literal IP address: " + s);
  }
  return a;
}

Result<TransportAddress> TransportAddress::parse(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail("expected [IPv6]:PORT, got " + std::string(text));
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return fail("expected HOST:PORT, got " + std::string(text));
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || port.empty() || value > 65535) {
    return fail("bad port in " + std::string(text));
  }
  return from_ip(host, static_cast<std::uint16_t>(value));
}

TransportAddress TransportAddress::from_sockaddr(const sockaddr* sa) {
  TransportAddress a;
  if (sa == nullptr) return a;
  if (sa->sa_family == AF_INET) {
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof sin);
    a.family = 4;
    std::memcpy(a.ip.data(), &sin.sin_addr, 4);
    a.port = ntohs(sin.sin_port);
  } else if (sa->sa_family == AF_INET6) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, sa, sizeof sin6);
    a.port = ntohs(sin6.sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr)) {
      a.family = 4;
      std::memcpy(a.ip.data(), reinterpret_cast<const std::uint8_t*>(&sin6.sin6_addr) + 12, 4);
    } else {
      a.family = 6;
      std::memcpy(a.ip.data(), &sin6.sin6_addr, 16);
    }
  }
  return a;
}

unsigned TransportAddress::to_sockaddr(sockaddr_storage& out) const {
  std::memset(&out, 0, sizeof out);
  if (family == 4) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    std::memcpy(&sin.sin_addr, ip.data(), 4);
    std::memcpy(&out, &sin, sizeof sin);
    return sizeof sin;
  }
  if (family == 6) {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    std::memcpy(&sin6.sin6_addr, ip.data(), 16);
    std::memcpy(&out, &sin6, sizeof sin6);
    return sizeof sin6;
  }
  return 0;
}

std::size_t TransportAddressHash::operator()(const TransportAddress& a) const noexcept {
  // FNV-1a over the significant bytes; addresses are attacker-chosen, but the tables
  // keyed by them are bounded, so worst-case chains cost time, never memory.
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::uint8_t b) { h = (h ^ b) * 1099511628211ULL; };
  std::size_t n = a.family == 4 ? 4 : 16;
  for (std::size_t i = 0; i < n; ++i) mix(a.ip[i]);
  mix(static_cast<std::uint8_t>(a.port >> 8));
  mix(static_cast<std::uint8_t>(a.port & 0xff));
  mix(a.family);
  return static_cast<std::size_t>(h);
}

}  // namespace sipwake::stun
