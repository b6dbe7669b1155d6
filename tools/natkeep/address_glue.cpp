#include "address_glue.hpp"

#include "sipwake/net/endpoint.hpp"

namespace sipwake::natkeep {

stun::TransportAddress to_stun(const net::Address& a) { return stun::TransportAddress::from_sockaddr(a.sa()); }

net::Address to_net(const stun::TransportAddress& a) {
  sockaddr_storage ss;
  unsigned len = a.to_sockaddr(ss);
  return net::Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), static_cast<socklen_t>(len));
}

Result<stun::TransportAddress> resolve_server(const std::string& text) {
  std::string t = text.rfind("udp:", 0) == 0 ? text : "udp:" + text;
  auto ep = net::Endpoint::parse(t);
  if (!ep) return fail(ep.message());
  if (ep->kind != net::Endpoint::Kind::udp || ep->port == 0) return fail("expected HOST:PORT, got " + text);
  auto addrs = net::Address::resolve(ep->host, ep->port);
  if (!addrs) return fail(addrs.message());
  if (addrs->empty()) return fail("cannot resolve " + ep->host);
  return to_stun(addrs->front());
}

}  // namespace sipwake::natkeep
