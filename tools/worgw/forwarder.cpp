#include "forwarder.hpp"

#include <functional>

namespace sipwake::worgw {
namespace {

// RFC 3261 16.11: a stateless proxy derives the branch from the request so that a
// retransmission gets the same one.
std::string stateless_branch(const sip::Message& req) {
  auto via = req.top_via();
  std::string seed = (via ? via->branch : req.call_id()) + '|' + req.method();
  return std::string(k_branch_prefix) + "s" + std::to_string(std::hash<std::string>{}(seed));
}

std::optional<net::Address> address_of(const sip::Uri& uri) {
  std::uint16_t port = uri.port.value_or(uri.scheme == "sips" ? 5061 : 5060);
  auto a = net::Address::resolve(uri.host, port);
  if (!a) return std::nullopt;
  return a->front();
}

}  // namespace

bool Forwarder::in_dialog(const sip::Message& req) const {
  if (auto to = req.to(); to && to->param("tag")) return true;
  auto routes = req.headers("Route");
  if (!routes.empty()) {
    auto first = sip::NameAddr::parse(routes.front());
    if (first && m_self.is_us(first->uri)) return true;
  }
  return false;
}

void Forwarder::answer(const sip::Message& req, const net::Address& from, int status, std::string_view reason) {
  if (req.method() == "ACK") return;  // ACKs are never answered
  auto resp = sip::Message::response_to(req, status, reason);
  if (resp) (void)m_transport.send(from, resp->to_string());
}

void Forwarder::forward_request(const sip::Message& req, const net::Address& from) {
  auto mf = req.max_forwards().value_or(70);
  if (mf == 0) return answer(req, from, 483, "Too Many Hops");
  sip::Message out = req.clone();
  // RFC 3261 16.12 loose routing: drop the Route that names us, then go to the next
  // Route, else to the Request-URI.
  std::vector<std::string> routes = out.headers("Route");
  if (!routes.empty()) {
    auto first = sip::NameAddr::parse(routes.front());
    if (first && m_self.is_us(first->uri)) {
      routes.erase(routes.begin());
      out.remove_header("Route");
      for (const auto& r : routes) out.add_header("Route", r);
    }
  }
  sip::Uri next = out.request_uri();
  if (!routes.empty()) {
    auto r = sip::NameAddr::parse(routes.front());
    if (!r) return answer(req, from, 400, "Bad Route");
    next = r->uri;
  }
  std::optional<net::Address> to = m_registrar.flow_for_contact(next);  // a device: use its flow
  if (!to) to = address_of(next);
  if (!to) return answer(req, from, 404, "Next hop not found");
  if (m_self.is_us(next) && routes.empty() && !m_registrar.flow_for_contact(next)) {
    return answer(req, from, 482, "Loop Detected");
  }
  out.set_header("Max-Forwards", std::to_string(mf - 1));
  sip::Via via;
  via.transport = "UDP";
  via.host = m_self.host;
  via.port = m_self.port;
  via.branch = stateless_branch(req);
  via.has_rport = true;
  out.push_via(via);
  (void)m_transport.send(*to, out.to_string());
}

bool Forwarder::forward_response(const sip::Message& resp) {
  auto vias = resp.vias();
  if (vias.empty() || !m_self.owns(vias.front())) return false;
  if (vias.size() < 2) return true;  // addressed to us and no transaction wants it: drop
  sip::Message out = resp.clone();
  out.pop_via();
  const sip::Via& next = vias[1];
  // RFC 3581 4 / RFC 3261 18.2.2: received and rport say where the previous hop really is.
  std::string host = next.received.value_or(next.host);
  std::uint16_t port = next.rport.value_or(next.port.value_or(5060));
  auto addr = net::Address::from_host(host, port);
  if (!addr) {
    auto resolved = net::Address::resolve(host, port);
    if (!resolved) return true;
    addr = resolved->front();
  }
  (void)m_transport.send(*addr, out.to_string());
  return true;
}

}  // namespace sipwake::worgw
