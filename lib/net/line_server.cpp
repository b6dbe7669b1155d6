#include "sipwake/net/line_server.hpp"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "sipwake/net/address.hpp"

namespace sipwake::net {
namespace {

class Server;

struct Client final : ReplyChannel {
  Server* server = nullptr;
  bufferevent* bev = nullptr;
  bool discarding = false;
  void send_line(std::string_view line) override;
};

class Server final : public LineServer {
 public:
  Server(Endpoint ep, Handler h, std::size_t max_line) : m_ep(std::move(ep)), m_handler(std::move(h)), m_max(max_line) {}
  ~Server() override {
    for (auto& c : m_clients) {
      bufferevent_free(c->bev);
      c->bev = nullptr;
    }
    if (m_listener) evconnlistener_free(m_listener);
    if (m_ep.kind == Endpoint::Kind::unix_path) ::unlink(m_ep.path.c_str());
  }

  Endpoint endpoint() const override { return m_ep; }

  Result<void> start(ev::Loop& loop) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (m_ep.kind == Endpoint::Kind::unix_path) {
      sockaddr_un un{};
      un.sun_family = AF_UNIX;
      if (m_ep.path.size() >= sizeof un.sun_path) return fail("unix socket path too long: " + m_ep.path);
      std::memcpy(un.sun_path, m_ep.path.c_str(), m_ep.path.size() + 1);
      if (auto stale = remove_stale_socket(); !stale) return stale;
      std::memcpy(&ss, &un, sizeof un);
      len = sizeof un;
    } else if (m_ep.kind == Endpoint::Kind::tcp) {
      auto addr = Address::from_host(m_ep.host, m_ep.port);
      if (!addr) return fail("control endpoint needs a numeric address: " + m_ep.to_string());
      std::memcpy(&ss, addr->sa(), addr->len());
      len = addr->len();
    } else {
      return fail("control endpoint must be unix:PATH or tcp:HOST:PORT, not " + m_ep.to_string());
    }
    m_listener = evconnlistener_new_bind(loop.base(), &Server::on_accept, this,
                                         LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 64,
                                         reinterpret_cast<sockaddr*>(&ss), static_cast<int>(len));
    if (!m_listener) return fail("cannot listen on " + m_ep.to_string() + ": " + std::strerror(errno));
    if (m_ep.kind == Endpoint::Kind::unix_path) {
      ::chmod(m_ep.path.c_str(), 0660);  // the socket is a control interface: no world access
    } else {
      sockaddr_storage bound{};
      socklen_t blen = sizeof bound;
      ::getsockname(evconnlistener_get_fd(m_listener), reinterpret_cast<sockaddr*>(&bound), &blen);
      m_ep.port = Address::from_sockaddr(reinterpret_cast<sockaddr*>(&bound), blen).port();
    }
    m_base = loop.base();
    return {};
  }

  void drop(Client* c) {
    for (auto it = m_clients.begin(); it != m_clients.end(); ++it) {
      if (it->get() == c) {
        bufferevent_free(c->bev);
        c->bev = nullptr;  // replies still held by callers become no-ops
        m_clients.erase(it);
        return;
      }
    }
  }

 private:
  Result<void> remove_stale_socket() {
    struct stat st {};
    if (::lstat(m_ep.path.c_str(), &st) != 0) return {};
    if (!S_ISSOCK(st.st_mode)) return fail("refusing to replace non-socket file " + m_ep.path);
    int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, m_ep.path.c_str(), m_ep.path.size() + 1);
    bool live = ::connect(probe, reinterpret_cast<sockaddr*>(&un), sizeof un) == 0;
    ::close(probe);
    if (live) return fail("another process is listening on " + m_ep.to_string());
    ::unlink(m_ep.path.c_str());
    return {};
  }

  static void on_accept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg) noexcept {
    auto* self = static_cast<Server*>(arg);
    auto client = std::make_shared<Client>();
    client->server = self;
    client->bev = bufferevent_socket_new(self->m_base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!client->bev) {
      ::close(fd);
      return;
    }
    bufferevent_setcb(client->bev, &Server::on_read, nullptr, &Server::on_event, client.get());
    bufferevent_enable(client->bev, EV_READ | EV_WRITE);
    self->m_clients.push_back(std::move(client));
  }

  static void on_read(bufferevent* bev, void* arg) noexcept {
    auto* c = static_cast<Client*>(arg);
    Server* self = c->server;
    std::shared_ptr<Client> keep;
    for (auto& p : self->m_clients) {
      if (p.get() == c) keep = p;
    }
    if (!keep) return;
    evbuffer* in = bufferevent_get_input(bev);
    for (;;) {
      size_t n = 0;
      char* line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
      if (!line) break;
      std::string_view text(line, n);
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      if (c->discarding) {
        c->discarding = false;
      } else if (text.size() > self->m_max) {
        c->send_line(R"({"ok":false,"error":"request line too long"})");
      } else {
        try {
          self->m_handler(text, keep);
        } catch (...) {
          c->send_line(R"({"ok":false,"error":"internal error"})");
        }
      }
      std::free(line);
      if (!c->bev) return;  // the handler closed us
    }
    if (evbuffer_get_length(in) > self->m_max) {
      evbuffer_drain(in, evbuffer_get_length(in));
      if (!c->discarding) c->send_line(R"({"ok":false,"error":"request line too long"})");
      c->discarding = true;
    }
  }

  static void on_event(bufferevent*, short what, void* arg) noexcept {
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
      auto* c = static_cast<Client*>(arg);
      c->server->drop(c);
    }
  }

  Endpoint m_ep;
  Handler m_handler;
  std::size_t m_max;
  evconnlistener* m_listener = nullptr;
  event_base* m_base = nullptr;
  std::vector<std::shared_ptr<Client>> m_clients;
};

void Client::send_line(std::string_view line) {
  if (!bev) return;
  bufferevent_write(bev, line.data(), line.size());
  bufferevent_write(bev, "\n", 1);
}

}  // namespace

Result<std::unique_ptr<LineServer>> LineServer::listen(ev::Loop& loop, const Endpoint& where, Handler handler,
                                                       std::size_t max_line) {
  auto server = std::make_unique<Server>(where, std::move(handler), max_line);
  if (auto started = server->start(loop); !started) return started.error();
  return std::unique_ptr<LineServer>(std::move(server));
}

}  // namespace sipwake::net
