#pragma once
// Conversions between the library's socket address (net::Address) and the compact STUN
// form natkeep's tables use, and server-address resolution at start-up.

#include <string>

#include "sipwake/net/address.hpp"
#include "sipwake/stun/address.hpp"
#include "sipwake/util/result.hpp"

namespace sipwake::natkeep {

stun::TransportAddress to_stun(const net::Address& a);
net::Address to_net(const stun::TransportAddress& a);
/// "HOST:PORT", "[V6]:PORT" or "udp:HOST:PORT"; names are resolved (first address).
Result<stun::TransportAddress> resolve_server(const std::string& text);

}  // namespace sipwake::natkeep
