#include "keeper.hpp"

#include "sipwake/stun/builder.hpp"
#include "sipwake/stun/integrity.hpp"

namespace sipwake::natkeep {

using namespace sipwake::stun;
using nlohmann::json;

namespace {

constexpr Duration k_first_retx{250};
// A trial answer comes back at once or the hole is closed; wait briefly so a failed
// trial leaves the device unreachable for as short a time as possible.
constexpr Duration k_trial_timeout{1000};
constexpr Duration k_retry_first{1000};
constexpr Duration k_warmup_gap{1200};

long long ms(Duration d) { return d.count(); }

}  // namespace

Keeper::Keeper(Config cfg, const Clock& clock, WallClockFn wall, EmitFn emit, Hooks hooks)
    : m_cfg(std::move(cfg)),
      m_clock(clock),
      m_wall(std::move(wall)),
      m_emit(std::move(emit)),
      m_hooks(std::move(hooks)),
      m_search(m_cfg.search),
      m_recheck_every(m_cfg.recheck_every) {}

Duration Keeper::interval() const {
  if (!m_cfg.auto_interval || m_trials_unsupported) return m_cfg.interval;
  return m_search.interval();
}

std::uint64_t Keeper::next_counter() {
  // Rises across restarts without stored state: wall-clock microseconds or one above.
  m_counter = std::max(m_counter + 1, m_wall() * 1000);
  return m_counter;
}

namespace {
const char* phase_name(int p) {
  static const char* const k_names[] = {"idle", "keepalive", "trial_wait", "trial"};
  return p >= 0 && p < 4 ? k_names[p] : "?";
}
}  // namespace

// Every phase change goes through here, so --log-level debug shows old -> new and why.
void Keeper::enter(Phase p, const char* why) {
  if (m_hooks.trace) {
    m_hooks.trace(std::string(phase_name(static_cast<int>(m_phase))) + " -> " + phase_name(static_cast<int>(p)) +
                  ": " + why);
  }
  m_phase = p;
}

void Keeper::start(std::vector<Outgoing>& out) {
  m_last_confirm = m_clock.now();
  m_last_explore = m_last_confirm;
  send_keepalive(out);
}

void Keeper::send_request(std::uint8_t sock, std::uint16_t response_port, Phase next,
                          std::vector<Outgoing>& out) {
  m_txid = MessageBuilder::random_transaction_id();
  m_request = build_keepalive(m_cfg.device, m_cfg.key, next_counter(), m_txid, response_port);
  out.push_back(Outgoing{sock, m_cfg.server, m_request});
  ++m_sent;
  m_sent_at = m_clock.now();
  m_retx_gap = k_first_retx;
  m_deadline = m_sent_at + m_retx_gap;
  enter(next, "request sent");
}

void Keeper::send_keepalive(std::vector<Outgoing>& out) {
  m_trial_failed = false;
  send_request(0, 0, Phase::keepalive, out);
}

void Keeper::send_trial(std::vector<Outgoing>& out) {
  // RFC 5780 4.6: the sibling asks for the answer on the main socket's mapped port;
  // the main mapping sees no outbound packet, so the trial measures its idle lifetime.
  send_request(1, m_mapped.port, Phase::trial, out);
}

void Keeper::schedule_next() {
  TimePoint now = m_clock.now();
  bool can_trial = m_cfg.auto_interval && !m_trials_unsupported && m_mapped.valid();
  if (can_trial && m_warmup > 0) {
    // A hole re-opened after a failed trial is young; NATs may give young holes a
    // shorter life (Linux until a packet is seen 2 s after creation), so trials on it
    // would under-measure, and long intervals would lose it again. Two quick
    // keepalives age it first.
    --m_warmup;
    m_deadline = now + std::min(interval(), k_warmup_gap);
    enter(Phase::idle, "warming up a re-opened hole");
    return;
  }
  if (can_trial) {
    Duration gap = m_search.next_trial();
    m_recheck_trial = false;
    m_confirm_trial = false;
    if (gap.count() == 0 && now - m_last_confirm >= interval() * m_cfg.recheck_every) {
      // Steady state, downward: confirm the hole still outlives the confirmed gap. It
      // costs nothing when it does (the trial replaces a keepalive), and it is the only
      // way to notice a shorter timeout on a NAT that re-opens holes on the same port.
      gap = m_search.lower();
      m_last_confirm = now;
      m_confirm_trial = true;
    } else if (gap.count() == 0 && m_search.upper().count() != 0 &&
               now - m_last_explore >= interval() * m_recheck_every) {
      // Steady state, upward: try the smallest gap seen failing. NATs often keep
      // established holes longer than new ones (Linux: udp_timeout_stream once a flow
      // is over 2 s old), so an early failure may no longer hold; if it passes, the
      // search resumes upward. If it fails, it costs the hole once; then wait longer.
      gap = m_search.upper();
      m_last_explore = now;
      m_recheck_trial = true;
    }
    if (gap.count() != 0) {
      m_trial_gap = gap;
      m_deadline = m_last_traffic + gap;
      enter(Phase::trial_wait, "trial scheduled");
      return;
    }
  }
  m_deadline = now + interval();
  enter(Phase::idle, "next keepalive scheduled");
}

bool Keeper::authentic_answer(const Message& m) const {
  return check_message_integrity_sha256(m, m_cfg.key.span()) == Integrity::ok &&
         m.xor_mapped_address().has_value();
}

void Keeper::on_datagram(std::uint8_t sock, const TransportAddress& from,
                         std::span<const std::uint8_t> data, std::vector<Outgoing>& out) {
  auto parsed = Message::parse(data, false);
  if (!parsed) return;
  const Message& m = *parsed;
  if (m.method() == method::natkeep_wake && m.cls() == Class::request) {
    if (sock == 0) on_wake(from, m, out);
    return;
  }
  if (m.method() == method::binding && m.cls() == Class::error) {
    on_error_answer(sock, m, out);
    return;
  }
  if (m.method() != method::binding || m.cls() != Class::success) return;
  if (m.transaction_id() != m_txid || !authentic_answer(m)) return;
  if (m_phase == Phase::keepalive && sock == 0) {
    on_keepalive_answer(m);
    schedule_next();
  } else if (m_phase == Phase::trial) {
    if (sock == 1) {
      // The server answered the sibling itself: it ignores RESPONSE-PORT.
      m_trials_unsupported = true;
      m_emit("lifetime.unsupported", {{"server", m_cfg.server.to_string()}},
             "server ignores RESPONSE-PORT; keeping a fixed interval of " +
                 std::to_string(ms(m_cfg.interval) / 1000) + " s");
      send_keepalive(out);
      return;
    }
    on_trial_result(true, out);
  }
}

void Keeper::on_error_answer(std::uint8_t sock, const Message& m, std::vector<Outgoing>& out) {
  // 438 with NATKEEP-COUNTER: our counter is behind the server's (a clock that went
  // back). Only an answer to our own transaction, signed with our key, counts, and
  // only once per request, so a stale answer cannot make us loop.
  if (m.transaction_id() != m_txid || m_counter_resynced) return;
  if (check_message_integrity_sha256(m, m_cfg.key.span()) != Integrity::ok) return;
  auto code = m.error_code();
  auto theirs = m.u64(attr::natkeep_counter);
  if (!code || code->code != 438 || !theirs || *theirs < m_counter) return;
  m_counter = *theirs;
  m_counter_resynced = true;
  m_emit("counter.resynced", {{"counter", *theirs}, {"server", m_cfg.server.to_string()}},
         "keepalive counter was behind the server's; resynchronised");
  (void)sock;  // the answer comes back to whichever socket sent the request
  if (m_phase == Phase::trial) {
    send_trial(out);
  } else if (m_phase == Phase::keepalive) {
    send_keepalive(out);
  }
}

void Keeper::on_keepalive_answer(const Message& m) {
  m_counter_resynced = false;
  TransportAddress now_mapped = *m.xor_mapped_address();
  m_last_traffic = m_clock.now();
  m_failures = 0;
  auto rtt = ms(std::chrono::duration_cast<Duration>(m_last_traffic - m_sent_at));
  if (!m_mapped.valid() || m_lost) {
    m_lost = false;
    if (m_mapped.valid() && !(m_mapped == now_mapped)) {
      // fall through to the change report below
    } else {
      m_mapped = now_mapped;
      m_emit("mapping.ok",
             {{"address", now_mapped.to_string()},
              {"server", m_cfg.server.to_string()},
              {"local_port", m_cfg.local_port},
              {"rtt_ms", rtt}},
             "mapped " + now_mapped.to_string());
      return;
    }
  }
  if (!(m_mapped == now_mapped)) {
    TransportAddress old = m_mapped;
    m_mapped = now_mapped;
    m_emit("mapping.changed", {{"old", old.to_string()}, {"new", now_mapped.to_string()},
                               {"server", m_cfg.server.to_string()}},
           "mapping changed " + old.to_string() + " -> " + now_mapped.to_string());
    if (m_cfg.auto_interval && m_search.converged() && !m_trial_failed) {
      // The hole closed under our steady interval (or the NAT was reset): be careful at
      // once. After a failed trial a new mapping is expected (the NAT may even have to
      // pick a new port, as the trial's answer left state on the old one).
      m_search.fell_back(interval());
    }
    if (m_hooks.on_change) m_hooks.on_change(old, now_mapped);
  }
}

void Keeper::on_trial_result(bool alive, std::vector<Outgoing>& out) {
  bool was_converged = m_search.converged();
  if (m_confirm_trial && !alive) {
    m_search.restart_below(m_trial_gap);  // the NAT shortened its timeout
  } else {
    m_search.record(m_trial_gap, alive);
  }
  m_confirm_trial = false;
  if (m_recheck_trial) {
    // A failed re-test cost the hole once; wait twice as long before the next (up to
    // 32x), so a NAT that never changes costs a few mapping changes a day, not an hour.
    m_recheck_every = alive ? m_cfg.recheck_every : std::min(m_recheck_every * 2, m_cfg.recheck_every * 32);
    m_recheck_trial = false;
  }
  m_emit("lifetime.trial",
         {{"idle_ms", ms(m_trial_gap)}, {"alive", alive}, {"lower_ms", ms(m_search.lower())},
          {"upper_ms", ms(m_search.upper())}},
         "");
  if (m_search.converged() && !was_converged) {
    m_last_confirm = m_clock.now();  // the steady-state re-test clocks start now,
    m_last_explore = m_last_confirm + interval() * (m_cfg.recheck_every / 2);  // staggered
    m_emit("lifetime.measured",
           {{"lower_ms", ms(m_search.lower())}, {"upper_ms", ms(m_search.upper())},
            {"interval_ms", ms(interval())}},
           "binding lifetime " + std::to_string(ms(m_search.lower())) + ".." +
               std::to_string(ms(m_search.upper())) + " ms; keepalive every " +
               std::to_string(ms(interval())) + " ms");
  }
  send_keepalive(out);  // re-opens the hole at once if the trial found it closed
  m_trial_failed = !alive;
  if (!alive) m_warmup = 2;
}

void Keeper::tick(std::vector<Outgoing>& out) {
  TimePoint now = m_clock.now();
  if (now < m_deadline) return;
  switch (m_phase) {
    case Phase::idle:
      send_keepalive(out);
      break;
    case Phase::trial_wait:
      send_trial(out);
      break;
    case Phase::trial:
      if (now - m_sent_at >= k_trial_timeout) {
        on_trial_result(false, out);
      } else {
        out.push_back(Outgoing{1, m_cfg.server, m_request});
        m_deadline = std::min(now + m_retx_gap, m_sent_at + k_trial_timeout);
      }
      break;
    case Phase::keepalive:
      if (now - m_sent_at >= m_cfg.lost_after) {
        ++m_failures;
        if (!m_lost) {
          m_lost = true;
          m_emit("server.lost", {{"server", m_cfg.server.to_string()}, {"after_ms", ms(m_cfg.lost_after)}},
                 "server " + m_cfg.server.to_string() + " not answering");
        }
        // Retry soon, backing off to the normal interval.
        Duration wait = k_retry_first * (1 << std::min(m_failures - 1, 6u));
        m_deadline = now + std::min(wait, interval());
        enter(Phase::idle, "keepalive failed");
      } else {
        // RFC 8489 6.2.1: same transaction, doubling gaps.
        out.push_back(Outgoing{0, m_cfg.server, m_request});
        m_retx_gap *= 2;
        m_deadline = std::min(now + m_retx_gap, m_sent_at + m_cfg.lost_after);
      }
      break;
  }
}

void Keeper::on_wake(const TransportAddress& from, const Message& m, std::vector<Outgoing>& out) {
  Wake w;
  WakeCheck c = check_wake(m, m_cfg.device, m_cfg.key, m_wake_counter, m_wake_txid, m_wall(),
                           m_cfg.wake_window_ms, w);
  if (c == WakeCheck::repeat) {
    // Our ack was lost: acknowledge again, but act only once.
    out.push_back(Outgoing{0, from, build_wake_ack(m_cfg.device, m_cfg.key, next_counter(), m.transaction_id())});
    return;
  }
  if (c != WakeCheck::ok) {
    m_emit("wake.rejected", {{"source", from.to_string()}, {"reason", to_string(c)}},
           std::string("rejected wake from ") + from.to_string() + ": " + to_string(c));
    return;
  }
  m_wake_counter = w.counter;
  m_wake_txid = w.txid;
  out.push_back(Outgoing{0, from, build_wake_ack(m_cfg.device, m_cfg.key, next_counter(), w.txid)});
  json payload = json::parse(w.payload, nullptr, false);
  if (payload.is_discarded()) payload = w.payload;
  m_emit("wake.received",
         {{"source", from.to_string()}, {"counter", w.counter}, {"sent_ms", w.time_ms}, {"payload", payload}},
         "wake from " + from.to_string() + ": " + w.payload);
  if (m_hooks.on_wake) m_hooks.on_wake(w);
}

}  // namespace sipwake::natkeep
