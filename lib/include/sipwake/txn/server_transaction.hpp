#pragma once
// RFC 3261 17.2 server transactions as plain state machines (with RFC 6026's Accepted
// state): they say when to re-send the last response and when they are over.

#include <optional>

#include "sipwake/txn/client_transaction.hpp"

namespace sipwake::txn {

/// What the transaction user must do after an input.
struct ServerStep {
  bool resend = false;      ///< send the last response again
  bool pass_up = false;     ///< a new request for the TU (only the first INVITE/request)
  bool ack_received = false;
  bool timed_out = false;   ///< Timer H: no ACK for a final response
  bool terminated = false;
};

/// RFC 3261 17.2.1: the INVITE server transaction.
class InviteServer {
 public:
  enum class State { proceeding, completed, confirmed, accepted, terminated };

  InviteServer(bool reliable, TimePoint now, Timers timers = {});

  /// A retransmission of the INVITE arrived.
  ServerStep on_retransmission(TimePoint now);
  /// The TU sends a response with this status.
  ServerStep on_send(int status, TimePoint now);
  /// An ACK matching this transaction (only for non-2xx finals) arrived.
  ServerStep on_ack(TimePoint now);
  ServerStep on_timer(TimePoint now);
  std::optional<TimePoint> next_deadline() const;
  State state() const { return m_state; }

 private:
  bool m_reliable;
  Timers m_t;
  State m_state = State::proceeding;
  Duration m_interval;
  std::optional<TimePoint> m_timer_g, m_timer_h, m_timer_i, m_timer_l;
};

/// RFC 3261 17.2.2: the non-INVITE server transaction.
class NonInviteServer {
 public:
  enum class State { trying, proceeding, completed, terminated };

  NonInviteServer(bool reliable, TimePoint now, Timers timers = {});

  ServerStep on_retransmission(TimePoint now);
  ServerStep on_send(int status, TimePoint now);
  ServerStep on_timer(TimePoint now);
  std::optional<TimePoint> next_deadline() const;
  State state() const { return m_state; }

 private:
  bool m_reliable;
  Timers m_t;
  State m_state = State::trying;
  std::optional<TimePoint> m_timer_j;
};

}  // namespace sipwake::txn
