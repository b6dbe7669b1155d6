#include "batch_sender.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace sipwake::natkeep {

std::size_t BatchSender::send(const std::vector<int>& fds, std::vector<Outgoing>& out) {
  constexpr std::size_t k_max = 64;
  mmsghdr msgs[k_max];
  iovec iov[k_max];
  sockaddr_storage to[k_max];
  std::size_t refused = 0;
  std::size_t i = 0;
  while (i < out.size()) {
    std::uint8_t local = out[i].local;
    std::size_t n = 0;
    while (i + n < out.size() && n < k_max && out[i + n].local == local) {
      Outgoing& o = out[i + n];
      std::memset(&msgs[n], 0, sizeof msgs[n]);
      iov[n].iov_base = o.data.data();
      iov[n].iov_len = o.data.size();
      msgs[n].msg_hdr.msg_iov = &iov[n];
      msgs[n].msg_hdr.msg_iovlen = 1;
      msgs[n].msg_hdr.msg_name = &to[n];
      msgs[n].msg_hdr.msg_namelen = o.to.to_sockaddr(to[n]);
      ++n;
    }
    std::size_t done = 0;
    while (done < n) {
      int got = ::sendmmsg(fds[local], msgs + done, static_cast<unsigned>(n - done), MSG_DONTWAIT);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        // The first message failed (full buffer, unreachable): skip it, send the rest.
        ++refused;
        ++done;
        continue;
      }
      done += static_cast<std::size_t>(got);
    }
    i += n;
  }
  out.clear();
  return refused;
}

}  // namespace sipwake::natkeep
