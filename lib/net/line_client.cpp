#include "sipwake/net/line_client.hpp"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "sipwake/net/address.hpp"

namespace sipwake::net {

struct LineClient::Impl {
  ev::Loop& loop;
  Handlers h;
  std::size_t max_line;
  bufferevent* bev = nullptr;
  bool up = false;

  ~Impl() { close(); }

  void close() {
    if (bev) bufferevent_free(bev);
    bev = nullptr;
    up = false;
  }

  void lost(const std::string& why) {
    close();
    if (h.on_closed) h.on_closed(why);
  }

  static void on_read(bufferevent* b, void* arg) noexcept {
    auto* self = static_cast<Impl*>(arg);
    evbuffer* in = bufferevent_get_input(b);
    for (;;) {
      size_t n = 0;
      char* line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
      if (!line) break;
      std::string text(line, n);
      std::free(line);
      if (!text.empty() && text.back() == '\r') text.pop_back();
      try {
        if (self->h.on_line) self->h.on_line(text);
      } catch (...) {
      }
      if (!self->bev) return;  // the handler closed us
    }
    if (evbuffer_get_length(in) > self->max_line) self->lost("reply line too long");
  }

  static void on_event(bufferevent*, short what, void* arg) noexcept {
    auto* self = static_cast<Impl*>(arg);
    if (what & BEV_EVENT_CONNECTED) {
      self->up = true;
      return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
      int err = EVUTIL_SOCKET_ERROR();
      self->lost((what & BEV_EVENT_EOF) ? "connection closed" : std::string(std::strerror(err)));
    }
  }
};

LineClient::LineClient(ev::Loop& loop, Endpoint where, Handlers handlers, std::size_t max_line)
    : m_impl(new Impl{loop, std::move(handlers), max_line}), m_where(std::move(where)) {}

LineClient::~LineClient() = default;

bool LineClient::connected() const { return m_impl->up; }

Result<void> LineClient::connect() {
  if (m_impl->bev) return {};
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (m_where.kind == Endpoint::Kind::unix_path) {
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    if (m_where.path.size() >= sizeof un.sun_path) return fail("unix socket path too long: " + m_where.path);
    std::memcpy(un.sun_path, m_where.path.c_str(), m_where.path.size() + 1);
    std::memcpy(&ss, &un, sizeof un);
    len = sizeof un;
  } else if (m_where.kind == Endpoint::Kind::tcp) {
    auto a = Address::from_host(m_where.host, m_where.port);
    if (!a) return fail("need a numeric address: " + m_where.to_string());
    std::memcpy(&ss, a->sa(), a->len());
    len = a->len();
  } else {
    return fail("line endpoint must be unix:PATH or tcp:HOST:PORT, not " + m_where.to_string());
  }
  m_impl->bev = bufferevent_socket_new(m_impl->loop.base(), -1, BEV_OPT_CLOSE_ON_FREE);
  if (!m_impl->bev) return fail("cannot create connection");
  bufferevent_setcb(m_impl->bev, &Impl::on_read, nullptr, &Impl::on_event, m_impl.get());
  bufferevent_enable(m_impl->bev, EV_READ | EV_WRITE);
  if (bufferevent_socket_connect(m_impl->bev, reinterpret_cast<sockaddr*>(&ss), static_cast<int>(len)) != 0) {
    std::string err = std::strerror(errno);
    m_impl->close();
    return fail("cannot connect to " + m_where.to_string() + ": " + err);
  }
  return {};
}

Result<void> LineClient::send_line(std::string_view line) {
  if (auto c = connect(); !c) return c;
  bufferevent_write(m_impl->bev, line.data(), line.size());
  bufferevent_write(m_impl->bev, "\n", 1);
  return {};
}

}  // namespace sipwake::net
