#pragma once
// natkeep keep's protocol core: keepalives on the main socket, the RFC 5780 4.6 lifetime
// trials through a sibling socket, mapping-change detection and wake verification.
// Sockets: 0 = main (the hole the server reaches), 1 = sibling (trials only).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "events.hpp"
#include "keys.hpp"
#include "lifetime_search.hpp"
#include "protocol.hpp"
#include "sipwake/stun/message.hpp"
#include "sipwake/util/clock.hpp"

namespace sipwake::natkeep {

class Keeper {
 public:
  struct Config {
    std::string device;
    DeviceKey key;
    stun::TransportAddress server;
    bool auto_interval = true;
    Duration interval{15'000};           ///< fixed interval (and the fallback)
    LifetimeSearch::Params search{};
    unsigned recheck_every = 20;         ///< steady state: re-test the lifetime every N intervals
    Duration lost_after{3'000};          ///< a keepalive unanswered this long has failed
    std::uint64_t wake_window_ms = 60'000;  ///< accepted clock skew of a wake
    std::uint16_t local_port = 0;            ///< main socket's port, for events only
  };
  struct Hooks {
    std::function<void(const stun::TransportAddress& old_addr, const stun::TransportAddress& new_addr)> on_change;
    std::function<void(const Wake&)> on_wake;
    std::function<void(const std::string&)> trace;  ///< state changes, for --log-level debug
  };

  Keeper(Config cfg, const Clock& clock, WallClockFn wall, EmitFn emit, Hooks hooks);

  /// Sends the first keepalive.
  void start(std::vector<Outgoing>& out);
  /// A datagram arrived on socket `sock` (0 main, 1 sibling).
  void on_datagram(std::uint8_t sock, const stun::TransportAddress& from,
                   std::span<const std::uint8_t> data, std::vector<Outgoing>& out);
  /// Time-driven work: retransmissions, timeouts, the next keepalive or trial.
  void tick(std::vector<Outgoing>& out);
  /// When tick() next has something to do.
  TimePoint next_deadline() const { return m_deadline; }

  const stun::TransportAddress& mapped() const { return m_mapped; }
  Duration interval() const;
  std::uint64_t keepalives_sent() const { return m_sent; }
  const LifetimeSearch& search() const { return m_search; }

 private:
  enum class Phase { idle, keepalive, trial_wait, trial };
  void enter(Phase p, const char* why);
  void send_request(std::uint8_t sock, std::uint16_t response_port, Phase next, std::vector<Outgoing>& out);
  void send_keepalive(std::vector<Outgoing>& out);
  void send_trial(std::vector<Outgoing>& out);
  void schedule_next();
  void on_keepalive_answer(const stun::Message& m);
  void on_error_answer(std::uint8_t sock, const stun::Message& m, std::vector<Outgoing>& out);
  void on_trial_result(bool alive, std::vector<Outgoing>& out);
  void on_wake(const stun::TransportAddress& from, const stun::Message& m, std::vector<Outgoing>& out);
  bool authentic_answer(const stun::Message& m) const;
  std::uint64_t next_counter();

  Config m_cfg;
  const Clock& m_clock;
  WallClockFn m_wall;
  EmitFn m_emit;
  Hooks m_hooks;
  LifetimeSearch m_search;

  Phase m_phase = Phase::idle;
  TimePoint m_deadline{};
  TimePoint m_sent_at{};           ///< first transmission of the current request
  TimePoint m_last_traffic{};      ///< last answer through the main mapping
  TimePoint m_last_confirm{};      ///< last steady-state re-test at the lower bound
  TimePoint m_last_explore{};      ///< last steady-state re-test at the upper bound
  Duration m_retx_gap{250};
  Duration m_trial_gap{0};
  Bytes m_request;
  stun::TransactionId m_txid{};
  std::uint64_t m_counter = 0;
  std::uint64_t m_sent = 0;
  unsigned m_failures = 0;
  bool m_lost = false;
  bool m_trial_failed = false;     ///< the current keepalive follows a failed trial
  bool m_recheck_trial = false;    ///< the current trial re-tests the upper bound
  bool m_confirm_trial = false;    ///< the current trial re-tests the lower bound
  bool m_counter_resynced = false; ///< adopted the server's counter since the last answer
  unsigned m_recheck_every = 0;    ///< intervals between upper re-tests; doubles while they fail
  unsigned m_warmup = 0;           ///< plain keepalives owed to a re-opened hole before a trial
  bool m_trials_unsupported = false;
  stun::TransportAddress m_mapped;
  std::uint64_t m_wake_counter = 0;
  stun::TransactionId m_wake_txid{};
};

}  // namespace sipwake::natkeep
