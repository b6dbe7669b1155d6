// SIP over TCP client connections (RFC 3261 18.1.1, 18.3 framing), on libevent bufferevents.
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "sipwake/net/sip_transport.hpp"
#include "sipwake/net/stream_framer.hpp"

namespace sipwake::net {
namespace {

class TcpSipTransport;

struct Connection {
  TcpSipTransport* owner = nullptr;
  Address peer;
  Address local;
  bufferevent* bev = nullptr;
  StreamFramer framer;
};

class TcpSipTransport final : public SipTransport {
 public:
  TcpSipTransport(ev::Loop& loop, Address local) : m_loop(loop), m_local(local) {}
  ~TcpSipTransport() override {
    for (auto& [peer, conn] : m_conns) bufferevent_free(conn->bev);
  }

  Result<void> send(const Address& to, std::string_view msg) override {
    auto conn = connection(to);
    if (!conn) return conn.error();
    if (bufferevent_write((*conn)->bev, msg.data(), msg.size()) != 0) {
      return fail("cannot queue message to tcp:" + to.to_string());
    }
    return {};
  }

  Result<Address> local_address_for(const Address& to) override {
    auto conn = connection(to);
    if (!conn) return conn.error();
    return (*conn)->local;
  }

  std::string_view protocol() const override { return "TCP"; }
  bool reliable() const override { return true; }

 private:
  Result<Connection*> connection(const Address& to) {
    if (auto it = m_conns.find(to); it != m_conns.end()) return it->second.get();
    int fd = ::socket(to.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(std::string("cannot create TCP socket: ") + std::strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (m_local.valid() && m_local.family() == to.family() &&
        (!m_local.is_unspecified() || m_local.port() != 0)) {
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (::bind(fd, m_local.sa(), m_local.len()) != 0) {
        std::string err = std::strerror(errno);
        ::close(fd);
        return fail("cannot bind tcp:" + m_local.to_string() + ": " + err);
      }
    }
    if (::connect(fd, to.sa(), to.len()) != 0 && errno != EINPROGRESS) {
      std::string err = std::strerror(errno);
      ::close(fd);
      return fail("cannot connect to tcp:" + to.to_string() + ": " + err);
    }
    auto conn = std::make_unique<Connection>();
    conn->owner = this;
    conn->peer = to;
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    conn->local = Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    conn->bev = bufferevent_socket_new(m_loop.base(), fd, BEV_OPT_CLOSE_ON_FREE);
    if (!conn->bev) {
      ::close(fd);
      return fail("cannot create connection buffer");
    }
    bufferevent_setcb(conn->bev, &TcpSipTransport::on_read, nullptr, &TcpSipTransport::on_event,
                      conn.get());
    bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
    Connection* raw = conn.get();
    m_conns.emplace(to, std::move(conn));
    return raw;
  }

  void close(Connection* conn, std::string why) {
    Address peer = conn->peer;
    auto it = m_conns.find(peer);
    if (it == m_conns.end()) return;
    bufferevent_free(conn->bev);
    m_conns.erase(it);  // destroys conn
    if (m_closed) m_closed(peer, why);
  }

  static void on_read(bufferevent* bev, void* arg) noexcept {
    auto* conn = static_cast<Connection*>(arg);
    TcpSipTransport* self = conn->owner;
    evbuffer* in = bufferevent_get_input(bev);
    std::vector<std::string> messages;
    while (evbuffer_get_length(in) > 0) {
      char chunk[16384];
      int n = evbuffer_remove(in, chunk, sizeof chunk);
      if (n <= 0) break;
      auto fed = conn->framer.feed(std::string_view(chunk, static_cast<std::size_t>(n)), messages);
      if (!fed) {
        self->close(conn, fed.message());
        return;
      }
    }
    // RFC 5626 3.5.1: answer each CRLFCRLF ping with a CRLF pong.
    for (std::size_t i = conn->framer.take_pings(); i > 0; --i) bufferevent_write(bev, "\r\n", 2);
    Address peer = conn->peer;
    for (const auto& m : messages) {
      try {
        if (self->m_handler) self->m_handler(m, peer);
      } catch (...) {
      }
      // The handler may have closed this connection.
      if (self->m_conns.find(peer) == self->m_conns.end()) return;
    }
  }

  static void on_event(bufferevent*, short what, void* arg) noexcept {
    auto* conn = static_cast<Connection*>(arg);
    if (what & BEV_EVENT_CONNECTED) return;
    std::string why = (what & BEV_EVENT_EOF) ? "connection closed by peer"
                                              : std::string("connection error: ") + std::strerror(errno);
    conn->owner->close(conn, why);
  }

  ev::Loop& m_loop;
  Address m_local;
  std::unordered_map<Address, std::unique_ptr<Connection>> m_conns;
};

}  // namespace

Result<std::unique_ptr<SipTransport>> open_tcp_transport(ev::Loop& loop, const Address& local) {
  return std::unique_ptr<SipTransport>(new TcpSipTransport(loop, local));
}

}  // namespace sipwake::net
