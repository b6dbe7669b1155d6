#pragma once
// RFC 3261 17.1 client transactions as plain state machines: fed responses and timer
// ticks with the current time, they say what to do next. No sockets, no clock of their own.

#include <optional>

#include "sipwake/util/clock.hpp"

namespace sipwake::txn {

/// RFC 3261 timer values (Table 4).
struct Timers {
  Duration t1{500};
  Duration t2{4000};
  Duration t4{5000};
};

/// What the transaction user must do after an input.
struct Step {
  bool retransmit = false;  ///< send the request again (UDP)
  bool deliver = false;     ///< pass the response up
  bool send_ack = false;    ///< INVITE: (re)send the ACK for a 3xx-6xx final response
  bool timed_out = false;   ///< Timer B/F fired: report a timeout (408) upward
  bool terminated = false;  ///< the transaction is over; forget it
};

/// RFC 3261 17.1.2: the non-INVITE client transaction (REGISTER, OPTIONS, BYE, ...).
class NonInviteClient {
 public:
  enum class State { trying, proceeding, completed, terminated };

  /// Starts in Trying; the request has just been sent once.
  NonInviteClient(bool reliable, TimePoint now, Timers timers = {});

  Step on_response(int status, TimePoint now);
  Step on_timer(TimePoint now);
  /// When on_timer() must be called next; empty once terminated.
  std::optional<TimePoint> next_deadline() const;
  State state() const { return m_state; }

 private:
  bool m_reliable;
  Timers m_t;
  State m_state = State::trying;
  Duration m_interval;                  // current Timer E interval
  std::optional<TimePoint> m_timer_e;   // retransmit
  std::optional<TimePoint> m_timer_f;   // give up
  std::optional<TimePoint> m_timer_k;   // linger for retransmitted responses
};

/// RFC 3261 17.1.1 (with RFC 6026's Accepted state): the INVITE client transaction.
class InviteClient {
 public:
  enum class State { calling, proceeding, accepted, completed, terminated };

  InviteClient(bool reliable, TimePoint now, Timers timers = {});

  Step on_response(int status, TimePoint now);
  Step on_timer(TimePoint now);
  std::optional<TimePoint> next_deadline() const;
  State state() const { return m_state; }

 private:
  bool m_reliable;
  Timers m_t;
  State m_state = State::calling;
  Duration m_interval;
  std::optional<TimePoint> m_timer_a;  // retransmit INVITE
  std::optional<TimePoint> m_timer_b;  // give up
  std::optional<TimePoint> m_timer_d;  // linger in Completed
  std::optional<TimePoint> m_timer_m;  // linger in Accepted (RFC 6026)
};

}  // namespace sipwake::txn
