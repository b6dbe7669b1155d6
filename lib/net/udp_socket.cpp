#include "sipwake/net/udp_socket.hpp"

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace sipwake::net {
namespace {

constexpr unsigned k_batch = 32;
constexpr std::size_t k_max_datagram = 65536;

}  // namespace

Result<std::unique_ptr<UdpSocket>> UdpSocket::bind(ev::Loop& loop, const Address& local) {
  Fd fd(::socket(local.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return fail(std::string("cannot create UDP socket: ") + std::strerror(errno));
  int one = 1;
  if (local.is_v6()) setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  // ICMP errors land on the error queue with the destination they refer to, so a
  // peer that is gone is noticed at once instead of after retransmission timers.
  if (local.is_v6()) {
    setsockopt(fd.get(), IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof one);
  } else {
    setsockopt(fd.get(), IPPROTO_IP, IP_RECVERR, &one, sizeof one);
  }
  // Bigger buffers: a registrar answering 10,000 accounts arrives in bursts.
  int buf = 4 * 1024 * 1024;
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  if (::bind(fd.get(), local.sa(), local.len()) != 0) {
    return fail("cannot bind udp:" + local.to_string() + ": " + std::strerror(errno));
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
  Address bound = Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  return std::unique_ptr<UdpSocket>(new UdpSocket(loop, std::move(fd), bound));
}

UdpSocket::UdpSocket(ev::Loop& loop, Fd fd, Address local)
    : m_fd(std::move(fd)), m_local(local) {
  m_watch = std::make_unique<ev::FdWatch>(loop, m_fd.get(), [this] { on_readable(); });
}

UdpSocket::~UdpSocket() = default;

Result<void> UdpSocket::send_to(const Address& to, std::string_view data) {
  for (;;) {
    ssize_t n = ::sendto(m_fd.get(), data.data(), data.size(), 0, to.sa(), to.len());
    if (n >= 0) return {};
    if (errno == EINTR) continue;
    return fail("cannot send to udp:" + to.to_string() + ": " + std::strerror(errno));
  }
}

void UdpSocket::on_readable() {
  // One buffer set per process is enough: the loop is single-threaded.
  static thread_local std::vector<char> storage(k_batch * k_max_datagram);
  std::array<mmsghdr, k_batch> msgs{};
  std::array<iovec, k_batch> iov{};
  std::array<sockaddr_storage, k_batch> from{};
  // Bound the work per wake-up so timers and other sockets still get their turn.
  for (int round = 0; round < 8; ++round) {
    for (unsigned i = 0; i < k_batch; ++i) {
      iov[i] = {storage.data() + i * k_max_datagram, k_max_datagram};
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    }
    int n = ::recvmmsg(m_fd.get(), msgs.data(), k_batch, MSG_DONTWAIT, nullptr);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      drain_errors();  // an ICMP error is pending; datagrams may follow
      continue;
    }
    if (n <= 0) return;
    for (int i = 0; i < n; ++i) {
      auto idx = static_cast<std::size_t>(i);
      Address src = Address::from_sockaddr(reinterpret_cast<sockaddr*>(&from[idx]),
                                           msgs[idx].msg_hdr.msg_namelen);
      if (m_handler) m_handler(std::string_view(storage.data() + idx * k_max_datagram, msgs[idx].msg_len), src);
    }
    if (static_cast<unsigned>(n) < k_batch) return;
  }
}

void UdpSocket::drain_errors() {
  for (int i = 0; i < 64; ++i) {
    char control[512];
    char data[64];
    sockaddr_storage dest{};
    iovec iov{data, sizeof data};
    msghdr mh{};
    mh.msg_name = &dest;
    mh.msg_namelen = sizeof dest;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    if (::recvmsg(m_fd.get(), &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return;
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
      bool v4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
      bool v6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
      if (!v4 && !v6) continue;
      sock_extended_err err{};
      std::memcpy(&err, CMSG_DATA(c), sizeof err);
      bool icmp = err.ee_origin == SO_EE_ORIGIN_ICMP || err.ee_origin == SO_EE_ORIGIN_ICMP6;
      bool refused = err.ee_errno == ECONNREFUSED || err.ee_errno == EHOSTUNREACH || err.ee_errno == ENETUNREACH;
      if (icmp && refused && m_unreachable) {
        m_unreachable(Address::from_sockaddr(reinterpret_cast<sockaddr*>(&dest), mh.msg_namelen),
                      static_cast<int>(err.ee_errno));
      }
    }
  }
}

}  // namespace sipwake::net
