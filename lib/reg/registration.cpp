#include "sipwake/reg/registration.hpp"

#include <algorithm>
#include <cctype>

#include "sipwake/log/events.hpp"
#include "sipwake/util/random.hpp"

namespace sipwake::reg {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Two contact URIs name the same binding when user, host and port agree
// (RFC 3261 10.3 compares URIs; parameters we add do not change the binding).
bool same_binding(const std::string& a, const std::string& b) {
  auto ua = sip::Uri::parse(a);
  auto ub = sip::Uri::parse(b);
  if (!ua || !ub) return a == b;
  auto port = [](const sip::Uri& u) { return u.port.value_or(u.scheme == "sips" ? 5061 : 5060); };
  return ua->user == ub->user && lower(ua->host) == lower(ub->host) && port(*ua) == port(*ub);
}

// RFC 3261 21.4: 4xx that say "this will never work" (as opposed to 408/480/429/4xx
// transient conditions) and all 6xx end the registration.
bool permanent_failure(int code) {
  if (code >= 600) return true;
  if (code >= 300 && code < 400) return true;
  switch (code) {
    case 400: case 403: case 404: case 405: case 410: case 413: case 414: case 415:
    case 416: case 420: case 484: case 485:
      return true;
    default:
      return false;
  }
}

std::string code_line(int code, const std::string& reason) {
  return std::to_string(code) + (reason.empty() ? "" : " " + reason);
}

}  // namespace

Registration::Registration(Config config, const Clock& clock)
    : m_cfg(std::move(config)), m_clock(clock), m_expires(m_cfg.expires), m_backoff(m_cfg.backoff),
      m_jitter_draw(random_unit() * m_cfg.refresh_jitter), m_created(clock.now()) {
  if (m_cfg.auth_user.empty()) m_cfg.auth_user = m_cfg.aor.user;
  m_cseq = static_cast<std::uint32_t>(random_between(1, 1000));
}

const char* Registration::state_name(State s) {
  switch (s) {
    case State::idle: return "idle";
    case State::registering: return "registering";
    case State::registered: return "registered";
    case State::refreshing: return "refreshing";
    case State::retry_wait: return "retry-wait";
    case State::unregistering: return "unregistering";
    case State::done: return "done";
  }
  return "?";
}

void Registration::enter(State s) { m_state = s; }

nlohmann::json Registration::base_fields() const {
  return {{"aor", m_cfg.aor.to_string()}};
}

nlohmann::json Registration::with_fields(nlohmann::json extra) const {
  nlohmann::json f = base_fields();
  f.update(extra);
  return f;
}

Binding Registration::binding(const std::string& uri, std::uint32_t expires) const {
  Binding b;
  b.expires = expires;
  b.uri = uri;
  // RFC 8599 4.1.3: push parameters are URI parameters of the Contact.
  if (!m_cfg.pn_provider.empty()) {
    if (auto u = sip::Uri::parse(uri)) {
      u->set_param("pn-provider", m_cfg.pn_provider);
      if (!m_cfg.pn_prid.empty()) u->set_param("pn-prid", m_cfg.pn_prid);
      if (!m_cfg.pn_param.empty()) u->set_param("pn-param", m_cfg.pn_param);
      b.uri = u->to_string();
    }
  }
  // RFC 5626 4.2: instance and reg-id are Contact header parameters.
  if (!m_cfg.instance.empty()) b.params.emplace_back("+sip.instance", "\"<" + m_cfg.instance + ">\"");
  if (m_cfg.reg_id) b.params.emplace_back("reg-id", std::to_string(*m_cfg.reg_id));
  return b;
}

Output Registration::start(Mode mode, const std::string& contact_uri) {
  m_mode = mode;
  m_contact = contact_uri;
  m_local_contact = contact_uri;
  Output out;
  switch (mode) {
    case Mode::register_:
    case Mode::query:
      enter(State::registering);
      return send_register(std::move(out), m_expires);
    case Mode::unregister:
      if (!m_cfg.contact_fixed) {
        // A new process has a new port: ask which of the AOR's bindings are ours
        // (this host, or our public address) before removing them.
        m_discovering = true;
        enter(State::unregistering);
        return send_query(std::move(out));
      }
      return send_unregister(std::move(out));
    case Mode::unregister_all:
      return send_unregister(std::move(out));
  }
  return out;
}

Output Registration::send_query(Output out) {
  Request req;
  req.cseq = ++m_cseq;
  if (m_challenge) {
    req.authorization = sip::digest_answer(*m_challenge, m_cfg.auth_user, m_cfg.password, "REGISTER",
                                           m_cfg.registrar.to_string(), ++m_nc, random_hex(8));
  }
  out.events.push_back({"register.sent", with_fields({{"cseq", req.cseq}, {"query", true},
                                                      {"auth", req.authorization.has_value()}}), ""});
  out.send = std::move(req);
  return out;
}

Output Registration::send_register(Output out, std::uint32_t expires) {
  Request req;
  req.cseq = ++m_cseq;
  if (m_mode != Mode::query) {
    req.contacts.push_back(binding(m_contact, expires));
    for (const auto& old : m_stale_contacts) req.contacts.push_back(binding(old, 0));
  }
  if (m_challenge) {
    req.authorization = sip::digest_answer(*m_challenge, m_cfg.auth_user, m_cfg.password, "REGISTER",
                                           m_cfg.registrar.to_string(), ++m_nc, random_hex(8));
  }
  nlohmann::json f = base_fields();
  f["cseq"] = req.cseq;
  if (m_mode == Mode::query) {
    f["query"] = true;
  } else {
    f["contact"] = m_contact;
    f["expires"] = expires;
    f["refresh"] = m_state == State::refreshing;
  }
  f["auth"] = req.authorization.has_value();
  out.events.push_back({"register.sent", std::move(f), ""});
  out.send = std::move(req);
  return out;
}

Output Registration::send_unregister(Output out) {
  enter(State::unregistering);
  out.cancel_timer = true;
  Request req;
  req.cseq = ++m_cseq;
  if (m_mode == Mode::unregister_all) {
    req.star = true;
    req.expires_header = 0;
  } else if (!m_discovered.empty()) {
    for (const auto& c : m_discovered) req.contacts.push_back(Binding{c, 0, {}});
  } else {
    req.contacts.push_back(binding(m_contact, 0));
    for (const auto& old : m_stale_contacts) req.contacts.push_back(binding(old, 0));
  }
  if (m_challenge) {
    req.authorization = sip::digest_answer(*m_challenge, m_cfg.auth_user, m_cfg.password, "REGISTER",
                                           m_cfg.registrar.to_string(), ++m_nc, random_hex(8));
  }
  nlohmann::json f = base_fields();
  f["cseq"] = req.cseq;
  f["contact"] = req.star ? "*" : req.contacts.empty() ? "" : req.contacts.front().uri;
  f["contacts"] = req.contacts.size();
  out.events.push_back({"unregister.sent", std::move(f), ""});
  out.send = std::move(req);
  return out;
}

Output Registration::finish(Output out, Outcome outcome, std::string failure) {
  enter(State::done);
  m_outcome = outcome;
  m_failure = std::move(failure);
  m_refresh_at.reset();
  out.cancel_timer = true;
  return out;
}

Output Registration::on_response(const Response& r) {
  Output out;
  if (r.cseq != m_cseq || m_state == State::done || m_state == State::idle) return out;
  if (r.status == 401 || r.status == 407) return on_challenge(r);
  m_auth_tries = 0;
  if (r.status >= 200 && r.status < 300) return on_success(r);

  if (m_state == State::unregistering) {
    nlohmann::json f = base_fields();
    f["code"] = r.status;
    f["reason"] = code_line(r.status, r.reason);
    out.events.push_back({"unregister.failed", f, "unregister failed: " + code_line(r.status, r.reason)});
    return finish(std::move(out), Outcome::failed, "unregister failed: " + code_line(r.status, r.reason));
  }
  if (r.status == 423) {
    // RFC 3261 10.2.8: retry at once with an expiry no shorter than Min-Expires.
    if (r.min_expires && *r.min_expires > m_expires && m_min_expires_tries++ < 2) {
      m_expires = *r.min_expires;
      nlohmann::json f = base_fields();
      f["code"] = 423;
      f["reason"] = "Interval Too Brief, Min-Expires " + std::to_string(m_expires);
      f["in_ms"] = 0;
      f["at"] = log::utc_timestamp_after(Duration{0});
      f["attempt"] = m_min_expires_tries;
      f["expires"] = m_expires;
      out.events.push_back({"register.retry", f,
                            "registrar wants expires >= " + std::to_string(m_expires) + ", retrying"});
      return send_register(std::move(out), m_expires);
    }
    return fail_or_retry(std::move(out), r.status, "423 without a usable Min-Expires", true, std::nullopt);
  }
  return fail_or_retry(std::move(out), r.status, code_line(r.status, r.reason), permanent_failure(r.status),
                       r.retry_after);
}

Output Registration::on_challenge(const Response& r) {
  Output out;
  bool unregistering = m_state == State::unregistering;
  // One answer per challenge (RFC 3261 22.2): the same nonce again, not marked stale,
  // means the credentials are wrong; a server that keeps issuing new nonces is cut off.
  bool repeated = m_challenge && r.challenge && r.challenge->nonce == m_challenge->nonce && !r.challenge->stale &&
                  m_auth_tries > 0;
  if (!r.challenge || repeated || m_auth_tries >= 2 || m_cfg.password.empty()) {
    std::string why = !r.challenge      ? "authentication failed: " + r.challenge_error
                      : m_cfg.password.empty() ? "authentication required but no password given"
                                               : "authentication failed (" + code_line(r.status, r.reason) +
                                                     " after credentials for user " + m_cfg.auth_user + ")";
    if (unregistering) {
      out.events.push_back({"unregister.failed", with_fields({{"code", r.status}, {"reason", why}}), why});
      return finish(std::move(out), Outcome::failed, why);
    }
    return fail_or_retry(std::move(out), r.status, why, true, std::nullopt);
  }
  ++m_auth_tries;
  if (!m_challenge || m_challenge->nonce != r.challenge->nonce) m_nc = 0;
  m_challenge = r.challenge;
  if (unregistering && m_discovering) return send_query(std::move(out));
  if (unregistering) return send_unregister(std::move(out));
  return send_register(std::move(out), m_expires);
}

Output Registration::on_success(const Response& r) {
  Output out;
  m_auth_tries = 0;
  if (m_mode == Mode::query) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : r.contacts) {
      list.push_back({{"contact", c.uri}, {"expires", c.expires}});
      out.events.push_back({"query.binding", with_fields({{"contact", c.uri}, {"expires", c.expires}}),
                            c.uri + " expires " + std::to_string(c.expires)});
    }
    out.events.push_back({"query.ok", with_fields({{"bindings", list.size()}}),
                          std::to_string(list.size()) + " binding(s) for " + m_cfg.aor.to_string()});
    return finish(std::move(out), Outcome::queried);
  }
  if (m_state == State::unregistering && m_discovering) {
    m_discovering = false;
    auto local = sip::Uri::parse(m_local_contact);
    for (const auto& c : r.contacts) {
      auto u = sip::Uri::parse(c.uri);
      if (!u || !local || u->user != m_cfg.aor.user) continue;
      bool ours = lower(u->host) == lower(local->host) || (r.public_host && lower(u->host) == lower(*r.public_host));
      if (ours) m_discovered.push_back(c.uri);
    }
    if (m_discovered.empty()) {
      out.events.push_back({"unregister.ok", with_fields({{"contact", ""}, {"removed", 0}}),
                            "no binding of " + m_cfg.aor.to_string() + " from this host"});
      return finish(std::move(out), Outcome::unregistered);
    }
    return send_unregister(std::move(out));
  }
  if (m_state == State::unregistering) {
    std::size_t removed = m_mode == Mode::unregister_all ? r.contacts.size()
                          : m_discovered.empty()          ? 1 + m_stale_contacts.size()
                                                          : m_discovered.size();
    out.events.push_back({"unregister.ok",
                          with_fields({{"contact", m_mode == Mode::unregister_all ? "*"
                                                   : m_discovered.empty()          ? m_contact
                                                                                   : m_discovered.front()},
                                       {"removed", removed}}),
                          "unregistered " + m_cfg.aor.to_string()});
    return finish(std::move(out), Outcome::unregistered);
  }

  // RFC 3581 / RFC 5626: the registrar saw us at received:rport; behind a NAT the
  // Contact must carry that public address or calls will not reach us.
  if (!m_cfg.contact_fixed && r.public_host && r.public_port && m_public_changes < 3) {
    if (auto cur = sip::Uri::parse(m_contact)) {
      sip::Uri pub = *cur;
      pub.host = *r.public_host;
      pub.port = *r.public_port;
      std::string pub_text = pub.to_string();
      if (!same_binding(pub_text, m_contact)) {
        ++m_public_changes;
        out.events.push_back({"contact.public-changed",
                              with_fields({{"old", m_contact}, {"new", pub_text}}),
                              "public address is " + pub.host_port() + ", re-registering"});
        m_stale_contacts.push_back(m_contact);
        m_contact = pub_text;
        return send_register(std::move(out), m_expires);
      }
    }
  }

  std::optional<std::uint32_t> granted;
  for (const auto& c : r.contacts) {
    if (same_binding(c.uri, m_contact)) granted = c.expires;
  }
  if (!granted) granted = r.expires_header;
  if (!granted) granted = m_expires;
  m_stale_contacts.clear();
  m_granted = *granted;
  m_backoff.reset();
  m_min_expires_tries = 0;
  if (m_granted == 0) {
    return fail_or_retry(std::move(out), r.status, "registrar granted expires 0", false, std::nullopt);
  }
  nlohmann::json f = base_fields();
  f["contact"] = m_contact;
  f["expires"] = m_granted;
  bool was_refresh = m_state == State::refreshing;
  f["refresh"] = was_refresh;
  enter(State::registered);
  out.events.push_back({"register.ok", f,
                        (was_refresh ? "refreshed " : "registered ") + m_cfg.aor.to_string() + " at " + m_contact +
                            " for " + std::to_string(m_granted) + "s"});
  if (m_cfg.once) return finish(std::move(out), Outcome::registered_once);
  Duration delay = refresh_delay();
  m_refresh_at = m_clock.now() + delay;
  out.arm_timer = delay;
  return out;
}

Duration Registration::refresh_delay() {
  double granted_ms = static_cast<double>(m_granted) * 1000.0;
  double period = granted_ms * m_cfg.refresh_fraction * (1.0 - m_jitter_draw);
  // Registrars count expiry in whole seconds and a refresh needs a round trip: keep at
  // least 3 s in hand, but never refresh sooner than half-way (short grants).
  period = std::max(std::min(period, granted_ms - 3000.0), granted_ms * 0.5);
  double slot = std::clamp(m_cfg.first_refresh_slot, 0.0, 1.0);
  if (m_first_refresh && slot < 1.0) {
    // Many accounts in one process refresh at evenly spaced phases of one period,
    // counted from a common origin (when they were created), so neither the order nor
    // the duration of the first round clumps them. An account whose phase comes too
    // soon after its registration takes the next period's (still before expiry).
    m_first_refresh = false;
    auto p = static_cast<long long>(period);
    long long since = (m_clock.now() - m_created).count();
    long long next = static_cast<long long>(slot * period);
    long long min_gap = p / 20;
    while (next < since + min_gap) next += p;
    return Duration{std::max<long long>(next - since, 500)};
  }
  m_first_refresh = false;
  return Duration{std::max<long long>(static_cast<long long>(period), 500)};
}

Output Registration::fail_or_retry(Output out, int code, const std::string& reason, bool permanent,
                                   std::optional<std::uint32_t> retry_after) {
  nlohmann::json f = base_fields();
  f["code"] = code;
  f["reason"] = reason;
  if (permanent || m_cfg.once) {
    f["final"] = true;
    if (m_mode == Mode::query) {
      out.events.push_back({"query.failed", f, "query of " + m_cfg.aor.to_string() + " failed: " + reason});
    } else {
      out.events.push_back({"register.failed", f, "registration of " + m_cfg.aor.to_string() + " failed: " + reason});
    }
    return finish(std::move(out), Outcome::failed, reason);
  }
  std::optional<Duration> hint;
  if (retry_after) hint = Duration{static_cast<long long>(*retry_after) * 1000};
  Duration delay = m_backoff.next(hint);
  f["in_ms"] = delay.count();
  f["at"] = log::utc_timestamp_after(delay);
  f["attempt"] = m_backoff.attempts();
  out.events.push_back({"register.retry", f,
                        "registration of " + m_cfg.aor.to_string() + " failed (" + reason + "), retrying in " +
                            std::to_string((delay.count() + 999) / 1000) + "s"});
  enter(State::retry_wait);
  m_refresh_at.reset();
  out.arm_timer = delay;
  return out;
}

Output Registration::on_failure(std::uint32_t cseq, const std::string& why) {
  Output out;
  if (cseq != m_cseq || m_state == State::done) return out;
  if (m_state == State::unregistering) {
    out.events.push_back({"unregister.failed", with_fields({{"code", 408}, {"reason", why}}),
                          "unregister failed: " + why});
    return finish(std::move(out), Outcome::failed, "unregister failed: " + why);
  }
  return fail_or_retry(std::move(out), 408, why, false, std::nullopt);
}

Output Registration::on_timer() {
  Output out;
  if (m_state == State::registered) {
    enter(State::refreshing);
    return send_register(std::move(out), m_expires);
  }
  if (m_state == State::retry_wait) {
    enter(State::registering);
    return send_register(std::move(out), m_expires);
  }
  return out;
}

Output Registration::reregister(const std::string& contact_uri) {
  Output out;
  if (m_state == State::done || m_state == State::unregistering || m_state == State::idle ||
      m_mode != Mode::register_) {
    return out;
  }
  // Only a new local address moves the binding; the same one keeps the public
  // Contact learned through rport (the next 200 OK corrects it if the NAT moved).
  if (!m_cfg.contact_fixed && !contact_uri.empty() && !same_binding(contact_uri, m_local_contact)) {
    m_stale_contacts.push_back(m_contact);
    m_contact = contact_uri;
    m_local_contact = contact_uri;
  }
  m_public_changes = 0;
  m_backoff.reset();
  out.cancel_timer = true;
  enter(m_state == State::registered ? State::refreshing : State::registering);
  return send_register(std::move(out), m_expires);
}

Output Registration::stop() {
  Output out;
  switch (m_state) {
    case State::idle:
      return finish(std::move(out), Outcome::unregistered);
    case State::done:
    case State::unregistering:
      return out;
    default:
      m_mode = m_mode == Mode::query ? Mode::query : Mode::unregister;
      if (m_mode == Mode::query) return finish(std::move(out), Outcome::failed, "interrupted");
      return send_unregister(std::move(out));
  }
}

Output Registration::abandon() {
  Output out;
  if (m_state == State::done) return out;
  return finish(std::move(out), Outcome::kept);
}

}  // namespace sipwake::reg
