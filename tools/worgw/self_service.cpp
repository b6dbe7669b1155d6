#include "self_service.hpp"

#include <sstream>

#include "policy.hpp"

namespace sipwake::worgw {

Result<std::vector<SelfCommand>> parse_self_commands(std::string_view body) {
  std::vector<SelfCommand> out;
  std::istringstream in{std::string(body)};
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream words(line);
    std::string verb, arg, extra;
    words >> verb >> arg >> extra;
    if (verb.empty() || verb[0] == '#') continue;
    if (!extra.empty()) return fail("line " + std::to_string(n) + ": too many words");
    SelfCommand c;
    c.argument = arg;
    if (verb == "proxy-login") {
      if (arg != "on" && arg != "off") return fail("line " + std::to_string(n) + ": proxy-login takes on or off");
      c.kind = SelfCommand::Kind::proxy_login;
    } else if (verb == "allow" || verb == "deny" || verb == "unrule") {
      if (auto v = validate_pattern(arg); !v) return fail("line " + std::to_string(n) + ": " + v.message());
      c.kind = verb == "allow" ? SelfCommand::Kind::allow
               : verb == "deny" ? SelfCommand::Kind::deny
                                : SelfCommand::Kind::unrule;
    } else if (verb == "rules") {
      if (!arg.empty()) return fail("line " + std::to_string(n) + ": rules takes no argument");
      c.kind = SelfCommand::Kind::rules;
    } else {
      return fail("line " + std::to_string(n) + ": unknown command '" + verb + "'");
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string SelfService::summary(const std::string& subscriber) const {
  std::string out;
  const Subscriber* s = m_dir.find(subscriber);
  if (s) {
    out += std::string("proxy-login ") + (s->proxy_login ? "on" : "off") + "\n";
    out += "default " + to_string(s->default_policy) + "\n";
  }
  for (const auto& r : m_dir.rules(subscriber)) out += to_string(r.action) + " " + r.pattern + "\n";
  return out;
}

void SelfService::handle(txn::ServerLayer::Id id, const sip::Message& req) {
  std::string claimed = req.to() ? req.to()->uri.user : req.request_uri().user;
  const Subscriber* sub = m_registrar.authenticate(id, req, claimed);
  if (!sub) return;
  std::string name = sub->name;
  auto commands = parse_self_commands(req.body());
  if (!commands) {
    (void)m_server.respond(id, 400, commands.message());
    return;
  }
  // Start from the stored row, not the cache: an admin change made since the last
  // reload (a new password, say) must not be written back over.
  auto stored = m_store.subscriber(name);
  if (!stored || !*stored) {
    (void)m_server.respond(id, 500, "cannot read the subscriber");
    return;
  }
  Subscriber updated = **stored;
  bool subscriber_changed = false;
  for (const auto& c : *commands) {
    Result<void> r;
    switch (c.kind) {
      case SelfCommand::Kind::proxy_login:
        updated.proxy_login = c.argument == "on";
        subscriber_changed = true;
        break;
      case SelfCommand::Kind::allow: r = m_store.set_rule(name, {c.argument, Policy::allow}); break;
      case SelfCommand::Kind::deny: r = m_store.set_rule(name, {c.argument, Policy::deny}); break;
      case SelfCommand::Kind::unrule: r = m_store.remove_rule(name, c.argument); break;
      case SelfCommand::Kind::rules: break;
    }
    if (!r) {
      (void)m_server.respond(id, 500, "cannot store the change");
      return;
    }
  }
  if (subscriber_changed) {
    if (auto r = m_store.update_subscriber(updated); !r) {
      (void)m_server.respond(id, 500, "cannot store the change");
      return;
    }
  }
  (void)m_dir.load();
  m_proxy.sync();
  auto resp = sip::Message::response_to(req, 200);
  if (!resp) return;
  if (auto to = resp->to(); to && !to->param("tag")) {
    to->set_param("tag", "ss");
    resp->set_to(*to);
  }
  resp->set_body("text/plain", summary(name));
  (void)m_server.respond(id, *resp);
  m_events.emit("subscriber.updated", {{"subscriber", name}, {"commands", commands->size()}, {"by", "device"}},
                name + " changed its settings from the device");
}

}  // namespace sipwake::worgw
