#include "upstream.hpp"

#include <ctime>

namespace sipwake::worgw {

ProxyLogin::ProxyLogin(ev::Loop& loop, net::SipTransport& transport, Store& store, Directory& directory,
                       log::EventSink& events, const RunOptions& options, Self self)
    : m_transport(transport), m_store(store), m_dir(directory), m_events(events), m_opt(options),
      m_self(std::move(self)),
      m_agent(loop, reg::Agent::Options{std::nullopt, 256, "sipwake-worgw/0.1", &transport},
              [this](const reg::Event& e) { on_event(e); }) {}

void ProxyLogin::start() {
  std::size_t n = 0;
  for (const auto& [name, s] : m_dir.all()) n += s.proxy_login ? 1 : 0;
  std::size_t i = 0;
  for (const auto& [name, s] : m_dir.all()) {
    if (!s.proxy_login) continue;
    // Thousands of subscribers take evenly spaced refresh slots (no bursts).
    add(s, static_cast<double>(i++) / static_cast<double>(n));
  }
  // The agent starts them as transaction slots free up.
  m_agent.start(reg::Registration::Mode::register_, nullptr);
}

void ProxyLogin::begin(const Subscriber& s, double slot) {
  if (auto index = add(s, slot)) m_agent.start_one(*index, reg::Registration::Mode::register_);
}

std::optional<std::size_t> ProxyLogin::add(const Subscriber& s, double slot) {
  auto registrar = sip::Uri::parse(s.registrar);
  auto aor = sip::Uri::parse(s.aor);
  if (!registrar || !aor) {
    m_events.emit("upstream.failed", {{"subscriber", s.name}, {"reason", "bad registrar or AOR URI"}},
                  "proxy login for " + s.name + " impossible: bad registrar or AOR URI");
    return std::nullopt;
  }
  reg::Config c;
  c.registrar = *registrar;
  c.aor = *aor;
  c.auth_user = s.auth_user.empty() ? s.name : s.auth_user;
  c.password = s.password;
  c.expires = m_opt.upstream_expires;
  c.first_refresh_slot = slot;
  c.refresh_jitter = 0.0;
  // Calls for the subscriber must come to worgw, addressed by the subscriber's name.
  std::string host = m_self.host.find(':') != std::string::npos ? "[" + m_self.host + "]" : m_self.host;
  std::string contact = "sip:" + s.name + "@" + host + ":" + std::to_string(m_self.port);
  auto index = m_agent.add(std::move(c), contact);
  if (!index) {
    m_events.emit("upstream.failed", {{"subscriber", s.name}, {"reason", index.message()}},
                  "proxy login for " + s.name + " failed: " + index.message());
    return std::nullopt;
  }
  m_index[s.name] = *index;
  m_by_aor[aor->to_string()] = s.name;
  return *index;
}

void ProxyLogin::sync() {
  std::vector<std::string> gone;
  for (const auto& [name, index] : m_index) {
    const Subscriber* s = m_dir.find(name);
    if (!s || !s->proxy_login) gone.push_back(name);
  }
  for (const auto& name : gone) {
    m_agent.stop_one(m_index[name], false);
    m_index.erase(name);
  }
  for (const auto& [name, s] : m_dir.all()) {
    if (s.proxy_login && !m_index.count(name)) begin(s, 1.0);
  }
}

void ProxyLogin::stop_all() { m_agent.stop_all(false); }

void ProxyLogin::on_event(const reg::Event& e) {
  std::string aor = e.fields.value("aor", "");
  auto it = m_by_aor.find(aor);
  std::string name = it == m_by_aor.end() ? aor : it->second;
  std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  if (e.name == "register.ok") {
    std::uint32_t expires = e.fields.value("expires", 0u);
    (void)m_store.save_upstream(name, {"registered", now + expires, ""});
    m_events.emit("upstream.registered", {{"subscriber", name}, {"aor", aor}, {"expires", expires},
                                          {"refresh", e.fields.value("refresh", false)}},
                  e.fields.value("refresh", false) ? "" : "proxy login for " + name + " at " + aor + " ok");
  } else if (e.name == "register.retry" || e.name == "register.failed") {
    std::string reason = e.fields.value("reason", "");
    bool final = e.name == "register.failed";
    (void)m_store.save_upstream(name, {final ? "failed" : "retry-wait", 0, reason});
    nlohmann::json f = {{"subscriber", name}, {"aor", aor}, {"reason", reason}, {"final", final}};
    if (e.fields.contains("in_ms")) f["retry_in_ms"] = e.fields["in_ms"];
    m_events.emit("upstream.failed", f, "proxy login for " + name + " failed: " + reason);
  } else if (e.name == "unregister.ok") {
    (void)m_store.save_upstream(name, {"unregistered", 0, ""});
  }
}

}  // namespace sipwake::worgw
