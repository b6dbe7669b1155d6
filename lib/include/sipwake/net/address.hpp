#pragma once
// Socket addresses (IPv4/IPv6, numeric) and their text forms "1.2.3.4:5060" / "[::1]:5060".

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sipwake/util/result.hpp"

namespace sipwake::net {

/// An IPv4 or IPv6 address with port; a value type.
class Address {
 public:
  Address();
  /// Parses "HOST:PORT" with a numeric host ("1.2.3.4:5060", "[::1]:5060").
  static Result<Address> parse(std::string_view text);
  /// A numeric host (IPv6 with or without brackets) and a port.
  static Result<Address> from_host(std::string_view host, std::uint16_t port);
  /// Resolves a host name or literal (getaddrinfo; blocking, use at start-up only).
  static Result<std::vector<Address>> resolve(std::string_view host, std::uint16_t port);
  /// Copies a kernel sockaddr.
  static Address from_sockaddr(const sockaddr* sa, socklen_t len);
  /// The unspecified address of a family ("0.0.0.0" or "::") with a port.
  static Address any(int family, std::uint16_t port);

  int family() const { return m_ss.ss_family; }
  bool is_v6() const { return family() == AF_INET6; }
  bool valid() const { return family() == AF_INET || family() == AF_INET6; }
  std::uint16_t port() const;
  void set_port(std::uint16_t port);
  /// The host as text, IPv6 without brackets.
  std::string host() const;
  /// The host as it goes into a URI or endpoint: IPv6 in brackets.
  std::string host_for_uri() const;
  /// "1.2.3.4:5060" or "[::1]:5060".
  std::string to_string() const;
  bool is_unspecified() const;
  bool is_loopback() const;

  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&m_ss); }
  sockaddr* sa() { return reinterpret_cast<sockaddr*>(&m_ss); }
  socklen_t len() const { return m_len; }

  bool operator==(const Address& other) const;
  bool operator!=(const Address& other) const { return !(*this == other); }
  std::size_t hash() const;

 private:
  sockaddr_storage m_ss{};
  socklen_t m_len = 0;
};

/// The local address the kernel would use to send to `dest` (a connected UDP probe;
/// sends nothing).
Result<Address> source_address_for(const Address& dest);

}  // namespace sipwake::net

template <>
struct std::hash<sipwake::net::Address> {
  std::size_t operator()(const sipwake::net::Address& a) const noexcept { return a.hash(); }
};
