#pragma once
// Stateless forwarding (RFC 3261 16.11) of what passes through worgw inside a dialog:
// ACK for 2xx, BYE, re-INVITE... routed by Route (loose routing, 16.12) or to the
// device's flow, and the responses to them routed back by Via.

#include "registrar.hpp"
#include "relay.hpp"
#include "sipwake/net/sip_transport.hpp"
#include "sipwake/sip/message.hpp"

namespace sipwake::worgw {

/// Forwards in-dialog requests and their responses without keeping state.
class Forwarder {
 public:
  Forwarder(net::SipTransport& transport, DeviceRegistrar& registrar, Self self)
      : m_transport(transport), m_registrar(registrar), m_self(std::move(self)) {}

  /// True for a request that belongs to an existing dialog (To tag, or a Route to us).
  bool in_dialog(const sip::Message& request) const;
  /// Forwards an in-dialog request; answers 483/404 itself (not for ACK) when it cannot.
  void forward_request(const sip::Message& request, const net::Address& from);
  /// Forwards a response whose top Via is ours; false when it is not ours.
  bool forward_response(const sip::Message& response);

 private:
  void answer(const sip::Message& request, const net::Address& from, int status, std::string_view reason);

  net::SipTransport& m_transport;
  DeviceRegistrar& m_registrar;
  Self m_self;
};

}  // namespace sipwake::worgw
