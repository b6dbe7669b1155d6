#include "probe_net.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>

#include "sipwake/util/fd.hpp"

namespace sipwake::natkeep {
namespace {

class UdpProbeNet final : public ProbeNet {
 public:
  explicit UdpProbeNet(int family) : m_family(family) {}

  Result<int> open() override {
    int af = m_family == 6 ? AF_INET6 : AF_INET;
    Fd fd(::socket(af, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.valid()) return fail(std::string("cannot open a UDP socket: ") + std::strerror(errno));
    stun::TransportAddress any;
    any.family = static_cast<std::uint8_t>(m_family);
    sockaddr_storage ss;
    unsigned len = any.to_sockaddr(ss);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      return fail(std::string("cannot bind a UDP socket: ") + std::strerror(errno));
    }
    socklen_t sl = sizeof ss;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &sl);
    int id = fd.get();
    m_ports[id] = stun::TransportAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss)).port;
    m_fds.emplace(id, std::move(fd));
    return id;
  }

  std::uint16_t local_port(int sock) const override {
    auto it = m_ports.find(sock);
    return it == m_ports.end() ? 0 : it->second;
  }

  void send(int sock, const stun::TransportAddress& to, const Bytes& data) override {
    sockaddr_storage ss;
    unsigned len = to.to_sockaddr(ss);
    // Best effort: a lost probe datagram is indistinguishable from a filtering NAT,
    // which is what the retransmissions are for.
    (void)::sendto(sock, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
  }

  std::optional<Received> receive(const std::vector<int>& socks, TimePoint deadline) override {
    std::vector<pollfd> pfds;
    for (int s : socks) pfds.push_back(pollfd{s, POLLIN, 0});
    while (true) {
      auto left = std::chrono::duration_cast<Duration>(deadline - m_clock.now()).count();
      if (left < 0) left = 0;
      int n = ::poll(pfds.data(), pfds.size(), static_cast<int>(left));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;
      for (auto& p : pfds) {
        if ((p.revents & POLLIN) == 0) continue;
        std::array<std::uint8_t, 2048> buf;
        sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        ssize_t got = ::recvfrom(p.fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&ss), &sl);
        if (got < 0) continue;  // e.g. ICMP port unreachable reported on the socket
        Received r;
        r.sock = p.fd;
        r.from = stun::TransportAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss));
        r.data.assign(buf.begin(), buf.begin() + got);
        return r;
      }
      if (m_clock.now() >= deadline) return std::nullopt;
    }
  }

  void close(int sock) override {
    m_fds.erase(sock);
    m_ports.erase(sock);
  }

  const Clock& clock() const override { return m_clock; }

 private:
  int m_family;
  SteadyClock m_clock;
  std::map<int, Fd> m_fds;
  std::map<int, std::uint16_t> m_ports;
};

}  // namespace

std::unique_ptr<ProbeNet> make_udp_probe_net(int family) {
  return std::make_unique<UdpProbeNet>(family);
}

}  // namespace sipwake::natkeep
