#pragma once
// SIP message transports: UDP (one datagram per message) and TCP (framed stream),
// behind one interface so TLS can be added without changing callers.

#include <functional>
#include <memory>
#include <string_view>

#include "sipwake/ev/loop.hpp"
#include "sipwake/net/address.hpp"
#include "sipwake/util/result.hpp"

namespace sipwake::net {

/// Sends and receives whole SIP messages.
class SipTransport {
 public:
  using Handler = std::function<void(std::string_view msg, const Address& from)>;
  using ClosedHandler = std::function<void(const Address& peer, std::string_view why)>;

  virtual ~SipTransport() = default;
  /// Sends one message to `to` (connecting first on a stream transport).
  virtual Result<void> send(const Address& to, std::string_view msg) = 0;
  /// The local address messages to `to` leave from (for Via and Contact); connects a
  /// stream transport if needed.
  virtual Result<Address> local_address_for(const Address& to) = 0;
  /// "UDP" or "TCP", as written in Via.
  virtual std::string_view protocol() const = 0;
  /// True when the transport retransmits by itself (no SIP-level retransmission).
  virtual bool reliable() const = 0;

  void set_handler(Handler h) { m_handler = std::move(h); }
  /// Called when a stream connection to a peer ends (RFC 5626 flow failure), and on a
  /// datagram transport when the network says a peer is unreachable (ICMP).
  void set_closed_handler(ClosedHandler h) { m_closed = std::move(h); }

 protected:
  Handler m_handler;
  ClosedHandler m_closed;
};

/// Opens a UDP transport bound to `local` (port 0 = any free port).
Result<std::unique_ptr<SipTransport>> open_udp_transport(ev::Loop& loop, const Address& local);
/// Opens a TCP client transport; connections are made on first send, from `local`'s
/// address if it is not unspecified.
Result<std::unique_ptr<SipTransport>> open_tcp_transport(ev::Loop& loop, const Address& local);

}  // namespace sipwake::net
