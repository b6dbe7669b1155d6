#include "prober.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "sipwake/stun/builder.hpp"

namespace sipwake::natkeep {

using namespace sipwake::stun;
using nlohmann::json;

namespace {

// Requests are padded so that natkeep serve's no-amplification rule (never answer an
// unauthenticated source with more bytes than it sent) lets the full answer through.
constexpr std::size_t k_padding = 96;

double secs(Duration d) { return static_cast<double>(d.count()) / 1000.0; }

}  // namespace

const char* to_string(Behaviour b) {
  switch (b) {
    case Behaviour::unknown: return "unknown";
    case Behaviour::endpoint_independent: return "endpoint-independent";
    case Behaviour::address_dependent: return "address-dependent";
    case Behaviour::address_and_port_dependent: return "address-and-port-dependent";
  }
  return "unknown";
}

Behaviour classify_mapping(const TransportAddress& x1, const TransportAddress& x2,
                           const std::optional<TransportAddress>& x3) {
  if (x1 == x2) return Behaviour::endpoint_independent;
  if (!x3) return Behaviour::unknown;
  return *x3 == x2 ? Behaviour::address_dependent : Behaviour::address_and_port_dependent;
}

Prober::Prober(Params p, ProbeNet& net, std::function<void(const std::string&)> progress)
    : m_p(p), m_net(net), m_progress(std::move(progress)) {}

std::optional<int> Prober::fresh() {
  auto s = m_net.open();
  if (!s) return std::nullopt;
  return *s;
}

std::optional<Prober::Answer> Prober::transact(int sock, const TransportAddress& to, std::uint32_t change,
                                               std::uint16_t response_port, int answer_sock,
                                               Duration timeout) {
  if (answer_sock < 0) answer_sock = sock;
  auto txid = MessageBuilder::random_transaction_id();
  MessageBuilder b(Class::request, method::binding, txid);
  if (change != 0) b.add_change_request(change);
  if (response_port != 0) b.add_response_port(response_port);
  b.add_padding(k_padding);
  b.add_fingerprint();
  const Bytes& req = b.bytes();
  TimePoint start = m_net.clock().now();
  TimePoint end = start + timeout;
  Duration gap{250};
  TimePoint next = start;
  while (m_net.clock().now() < end) {
    if (m_net.clock().now() >= next) {
      m_net.send(sock, to, req);
      next = m_net.clock().now() + gap;
      gap *= 2;
    }
    auto got = m_net.receive({answer_sock}, std::min(next, end));
    if (!got) continue;
    auto m = Message::parse(got->data, false);
    if (!m || m->transaction_id() != txid || m->cls() != Class::success) continue;
    auto mapped = m->xor_mapped_address();
    if (!mapped) continue;
    Answer a;
    a.mapped = *mapped;
    a.other = m->address_attr(attr::other_address);
    a.from = got->from;
    return a;
  }
  return std::nullopt;
}

void Prober::test_mapping(ProbeReport& r) {
  auto s = fresh();
  if (!s) return;
  m_progress("mapping: test I");
  auto a1 = transact(*s, m_p.server);
  if (!a1) {
    m_net.close(*s);
    return;
  }
  r.server_answered = true;
  r.mapped = a1->mapped;
  r.port_preserved = a1->mapped.port == m_net.local_port(*s);
  m_other = a1->other;
  r.rfc5780 = a1->other.has_value();
  if (r.rfc5780) {
    // RFC 5780 4.3: test II to the alternate IP and primary port, test III to both alternates.
    TransportAddress alt_ip_primary_port = *m_other;
    alt_ip_primary_port.port = m_p.server.port;
    m_progress("mapping: test II");
    auto a2 = transact(*s, alt_ip_primary_port);
    if (a2) {
      std::optional<TransportAddress> x3;
      if (!(a2->mapped == a1->mapped)) {
        m_progress("mapping: test III");
        if (auto a3 = transact(*s, *m_other)) x3 = a3->mapped;
      }
      r.mapping = classify_mapping(a1->mapped, a2->mapped, x3);
    }
  }
  m_net.close(*s);
}

void Prober::test_filtering(ProbeReport& r) {
  if (!r.rfc5780) return;
  // RFC 5780 4.4, each on a fresh socket so an earlier test's holes do not help.
  m_progress("filtering: test II");
  auto s = fresh();
  if (!s) return;
  if (!transact(*s, m_p.server)) {
    m_net.close(*s);
    return;
  }
  bool any = transact(*s, m_p.server, change::ip | change::port).has_value();
  m_net.close(*s);
  if (any) {
    r.filtering = Behaviour::endpoint_independent;
    return;
  }
  m_progress("filtering: test III");
  s = fresh();
  if (!s) return;
  if (!transact(*s, m_p.server)) {
    m_net.close(*s);
    return;
  }
  bool port_only = transact(*s, m_p.server, change::port).has_value();
  m_net.close(*s);
  r.filtering = port_only ? Behaviour::address_dependent : Behaviour::address_and_port_dependent;
}

void Prober::test_hairpinning(ProbeReport& r) {
  // RFC 5780 4.5: send to our own mapped address; hairpinning NATs loop it back.
  m_progress("hairpinning");
  auto s = fresh();
  if (!s) return;
  auto a = transact(*s, m_p.server);
  if (!a) {
    m_net.close(*s);
    return;
  }
  auto txid = MessageBuilder::random_transaction_id();
  MessageBuilder b(Class::request, method::binding, txid);
  const Bytes& req = b.bytes();
  bool seen = false;
  TimePoint end = m_net.clock().now() + Duration{1000};
  for (int i = 0; i < 3 && !seen; ++i) {
    m_net.send(*s, a->mapped, req);
    TimePoint until = std::min(end, m_net.clock().now() + Duration{300});
    while (auto got = m_net.receive({*s}, until)) {
      auto m = Message::parse(got->data, false);
      if (m && m->transaction_id() == txid) {
        seen = true;
        break;
      }
    }
  }
  r.hairpinning = seen;
  m_net.close(*s);
}

void Prober::test_lifetime(ProbeReport& r) {
  // RFC 5780 4.6, run as a k-ary search: k trials at once, each on its own pair of fresh
  // sockets (the "main" one opens a mapping, the sibling later asks for an answer on
  // that mapping with RESPONSE-PORT). Gaps are the measured ones, not the planned ones.
  Duration lo{0};
  Duration hi{0};
  Duration top = m_p.max_lifetime;
  Duration bottom{500};
  for (int round = 0; round < 6; ++round) {
    std::vector<Duration> plan;
    unsigned k = std::max(2u, m_p.parallel);
    for (unsigned i = 1; i <= k; ++i) {
      double f = static_cast<double>(i) / k;
      if (hi.count() == 0 && round == 0) {
        // Geometric first round: lifetimes span seconds to minutes.
        double v = secs(bottom) * std::pow(secs(top) / secs(bottom), f);
        plan.push_back(Duration{static_cast<long long>(v * 1000)});
      } else {
        Duration a = lo.count() ? lo : bottom;
        Duration b = hi.count() ? hi : top;
        plan.push_back(a + Duration{static_cast<long long>(static_cast<double>((b - a).count()) * i / (k + 1))});
      }
    }
    struct Trial { int main = -1, sib = -1; TransportAddress mapped; TimePoint opened{}; Duration gap{}; };
    std::vector<Trial> trials;
    for (Duration d : plan) {
      auto m = fresh();
      auto sb = fresh();
      if (!m || !sb) break;
      auto a = transact(*m, m_p.server);
      if (!a) {
        m_net.close(*m);
        m_net.close(*sb);
        continue;
      }
      trials.push_back(Trial{*m, *sb, a->mapped, m_net.clock().now(), d});
    }
    if (trials.empty()) return;
    bool dead_seen = false;
    for (auto& t : trials) {
      if (!dead_seen) {
        TimePoint due = t.opened + t.gap;
        while (m_net.clock().now() < due) (void)m_net.receive({t.main}, due);  // drain, wait
        Duration actual = std::chrono::duration_cast<Duration>(m_net.clock().now() - t.opened);
        auto a = transact(t.sib, m_p.server, 0, t.mapped.port, t.main, Duration{1000});
        if (a) {
          lo = std::max(lo, actual);
        } else {
          hi = hi.count() ? std::min(hi, actual) : actual;
          dead_seen = true;  // longer gaps would only fail too
        }
        std::ostringstream os;
        os << "lifetime: " << secs(lo) << " s alive";
        if (hi.count()) os << ", " << secs(hi) << " s gone";
        m_progress(os.str());
      }
      m_net.close(t.main);
      m_net.close(t.sib);
    }
    if (hi.count() == 0) {
      r.lifetime_capped = true;
      break;
    }
    if (hi - lo <= m_p.resolution) break;
  }
  r.lifetime_lower = lo;
  if (hi.count()) r.lifetime_upper = hi;
}

ProbeReport Prober::run() {
  ProbeReport r;
  test_mapping(r);
  if (!r.server_answered) return r;
  test_filtering(r);
  test_hairpinning(r);
  if (m_p.lifetime) test_lifetime(r);
  return r;
}

json ProbeReport::to_json() const {
  json j = {{"server_answered", server_answered}, {"rfc5780", rfc5780}};
  j["mapped"] = mapped.valid() ? json(mapped.to_string()) : json(nullptr);
  j["port_preserved"] = port_preserved ? json(*port_preserved) : json(nullptr);
  j["mapping"] = to_string(mapping);
  j["filtering"] = to_string(filtering);
  j["hairpinning"] = hairpinning ? json(*hairpinning) : json(nullptr);
  j["lifetime_lower_s"] = lifetime_lower ? json(secs(*lifetime_lower)) : json(nullptr);
  j["lifetime_upper_s"] = lifetime_upper ? json(secs(*lifetime_upper)) : json(nullptr);
  if (lifetime_lower && lifetime_upper) {
    j["lifetime_s"] = std::round((secs(*lifetime_lower) + secs(*lifetime_upper)) * 5.0) / 10.0;
  } else {
    j["lifetime_s"] = nullptr;
  }
  j["lifetime_capped"] = lifetime_capped;
  return j;
}

std::string ProbeReport::to_table() const {
  auto yn = [](const std::optional<bool>& b) { return !b ? std::string("unknown") : *b ? "yes" : "no"; };
  std::ostringstream os;
  os << "mapped address    " << (mapped.valid() ? mapped.to_string() : "-") << "\n";
  os << "port preserved    " << yn(port_preserved) << "\n";
  os << "mapping           " << to_string(mapping) << "\n";
  os << "filtering         " << to_string(filtering) << "\n";
  os << "hairpinning       " << yn(hairpinning) << "\n";
  os << "binding lifetime  ";
  if (lifetime_lower && lifetime_upper) {
    os << secs(*lifetime_lower) << " .. " << secs(*lifetime_upper) << " s";
  } else if (lifetime_capped && lifetime_lower) {
    os << "> " << secs(*lifetime_lower) << " s";
  } else {
    os << "unknown";
  }
  os << "\n";
  return os.str();
}

}  // namespace sipwake::natkeep
