#pragma once
// The sockets `natkeep probe` works through: one fresh UDP socket per test, blocking
// waits with a deadline. An interface so the prober's logic can run against a fake NAT.

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "protocol.hpp"
#include "sipwake/stun/address.hpp"
#include "sipwake/util/clock.hpp"
#include "sipwake/util/result.hpp"

namespace sipwake::natkeep {

struct Received {
  int sock = -1;
  stun::TransportAddress from;
  Bytes data;
};

class ProbeNet {
 public:
  virtual ~ProbeNet() = default;
  /// A new socket on a fresh port (same family as the server); returns its handle.
  virtual Result<int> open() = 0;
  virtual std::uint16_t local_port(int sock) const = 0;
  virtual void send(int sock, const stun::TransportAddress& to, const Bytes& data) = 0;
  /// The next datagram on any of `socks`, or nothing by `deadline`.
  virtual std::optional<Received> receive(const std::vector<int>& socks, TimePoint deadline) = 0;
  virtual void close(int sock) = 0;
  virtual const Clock& clock() const = 0;
};

/// Real UDP sockets bound to the wildcard address of `family` (4 or 6).
std::unique_ptr<ProbeNet> make_udp_probe_net(int family);

}  // namespace sipwake::natkeep
