#pragma once
// The wake coordinator: a plain state machine fed wake/cancel requests, attempt results
// and timer ticks, returning actions (replies, attempts to start or abort, audit records).
// One job per device in flight; concurrent requests join it and share its result.
//
//   request -> [rate limits] -> join job | new job -> attempt(t0) -> ok: reply all
//                                                     \-> fail: attempt(t1) ... round done:
//                                                         backoff (within deadline) -> round 2 ...
//   deadline of a waiter -> "failed: deadline exceeded"; a job left without waiters keeps its
//   attempt only to log a late confirmation (never reported as success).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "model.hpp"
#include "rate_limiter.hpp"
#include "request.hpp"
#include "sipwake/util/backoff.hpp"
#include "sipwake/util/clock.hpp"

namespace sipwake::worsend {

using WaiterId = std::uint64_t;
using JobId = std::uint64_t;

/// Everything the I/O side needs to run one attempt.
struct AttemptInfo {
  JobId job = 0;
  unsigned attempt = 0;
  Transport transport;
  std::string device;
  std::string call_id;  ///< of the request that started the job
  std::string caller;
  Duration remaining{0};  ///< until the job's deadline (for TTL headers and the like)
};

/// What the I/O side reports back.
struct AttemptResult {
  bool ok = false;
  std::string error;                     ///< one line when !ok
  std::optional<Duration> retry_after;   ///< the peer asked us to wait (HTTP Retry-After)
};

/// One output of the coordinator.
struct Action {
  enum class Kind { reply, start, abort, record };
  Kind kind = Kind::record;
  WaiterId waiter = 0;      ///< reply: who gets it
  nlohmann::json body;      ///< reply: the reply object; record: the event's fields
  std::string event;        ///< record: event name (wake.request, wake.attempt, ...)
  std::string human;        ///< record: the short human line
  AttemptInfo attempt;      ///< start / abort
};

/// Policy knobs.
struct CoordinatorConfig {
  RateLimit device_rate{10, Duration{60'000}};  ///< wake signals per device (coalesced requests are free)
  RateLimit caller_rate{30, Duration{60'000}};  ///< requests per caller
  Duration default_deadline{20'000};
  unsigned max_rounds = 3;                      ///< passes over the device's transports at most
  Backoff::Params backoff{Duration{500}, Duration{5000}, 0.5};
};

/// Counters for status replies.
struct Counters {
  std::uint64_t requests = 0, ok = 0, failed = 0, denied = 0, coalesced = 0, attempts = 0, late = 0, cancelled = 0;
};

/// The per-device wake coordinator.
class Coordinator {
 public:
  using DeviceLookup = std::function<std::optional<Device>(const std::string& id)>;

  Coordinator(const Clock& clock, CoordinatorConfig cfg, DeviceLookup lookup, JobId first_job = 1);

  /// A wake request from waiter `w` (Request::Op::wake).
  std::vector<Action> wake(WaiterId w, const Request& r);
  /// A cancel request: gives up the matching waiters and replies to `w` itself.
  std::vector<Action> cancel(WaiterId w, const Request& r);
  /// A status request: the reply for `w`.
  std::vector<Action> status(WaiterId w, const Request& r) const;
  /// The outcome of an attempt started by a `start` action.
  std::vector<Action> attempt_done(JobId job, unsigned attempt, const AttemptResult& result);
  /// Handles deadlines and due retries; call at next_wakeup() (calling early is harmless).
  std::vector<Action> tick();
  /// Answers every waiter "failed: shutting down" and aborts attempts.
  std::vector<Action> shutdown();
  /// Counts a wake signal sent to `device` at `when` (before a restart) against its rate
  /// limit, so restarting worsend does not reset the limits.
  void restore_signal(const std::string& device, const std::optional<RateLimit>& device_rate, TimePoint when);
  /// When tick() next has work, if ever.
  std::optional<TimePoint> next_wakeup() const;

  std::size_t jobs() const { return m_jobs.size(); }
  std::size_t waiters() const;
  std::size_t late_watches() const { return m_late.size(); }
  const Counters& counters() const { return m_counters; }

 private:
  struct Waiter {
    WaiterId id = 0;
    nlohmann::json request_id;
    std::string caller, call_id;
    TimePoint received, deadline;
  };
  enum class State { attempting, waiting };
  struct Job {
    JobId id = 0;
    Device device;
    std::vector<Waiter> waiters;
    State state = State::attempting;
    std::size_t transport = 0;  ///< index into device.transports
    unsigned attempt = 0;       ///< attempts started so far (the current one's number)
    unsigned round = 0;         ///< completed passes over the transports
    TimePoint started, attempt_started, retry_at, scheduled;
    std::map<std::string, std::string> errors;  ///< last error per transport kind
    std::optional<Duration> retry_after;
    Backoff backoff;
  };
  struct LateWatch {
    std::string device;
    TransportKind kind;
    TimePoint started;
  };

  void start_attempt(Job& job, std::vector<Action>& out);
  void advance(Job& job, std::vector<Action>& out);
  void finish_ok(Job& job, std::vector<Action>& out);
  void fail_waiter(const Job& job, const Waiter& w, const std::string& error, std::vector<Action>& out);
  void deny(WaiterId w, const Request& r, const char* scope, const std::string& who, const RateLimit& limit,
            Duration wait, std::vector<Action>& out);
  void expire_waiters(Job& job, std::vector<Action>& out);
  void reschedule(Job& job);
  static Action abort_action(const Job& job);
  void erase_job(std::unordered_map<std::string, Job>::iterator it);
  std::string summary(const Job& job) const;
  static void record(std::vector<Action>& out, std::string event, nlohmann::json fields, std::string human);
  static void reply(std::vector<Action>& out, WaiterId w, nlohmann::json body);

  const Clock& m_clock;
  CoordinatorConfig m_cfg;
  DeviceLookup m_lookup;
  JobId m_next_job;
  std::unordered_map<std::string, Job> m_jobs;          ///< by device id
  std::unordered_map<JobId, std::string> m_job_device;  ///< job id -> device id
  std::set<std::pair<TimePoint, JobId>> m_timeline;     ///< each job's next deadline or retry
  std::map<std::pair<JobId, unsigned>, LateWatch> m_late;
  RateLimiter m_device_limiter, m_caller_limiter;
  TimePoint m_last_prune;
  Counters m_counters;
};

}  // namespace sipwake::worsend
