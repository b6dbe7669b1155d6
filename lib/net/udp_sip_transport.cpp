// SIP over UDP: one datagram per message (RFC 3261 18.1.1).
#include <cerrno>

#include "sipwake/net/sip_transport.hpp"
#include "sipwake/net/udp_socket.hpp"

namespace sipwake::net {
namespace {

class UdpSipTransport final : public SipTransport {
 public:
  explicit UdpSipTransport(std::unique_ptr<UdpSocket> socket) : m_socket(std::move(socket)) {
    m_socket->set_handler([this](std::string_view data, const Address& from) {
      // RFC 5626 keepalive pongs and stray CRLFs are not messages.
      if (data.size() < 4) return;
      if (m_handler) m_handler(data, from);
    });
    m_socket->set_unreachable_handler([this](const Address& dest, int error) {
      if (!m_closed) return;
      m_closed(dest, error == ECONNREFUSED ? "nothing listens at udp:" + dest.to_string() + " (ICMP port unreachable)"
                                           : "udp:" + dest.to_string() + " unreachable (ICMP)");
    });
  }

  Result<void> send(const Address& to, std::string_view msg) override {
    if (msg.size() > 65507) return fail("message too large for UDP");
    return m_socket->send_to(to, msg);
  }

  Result<Address> local_address_for(const Address& to) override {
    Address local = m_socket->local_address();
    if (!local.is_unspecified()) return local;
    auto src = source_address_for(to);
    if (!src) return src.error();
    src->set_port(local.port());
    return src;
  }

  std::string_view protocol() const override { return "UDP"; }
  bool reliable() const override { return false; }

 private:
  std::unique_ptr<UdpSocket> m_socket;
};

}  // namespace

Result<std::unique_ptr<SipTransport>> open_udp_transport(ev::Loop& loop, const Address& local) {
  auto socket = UdpSocket::bind(loop, local);
  if (!socket) return socket.error();
  return std::unique_ptr<SipTransport>(new UdpSipTransport(std::move(*socket)));
}

}  // namespace sipwake::net
