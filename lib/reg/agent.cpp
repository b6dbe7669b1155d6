#include "sipwake/reg/agent.hpp"

#include <charconv>

#include "sipwake/reg/response_summary.hpp"
#include "sipwake/util/random.hpp"

namespace sipwake::reg {

struct Agent::Slot {
  Registration reg;
  net::Address registrar;
  std::string proto;  // "UDP" / "TCP"
  net::SipTransport* transport = nullptr;
  std::string call_id;
  std::string from_tag;
  std::unique_ptr<ev::Timer> timer;
  std::string reg_contact_hint;  // the user's fixed Contact, if any
};

Agent::Agent(ev::Loop& loop, Options options, EventHandler on_event)
    : m_loop(loop), m_opt(std::move(options)), m_on_event(std::move(on_event)), m_layer(loop) {}

Agent::~Agent() = default;

const Registration& Agent::registration(std::size_t i) const { return m_regs.at(i)->reg; }

std::size_t Agent::failed() const {
  std::size_t n = 0;
  for (const auto& s : m_regs) n += s->reg.outcome() == Outcome::failed ? 1 : 0;
  return n;
}

std::string Agent::first_failure() const {
  for (const auto& s : m_regs) {
    if (s->reg.outcome() == Outcome::failed) return s->reg.config().aor.to_string() + ": " + s->reg.failure();
  }
  return "";
}

Result<net::SipTransport*> Agent::transport_for(const std::string& proto, const net::Address& registrar) {
  if (m_opt.shared && proto == std::string(m_opt.shared->protocol())) {
    auto local = m_opt.shared->local_address_for(registrar);
    if (local && local->family() == registrar.family()) return m_opt.shared;
  }
  for (auto& e : m_transports) {
    if (e.proto == proto && e.family == registrar.family()) return e.transport.get();
  }
  net::Address local = m_opt.local && m_opt.local->family() == registrar.family()
                           ? *m_opt.local
                           : net::Address::any(registrar.family(), 0);
  auto opened = proto == "TCP" ? net::open_tcp_transport(m_loop, local) : net::open_udp_transport(m_loop, local);
  if (!opened) return opened.error();
  net::SipTransport* tp = opened->get();
  tp->set_handler([this, tp](std::string_view data, const net::Address& from) { on_message(data, from, *tp); });
  tp->set_closed_handler([this, tp](const net::Address& peer, std::string_view why) {
    m_layer.fail_peer(*tp, peer, std::string(why));
    // RFC 5626 4.4.1: a lost flow means the registration must be renewed over a new one.
    for (std::size_t i = 0; i < m_regs.size(); ++i) {
      auto& s = *m_regs[i];
      if (s.transport == tp && s.registrar == peer && s.reg.state() == Registration::State::registered) {
        apply(i, s.reg.reregister(s.reg.config().contact_fixed ? "" : auto_contact(i)));
      }
    }
  });
  m_transports.push_back({proto, registrar.family(), std::move(*opened)});
  return tp;
}

Result<std::size_t> Agent::add(Config config, std::optional<std::string> contact) {
  std::string transport = config.registrar.transport();
  if (transport != "udp" && transport != "tcp") {
    return fail("transport " + transport + " is not supported yet (use udp or tcp)");
  }
  std::uint16_t port = config.registrar.port.value_or(5060);
  auto addrs = net::Address::resolve(config.registrar.host, port);
  if (!addrs) return addrs.error();
  net::Address registrar = addrs->front();
  if (m_opt.local) {
    for (const auto& a : *addrs) {
      if (a.family() == m_opt.local->family()) registrar = a;
    }
  }
  std::string proto = transport == "tcp" ? "TCP" : "UDP";
  config.contact_fixed = contact.has_value();
  auto slot = std::make_unique<Slot>(Slot{Registration(std::move(config), m_loop.clock()), registrar, proto, nullptr,
                                          random_hex(12), random_hex(6), nullptr, {}});
  if (contact) slot->reg_contact_hint = *contact;
  std::size_t index = m_regs.size();
  slot->timer = std::make_unique<ev::Timer>(m_loop, [this, index] { apply(index, m_regs[index]->reg.on_timer()); });
  m_regs.push_back(std::move(slot));
  return index;
}

std::string Agent::auto_contact(std::size_t i) {
  Slot& s = *m_regs[i];
  if (!s.reg_contact_hint.empty()) return s.reg_contact_hint;
  auto tp = transport_for(s.proto, s.registrar);
  if (!tp) return "";
  s.transport = *tp;
  auto local = s.transport->local_address_for(s.registrar);
  if (!local) return "";
  std::string user = s.reg.config().aor.user;
  std::string uri = "sip:" + (user.empty() ? "" : user + "@") + local->host_for_uri() + ":" +
                    std::to_string(local->port());
  if (s.proto == "TCP") uri += ";transport=tcp";
  return uri;
}

void Agent::start(Registration::Mode mode, std::function<void()> on_done) {
  m_on_done = std::move(on_done);
  m_start_mode = mode;
  // Registrations start as transaction slots free up: thousands of accounts never
  // sit in memory as queued requests, and each register.sent means "sent now".
  for (std::size_t i = 0; i < m_regs.size(); ++i) m_to_start.push_back(i);
  pump();
  check_done();
}

void Agent::start_one(std::size_t index, Registration::Mode mode) {
  apply(index, m_regs.at(index)->reg.start(mode, auto_contact(index)));
}

void Agent::stop_one(std::size_t index, bool keep) {
  auto& r = m_regs.at(index)->reg;
  apply(index, keep ? r.abandon() : r.stop());
}

void Agent::reregister_all() {
  for (std::size_t i = 0; i < m_regs.size(); ++i) {
    if (m_regs[i]->reg.finished()) continue;
    apply(i, m_regs[i]->reg.reregister(auto_contact(i)));
  }
}

void Agent::stop_all(bool keep) {
  m_waiting.clear();  // queued REGISTERs are moot now
  m_to_start.clear();
  for (std::size_t i = 0; i < m_regs.size(); ++i) {
    apply(i, keep ? m_regs[i]->reg.abandon() : m_regs[i]->reg.stop());
  }
  check_done();
}

void Agent::apply(std::size_t i, Output out) {
  Slot& s = *m_regs[i];
  bool queue = out.send && m_inflight >= m_opt.max_inflight;
  std::optional<Event> sent_event;
  for (auto& e : out.events) {
    // A queued request is reported as sent when it really leaves.
    if (queue && (e.name == "register.sent" || e.name == "unregister.sent")) {
      sent_event = std::move(e);
      continue;
    }
    if (m_on_event) m_on_event(e);
  }
  if (out.cancel_timer) s.timer->cancel();
  if (out.arm_timer) s.timer->arm(*out.arm_timer);
  if (queue) {
    m_waiting.push_back({i, std::move(*out.send), std::move(sent_event)});
  } else if (out.send) {
    transmit(i, *out.send);
  }
  if (s.reg.finished()) check_done();
}

void Agent::pump() {
  while (m_inflight < m_opt.max_inflight && !m_waiting.empty()) {
    Waiting w = std::move(m_waiting.front());
    m_waiting.pop_front();
    if (w.request.cseq != m_regs[w.index]->reg.current_cseq()) continue;  // superseded while waiting
    if (w.sent_event && m_on_event) m_on_event(*w.sent_event);
    transmit(w.index, w.request);
  }
  while (m_inflight < m_opt.max_inflight && !m_to_start.empty()) {
    std::size_t i = m_to_start.front();
    m_to_start.pop_front();
    if (m_regs[i]->reg.state() != Registration::State::idle) continue;  // stopped meanwhile
    apply(i, m_regs[i]->reg.start(m_start_mode, auto_contact(i)));
  }
}

void Agent::transmit(std::size_t i, const Request& req) {
  Slot& s = *m_regs[i];
  const Config& cfg = s.reg.config();
  auto fail_now = [&](const std::string& why) { apply(i, s.reg.on_failure(req.cseq, why)); };
  if (!s.transport) {
    auto tp = transport_for(s.proto, s.registrar);
    if (!tp) return fail_now(tp.message());
    s.transport = *tp;
  }
  auto local = s.transport->local_address_for(s.registrar);
  if (!local) return fail_now(local.message());

  sip::Message m = sip::Message::request("REGISTER", cfg.registrar);
  sip::Via via;
  via.transport = s.proto;
  via.host = local->host();
  via.port = local->port();
  via.branch = "z9hG4bK" + random_hex(10);
  via.has_rport = true;  // RFC 3581: ask where the registrar saw us
  m.push_via(via);
  m.set_header("Max-Forwards", "70");
  sip::NameAddr from;
  from.uri = cfg.aor;
  from.set_param("tag", s.from_tag);
  m.set_from(from);
  sip::NameAddr to;
  to.uri = cfg.aor;
  m.set_to(to);
  m.set_call_id(s.call_id);
  m.set_cseq(req.cseq, "REGISTER");
  if (req.star) {
    m.set_contact_star();
  }
  for (const auto& b : req.contacts) {
    auto uri = sip::Uri::parse(b.uri);
    if (!uri) return fail_now("bad contact " + b.uri + ": " + uri.message());
    sip::NameAddr c;
    c.uri = *uri;
    c.set_param("expires", std::to_string(b.expires));
    for (const auto& [k, v] : b.params) c.set_param(k, v);
    m.add_contact(c);
  }
  if (req.expires_header) m.set_header("Expires", std::to_string(*req.expires_header));
  if (req.authorization) m.set_header(req.authorization->header_name, req.authorization->value);
  m.set_header("User-Agent", m_opt.user_agent);

  std::uint32_t cseq = req.cseq;
  ++m_inflight;
  auto sent = m_layer.send(*s.transport, s.registrar, m,
                           {[this, i](const sip::Message& resp) {
                              if (resp.status() < 200) return;
                              --m_inflight;
                              apply(i, m_regs[i]->reg.on_response(summarize(resp)));
                              pump();
                            },
                            [this, i, cseq](const std::string& why) {
                              --m_inflight;
                              apply(i, m_regs[i]->reg.on_failure(cseq, why));
                              pump();
                            }});
  if (!sent) {
    --m_inflight;
    fail_now(sent.message());
  }
}

void Agent::on_message(std::string_view data, const net::Address& from, net::SipTransport& tp) {
  auto msg = sip::Message::parse(data);
  if (!msg) return;  // garbage from the network is dropped; a response cannot be answered
  if (!msg->is_request()) {
    m_layer.on_response(*msg);
    return;
  }
  answer_request(*msg, from, tp);
}

void Agent::answer_request(const sip::Message& req, const net::Address& from, net::SipTransport& tp) {
  std::string method = req.method();
  if (method == "ACK") return;
  // A registration client is not a phone: OPTIONS pings (registrar NAT keepalives)
  // get 200, calls get 480, anything else 405.
  int code = method == "OPTIONS" ? 200 : method == "INVITE" ? 480 : 405;
  auto resp = sip::Message::response_to(req, code);
  if (!resp) return;
  if (code == 405 || code == 200) resp->set_header("Allow", "OPTIONS");
  // RFC 3581 4: answer to the source address and port.
  (void)tp.send(from, resp->to_string());
}

bool Agent::all_finished() const {
  for (const auto& s : m_regs) {
    if (!s->reg.finished()) return false;
  }
  return true;
}

void Agent::check_done() {
  if (m_done_fired || !m_on_done) return;
  for (const auto& s : m_regs) {
    if (!s->reg.finished()) return;
  }
  m_done_fired = true;
  m_on_done();
}

}  // namespace sipwake::reg
