#include "transports.hpp"

#include <algorithm>

#include "sipwake/util/secret.hpp"

namespace sipwake::worsend {
namespace {

using nlohmann::json;

// Our own bound on top of each transport's: a peer that never answers cannot hold a job.
constexpr Duration k_guard_slack{2000};

}  // namespace

json wake_payload(const AttemptInfo& a) {
  return {{"type", "wake"},         {"device", a.device},   {"call_id", a.call_id}, {"caller", a.caller},
          {"job", a.job},           {"attempt", a.attempt}, {"deadline_ms", a.remaining.count()}};
}

Transports::Transports(ev::Loop& loop, std::unique_ptr<http::Client> http, Done done)
    : m_loop(loop), m_http(std::move(http)), m_proc(loop), m_done(std::move(done)), m_later_timer(loop, [this] {
        auto later = std::move(m_later);
        m_later.clear();
        for (auto& [key, r] : later) finish(key, std::move(r));
      }) {}

Transports::~Transports() = default;

void Transports::start(const AttemptInfo& a) {
  Key key{a.job, a.attempt};
  Active& act = m_active[key];
  act.kind = a.transport.kind;
  act.guard = std::make_unique<ev::Timer>(m_loop, [this, key, t = a.transport.timeout] {
    finish(key, AttemptResult{false, "no answer within " + std::to_string(t.count()) + " ms", std::nullopt});
  });
  act.guard->arm(a.transport.timeout + k_guard_slack);
  switch (a.transport.kind) {
    case TransportKind::udp: start_udp(a, act); break;
    case TransportKind::http: start_http(a, act); break;
    case TransportKind::exec: start_exec(a, act); break;
  }
}

void Transports::finish(Key key, AttemptResult r) {
  auto it = m_active.find(key);
  if (it == m_active.end()) return;  // aborted, or already finished
  if (it->second.kind == TransportKind::udp) {
    if (auto nk = m_natkeep.find(it->second.natkeep); nk != m_natkeep.end()) nk->second.pending.erase(it->second.natkeep_id);
  } else if (it->second.kind == TransportKind::http && it->second.handle != 0) {
    m_http->cancel(it->second.handle);  // no-op when it already completed
  } else if (it->second.kind == TransportKind::exec && it->second.handle != 0) {
    m_proc.cancel(it->second.handle);  // no-op when the child was already reaped
  }
  m_active.erase(it);
  m_done(key.first, key.second, r);
}

void Transports::finish_later(Key key, AttemptResult r) {
  m_later.emplace_back(key, std::move(r));
  m_later_timer.arm(Duration{0});
}

void Transports::abort(JobId job, unsigned attempt) {
  auto it = m_active.find({job, attempt});
  if (it == m_active.end()) return;
  Active& act = it->second;
  switch (act.kind) {
    case TransportKind::udp:
      if (auto nk = m_natkeep.find(act.natkeep); nk != m_natkeep.end()) nk->second.pending.erase(act.natkeep_id);
      break;
    case TransportKind::http: m_http->cancel(act.handle); break;
    case TransportKind::exec: m_proc.cancel(act.handle); break;
  }
  m_active.erase(it);
}

void Transports::start_udp(const AttemptInfo& a, Active& act) {
  Key key{a.job, a.attempt};
  // One connection per control endpoint, keyed by the text as configured.
  const std::string& name = a.transport.target;
  auto found = m_natkeep.find(name);
  if (found == m_natkeep.end()) {
    auto ep = net::Endpoint::parse(name);
    if (!ep) return finish_later(key, {false, "natkeep endpoint: " + ep.message(), std::nullopt});
    net::LineClient::Handlers h;
    h.on_line = [this, name](std::string_view line) { on_natkeep_line(name, line); };
    h.on_closed = [this, name](const std::string& why) { on_natkeep_closed(name, why); };
    found = m_natkeep.emplace(name, Natkeep{}).first;
    found->second.client = std::make_unique<net::LineClient>(m_loop, *ep, std::move(h));
  }
  Natkeep& nk = found->second;
  act.natkeep = name;
  act.natkeep_id = "worsend-" + std::to_string(a.job) + "." + std::to_string(a.attempt);
  auto timeout = std::clamp<std::int64_t>(a.transport.timeout.count(), 100, 600'000);
  json req = {{"id", act.natkeep_id},
              {"op", "wake"},
              {"device", a.transport.natkeep_device.empty() ? a.device : a.transport.natkeep_device},
              {"payload", {{"call_id", a.call_id}, {"caller", a.caller}, {"job", a.job}}},
              {"timeout_ms", timeout}};
  nk.pending[act.natkeep_id] = key;
  if (auto sent = nk.client->send_line(req.dump()); !sent) {
    nk.pending.erase(act.natkeep_id);
    finish_later(key, {false, "natkeep: " + sent.message(), std::nullopt});
  }
}

void Transports::on_natkeep_line(const std::string& endpoint, std::string_view line) {
  auto j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("id") || !j["id"].is_string()) return;
  auto nk = m_natkeep.find(endpoint);
  if (nk == m_natkeep.end()) return;
  auto p = nk->second.pending.find(j["id"].get<std::string>());
  if (p == nk->second.pending.end()) return;  // an event line, or an attempt we gave up on
  Key key = p->second;
  nk->second.pending.erase(p);
  AttemptResult r;
  r.ok = j.value("ok", false);
  if (!r.ok) {
    auto e = j.find("error");
    r.error = "natkeep: " + (e != j.end() && e->is_string() ? e->get<std::string>() : std::string("failed"));
  }
  finish(key, std::move(r));
}

void Transports::on_natkeep_closed(const std::string& endpoint, const std::string& why) {
  auto nk = m_natkeep.find(endpoint);
  if (nk == m_natkeep.end()) return;
  auto pending = std::move(nk->second.pending);
  nk->second.pending.clear();
  for (auto& [id, key] : pending) finish_later(key, {false, "natkeep " + endpoint + ": " + why, std::nullopt});
}

void Transports::start_http(const AttemptInfo& a, Active& act) {
  Key key{a.job, a.attempt};
  http::Request rq;
  rq.method = "POST";
  rq.url = a.transport.target;
  rq.timeout = a.transport.timeout;
  rq.max_response = 16384;
  rq.body = wake_payload(a).dump();
  // RFC 8030 5.2 TTL (seconds the push service may keep it) and 5.3 Urgency.
  auto ttl = std::max<std::int64_t>(1, (a.remaining.count() + 999) / 1000);
  rq.headers = {{"Content-Type", "application/json"}, {"TTL", std::to_string(ttl)}, {"Urgency", "high"}};
  if (!a.transport.token_file.empty()) {
    auto token = read_secret_file(a.transport.token_file);
    if (!token) return finish_later(key, {false, "cannot read token file " + a.transport.token_file, std::nullopt});
    rq.headers.emplace_back("Authorization", "Bearer " + *token);
  }
  act.handle = m_http->send(std::move(rq), [this, key](Result<http::Response> r) {
    if (auto it = m_active.find(key); it != m_active.end()) it->second.handle = 0;
    AttemptResult res;
    if (!r) {
      res.error = r.message();
    } else if (r->status >= 200 && r->status < 300) {
      res.ok = true;
    } else {
      res.error = "HTTP " + std::to_string(r->status) + (r->reason.empty() ? "" : " " + r->reason);
      if (r->status == 429 || r->status == 503) {
        if (auto ra = r->header("Retry-After")) res.retry_after = http::parse_retry_after(*ra);
      }
    }
    finish(key, std::move(res));
  });
}

void Transports::start_exec(const AttemptInfo& a, Active& act) {
  Key key{a.job, a.attempt};
  proc::Spec spec;
  spec.argv = {"/bin/sh", "-c", a.transport.target};
  spec.env = {{"WORSEND_DEVICE", a.device},
              {"WORSEND_CALL_ID", a.call_id},
              {"WORSEND_CALLER", a.caller},
              {"WORSEND_JOB", std::to_string(a.job)},
              {"WORSEND_ATTEMPT", std::to_string(a.attempt)},
              {"WORSEND_DEADLINE_MS", std::to_string(a.remaining.count())}};
  spec.stdin_data = wake_payload(a).dump() + "\n";
  spec.timeout = a.transport.timeout;
  spec.max_output = 4096;
  auto h = m_proc.start(std::move(spec), [this, key](const proc::Outcome& o) {
    finish(key, AttemptResult{o.success(), o.success() ? "" : o.describe(), std::nullopt});
  });
  if (!h) return finish_later(key, {false, h.message(), std::nullopt});
  act.handle = *h;
}

}  // namespace sipwake::worsend
