#include "coordinator.hpp"

#include <algorithm>

namespace sipwake::worsend {
namespace {

using nlohmann::json;

std::int64_t ms(Duration d) { return d.count(); }

std::string caller_key(const std::string& caller) { return caller.empty() ? "-" : caller; }

}  // namespace

Coordinator::Coordinator(const Clock& clock, CoordinatorConfig cfg, DeviceLookup lookup, JobId first_job)
    : m_clock(clock), m_cfg(cfg), m_lookup(std::move(lookup)), m_next_job(first_job), m_last_prune(clock.now()) {}

std::size_t Coordinator::waiters() const {
  std::size_t n = 0;
  for (const auto& [d, j] : m_jobs) n += j.waiters.size();
  return n;
}

void Coordinator::record(std::vector<Action>& out, std::string event, json fields, std::string human) {
  Action a;
  a.kind = Action::Kind::record;
  a.event = std::move(event);
  a.body = std::move(fields);
  a.human = std::move(human);
  out.push_back(std::move(a));
}

void Coordinator::reply(std::vector<Action>& out, WaiterId w, json body) {
  Action a;
  a.kind = Action::Kind::reply;
  a.waiter = w;
  a.body = std::move(body);
  out.push_back(std::move(a));
}

std::vector<Action> Coordinator::wake(WaiterId w, const Request& r) {
  std::vector<Action> out;
  TimePoint now = m_clock.now();
  ++m_counters.requests;
  Duration deadline = r.deadline.count() > 0 ? r.deadline : m_cfg.default_deadline;
  record(out, "wake.request",
         {{"request_id", r.id}, {"device", r.device}, {"caller", r.caller}, {"call_id", r.call_id},
          {"deadline_ms", ms(deadline)}},
         "wake request " + r.id.dump() + " for " + r.device + (r.caller.empty() ? "" : " from " + r.caller));

  std::string ckey = caller_key(r.caller);
  if (Duration wait = m_caller_limiter.check(ckey, m_cfg.caller_rate, now); wait.count() > 0) {
    deny(w, r, "caller", ckey, m_cfg.caller_rate, wait, out);
    return out;
  }
  Waiter waiter{w, r.id, r.caller, r.call_id, now, now + deadline};

  if (auto it = m_jobs.find(r.device); it != m_jobs.end()) {
    // RFC-free policy: one signal per device in flight; everyone shares its result.
    Job& job = it->second;
    m_caller_limiter.record(ckey, m_cfg.caller_rate, now);
    job.waiters.push_back(std::move(waiter));
    ++m_counters.coalesced;
    record(out, "wake.coalesced",
           {{"request_id", r.id}, {"device", r.device}, {"call_id", r.call_id}, {"caller", r.caller}, {"job", job.id},
            {"waiters", job.waiters.size()}},
           "request " + r.id.dump() + " joins the wake already under way for " + r.device);
    reschedule(job);
    return out;
  }

  std::optional<Device> device = m_lookup(r.device);
  if (!device || device->transports.empty()) {
    std::string error = device ? "failed: device has no transports" : "unknown device";
    ++m_counters.failed;
    reply(out, w, {{"id", r.id}, {"ok", false}, {"error", error}});
    record(out, "wake.failed",
           {{"request_id", r.id}, {"device", r.device}, {"call_id", r.call_id}, {"caller", r.caller}, {"error", error}},
           "wake for " + r.device + ": " + error);
    return out;
  }
  RateLimit dlimit = device->rate.value_or(m_cfg.device_rate);
  if (Duration wait = m_device_limiter.check(r.device, dlimit, now); wait.count() > 0) {
    deny(w, r, "device", r.device, dlimit, wait, out);
    return out;
  }
  m_caller_limiter.record(ckey, m_cfg.caller_rate, now);
  m_device_limiter.record(r.device, dlimit, now);

  Job job;
  job.id = m_next_job++;
  job.device = std::move(*device);
  job.started = now;
  job.backoff = Backoff(m_cfg.backoff);
  job.waiters.push_back(std::move(waiter));
  auto [it, inserted] = m_jobs.emplace(r.device, std::move(job));
  m_job_device[it->second.id] = r.device;
  start_attempt(it->second, out);
  reschedule(it->second);
  return out;
}

void Coordinator::deny(WaiterId w, const Request& r, const char* scope, const std::string& who, const RateLimit& limit,
                       Duration wait, std::vector<Action>& out) {
  ++m_counters.denied;
  std::string reason = std::string(scope) + " " + who + " reached " + std::to_string(limit.count) + " wakes per " +
                       std::to_string(limit.window.count() / 1000) + " s";
  json lim = {{"scope", scope}, {"count", limit.count}, {"window_s", limit.window.count() / 1000}};
  reply(out, w,
        {{"id", r.id}, {"ok", false}, {"error", "denied: rate limit"}, {"reason", reason}, {"limit", lim},
         {"retry_after_ms", ms(wait)}});
  record(out, "wake.denied",
         {{"request_id", r.id}, {"device", r.device}, {"call_id", r.call_id}, {"caller", r.caller},
          {"error", "denied: rate limit"}, {"reason", reason}, {"limit", lim}},
         "wake for " + r.device + " denied: " + reason);
}

void Coordinator::start_attempt(Job& job, std::vector<Action>& out) {
  TimePoint now = m_clock.now();
  job.state = State::attempting;
  job.attempt += 1;
  job.attempt_started = now;
  ++m_counters.attempts;
  const Transport& t = job.device.transports[job.transport];
  Action a;
  a.kind = Action::Kind::start;
  a.attempt.job = job.id;
  a.attempt.attempt = job.attempt;
  a.attempt.transport = t;
  a.attempt.device = job.device.id;
  a.attempt.call_id = job.waiters.front().call_id;
  a.attempt.caller = job.waiters.front().caller;
  TimePoint deadline = job.waiters.front().deadline;
  for (const auto& w : job.waiters) deadline = std::max(deadline, w.deadline);
  a.attempt.remaining = std::max(Duration{0}, std::chrono::duration_cast<Duration>(deadline - now));
  record(out, "wake.attempt",
         {{"job", job.id}, {"attempt", job.attempt}, {"device", job.device.id}, {"call_id", a.attempt.call_id},
          {"transport", kind_name(t.kind)}, {"target", t.loggable_target()}, {"round", job.round + 1},
          {"timeout_ms", ms(t.timeout)}},
         "attempt " + std::to_string(job.attempt) + " for " + job.device.id + " via " + kind_name(t.kind));
  out.push_back(std::move(a));
}

std::vector<Action> Coordinator::attempt_done(JobId job_id, unsigned attempt, const AttemptResult& res) {
  std::vector<Action> out;
  TimePoint now = m_clock.now();
  if (auto late = m_late.find({job_id, attempt}); late != m_late.end()) {
    auto elapsed = ms(std::chrono::duration_cast<Duration>(now - late->second.started));
    json f = {{"job", job_id}, {"attempt", attempt}, {"device", late->second.device},
              {"transport", kind_name(late->second.kind)}, {"ok", res.ok}, {"elapsed_ms", elapsed}};
    if (!res.ok) f["error"] = res.error;
    if (res.ok) ++m_counters.late;
    record(out, "wake.late", std::move(f),
           res.ok ? "late confirmation for " + late->second.device + " after " + std::to_string(elapsed) +
                        " ms (deadline already passed; not reported as success)"
                  : "late failure for " + late->second.device + ": " + res.error);
    m_late.erase(late);
    return out;
  }
  auto dev = m_job_device.find(job_id);
  if (dev == m_job_device.end()) return out;
  auto it = m_jobs.find(dev->second);
  if (it == m_jobs.end()) return out;
  Job& job = it->second;
  if (job.attempt != attempt || job.state != State::attempting) return out;
  const Transport& t = job.device.transports[job.transport];
  json f = {{"job", job.id},
            {"attempt", attempt},
            {"device", job.device.id},
            {"transport", kind_name(t.kind)},
            {"ok", res.ok},
            {"elapsed_ms", ms(std::chrono::duration_cast<Duration>(now - job.attempt_started))}};
  if (!res.ok) f["error"] = res.error;
  record(out, "wake.result", std::move(f),
         std::string(kind_name(t.kind)) + " attempt for " + job.device.id + (res.ok ? " confirmed" : ": " + res.error));
  if (res.ok) {
    finish_ok(job, out);
    erase_job(it);
    return out;
  }
  job.errors[kind_name(t.kind)] = res.error;
  if (res.retry_after) job.retry_after = std::max(job.retry_after.value_or(Duration{0}), *res.retry_after);
  advance(job, out);
  if (job.state == State::waiting && job.waiters.empty()) erase_job(it);
  return out;
}

void Coordinator::finish_ok(Job& job, std::vector<Action>& out) {
  TimePoint now = m_clock.now();
  const char* via = kind_name(job.device.transports[job.transport].kind);
  for (const auto& w : job.waiters) {
    auto latency = ms(std::chrono::duration_cast<Duration>(now - w.received));
    ++m_counters.ok;
    reply(out, w.id,
          {{"id", w.request_id}, {"ok", true}, {"via", via}, {"latency_ms", latency}, {"attempts", job.attempt},
           {"job", job.id}});
    record(out, "wake.ok",
           {{"request_id", w.request_id}, {"device", job.device.id}, {"call_id", w.call_id}, {"caller", w.caller},
            {"job", job.id}, {"via", via}, {"latency_ms", latency}, {"attempts", job.attempt}},
           job.device.id + " woken via " + via + " in " + std::to_string(latency) + " ms");
  }
  job.waiters.clear();
}

void Coordinator::fail_waiter(const Job& job, const Waiter& w, const std::string& error, std::vector<Action>& out) {
  ++m_counters.failed;
  reply(out, w.id, {{"id", w.request_id}, {"ok", false}, {"error", error}, {"attempts", job.attempt}, {"job", job.id}});
  record(out, "wake.failed",
         {{"request_id", w.request_id}, {"device", job.device.id}, {"call_id", w.call_id}, {"caller", w.caller},
          {"job", job.id}, {"error", error}, {"attempts", job.attempt}},
         "wake for " + job.device.id + ": " + error);
}

std::string Coordinator::summary(const Job& job) const {
  std::string s;
  for (const auto& t : job.device.transports) {
    auto e = job.errors.find(kind_name(t.kind));
    if (e == job.errors.end()) continue;
    if (!s.empty()) s += "; ";
    s += std::string(kind_name(t.kind)) + ": " + e->second;
  }
  return s;
}

void Coordinator::advance(Job& job, std::vector<Action>& out) {
  TimePoint now = m_clock.now();
  if (job.transport + 1 < job.device.transports.size()) {
    job.transport += 1;  // fall back to the next transport at once
    start_attempt(job, out);
    reschedule(job);
    return;
  }
  job.round += 1;
  job.transport = 0;
  TimePoint deadline = now;
  for (const auto& w : job.waiters) deadline = std::max(deadline, w.deadline);
  std::string error;
  Duration delay{0};
  if (job.round >= m_cfg.max_rounds) {
    error = "failed: all transports failed " + std::to_string(job.round) + " times (" + summary(job) + ")";
  } else {
    delay = job.backoff.next(job.retry_after);
    job.retry_after.reset();
    if (now + delay >= deadline) error = "failed: " + summary(job) + " (no time left to retry)";
  }
  if (!error.empty()) {
    for (const auto& w : job.waiters) fail_waiter(job, w, error, out);
    job.waiters.clear();
    job.state = State::waiting;  // the caller erases the job
    return;
  }
  job.state = State::waiting;
  job.retry_at = now + delay;
  record(out, "wake.retry",
         {{"job", job.id}, {"device", job.device.id}, {"round", job.round + 1}, {"delay_ms", ms(delay)}},
         "retrying " + job.device.id + " in " + std::to_string(delay.count()) + " ms");
  reschedule(job);
}

void Coordinator::reschedule(Job& job) {
  m_timeline.erase({job.scheduled, job.id});
  if (job.waiters.empty()) return;
  TimePoint next = job.waiters.front().deadline;
  for (const auto& w : job.waiters) next = std::min(next, w.deadline);
  if (job.state == State::waiting) next = std::min(next, job.retry_at);
  job.scheduled = next;
  m_timeline.insert({next, job.id});
}

void Coordinator::erase_job(std::unordered_map<std::string, Job>::iterator it) {
  m_timeline.erase({it->second.scheduled, it->second.id});
  m_job_device.erase(it->second.id);
  m_jobs.erase(it);
}

void Coordinator::expire_waiters(Job& job, std::vector<Action>& out) {
  TimePoint now = m_clock.now();
  auto expired = std::stable_partition(job.waiters.begin(), job.waiters.end(), [&](const Waiter& w) { return w.deadline > now; });
  for (auto w = expired; w != job.waiters.end(); ++w) {
    std::string tried = summary(job);
    if (job.state == State::attempting) {
      if (!tried.empty()) tried += "; ";
      tried += std::string(kind_name(job.device.transports[job.transport].kind)) + ": no answer yet";
    }
    fail_waiter(job, *w, "failed: deadline exceeded (" + tried + ")", out);
  }
  job.waiters.erase(expired, job.waiters.end());
}

std::vector<Action> Coordinator::tick() {
  std::vector<Action> out;
  TimePoint now = m_clock.now();
  while (!m_timeline.empty() && m_timeline.begin()->first <= now) {
    JobId id = m_timeline.begin()->second;
    m_timeline.erase(m_timeline.begin());
    auto dev = m_job_device.find(id);
    if (dev == m_job_device.end()) continue;
    auto it = m_jobs.find(dev->second);
    Job& job = it->second;
    job.scheduled = TimePoint{};
    expire_waiters(job, out);
    if (job.waiters.empty()) {
      if (job.state == State::attempting) {
        // Keep listening: a confirmation after the deadline is logged, never reported.
        m_late[{job.id, job.attempt}] = LateWatch{job.device.id, job.device.transports[job.transport].kind, job.attempt_started};
        record(out, "wake.expired", {{"job", job.id}, {"device", job.device.id}, {"attempts", job.attempt}},
               "wake for " + job.device.id + " expired after " + std::to_string(job.attempt) + " attempts");
      }
      erase_job(it);
      continue;
    }
    if (job.state == State::waiting && job.retry_at <= now) start_attempt(job, out);
    reschedule(job);
  }
  if (now - m_last_prune >= Duration{60'000}) {
    m_last_prune = now;
    m_device_limiter.prune(now, Duration{86'400'000});
    m_caller_limiter.prune(now, m_cfg.caller_rate.window);
  }
  return out;
}

Action Coordinator::abort_action(const Job& job) {
  Action a;
  a.kind = Action::Kind::abort;
  a.attempt.job = job.id;
  a.attempt.attempt = job.attempt;
  a.attempt.transport = job.device.transports[job.transport];
  a.attempt.device = job.device.id;
  return a;
}

std::vector<Action> Coordinator::cancel(WaiterId w, const Request& r) {
  std::vector<Action> out;
  std::size_t n = 0;
  for (auto it = m_jobs.begin(); it != m_jobs.end();) {
    Job& job = it->second;
    if (!r.device.empty() && it->first != r.device) {  // a cancel naming a device touches only it
      ++it;
      continue;
    }
    auto gone = std::stable_partition(job.waiters.begin(), job.waiters.end(), [&](const Waiter& x) {
      bool hit = (!r.call_id.empty() && x.call_id == r.call_id) ||
                 (!r.target.empty() && (x.request_id.is_string() ? x.request_id.get<std::string>() : x.request_id.dump()) == r.target);
      return !hit;
    });
    for (auto x = gone; x != job.waiters.end(); ++x) {
      ++n;
      ++m_counters.cancelled;
      reply(out, x->id, {{"id", x->request_id}, {"ok", false}, {"error", "cancelled"}});
      record(out, "wake.cancelled",
             {{"request_id", x->request_id}, {"device", job.device.id}, {"call_id", x->call_id}, {"caller", x->caller},
              {"job", job.id}},
             "wake request " + x->request_id.dump() + " for " + job.device.id + " cancelled");
    }
    job.waiters.erase(gone, job.waiters.end());
    if (job.waiters.empty()) {
      if (job.state == State::attempting) out.push_back(abort_action(job));
      record(out, "wake.abandoned", {{"job", job.id}, {"device", job.device.id}, {"attempts", job.attempt}},
             "wake for " + job.device.id + " abandoned: every request was cancelled");
      m_timeline.erase({job.scheduled, job.id});
      m_job_device.erase(job.id);
      it = m_jobs.erase(it);
      continue;
    }
    reschedule(job);
    ++it;
  }
  reply(out, w, {{"id", r.id}, {"ok", true}, {"cancelled", n}});
  return out;
}

std::vector<Action> Coordinator::status(WaiterId w, const Request& r) const {
  std::vector<Action> out;
  TimePoint now = m_clock.now();
  json list = json::array();
  for (const auto& [dev, job] : m_jobs) {
    if (!r.device.empty() && dev != r.device) continue;
    list.push_back({{"device", dev},
                    {"job", job.id},
                    {"waiters", job.waiters.size()},
                    {"state", job.state == State::attempting ? "attempting" : "waiting"},
                    {"transport", kind_name(job.device.transports[job.transport].kind)},
                    {"attempt", job.attempt},
                    {"age_ms", ms(std::chrono::duration_cast<Duration>(now - job.started))}});
  }
  const Counters& c = m_counters;
  reply(out, w,
        {{"id", r.id},
         {"ok", true},
         {"in_flight", list},
         {"counters",
          {{"requests", c.requests}, {"ok", c.ok}, {"failed", c.failed}, {"denied", c.denied}, {"coalesced", c.coalesced},
           {"attempts", c.attempts}, {"late", c.late}, {"cancelled", c.cancelled}}}});
  return out;
}

std::vector<Action> Coordinator::shutdown() {
  std::vector<Action> out;
  for (auto& [dev, job] : m_jobs) {
    for (const auto& w : job.waiters) fail_waiter(job, w, "failed: shutting down", out);
    if (job.state == State::attempting) out.push_back(abort_action(job));
  }
  m_jobs.clear();
  m_job_device.clear();
  m_timeline.clear();
  m_late.clear();
  return out;
}

void Coordinator::restore_signal(const std::string& device, const std::optional<RateLimit>& device_rate, TimePoint when) {
  m_device_limiter.record(device, device_rate.value_or(m_cfg.device_rate), when);
}

std::optional<TimePoint> Coordinator::next_wakeup() const {
  if (m_timeline.empty()) return std::nullopt;
  return m_timeline.begin()->first;
}

}  // namespace sipwake::worsend
