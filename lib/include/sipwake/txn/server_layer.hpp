#pragma once
// Runs server transactions over real transports: absorbs retransmitted requests,
// re-sends responses, retransmits INVITE error responses until the ACK (RFC 3261 17.2).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "sipwake/ev/loop.hpp"
#include "sipwake/net/address.hpp"
#include "sipwake/net/sip_transport.hpp"
#include "sipwake/sip/message.hpp"
#include "sipwake/txn/server_transaction.hpp"

namespace sipwake::txn {

/// The server side of the transaction layer.
class ServerLayer {
 public:
  using Id = std::uint64_t;

  /// What an incoming request is.
  struct Intake {
    enum class Kind {
      fresh,     ///< a new transaction: the TU handles it and answers with respond()
      absorbed,  ///< a retransmission or the ACK of an error response: handled here
      ack,       ///< an ACK that matches no transaction (ACK of a 2xx): forward it
      cancel,    ///< a CANCEL: `id` is its own transaction, `invite` the INVITE's (0 if none)
    } kind = Kind::fresh;
    Id id = 0;
    Id invite = 0;
  };

  explicit ServerLayer(ev::Loop& loop, Timers timers = {});
  ~ServerLayer();

  /// Classifies a received request; creates its transaction when it is new.
  Intake on_request(const sip::Message& request, const net::Address& from, net::SipTransport& transport);
  /// Sends a response within transaction `id` (to the request's source, RFC 3581).
  Result<void> respond(Id id, const sip::Message& response);
  /// Builds and sends a response with just a status (and optional extra headers).
  Result<void> respond(Id id, int status, std::string_view reason = {});
  /// The transaction's request (nullptr once it is gone).
  const sip::Message* request(Id id) const;
  /// Where the request came from.
  std::optional<net::Address> source(Id id) const;
  /// Called when an INVITE error response was never ACKed (Timer H).
  void set_timeout_handler(std::function<void(Id)> h) { m_on_timeout = std::move(h); }
  std::size_t active() const { return m_txns.size(); }

 private:
  struct Txn;
  void schedule(Txn& t);
  void on_timer(Id id);
  void erase(Id id);

  ev::Loop& m_loop;
  Timers m_timers;
  Id m_next = 1;
  std::unordered_map<Id, std::unique_ptr<Txn>> m_txns;
  std::unordered_map<std::string, Id> m_by_key;
  std::function<void(Id)> m_on_timeout;
};

}  // namespace sipwake::txn
