// run_gateway: wires the gateway together on one event loop and dispatches every SIP
// message that arrives on its socket.
#include <csignal>
#include <memory>

#include "calls.hpp"
#include "directory.hpp"
#include "forwarder.hpp"
#include "options.hpp"
#include "registrar.hpp"
#include "self_service.hpp"
#include "sipwake/log/logger.hpp"
#include "sipwake/net/endpoint.hpp"
#include "upstream.hpp"
#include "wake_client.hpp"

namespace sipwake::worgw {
namespace {

constexpr Duration k_directory_poll{2000};

Result<std::vector<sip::DigestAlgorithm>> parse_algorithms(const std::string& list) {
  std::vector<sip::DigestAlgorithm> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = list.find(',', start);
    std::string word = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (word == "md5") out.push_back(sip::DigestAlgorithm::md5);
    else if (word == "sha256") out.push_back(sip::DigestAlgorithm::sha256);
    else return fail("--digest-algorithms: unknown algorithm '" + word + "' (md5, sha256)");
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}
constexpr Duration k_shutdown_grace{5000};

class Gateway {
 public:
  explicit Gateway(const RunOptions& o)
      : m_opt(o), m_log("worgw", o.verbose >= 2 ? log::Level::debug : o.verbose ? log::Level::info : log::Level::warning),
        m_events("worgw", o.json) {}

  int run() {
    if (auto r = setup(); !r) {
      m_log.error(r.message());
      return 1;
    }
    m_events.emit("gateway.started",
                  {{"listen", m_self.host + ":" + std::to_string(m_self.port)}, {"subscribers", m_dir->all().size()}},
                  "worgw listening on udp:" + m_self.record_route().substr(5, m_self.record_route().size() - 9) +
                      " for " + std::to_string(m_dir->all().size()) + " subscriber(s)");
    m_loop.run();
    return m_exit;
  }

 private:
  Result<void> setup() {
    std::string path = m_opt.db_path.empty() ? Store::default_path() : m_opt.db_path;
    auto store = Store::open(path);
    if (!store) return store.error();
    m_store = std::move(*store);
    m_dir = std::make_unique<Directory>(*m_store);
    if (auto r = m_dir->load(); !r) return fail("cannot read " + path + ": " + r.message());

    auto ep = net::Endpoint::parse(m_opt.listen);
    if (!ep) return fail("--listen: " + ep.message());
    if (ep->kind != net::Endpoint::Kind::udp) return fail("--listen: only udp:HOST:PORT is supported");
    auto addr = net::Address::from_host(ep->host, ep->port);
    if (!addr) return fail("--listen: " + addr.message());
    if (addr->is_unspecified()) {
      return fail("--listen needs a specific address: Contact and Record-Route carry it");
    }
    auto tp = net::open_udp_transport(m_loop, *addr);
    if (!tp) return tp.error();
    m_transport = std::move(*tp);
    auto bound = m_transport->local_address_for(*addr);
    if (!bound) return bound.error();
    m_self = Self{bound->host(), bound->port()};

    m_server = std::make_unique<txn::ServerLayer>(m_loop);
    auto algorithms = parse_algorithms(m_opt.digest_algorithms);
    if (!algorithms) return algorithms.error();
    m_writer = std::make_unique<WriteBehind>(m_loop, *m_store, m_events);
    m_registrar = std::make_unique<DeviceRegistrar>(m_loop, *m_store, *m_writer, *m_dir, *m_server, m_events,
                                                    m_opt.realm, *algorithms);
    m_waker = std::make_unique<WakeClient>(m_loop, m_opt.worsend);
    m_calls = std::make_unique<CallManager>(CallContext{m_loop, m_opt, m_self, *m_transport, *m_server, *m_dir,
                                                        *m_registrar, *m_store, *m_writer, *m_waker, m_events});
    m_forwarder = std::make_unique<Forwarder>(*m_transport, *m_registrar, m_self);
    m_proxy = std::make_unique<ProxyLogin>(m_loop, *m_transport, *m_store, *m_dir, m_events, m_opt, m_self);
    m_self_service =
        std::make_unique<SelfService>(*m_store, *m_dir, *m_registrar, *m_server, m_events, *m_proxy);

    m_registrar->set_login_handler(
        [this](const std::string& sub, const Online& device) { m_calls->on_device_login(sub, device); });
    m_transport->set_handler([this](std::string_view data, const net::Address& from) { dispatch(data, from); });
    // ICMP unreachable for a device's address: its binding is dead now, not in 2 s.
    m_transport->set_closed_handler([this](const net::Address& peer, std::string_view) { m_calls->on_unreachable(peer); });
    m_registrar->restore();
    m_proxy->start();

    m_poll = std::make_unique<ev::Timer>(m_loop, [this] {
      // Admin commands write the database from other processes; pick their changes up.
      if (m_dir->refresh_if_changed()) m_proxy->sync();
      m_poll->arm(k_directory_poll);
    });
    m_poll->arm(k_directory_poll);
    std::signal(SIGPIPE, SIG_IGN);
    m_sigint = std::make_unique<ev::SignalWatch>(m_loop, SIGINT, [this] { on_terminate(); });
    m_sigterm = std::make_unique<ev::SignalWatch>(m_loop, SIGTERM, [this] { on_terminate(); });
    m_sighup = std::make_unique<ev::SignalWatch>(m_loop, SIGHUP, [this] {
      if (m_dir->load()) m_proxy->sync();
    });
    return {};
  }

  void on_terminate() {
    if (m_stopping) {
      m_exit = 1;
      m_loop.stop();
      return;
    }
    m_stopping = true;
    m_calls->shutdown();
    m_proxy->stop_all();
    m_shutdown_started = m_loop.now();
    m_drain = std::make_unique<ev::Timer>(m_loop, [this] {
      if (m_proxy->finished() || m_loop.now() - m_shutdown_started >= k_shutdown_grace) {
        m_writer->flush();
        m_events.emit("gateway.stopped", {{"clean", m_proxy->finished()}}, "worgw stopped");
        m_loop.stop();
        return;
      }
      m_drain->arm(Duration{50});
    });
    m_drain->arm(Duration{0});
  }

  void dispatch(std::string_view data, const net::Address& from) {
    auto msg = sip::Message::parse(data);
    if (!msg) {
      // Malformed SIP: 400 with the reason, when there is enough to address a reply.
      std::string reply = raw_error_response(data, 400, "Bad Request (" + msg.message() + ")");
      if (!reply.empty()) (void)m_transport->send(from, reply);
      m_log.info("dropped malformed message from " + from.to_string() + ": " + msg.message());
      return;
    }
    if (!msg->is_request()) {
      if (m_proxy->handle_response(*msg)) return;
      if (m_calls->on_response(*msg)) return;
      m_forwarder->forward_response(*msg);
      return;
    }
    std::string method = msg->method();
    if (method == "ACK") {
      auto in = m_server->on_request(*msg, from, *m_transport);
      if (in.kind != txn::ServerLayer::Intake::Kind::absorbed) m_forwarder->forward_request(*msg, from);
      return;
    }
    if (m_forwarder->in_dialog(*msg)) {
      m_forwarder->forward_request(*msg, from);
      return;
    }
    auto in = m_server->on_request(*msg, from, *m_transport);
    using Kind = txn::ServerLayer::Intake::Kind;
    if (in.kind == Kind::absorbed) return;
    if (in.kind == Kind::cancel) {
      if (in.invite == 0) {
        (void)m_server->respond(in.id, 481, "Call/Transaction Does Not Exist");
      } else {
        m_calls->on_cancel(in.id, in.invite);
      }
      return;
    }
    if (m_stopping && method != "REGISTER") {
      (void)m_server->respond(in.id, 503, "Shutting Down");
      return;
    }
    if (method == "REGISTER") {
      m_registrar->handle_register(in.id, *msg, from);
    } else if (method == "INVITE") {
      m_calls->on_invite(in.id, *msg);
    } else if (method == "MESSAGE") {
      m_self_service->handle(in.id, *msg);
    } else if (method == "OPTIONS") {
      auto resp = sip::Message::response_to(*msg, 200);
      if (resp) {
        resp->set_header("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, MESSAGE");
        (void)m_server->respond(in.id, *resp);
      }
    } else if (method == "BYE") {
      (void)m_server->respond(in.id, 481, "Call/Transaction Does Not Exist");
    } else {
      auto resp = sip::Message::response_to(*msg, 405);
      if (resp) {
        resp->set_header("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, MESSAGE");
        (void)m_server->respond(in.id, *resp);
      }
    }
  }

  const RunOptions& m_opt;
  ev::Loop m_loop;
  log::Logger m_log;
  log::EventSink m_events;
  std::unique_ptr<Store> m_store;
  std::unique_ptr<Directory> m_dir;
  std::unique_ptr<net::SipTransport> m_transport;
  Self m_self;
  std::unique_ptr<txn::ServerLayer> m_server;
  std::unique_ptr<WriteBehind> m_writer;  // before everything that queues writes: destroyed (flushed) after them
  std::unique_ptr<DeviceRegistrar> m_registrar;
  std::unique_ptr<WakeClient> m_waker;
  std::unique_ptr<CallManager> m_calls;
  std::unique_ptr<Forwarder> m_forwarder;
  std::unique_ptr<ProxyLogin> m_proxy;
  std::unique_ptr<SelfService> m_self_service;
  std::unique_ptr<ev::Timer> m_poll, m_drain;
  std::unique_ptr<ev::SignalWatch> m_sigint, m_sigterm, m_sighup;
  TimePoint m_shutdown_started{};
  bool m_stopping = false;
  int m_exit = 0;
};

}  // namespace

int run_gateway(const RunOptions& options) {
  try {
    Gateway g(options);
    return g.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "worgw: %s\n", e.what());
    return 1;
  }
}

}  // namespace sipwake::worgw
