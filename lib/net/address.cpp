#include "sipwake/net/address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace sipwake::net {
namespace {

bool parse_port(std::string_view text, std::uint16_t& port) {
  unsigned value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || p != text.data() + text.size() || value > 65535 || text.empty()) {
    return false;
  }
  port = static_cast<std::uint16_t>(value);
  return true;
}

std::string_view strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

}  // namespace

Address::Address() { m_ss.ss_family = AF_UNSPEC; }

Result<Address> Address::from_host(std::string_view host_text, std::uint16_t port) {
  std::string host(strip_brackets(host_text));
  Address a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.m_ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.m_ss);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.m_len = sizeof(sockaddr_in);
    return a;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.m_len = sizeof(sockaddr_in6);
    return a;
  }
  return fail("not a numeric IP address: " + host);
}

Result<Address> Address::parse(std::string_view text) {
  std::string_view host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail("bad address (want [IPv6]:PORT): " + std::string(text));
    }
    host = text.substr(0, close + 1);
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return fail("bad address (want HOST:PORT, IPv6 in brackets): " + std::string(text));
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  std::uint16_t port = 0;
  if (!parse_port(port_text, port)) return fail("bad port in address: " + std::string(text));
  return from_host(host, port);
}

Result<std::vector<Address>> Address::resolve(std::string_view host_text, std::uint16_t port) {
  std::string host(strip_brackets(host_text));
  if (auto numeric = from_host(host, port)) return std::vector<Address>{*numeric};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) return fail("cannot resolve " + host + ": " + gai_strerror(rc));
  std::vector<Address> out;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    Address a = from_sockaddr(ai->ai_addr, ai->ai_addrlen);
    if (!a.valid()) continue;
    a.set_port(port);
    out.push_back(a);
  }
  freeaddrinfo(res);
  if (out.empty()) return fail("cannot resolve " + host + ": no addresses");
  return out;
}

Address Address::from_sockaddr(const sockaddr* sa, socklen_t len) {
  Address a;
  if (sa && len <= static_cast<socklen_t>(sizeof a.m_ss) &&
      (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)) {
    std::memcpy(&a.m_ss, sa, len);
    a.m_len = sa->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  }
  return a;
}

Address Address::any(int family, std::uint16_t port) {
  return *from_host(family == AF_INET6 ? "::" : "0.0.0.0", port);
}

std::uint16_t Address::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&m_ss)->sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&m_ss)->sin6_port);
  return 0;
}

void Address::set_port(std::uint16_t port) {
  if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&m_ss)->sin_port = htons(port);
  if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&m_ss)->sin6_port = htons(port);
}

std::string Address::host() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&m_ss)->sin_addr, buf, sizeof buf);
  } else if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&m_ss)->sin6_addr, buf, sizeof buf);
  } else {
    return "?";
  }
  return buf;
}

std::string Address::host_for_uri() const { return is_v6() ? "[" + host() + "]" : host(); }

std::string Address::to_string() const { return host_for_uri() + ":" + std::to_string(port()); }

bool Address::is_unspecified() const {
  if (family() == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(&m_ss)->sin_addr.s_addr == htonl(INADDR_ANY);
  }
  if (family() == AF_INET6) {
    return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&m_ss)->sin6_addr);
  }
  return true;
}

bool Address::is_loopback() const {
  if (family() == AF_INET) {
    return (ntohl(reinterpret_cast<const sockaddr_in*>(&m_ss)->sin_addr.s_addr) >> 24) == 127;
  }
  if (family() == AF_INET6) {
    return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(&m_ss)->sin6_addr);
  }
  return false;
}

bool Address::operator==(const Address& o) const {
  if (family() != o.family()) return false;
  if (family() == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&m_ss);
    auto* b = reinterpret_cast<const sockaddr_in*>(&o.m_ss);
    return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
  }
  if (family() == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&m_ss);
    auto* b = reinterpret_cast<const sockaddr_in6*>(&o.m_ss);
    return a->sin6_port == b->sin6_port &&
           std::memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) == 0;
  }
  return true;
}

std::size_t Address::hash() const {
  std::size_t h = std::hash<std::uint16_t>{}(port());
  const unsigned char* p = nullptr;
  std::size_t n = 0;
  if (family() == AF_INET) {
    p = reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in*>(&m_ss)->sin_addr);
    n = 4;
  } else if (family() == AF_INET6) {
    p = reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in6*>(&m_ss)->sin6_addr);
    n = 16;
  }
  for (std::size_t i = 0; i < n; ++i) h = h * 131 + p[i];
  return h;
}

Result<Address> source_address_for(const Address& dest) {
  int fd = ::socket(dest.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(std::string("cannot create socket: ") + std::strerror(errno));
  Result<Address> out = fail("no route to " + dest.to_string());
  if (::connect(fd, dest.sa(), dest.len()) == 0) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      out = Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    }
  } else {
    out = fail("no route to " + dest.to_string() + ": " + std::strerror(errno));
  }
  ::close(fd);
  return out;
}

}  // namespace sipwake::net
