#pragma once
// A compact IPv4/IPv6 transport address as STUN carries it (16 bytes + port + family).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "sipwake/util/result.hpp"

struct sockaddr;
struct sockaddr_storage;

namespace sipwake::stun {

/// IP address and port; family 4 or 6 (0 = unset). Small enough for a 1M-entry table.
struct TransportAddress {
  std::array<std::uint8_t, 16> ip{};  ///< IPv4 uses the first 4 bytes
  std::uint16_t port = 0;
  std::uint8_t family = 0;

  bool valid() const { return family == 4 || family == 6; }
  /// "192.0.2.1:3478" or "[2001:db8::1]:3478".
  std::string to_string() const;
  /// The IP alone, "192.0.2.1" or "2001:db8::1".
  std::string ip_string() const;
  /// Same IP (port ignored).
  bool same_ip(const TransportAddress& o) const;
  friend bool operator==(const TransportAddress& a, const TransportAddress& b) {
    return a.family == b.family && a.port == b.port && a.same_ip(b);
  }

  /// Parses "HOST:PORT", "[V6]:PORT" with literal IPs only (no DNS).
  static Result<TransportAddress> parse(std::string_view text);
  /// Parses a literal IP and port given separately.
  static Result<TransportAddress> from_ip(std::string_view ip, std::uint16_t port);
  /// From a socket address (AF_INET / AF_INET6; v4-mapped v6 becomes v4).
  static TransportAddress from_sockaddr(const sockaddr* sa);
  /// Fills `out` and returns the length to pass to sendto().
  unsigned to_sockaddr(sockaddr_storage& out) const;
};

/// A hash for unordered containers keyed by address.
struct TransportAddressHash {
  std::size_t operator()(const TransportAddress& a) const noexcept;
};

}  // namespace sipwake::stun
