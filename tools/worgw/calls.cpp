#include "calls.hpp"

#include <chrono>

#include "policy.hpp"
#include "sipwake/util/random.hpp"

namespace sipwake::worgw {
namespace {

std::int64_t unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

nlohmann::json merged(nlohmann::json base, const nlohmann::json& extra) {
  base.update(extra);
  return base;
}

// After a failed wake or a device that never came, callers may try again later.
constexpr const char* k_retry_after = "120";

}  // namespace

// Memory matters here (10,000 held calls): the INVITE itself lives once, in its server
// transaction, and a relayed INVITE is kept as the bytes sent, parsed again only for
// the rare ACK, CANCEL or BYE built from it.
struct CallManager::Call {
  std::uint64_t key = 0;
  txn::ServerLayer::Id server = 0;
  std::string subscriber;
  std::string to_tag;
  WakeRecord timeline;
  enum class Phase { waiting, relaying, done } phase = Phase::waiting;
  bool woke = false;  // this call went through a wake
  std::unique_ptr<ev::Timer> wait_timer;
  // Relaying:
  std::string branch;
  std::string relayed_wire;  // the relayed INVITE as sent ("" = none)
  net::Address device;
  std::optional<txn::InviteClient> client;
  std::unique_ptr<ev::Timer> client_timer;
  std::unique_ptr<ev::Timer> dead_timer;
  bool got_response = false;
  bool suspect = false;  // the relay outlived --dead-binding-timeout; a wake is under way
  bool cancel_sent = false;
  bool saved = false;
};

CallManager::CallManager(CallContext ctx) : m_ctx(ctx), m_cancels(ctx.loop) {}

CallManager::~CallManager() = default;

std::size_t CallManager::held() const {
  std::size_t n = 0;
  for (const auto& [k, c] : m_calls) n += c->phase == Call::Phase::waiting ? 1 : 0;
  return n;
}

CallManager::Call* CallManager::find(std::uint64_t key) {
  auto it = m_calls.find(key);
  return it == m_calls.end() ? nullptr : it->second.get();
}

ConnectMode CallManager::mode_for(const Subscriber& s) const {
  return s.mode == ConnectMode::global ? m_ctx.options.mode : s.mode;
}

std::string CallManager::voicemail_for(const Subscriber* s) const {
  if (s && !s->voicemail.empty()) return s->voicemail;
  return m_ctx.options.voicemail;
}

nlohmann::json CallManager::call_fields(const Call& c) const {
  return {{"call_id", c.timeline.call_id}, {"subscriber", c.subscriber}, {"caller", c.timeline.caller}};
}

std::optional<sip::Message> CallManager::relayed_of(const std::string& wire) {
  if (wire.empty()) return std::nullopt;
  auto m = sip::Message::parse(wire);
  if (!m) return std::nullopt;
  return std::move(*m);
}

void CallManager::respond(Call& c, int status, std::string_view reason,
                          const std::vector<std::pair<std::string, std::string>>& extra) {
  const sip::Message* invite = m_ctx.server.request(c.server);
  if (!invite) return;
  auto resp = local_response(*invite, status, c.to_tag, reason);
  if (!resp) return;
  for (const auto& [k, v] : extra) resp->add_header(k, v);
  (void)m_ctx.server.respond(c.server, *resp);
}

void CallManager::on_invite(txn::ServerLayer::Id id, const sip::Message& invite) {
  // RFC 3261 16.2: a proxy answers 100 at once so the caller stops retransmitting.
  (void)m_ctx.server.respond(id, 100);
  auto call = std::make_unique<Call>();
  Call& c = *call;
  c.key = m_next++;
  c.server = id;
  c.to_tag = random_hex(6);
  c.timeline.call_id = invite.call_id();
  c.timeline.invite_ms = unix_ms();
  if (auto from = invite.from()) c.timeline.caller = from->uri.to_string();

  auto mf = invite.max_forwards().value_or(70);
  if (mf == 0) {
    respond(c, 483, "Too Many Hops");
    return;
  }
  for (const auto& via : invite.vias()) {
    if (m_ctx.self.owns(via)) {
      respond(c, 482, "Loop Detected");
      return;
    }
  }
  m_ctx.directory.refresh_if_changed();
  std::string name = invite.request_uri().user;
  const Subscriber* sub = m_ctx.directory.find(name);
  if (!sub) {
    if (auto to = invite.to()) sub = m_ctx.directory.find(to->uri.user);
  }
  if (!sub) {
    respond(c, 404, "Not Found");
    return;
  }
  c.subscriber = sub->name;
  c.timeline.subscriber = sub->name;
  m_by_server[id] = c.key;
  m_calls[c.key] = std::move(call);
  m_ctx.events.emit("call.received", call_fields(c), "");

  if (auto device = m_ctx.registrar.online(c.subscriber)) {
    connect(c, *device);
    return;
  }
  hold_for_wake(c);
}

void CallManager::hold_for_wake(Call& c) {
  const Subscriber* sub = m_ctx.directory.find(c.subscriber);
  Policy p = sub ? decide(c.timeline.caller, m_ctx.directory.rules(c.subscriber), sub->default_policy) : Policy::deny;
  if (p == Policy::deny) {
    m_ctx.events.emit("call.denied", call_fields(c),
                      c.timeline.caller + " may not wake " + c.subscriber + ": no wake");
    give_up(c, "caller may not wake the phone", true);
    return;
  }
  c.phase = Call::Phase::waiting;
  c.woke = true;
  respond(c, 180, "Ringing");  // the caller hears ringing while the phone wakes
  std::uint64_t key = c.key;
  c.wait_timer = std::make_unique<ev::Timer>(m_ctx.loop, [this, key] {
    if (Call* call = find(key); call && call->phase == Call::Phase::waiting) {
      give_up(*call, "device did not log in within " + std::to_string(m_ctx.options.wake_timeout_s) + "s", false);
    }
  });
  c.wait_timer->arm(Duration{static_cast<long long>(m_ctx.options.wake_timeout_s) * 1000});
  auto& group = m_groups[c.subscriber];
  group.calls.push_back(c.key);
  if (group.requested) {
    // Coalesced: this caller rides on the wake already under way.
    c.timeline.wake_requested_ms = unix_ms();
    return;
  }
  request_wake(c.subscriber, c);
}

void CallManager::request_wake(const std::string& subscriber, Call& first) {
  auto& group = m_groups[subscriber];
  group.requested = true;
  const Subscriber* sub = m_ctx.directory.find(subscriber);
  std::string device = sub && !sub->device_id.empty() ? sub->device_id : subscriber;
  first.timeline.wake_requested_ms = unix_ms();
  nlohmann::json f = call_fields(first);
  f["device"] = device;
  m_ctx.events.emit("wake.requested", f, "waking " + subscriber + " for " + first.timeline.caller);
  m_ctx.waker.wake(device, first.timeline.caller, first.timeline.call_id,
                   Duration{static_cast<long long>(m_ctx.options.wake_timeout_s) * 1000},
                   [this, subscriber](const WakeResult& r) { on_wake_result(subscriber, r); });
}

void CallManager::on_wake_result(const std::string& subscriber, const WakeResult& r) {
  auto it = m_groups.find(subscriber);
  if (it == m_groups.end()) return;  // every caller left already
  std::vector<std::uint64_t> keys = it->second.calls;
  if (r.ok) {
    it->second.confirmed = true;
    std::int64_t now = unix_ms();
    for (auto key : keys) {
      if (Call* c = find(key)) c->timeline.wake_confirmed_ms = now;
    }
    m_ctx.events.emit("wake.confirmed", {{"subscriber", subscriber}, {"via", r.via}, {"calls", keys.size()}},
                      subscriber + "'s phone acknowledged the wake via " + r.via);
    return;
  }
  m_ctx.events.emit("wake.failed", {{"subscriber", subscriber}, {"error", r.error}, {"calls", keys.size()}},
                    "waking " + subscriber + " failed: " + r.error);
  for (auto key : keys) {
    if (Call* c = find(key); c && c->phase == Call::Phase::waiting) give_up(*c, "wake failed: " + r.error, false);
  }
}

void CallManager::on_device_login(const std::string& subscriber, const Online& device) {
  auto it = m_groups.find(subscriber);
  if (it == m_groups.end()) return;  // a refresh, or nobody waiting: nothing to fire
  std::vector<std::uint64_t> keys = std::move(it->second.calls);
  m_groups.erase(it);
  std::int64_t now = unix_ms();
  // Each held call fires exactly once: it leaves the group here and is relaying after.
  for (auto key : keys) {
    Call* c = find(key);
    if (!c || c->phase != Call::Phase::waiting) continue;
    c->timeline.device_register_ms = now;
    c->wait_timer.reset();
    connect(*c, device);
  }
}

void CallManager::connect(Call& c, const Online& device) {
  const Subscriber* sub = m_ctx.directory.find(c.subscriber);
  auto target = sip::Uri::parse(device.binding.contact);
  if (!target) {
    give_up(c, "device contact is not a SIP URI", false);
    return;
  }
  if (sub && mode_for(*sub) == ConnectMode::redirect) {
    c.timeline.connected_ms = unix_ms();
    respond(c, 302, "Moved Temporarily", {{"Contact", "<" + target->to_string() + ">"}});
    m_ctx.events.emit("call.redirected", merged(call_fields(c), {{"contact", target->to_string()}}),
                      "redirected " + c.timeline.caller + " to " + target->to_string());
    finish(c, "redirected", target->to_string());
    return;
  }
  relay(c, device);
}

void CallManager::relay(Call& c, const Online& device) {
  if (!c.relayed_wire.empty() && c.client) orphan(c);  // the suspect leg the phone never answered
  c.phase = Call::Phase::relaying;
  c.suspect = false;
  c.got_response = false;
  c.branch = std::string(k_branch_prefix) + random_hex(8);
  c.device = device.flow;
  auto target = *sip::Uri::parse(device.binding.contact);
  const sip::Message* invite = m_ctx.server.request(c.server);
  if (!invite) return;
  c.relayed_wire = relayed_invite(*invite, target, m_ctx.self, c.branch).to_string();
  // The INVITE leaves from the socket the REGISTER arrived on, to the address it came
  // from (received/rport): the only way through the device's NAT.
  auto sent = m_ctx.transport.send(c.device, c.relayed_wire);
  c.timeline.connected_ms = unix_ms();
  m_by_branch[c.branch] = c.key;
  std::uint64_t key = c.key;
  c.client.emplace(false, m_ctx.loop.now());
  c.client_timer = std::make_unique<ev::Timer>(m_ctx.loop, [this, key] { on_client_timer(key); });
  if (auto d = c.client->next_deadline()) c.client_timer->arm(*d - m_ctx.loop.now());
  c.dead_timer = std::make_unique<ev::Timer>(m_ctx.loop, [this, key] { on_dead_binding(key); });
  c.dead_timer->arm(Duration{m_ctx.options.dead_binding_ms});
  nlohmann::json f = call_fields(c);
  f["to"] = c.device.to_string();
  if (c.timeline.wake_requested_ms) f["wake_to_connect_ms"] = c.timeline.connected_ms - c.timeline.wake_requested_ms;
  m_ctx.events.emit("call.connected", f, "relaying " + c.timeline.caller + " to " + c.subscriber + " at " + c.device.to_string());
  if (!sent) on_dead_binding(key);
}

void CallManager::on_client_timer(std::uint64_t key) {
  Call* c = find(key);
  if (!c || !c->client) return;
  txn::Step s = c->client->on_timer(m_ctx.loop.now());
  if (s.retransmit && !c->relayed_wire.empty()) (void)m_ctx.transport.send(c->device, c->relayed_wire);
  if (s.timed_out && c->phase == Call::Phase::relaying) {
    respond(*c, 408, "Request Timeout");
    finish(*c, "unavailable", "device did not answer the INVITE");
    return;
  }
  if (s.terminated) {
    m_by_branch.erase(c->branch);
    if (c->phase == Call::Phase::done) {
      m_calls.erase(key);
      return;
    }
    c->client.reset();  // a suspect leg that never answered; the wake decides now
    c->client_timer.reset();
    return;
  }
  if (auto d = c->client->next_deadline()) c->client_timer->arm(std::max(Duration{0}, *d - m_ctx.loop.now()));
}

void CallManager::on_dead_binding(std::uint64_t key) {
  Call* c = find(key);
  if (!c || c->phase != Call::Phase::relaying || c->got_response) return;
  // The binding looked alive but nothing answers: the phone is gone or its NAT hole
  // closed. Treat it as asleep and wake it rather than leave the caller in silence.
  // The INVITE leg stays: a phone that was only slow can still answer it (resume).
  m_ctx.events.emit("binding.dead", merged(call_fields(*c), {{"to", c->device.to_string()}}),
                    c->subscriber + "'s binding at " + c->device.to_string() + " is dead; waking instead");
  m_ctx.registrar.drop(c->subscriber, "no answer to INVITE");
  c->suspect = true;
  c->dead_timer.reset();
  hold_for_wake(*c);
}

void CallManager::orphan(Call& c) {
  // A leg we no longer want: CANCEL it once it rings, tear down an answer it sends.
  auto o = std::make_unique<Orphan>(Orphan{std::move(c.relayed_wire), c.device, false, nullptr});
  c.relayed_wire.clear();
  c.client.reset();
  c.client_timer.reset();
  std::string branch = c.branch;
  m_by_branch.erase(branch);
  o->expiry = std::make_unique<ev::Timer>(m_ctx.loop, [this, branch] { m_orphans.erase(branch); });
  o->expiry->arm(Duration{32000});  // 64*T1: no answer can come later than that
  m_orphans[branch] = std::move(o);
}

bool CallManager::on_orphan_response(const std::string& branch, const sip::Message& response) {
  auto it = m_orphans.find(branch);
  if (it == m_orphans.end()) return false;
  Orphan& o = *it->second;
  auto relayed = relayed_of(o.relayed_wire);
  if (!relayed) return true;
  int status = response.status();
  if (status < 200) {
    if (!o.cancelled) {
      o.cancelled = true;
      (void)m_cancels.send(m_ctx.transport, o.device, cancel_for(*relayed), {nullptr, nullptr});
    }
    return true;
  }
  // RFC 3261 17.1.1.3 / 13.2.2.4: ACK every final answer; an unwanted 2xx dialog is ended with BYE.
  (void)m_ctx.transport.send(o.device, ack_for(*relayed, response).to_string());
  if (status < 300) (void)m_ctx.transport.send(o.device, bye_for(*relayed, response).to_string());
  return true;
}

void CallManager::on_unreachable(const net::Address& dest) {
  std::vector<std::uint64_t> dead;
  for (const auto& [key, c] : m_calls) {
    if (c->phase == Call::Phase::relaying && !c->got_response && c->device == dest) dead.push_back(key);
  }
  for (auto key : dead) on_dead_binding(key);
}

bool CallManager::on_response(const sip::Message& response) {
  auto via = response.top_via();
  if (!via) return false;
  if (m_cancels.on_response(response)) return true;
  if (on_orphan_response(via->branch, response)) return true;
  auto it = m_by_branch.find(via->branch);
  if (it == m_by_branch.end()) return false;
  Call* c = find(it->second);
  if (!c || !c->client) return true;
  int status = response.status();
  if (c->phase != Call::Phase::relaying && status < 300 && c->suspect && c->phase == Call::Phase::waiting) {
    // The "dead" phone was only slow: resume the relay and call off the wake.
    c->phase = Call::Phase::relaying;
    c->suspect = false;
    c->wait_timer.reset();
    leave_group(*c);
    m_ctx.events.emit("binding.alive", merged(call_fields(*c), {{"to", c->device.to_string()}, {"code", status}}),
                      c->subscriber + "'s phone answered late; relaying after all");
  }
  txn::Step s = c->client->on_response(status, m_ctx.loop.now());
  if (s.send_ack) {
    if (auto relayed = relayed_of(c->relayed_wire)) {
      (void)m_ctx.transport.send(c->device, ack_for(*relayed, response).to_string());
    }
  }
  if (c->phase != Call::Phase::relaying) {
    // The call went another way (waking, or already answered by us): this leg is
    // unwanted. Cancel it once it rings; end an answer it sends anyway.
    auto relayed = relayed_of(c->relayed_wire);
    if (relayed && status < 200 && !c->cancel_sent) {
      c->cancel_sent = true;
      (void)m_cancels.send(m_ctx.transport, c->device, cancel_for(*relayed), {nullptr, nullptr});
    } else if (relayed && status >= 200 && status < 300) {
      (void)m_ctx.transport.send(c->device, ack_for(*relayed, response).to_string());
      (void)m_ctx.transport.send(c->device, bye_for(*relayed, response).to_string());
    }
  } else {
    if (!c->got_response) {
      c->got_response = true;
      c->dead_timer.reset();
      c->timeline.first_response_ms = unix_ms();
      nlohmann::json f = call_fields(*c);
      f["code"] = status;
      if (c->timeline.wake_requested_ms) {
        f["wake_to_ring_ms"] = c->timeline.first_response_ms - c->timeline.wake_requested_ms;
      }
      m_ctx.events.emit("call.responded", f, "");
    }
    if (s.deliver && status > 100) {
      sip::Message up = response.clone();
      up.pop_via();
      (void)m_ctx.server.respond(c->server, up);
    }
    if (status >= 200) {
      if (status < 300) {
        m_ctx.events.emit("call.answered", call_fields(*c), c->subscriber + " answered " + c->timeline.caller);
        finish(*c, "connected", "");
      } else {
        finish(*c, "connected", "device answered " + std::to_string(status));
      }
    }
  }
  if (s.terminated) {
    m_by_branch.erase(c->branch);
    if (c->phase == Call::Phase::done) m_calls.erase(c->key);
    else c->client.reset();
    return true;
  }
  if (c->client) {
    if (auto d = c->client->next_deadline()) c->client_timer->arm(std::max(Duration{0}, *d - m_ctx.loop.now()));
  }
  return true;
}

void CallManager::on_cancel(txn::ServerLayer::Id cancel_id, txn::ServerLayer::Id invite_id) {
  auto it = m_by_server.find(invite_id);
  Call* c = it == m_by_server.end() ? nullptr : find(it->second);
  if (!c || c->phase == Call::Phase::done) {
    (void)m_ctx.server.respond(cancel_id, 481, "Call/Transaction Does Not Exist");
    return;
  }
  (void)m_ctx.server.respond(cancel_id, 200);
  if (c->phase == Call::Phase::waiting) {
    respond(*c, 487, "Request Terminated");
    m_ctx.events.emit("call.cancelled", call_fields(*c), c->timeline.caller + " gave up waiting");
    finish(*c, "cancelled", "caller cancelled while the phone woke");
    return;
  }
  // Relaying: pass the CANCEL on (RFC 3261 16.10); the device's 487 comes back through us.
  auto relayed = relayed_of(c->relayed_wire);
  if (relayed && !c->cancel_sent) {
    c->cancel_sent = true;
    m_ctx.events.emit("call.cancelled", call_fields(*c), c->timeline.caller + " cancelled");
    (void)m_cancels.send(m_ctx.transport, c->device, cancel_for(*relayed), {nullptr, nullptr});
  }
}

void CallManager::give_up(Call& c, const std::string& why, bool denied) {
  const Subscriber* sub = m_ctx.directory.find(c.subscriber);
  std::string vm = voicemail_for(sub);
  if (!vm.empty()) {
    respond(c, 302, "Moved Temporarily", {{"Contact", "<" + vm + ">"}});
    m_ctx.events.emit("call.voicemail", merged(call_fields(c), {{"reason", why}, {"voicemail", vm}}),
                      c.timeline.caller + " -> voicemail (" + why + ")");
    finish(c, "voicemail", why);
    return;
  }
  respond(c, 480, "Temporarily Unavailable", {{"Retry-After", k_retry_after}});
  m_ctx.events.emit("call.unavailable", merged(call_fields(c), {{"reason", why}}),
                    c.timeline.caller + " -> 480 (" + why + ")");
  finish(c, denied ? "denied" : "unavailable", why);
}

void CallManager::leave_group(Call& c) {
  auto it = m_groups.find(c.subscriber);
  if (it == m_groups.end()) return;
  auto& calls = it->second.calls;
  calls.erase(std::remove(calls.begin(), calls.end(), c.key), calls.end());
  if (calls.empty()) {
    if (it->second.requested && !it->second.confirmed) {
      const Subscriber* sub = m_ctx.directory.find(c.subscriber);
      m_ctx.waker.cancel(sub && !sub->device_id.empty() ? sub->device_id : c.subscriber, c.timeline.call_id);
    }
    m_groups.erase(it);
  }
}

void CallManager::finish(Call& c, const std::string& outcome, const std::string& detail) {
  bool was_waiting = c.phase == Call::Phase::waiting;
  c.phase = Call::Phase::done;
  c.wait_timer.reset();
  c.dead_timer.reset();
  if (was_waiting) leave_group(c);
  if (!c.saved) {
    c.saved = true;
    c.timeline.outcome = outcome;
    c.timeline.detail = detail;
    if (c.woke || outcome == "denied") {
      m_ctx.writer.queue([w = c.timeline](Store& s) -> Result<void> {
        auto id = s.insert_wake(w);
        if (!id) return id.error();
        return {};
      });
    }
  }
  m_by_server.erase(c.server);
  // A relayed call lingers while its client transaction still relays 2xx retransmissions.
  if (!c.client) m_calls.erase(c.key);
}

void CallManager::shutdown() {
  std::vector<std::uint64_t> keys;
  for (const auto& [k, c] : m_calls) {
    if (c->phase == Call::Phase::waiting) keys.push_back(k);
  }
  for (auto k : keys) {
    if (Call* c = find(k)) {
      respond(*c, 480, "Temporarily Unavailable", {{"Retry-After", "30"}});
      finish(*c, "unavailable", "gateway shutting down");
    }
  }
}

}  // namespace sipwake::worgw
