#include "sipwake/txn/server_layer.hpp"

#include <variant>

namespace sipwake::txn {
namespace {

// RFC 3261 17.2.3: branch, sent-by and method identify a server transaction;
// ACK belongs to the INVITE's.
std::string key_of(const sip::Via& via, const std::string& method) {
  std::string m = method == "ACK" ? "INVITE" : method;
  return via.branch + '|' + via.host + ':' + std::to_string(via.port.value_or(5060)) + '|' + m;
}

}  // namespace

struct ServerLayer::Txn {
  Id id;
  std::string key;
  std::variant<InviteServer, NonInviteServer> fsm;
  sip::Message request;
  net::Address from;
  net::SipTransport* transport;
  std::string last_response;
  std::unique_ptr<ev::Timer> timer;
};

ServerLayer::ServerLayer(ev::Loop& loop, Timers timers) : m_loop(loop), m_timers(timers) {}

ServerLayer::~ServerLayer() = default;

ServerLayer::Intake ServerLayer::on_request(const sip::Message& req, const net::Address& from,
                                           net::SipTransport& tp) {
  Intake in;
  auto via = req.top_via();
  std::string method = req.method();
  if (!via || via->branch.rfind("z9hG4bK", 0) != 0) {
    // RFC 2543 peers without the magic cookie: no matching, every request is fresh.
    if (method == "ACK") in.kind = Intake::Kind::ack;
  } else {
    std::string key = key_of(*via, method);
    if (auto it = m_by_key.find(key); it != m_by_key.end()) {
      Txn& t = *m_txns.at(it->second);
      TimePoint now = m_loop.now();
      ServerStep s = method == "ACK" && std::holds_alternative<InviteServer>(t.fsm)
                         ? std::get<InviteServer>(t.fsm).on_ack(now)
                         : std::visit([&](auto& f) { return f.on_retransmission(now); }, t.fsm);
      if (s.resend && !t.last_response.empty()) (void)t.transport->send(t.from, t.last_response);
      in.kind = Intake::Kind::absorbed;
      in.id = t.id;
      if (s.terminated) {
        erase(t.id);
      } else {
        schedule(t);
      }
      return in;
    }
    if (method == "ACK") {
      in.kind = Intake::Kind::ack;
      return in;
    }
    if (method == "CANCEL") {
      in.kind = Intake::Kind::cancel;
      if (auto it = m_by_key.find(key_of(*via, "INVITE")); it != m_by_key.end()) in.invite = it->second;
    }
  }
  if (in.kind == Intake::Kind::ack) return in;
  Id id = m_next++;
  TimePoint now = m_loop.now();
  std::variant<InviteServer, NonInviteServer> fsm =
      method == "INVITE" ? std::variant<InviteServer, NonInviteServer>(InviteServer(tp.reliable(), now, m_timers))
                         : std::variant<InviteServer, NonInviteServer>(NonInviteServer(tp.reliable(), now, m_timers));
  std::string key = via && via->branch.rfind("z9hG4bK", 0) == 0 ? key_of(*via, method) : "";
  auto t = std::unique_ptr<Txn>(new Txn{id, key, std::move(fsm), req.clone(), from, &tp, {}, nullptr});
  t->timer = std::make_unique<ev::Timer>(m_loop, [this, id] { on_timer(id); });
  if (!key.empty()) m_by_key[key] = id;
  m_txns[id] = std::move(t);
  in.id = id;
  return in;
}

Result<void> ServerLayer::respond(Id id, const sip::Message& response) {
  auto it = m_txns.find(id);
  if (it == m_txns.end()) return fail("transaction is gone");
  Txn& t = *it->second;
  std::string wire = response.to_string();
  if (wire.empty()) return fail("cannot serialize response");
  auto sent = t.transport->send(t.from, wire);
  t.last_response = std::move(wire);
  ServerStep s = std::visit([&](auto& f) { return f.on_send(response.status(), m_loop.now()); }, t.fsm);
  bool done = s.terminated ||
              (std::holds_alternative<InviteServer>(t.fsm) &&
               std::get<InviteServer>(t.fsm).state() == InviteServer::State::terminated);
  if (done) {
    erase(id);
  } else {
    schedule(t);
  }
  return sent;
}

Result<void> ServerLayer::respond(Id id, int status, std::string_view reason) {
  auto it = m_txns.find(id);
  if (it == m_txns.end()) return fail("transaction is gone");
  auto resp = sip::Message::response_to(it->second->request, status, reason);
  if (!resp) return resp.error();
  return respond(id, *resp);
}

const sip::Message* ServerLayer::request(Id id) const {
  auto it = m_txns.find(id);
  return it == m_txns.end() ? nullptr : &it->second->request;
}

std::optional<net::Address> ServerLayer::source(Id id) const {
  auto it = m_txns.find(id);
  if (it == m_txns.end()) return std::nullopt;
  return it->second->from;
}

void ServerLayer::schedule(Txn& t) {
  auto d = std::visit([](auto& f) { return f.next_deadline(); }, t.fsm);
  if (!d) {
    t.timer->cancel();
    return;
  }
  t.timer->arm(std::max(Duration{0}, *d - m_loop.now()));
}

void ServerLayer::on_timer(Id id) {
  auto it = m_txns.find(id);
  if (it == m_txns.end()) return;
  Txn& t = *it->second;
  ServerStep s = std::visit([&](auto& f) { return f.on_timer(m_loop.now()); }, t.fsm);
  if (s.resend && !t.last_response.empty()) (void)t.transport->send(t.from, t.last_response);
  if (s.terminated) {
    erase(id);
    if (s.timed_out && m_on_timeout) m_on_timeout(id);
    return;
  }
  schedule(t);
}

void ServerLayer::erase(Id id) {
  auto it = m_txns.find(id);
  if (it == m_txns.end()) return;
  if (!it->second->key.empty()) {
    auto k = m_by_key.find(it->second->key);
    if (k != m_by_key.end() && k->second == id) m_by_key.erase(k);
  }
  m_txns.erase(it);
}

}  // namespace sipwake::txn
