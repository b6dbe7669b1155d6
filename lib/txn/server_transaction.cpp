#include "sipwake/txn/server_transaction.hpp"

#include <algorithm>

#include "timer_set.hpp"

namespace sipwake::txn {
using detail::due;
using detail::earliest;

InviteServer::InviteServer(bool reliable, TimePoint, Timers timers)
    : m_reliable(reliable), m_t(timers), m_interval(timers.t1) {}

ServerStep InviteServer::on_retransmission(TimePoint) {
  ServerStep s;
  // 17.2.1: in Proceeding and Completed the last response answers a retransmitted INVITE;
  // RFC 6026 8.7: in Accepted it is absorbed (the UAS retransmits 2xx itself).
  if (m_state == State::proceeding || m_state == State::completed) s.resend = true;
  return s;
}

ServerStep InviteServer::on_send(int status, TimePoint now) {
  ServerStep s;
  if (m_state != State::proceeding) return s;
  if (status < 200) return s;
  if (status < 300) {
    m_state = State::accepted;
    m_timer_l = now + 64 * m_t.t1;
    return s;
  }
  m_state = State::completed;
  if (!m_reliable) m_timer_g = now + m_t.t1;
  m_timer_h = now + 64 * m_t.t1;
  return s;
}

ServerStep InviteServer::on_ack(TimePoint now) {
  ServerStep s;
  if (m_state != State::completed) return s;
  s.ack_received = true;
  m_state = State::confirmed;
  m_timer_g.reset();
  m_timer_h.reset();
  if (m_reliable) {
    m_state = State::terminated;
    s.terminated = true;
  } else {
    m_timer_i = now + m_t.t4;
  }
  return s;
}

ServerStep InviteServer::on_timer(TimePoint now) {
  ServerStep s;
  if (due(m_timer_h, now)) {
    m_state = State::terminated;
    m_timer_g.reset();
    m_timer_h.reset();
    s.timed_out = true;
    s.terminated = true;
    return s;
  }
  if (due(m_timer_i, now) || due(m_timer_l, now)) {
    m_state = State::terminated;
    m_timer_i.reset();
    m_timer_l.reset();
    s.terminated = true;
    return s;
  }
  if (due(m_timer_g, now)) {
    s.resend = true;
    m_interval = std::min(m_interval * 2, m_t.t2);  // 17.2.1: Timer G doubles up to T2
    m_timer_g = now + m_interval;
  }
  return s;
}

std::optional<TimePoint> InviteServer::next_deadline() const {
  return earliest({m_timer_g, m_timer_h, m_timer_i, m_timer_l});
}

NonInviteServer::NonInviteServer(bool reliable, TimePoint, Timers timers) : m_reliable(reliable), m_t(timers) {}

ServerStep NonInviteServer::on_retransmission(TimePoint) {
  ServerStep s;
  // 17.2.2: Trying absorbs; Proceeding and Completed re-send the last response.
  if (m_state == State::proceeding || m_state == State::completed) s.resend = true;
  return s;
}

ServerStep NonInviteServer::on_send(int status, TimePoint now) {
  ServerStep s;
  if (m_state == State::completed || m_state == State::terminated) return s;
  if (status < 200) {
    m_state = State::proceeding;
    return s;
  }
  m_state = State::completed;
  if (m_reliable) {
    m_state = State::terminated;
    s.terminated = true;
  } else {
    m_timer_j = now + 64 * m_t.t1;
  }
  return s;
}

ServerStep NonInviteServer::on_timer(TimePoint now) {
  ServerStep s;
  if (due(m_timer_j, now)) {
    m_state = State::terminated;
    m_timer_j.reset();
    s.terminated = true;
  }
  return s;
}

std::optional<TimePoint> NonInviteServer::next_deadline() const { return m_timer_j; }

}  // namespace sipwake::txn
