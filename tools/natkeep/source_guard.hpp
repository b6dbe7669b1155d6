#pragma once
// Per-source limits for traffic we cannot attribute to a device: a request rate
// (token bucket) and an amplification budget (bytes we may send back).

#include <cstdint>
#include <unordered_map>

#include "sipwake/stun/address.hpp"
#include "sipwake/util/clock.hpp"

namespace sipwake::natkeep {

/// Bounded per-source-IP state; when full, the table is cleared (every source starts
/// again with an empty budget, so clearing never grants more than it takes away).
class SourceGuard {
 public:
  struct Params {
    double rate = 20.0;        ///< requests per second per source IP
    double burst = 40.0;       ///< bucket size
    std::size_t max_sources = 65536;
  };
  SourceGuard() = default;
  explicit SourceGuard(Params p) : m_p(p) {}

  /// Takes one request token for `ip`'s source; false means drop it.
  bool admit(const stun::TransportAddress& from, TimePoint now);
  /// True when `from` has no token left (checked before costly work such as an HMAC).
  bool exhausted(const stun::TransportAddress& from, TimePoint now);
  /// RFC 8489 says nothing; we promise: an unauthenticated source never gets more
  /// bytes than it sent. Credits `received` bytes and returns how many may be sent back.
  std::size_t budget(const stun::TransportAddress& from, std::size_t received);
  /// Records `sent` bytes against the source's budget.
  void spend(const stun::TransportAddress& from, std::size_t sent);
  std::size_t sources() const { return m_table.size(); }

 private:
  struct State {
    double tokens = 0;
    TimePoint refilled{};
    std::uint64_t credit = 0;  ///< bytes received not yet matched by bytes sent
  };
  State& state(const stun::TransportAddress& from, TimePoint now);
  void refill(State& s, TimePoint now) const;

  Params m_p{};
  std::unordered_map<stun::TransportAddress, State, stun::TransportAddressHash> m_table;
};

}  // namespace sipwake::natkeep
