#pragma once
// Sends queued datagrams with sendmmsg(2), consecutive ones for the same socket in one
// call: serve answers a whole receive batch with a few syscalls instead of one each.
// (Belongs in net::UdpSocket as a batch send; kept here until it exists there.)

#include <vector>

#include "events.hpp"

namespace sipwake::natkeep {

class BatchSender {
 public:
  /// Sends every datagram in `out` (each through fds[o.local]) and clears it; returns
  /// how many the kernel refused (full buffers: dropped, as UDP may).
  std::size_t send(const std::vector<int>& fds, std::vector<Outgoing>& out);
};

}  // namespace sipwake::natkeep
