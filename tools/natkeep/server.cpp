#include "server.hpp"

#include "sipwake/stun/builder.hpp"
#include "sipwake/stun/integrity.hpp"

namespace sipwake::natkeep {

using namespace sipwake::stun;
using nlohmann::json;

namespace {

// A 32-bit digest of transaction ID and source, enough to recognise a retransmission.
std::uint32_t request_tag(const TransactionId& txid, const TransportAddress& from) {
  std::uint32_t h = 2166136261u;
  for (auto b : txid) h = (h ^ b) * 16777619u;
  return h ^ static_cast<std::uint32_t>(TransportAddressHash{}(from));
}

// The retransmission schedule of a wake (RFC 8489 6.2.1 style doubling from 500 ms).
constexpr Duration k_wake_first_gap{500};
constexpr Duration k_wake_max_gap{2000};

}  // namespace

Server::Server(Config cfg, BindingTable& table, const Clock& clock, WallClockFn wall, EmitFn emit)
    : m_cfg(std::move(cfg)),
      m_table(table),
      m_clock(clock),
      m_wall(std::move(wall)),
      m_emit(std::move(emit)),
      m_guard(m_cfg.guard),
      m_wake_counter(m_cfg.counter_floor) {}

void Server::on_datagram(std::uint8_t local, const TransportAddress& from,
                         std::span<const std::uint8_t> data, std::vector<Outgoing>& out) {
  auto parsed = Message::parse(data);
  if (!parsed) {
    ++m_stats.dropped;  // not STUN, or malformed: never answered
    return;
  }
  const Message& m = *parsed;
  if (m.method() == method::binding && m.cls() == Class::request) {
    on_binding(local, from, m, out);
  } else if (m.method() == method::natkeep_wake && m.cls() == Class::success) {
    on_wake_ack(from, m);
  } else {
    ++m_stats.dropped;
  }
}

void Server::reject(const TransportAddress& from, std::string_view device, const char* why) {
  ++m_stats.rejected;
  // Rejections are charged to the source, and only admitted ones are reported, so a
  // flood of forgeries cannot flood the event stream either.
  if (!m_guard.admit(from, m_clock.now())) return;
  m_emit("keepalive.rejected", {{"source", from.to_string()}, {"device", device}, {"reason", why}},
         "rejected keepalive from " + from.to_string() + ": " + why);
}

void Server::on_binding(std::uint8_t local, const TransportAddress& from, const Message& m,
                        std::vector<Outgoing>& out) {
  ++m_stats.binding_requests;
  if (m.username() && !m.classic()) {
    if (m_guard.exhausted(from, m_clock.now())) {
      ++m_stats.dropped;
      return;
    }
    on_keepalive(local, from, m, out);
    return;
  }
  on_anonymous(local, from, m, out);
}

std::uint8_t Server::reply_socket(std::uint8_t local, std::uint32_t change) const {
  if (!m_cfg.has_alt) return local;
  // RFC 5780 6.1: CHANGE-REQUEST flips the IP and/or port relative to the receiving socket.
  std::uint8_t r = local;
  if (change & change::ip) r ^= Local::alt_ip;
  if (change & change::port) r ^= Local::alt_port;
  return r;
}

bool Server::on_keepalive(std::uint8_t local, const TransportAddress& from, const Message& m,
                          std::vector<Outgoing>& out) {
  std::string_view device = *m.username();
  DeviceEntry* e = m_table.find(device);
  if (e == nullptr) {
    reject(from, device.size() <= 64 ? device : device.substr(0, 64), "unknown-device");
    return false;
  }
  if (check_short_term(m, e->key.span()) != Integrity::ok) {
    reject(from, device, "bad-integrity");
    return false;
  }
  auto counter = m.u64(attr::natkeep_counter);
  if (!counter) {
    reject(from, device, "no-counter");
    return false;
  }
  auto response_port = m.response_port();
  // RFC 8489 6.3.1: a retransmission repeats the transaction from the same source; it is
  // answered again. The same counter in any other packet is a replay.
  std::uint32_t tag = request_tag(m.transaction_id(), from);
  bool retransmission = *counter == e->counter && tag == e->last_tag;
  if (*counter <= e->counter && !retransmission) {
    reject(from, device, "replay");
    stale_counter(from, m, *e, out);
    return false;
  }
  ++m_stats.keepalives;
  TransportAddress dest = from;
  if (response_port) {
    // RFC 5780 4.6: a sibling socket asks for the answer on the device's live mapping;
    // it must not move the binding.
    dest.port = *response_port;
    e->counter = *counter;
    e->last_tag = tag;
  } else if (!retransmission) {
    auto now_s = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(m_clock.now().time_since_epoch()).count());
    if (!e->mapped.valid()) {
      m_emit("binding.new", {{"device", device}, {"address", from.to_string()}},
             std::string(device) + " at " + from.to_string());
    } else if (!(e->mapped == from)) {
      m_emit("binding.changed",
             {{"device", device}, {"old", e->mapped.to_string()}, {"new", from.to_string()}},
             std::string(device) + " moved " + e->mapped.to_string() + " -> " + from.to_string());
    }
    e->mapped = from;
    e->local = local;
    e->last_seen_s = now_s;
    e->counter = *counter;
    e->last_tag = tag;
  }
  MessageBuilder b(Class::success, method::binding, m.transaction_id());
  b.add_xor_address(attr::xor_mapped_address, from);
  b.add_address(attr::response_origin, m_cfg.locals[local]);
  if (m_cfg.has_alt) b.add_address(attr::other_address, m_cfg.locals[local ^ Local::alt_both]);
  if (m.find(attr::message_integrity_sha256) != nullptr) {
    b.add_message_integrity_sha256(e->key.span());
  } else {
    b.add_message_integrity(e->key.span());
  }
  b.add_fingerprint();
  out.push_back(Outgoing{local, dest, std::move(b).take()});
  return true;
}

void Server::stale_counter(const TransportAddress& from, const Message& m, const DeviceEntry& e,
                           std::vector<Outgoing>& out) {
  // A genuine device whose counter fell behind (its clock went back across a restart)
  // would be refused for good; tell it the counter to beat, signed with its key so
  // nobody else can push it forward. The sender is not authenticated as *this*
  // exchange's source (it may be a replay), so the answer stays smaller than the
  // request: no reason phrase, no FINGERPRINT.
  if (m_guard.exhausted(from, m_clock.now())) return;
  MessageBuilder b(Class::error, method::binding, m.transaction_id());
  b.add_error(438, "");
  b.add_u64(attr::natkeep_counter, e.counter);
  b.add_message_integrity_sha256(e.key.span());
  if (b.size() > m.bytes().size()) return;
  out.push_back(Outgoing{0, from, std::move(b).take()});
}

void Server::on_anonymous(std::uint8_t local, const TransportAddress& from, const Message& m,
                          std::vector<Outgoing>& out) {
  if (!m_guard.admit(from, m_clock.now())) {
    ++m_stats.dropped;
    return;
  }
  std::size_t budget = m_guard.budget(from, m.bytes().size());
  auto unknown = m.unknown_required();
  if (!unknown.empty()) {
    // RFC 8489 6.3.1.1: 420 listing what we did not understand (if it fits the budget).
    MessageBuilder b(Class::error, method::binding, m.transaction_id());
    b.add_error(420, "Unknown Attribute");
    b.add_unknown_attributes(unknown);
    if (b.size() <= budget) {
      m_guard.spend(from, b.size());
      out.push_back(Outgoing{local, from, std::move(b).take()});
    }
    return;
  }
  std::uint32_t change = m.change_request().value_or(0);
  std::uint8_t via = reply_socket(local, change);
  TransportAddress dest = from;
  if (auto rp = m.response_port(); rp && !m.classic()) dest.port = *rp;

  // Attributes in order of value; each is added only while the response stays within
  // what this source has sent us (no amplification).
  MessageBuilder b = m.classic()
                         ? MessageBuilder::classic(Class::success, method::binding, m.cookie(),
                                                   m.transaction_id())
                         : MessageBuilder(Class::success, method::binding, m.transaction_id());
  auto fits = [&](std::size_t extra) { return b.size() + extra <= budget; };
  std::size_t addr_len = from.family == 6 ? 24 : 12;
  if (!fits(addr_len)) {
    ++m_stats.dropped;  // too small to answer yet; a retransmission adds credit
    return;
  }
  if (m.classic()) {
    b.add_address(attr::mapped_address, from);
    if (fits(addr_len)) b.add_address(attr::source_address, m_cfg.locals[via]);
    if (m_cfg.has_alt && fits(addr_len)) {
      b.add_address(attr::changed_address, m_cfg.locals[via ^ Local::alt_both]);
    }
  } else {
    b.add_xor_address(attr::xor_mapped_address, from);
    if (fits(addr_len)) b.add_address(attr::response_origin, m_cfg.locals[via]);
    if (m_cfg.has_alt && fits(addr_len)) {
      b.add_address(attr::other_address, m_cfg.locals[via ^ Local::alt_both]);
    }
    if (fits(4 + ((m_cfg.software.size() + 3) & ~std::size_t{3}))) {
      b.add_text(attr::software, m_cfg.software);
    }
    if (m.find(attr::fingerprint) != nullptr && fits(8)) b.add_fingerprint();
  }
  m_guard.spend(from, b.size());
  out.push_back(Outgoing{via, dest, std::move(b).take()});
}

void Server::on_wake_ack(const TransportAddress& from, const Message& m) {
  auto it = m_pending.find(m.transaction_id());
  if (it == m_pending.end()) return;  // late duplicate ack, or a guess
  Pending& p = it->second;
  const DeviceEntry* e = m_table.find(p.device);
  if (e == nullptr || m.username() != std::optional<std::string_view>(p.device) ||
      check_message_integrity_sha256(m, e->key.span()) != Integrity::ok) {
    reject(from, p.device, "bad-ack");
    return;
  }
  auto rtt = std::chrono::duration_cast<Duration>(m_clock.now() - p.started).count();
  ++m_stats.wakes_acked;
  m_emit("wake.acked", {{"id", p.id}, {"device", p.device}, {"rtt_ms", rtt}},
         "wake for " + p.device + " acknowledged in " + std::to_string(rtt) + " ms");
  p.reply({{"id", p.id}, {"ok", true}, {"device", p.device}, {"rtt_ms", rtt}});
  m_pending.erase(it);
}

void Server::on_request(std::string_view line, ReplyFn reply, std::vector<Outgoing>& out) {
  json req = json::parse(line, nullptr, false);
  if (req.is_discarded() || !req.is_object()) {
    reply({{"id", nullptr}, {"ok", false}, {"error", "malformed request: not a JSON object"}});
    return;
  }
  json id = req.contains("id") ? req["id"] : json(nullptr);
  auto error = [&](const std::string& e) { reply({{"id", id}, {"ok", false}, {"error", e}}); };
  if (!req.contains("id")) return error("malformed request: no id");
  if (!req.contains("op") || !req["op"].is_string()) return error("malformed request: no op");
  std::string op = req["op"].get<std::string>();
  if (op == "wake") return request_wake(req, std::move(reply), out);
  if (op == "binding") {
    if (!req.contains("device") || !req["device"].is_string()) return error("no device");
    json b = binding_json(req["device"].get<std::string>());
    if (b.is_null()) return error("unknown device");
    b["id"] = id;
    b["ok"] = true;
    return reply(b);
  }
  if (op == "stats") {
    return reply({{"id", id},
                  {"ok", true},
                  {"devices", m_table.size()},
                  {"keepalives", m_stats.keepalives},
                  {"binding_requests", m_stats.binding_requests},
                  {"rejected", m_stats.rejected},
                  {"dropped", m_stats.dropped},
                  {"wakes_sent", m_stats.wakes_sent},
                  {"wakes_acked", m_stats.wakes_acked},
                  {"wakes_failed", m_stats.wakes_failed},
                  {"pending_wakes", m_pending.size()}});
  }
  error("unknown op: " + op.substr(0, 32));
}

json Server::binding_json(std::string_view device) const {
  const DeviceEntry* e = m_table.find(device);
  if (e == nullptr) return nullptr;
  json j = {{"device", device}};
  if (e->mapped.valid()) {
    auto now_s = std::chrono::duration_cast<std::chrono::seconds>(m_clock.now().time_since_epoch()).count();
    j["address"] = e->mapped.to_string();
    j["age_s"] = now_s - static_cast<long long>(e->last_seen_s);
  } else {
    j["address"] = nullptr;
  }
  return j;
}

void Server::request_wake(const json& req, ReplyFn reply, std::vector<Outgoing>& out) {
  json id = req["id"];
  auto error = [&](const std::string& e) { reply({{"id", id}, {"ok", false}, {"error", e}}); };
  if (!req.contains("device") || !req["device"].is_string()) return error("no device");
  std::string device = req["device"].get<std::string>();
  const DeviceEntry* e = m_table.find(device);
  if (e == nullptr) return error("unknown device");
  if (!e->mapped.valid()) return error("no binding");
  json payload = req.contains("payload") ? req["payload"] : json::object();
  std::string text = payload.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > k_max_payload) return error("payload too large");
  Duration timeout = m_cfg.wake_timeout;
  if (req.contains("timeout_ms")) {
    if (!req["timeout_ms"].is_number_integer()) return error("timeout_ms must be an integer");
    auto t = req["timeout_ms"].get<long long>();
    if (t < 100 || t > 600000) return error("timeout_ms must be 100..600000");
    timeout = Duration{t};
  }
  // Counters rise across restarts: wall-clock microseconds, or one above the last.
  m_wake_counter = std::max(m_wake_counter + 1, m_wall() * 1000);
  auto txid = MessageBuilder::random_transaction_id();
  Pending p;
  p.id = id;
  p.device = device;
  p.reply = std::move(reply);
  p.datagram = build_wake(device, e->key, m_wake_counter, m_wall(), text, txid);
  // Same server socket the device's hole leads to, so address-dependent filtering passes.
  p.local = e->local;
  p.to = e->mapped;
  p.started = m_clock.now();
  p.next_send = p.started + k_wake_first_gap;
  p.deadline = p.started + timeout;
  p.gap = k_wake_first_gap;
  out.push_back(Outgoing{p.local, p.to, p.datagram});
  ++m_stats.wakes_sent;
  m_emit("wake.sent", {{"id", id}, {"device", device}, {"address", p.to.to_string()}},
         "wake sent to " + device + " at " + p.to.to_string());
  m_pending.emplace(txid, std::move(p));
}

void Server::tick(std::vector<Outgoing>& out) {
  TimePoint now = m_clock.now();
  for (auto it = m_pending.begin(); it != m_pending.end();) {
    Pending& p = it->second;
    if (now >= p.deadline) {
      auto ms = std::chrono::duration_cast<Duration>(p.deadline - p.started).count();
      std::string err = "not acknowledged within " + std::to_string(ms) + " ms";
      ++m_stats.wakes_failed;
      m_emit("wake.failed", {{"id", p.id}, {"device", p.device}, {"error", err}},
             "wake for " + p.device + " failed: " + err);
      p.reply({{"id", p.id}, {"ok", false}, {"error", err}});
      it = m_pending.erase(it);
      continue;
    }
    if (now >= p.next_send) {
      // The device may have moved since: follow its binding.
      if (const DeviceEntry* e = m_table.find(p.device); e != nullptr && e->mapped.valid()) {
        p.to = e->mapped;
        p.local = e->local;
      }
      out.push_back(Outgoing{p.local, p.to, p.datagram});
      p.gap = std::min(p.gap * 2, k_wake_max_gap);
      p.next_send = now + p.gap;
    }
    ++it;
  }
}

}  // namespace sipwake::natkeep
