#include "sipwake/txn/client_transaction.hpp"

#include <algorithm>

#include "timer_set.hpp"

namespace sipwake::txn {
using detail::due;
using detail::earliest;

NonInviteClient::NonInviteClient(bool reliable, TimePoint now, Timers timers)
    : m_reliable(reliable), m_t(timers), m_interval(timers.t1) {
  if (!m_reliable) m_timer_e = now + m_t.t1;
  m_timer_f = now + 64 * m_t.t1;
}

Step NonInviteClient::on_response(int status, TimePoint now) {
  Step s;
  if (m_state == State::completed || m_state == State::terminated) return s;  // absorbed
  s.deliver = true;
  if (status < 200) {
    // 17.1.2.2: in Proceeding, Timer E keeps firing but at T2.
    if (m_state == State::trying && m_timer_e) m_timer_e = now + m_t.t2;
    m_interval = m_t.t2;
    m_state = State::proceeding;
    return s;
  }
  m_state = State::completed;
  m_timer_e.reset();
  m_timer_f.reset();
  if (m_reliable) {
    m_state = State::terminated;
    s.terminated = true;
  } else {
    m_timer_k = now + m_t.t4;
  }
  return s;
}

Step NonInviteClient::on_timer(TimePoint now) {
  Step s;
  if (due(m_timer_f, now)) {
    m_state = State::terminated;
    m_timer_e.reset();
    m_timer_f.reset();
    s.timed_out = true;
    s.terminated = true;
    return s;
  }
  if (due(m_timer_k, now)) {
    m_state = State::terminated;
    m_timer_k.reset();
    s.terminated = true;
    return s;
  }
  if (due(m_timer_e, now)) {
    s.retransmit = true;
    // 17.1.2.2: Timer E doubles up to T2 while Trying; stays at T2 in Proceeding.
    if (m_state == State::trying) m_interval = std::min(m_interval * 2, m_t.t2);
    m_timer_e = now + m_interval;
  }
  return s;
}

std::optional<TimePoint> NonInviteClient::next_deadline() const {
  return earliest({m_timer_e, m_timer_f, m_timer_k});
}

InviteClient::InviteClient(bool reliable, TimePoint now, Timers timers)
    : m_reliable(reliable), m_t(timers), m_interval(timers.t1) {
  if (!m_reliable) m_timer_a = now + m_t.t1;
  m_timer_b = now + 64 * m_t.t1;
}

Step InviteClient::on_response(int status, TimePoint now) {
  Step s;
  switch (m_state) {
    case State::calling:
    case State::proceeding:
      m_timer_a.reset();
      s.deliver = true;
      if (status < 200) {
        // 17.1.1.2: Timer B guards only Calling; once the peer is proceeding, the TU
        // (a proxy's Timer C, or the caller's CANCEL) decides how long to ring.
        m_timer_b.reset();
        m_state = State::proceeding;
        return s;
      }
      m_timer_b.reset();
      if (status < 300) {
        // RFC 6026 7.2: stay to pass retransmitted 2xx up to the TU (which ACKs them).
        m_state = State::accepted;
        m_timer_m = now + 64 * m_t.t1;
      } else {
        s.send_ack = true;
        m_state = State::completed;
        if (m_reliable) {
          m_state = State::terminated;
          s.terminated = true;
        } else {
          m_timer_d = now + Duration{32000};
        }
      }
      return s;
    case State::accepted:
      if (status >= 200 && status < 300) s.deliver = true;
      return s;
    case State::completed:
      // 17.1.1.2: a retransmitted final response gets the ACK again, not the TU.
      if (status >= 300) s.send_ack = true;
      return s;
    case State::terminated:
      return s;
  }
  return s;
}

Step InviteClient::on_timer(TimePoint now) {
  Step s;
  if (due(m_timer_b, now)) {
    m_state = State::terminated;
    m_timer_a.reset();
    m_timer_b.reset();
    s.timed_out = true;
    s.terminated = true;
    return s;
  }
  if (due(m_timer_d, now) || due(m_timer_m, now)) {
    m_state = State::terminated;
    m_timer_d.reset();
    m_timer_m.reset();
    s.terminated = true;
    return s;
  }
  if (due(m_timer_a, now)) {
    s.retransmit = true;
    m_interval = m_interval * 2;  // 17.1.1.2: Timer A doubles without a cap
    m_timer_a = now + m_interval;
  }
  return s;
}

std::optional<TimePoint> InviteClient::next_deadline() const {
  return earliest({m_timer_a, m_timer_b, m_timer_d, m_timer_m});
}

}  // namespace sipwake::txn
