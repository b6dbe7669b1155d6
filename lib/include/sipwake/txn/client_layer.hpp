#pragma once
// Runs client transactions over real transports: sends, retransmits on the loop's
// timers, matches responses by Via branch and CSeq method (RFC 3261 17.1.3).

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "sipwake/ev/loop.hpp"
#include "sipwake/net/address.hpp"
#include "sipwake/net/sip_transport.hpp"
#include "sipwake/sip/message.hpp"
#include "sipwake/txn/client_transaction.hpp"

namespace sipwake::txn {

/// The client side of the transaction layer for non-INVITE requests. A transaction is
/// forgotten as soon as its final response is delivered.
class ClientLayer {
 public:
  struct Callbacks {
    /// Every response the transaction passes up (provisional and final).
    std::function<void(const sip::Message& response)> on_response;
    /// Timer F fired or the transport failed; the transaction is over.
    std::function<void(const std::string& why)> on_failure;
  };

  explicit ClientLayer(ev::Loop& loop, Timers timers = {});
  ~ClientLayer();

  /// Sends `request` (whose top Via carries `branch`) to `to`; callbacks run on the loop.
  /// The transport must outlive the transaction.
  Result<void> send(net::SipTransport& transport, const net::Address& to, const sip::Message& request,
                    Callbacks callbacks);
  /// Hands a received response to its transaction; false when none matches (a stray).
  bool on_response(const sip::Message& response);
  /// Fails every transaction sent to `peer` over `transport` (its connection closed).
  void fail_peer(const net::SipTransport& transport, const net::Address& peer, const std::string& why);
  /// Transactions not yet terminated.
  std::size_t active() const { return m_txns.size(); }

 private:
  struct Txn;
  void drive(const std::string& key, Step step, const sip::Message* response);
  void schedule(Txn& t);

  ev::Loop& m_loop;
  Timers m_timers;
  std::unordered_map<std::string, std::unique_ptr<Txn>> m_txns;
};

}  // namespace sipwake::txn
