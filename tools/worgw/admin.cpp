// The admin subcommands: subscriber add|set|list|remove, allow, deny, unrule, rules, calls.
// They write worgw.db directly; a running gateway reads it per request (see store.hpp).
#include <algorithm>
#include <cctype>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "options.hpp"
#include "policy.hpp"
#include "sipwake/util/secret.hpp"

namespace sipwake::worgw {
namespace {

using nlohmann::json;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int runtime_error(const std::string& message) {
  std::cerr << "worgw: " << message << "\n";
  return 1;
}

// The password for add/set: --password-file, else WORGW_PASSWORD; never echoed.
Result<std::optional<std::string>> password(const AdminOptions& o) {
  std::string warning;
  auto secret = secret_from(o.password_file, "WORGW_PASSWORD", &warning);
  if (!secret) return secret;
  if (!warning.empty()) std::cerr << "worgw: warning: " << warning << "\n";
  if (*secret && (*secret)->empty()) return fail("the password is empty");
  return secret;
}

// The subscriber called `name`; "no subscriber named ..." when there is none.
Result<Subscriber> existing(Store& store, const std::string& name) {
  auto found = store.subscriber(name);
  if (!found) return found.error();
  if (!*found) return fail("no subscriber named " + name);
  return std::move(**found);
}

// Copies the fields the command line gave onto `s`.
void apply(const AdminOptions& o, Subscriber& s) {
  if (o.aor) s.aor = *o.aor;
  if (o.registrar) s.registrar = *o.registrar;
  if (o.user) s.auth_user = *o.user;
  if (o.device) s.device_id = *o.device;
  if (o.proxy_login) s.proxy_login = *o.proxy_login;
  if (o.mode) s.mode = parse_connect_mode(*o.mode).value();
  if (o.voicemail) s.voicemail = *o.voicemail;
  if (o.default_policy) s.default_policy = parse_policy(*o.default_policy).value();
}

int subscriber_add(Store& store, const AdminOptions& o) {
  auto pw = password(o);
  if (!pw) return runtime_error(pw.message());
  if (!*pw)
    return runtime_error(
        "subscriber add needs a password: --password-file FILE or env WORGW_PASSWORD");
  Subscriber s;
  s.name = o.name;
  s.auth_user = o.name;
  apply(o, s);
  s.password = **pw;
  if (auto r = store.add_subscriber(s); !r) return runtime_error(r.message());
  std::cout << "added subscriber " << s.name << "\n";
  return 0;
}

int subscriber_set(Store& store, const AdminOptions& o) {
  auto pw = password(o);
  if (!pw) return runtime_error(pw.message());
  auto found = existing(store, o.name);
  if (!found) return runtime_error(found.message());
  Subscriber s = *found;
  apply(o, s);
  if (*pw) s.password = **pw;
  if (auto r = store.update_subscriber(s); !r) return runtime_error(r.message());
  std::cout << "updated subscriber " << s.name << "\n";
  return 0;
}

// One row of `subscriber list`, as JSON (the table is made from it too).
Result<json> describe(Store& store, const Subscriber& s, std::int64_t now) {
  auto b = store.binding(s.name);
  if (!b) return b.error();
  auto u = store.upstream(s.name);
  if (!u) return u.error();
  bool online = *b && (*b)->expires_at > now;
  json j = {{"name", s.name},
            {"aor", s.aor},
            {"registrar", s.registrar},
            {"user", s.auth_user},
            {"device", s.device_id.empty() ? s.name : s.device_id},
            {"proxy_login", s.proxy_login},
            {"mode", to_string(s.mode)},
            {"voicemail", s.voicemail},
            {"default_policy", to_string(s.default_policy)},
            {"status", online ? "online" : "asleep"},
            {"contact", *b ? json((*b)->contact) : json(nullptr)},
            {"received", *b ? json((*b)->received) : json(nullptr)},
            {"binding_expires_at", *b ? json((*b)->expires_at) : json(nullptr)}};
  json up = {
      {"state", s.proxy_login ? "none" : "off"}, {"expires_at", nullptr}, {"last_error", ""}};
  if (*u) {
    up["state"] = (*u)->state;
    up["expires_at"] = (*u)->expires_at ? json((*u)->expires_at) : json(nullptr);
    up["last_error"] = (*u)->last_error;
  }
  j["upstream"] = up;
  return j;
}

std::string text_of(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "on" : "off";
  return v.dump();
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

int subscriber_list(Store& store, const AdminOptions& o) {
  auto all = store.subscribers();
  if (!all) return runtime_error(all.message());
  auto now = static_cast<std::int64_t>(std::time(nullptr));
  json out = json::array();
  for (const auto& s : *all) {
    auto j = describe(store, s, now);
    if (!j) return runtime_error(j.message());
    out.push_back(std::move(*j));
  }
  if (o.json) {
    std::cout << out.dump() << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "AOR", "REGISTRAR", "USER", "DEVICE",
                                                 "PASSWORD", "PROXY-LOGIN", "MODE", "POLICY",
                                                 "STATUS", "CONTACT", "UPSTREAM"}};
  for (const auto& j : out) {
    std::string upstream = j["upstream"]["state"].get<std::string>();
    if (!j["upstream"]["last_error"].get<std::string>().empty()) {
      upstream += " (" + j["upstream"]["last_error"].get<std::string>() + ")";
    }
    rows.push_back({text_of(j["name"]), text_of(j["aor"]), text_of(j["registrar"]),
                    text_of(j["user"]), text_of(j["device"]), "set", text_of(j["proxy_login"]),
                    text_of(j["mode"]), text_of(j["default_policy"]), text_of(j["status"]),
                    j["status"] == "online" ? text_of(j["received"]) : "-", upstream});
  }
  print_table(rows);
  return 0;
}

int subscriber_remove(Store& store, const AdminOptions& o) {
  if (auto r = store.remove_subscriber(o.name); !r) return runtime_error(r.message());
  std::cout << "removed subscriber " << o.name << "\n";
  return 0;
}

int set_rule(Store& store, const AdminOptions& o, Policy action) {
  if (auto r = store.set_rule(o.name, Rule{o.pattern, action}); !r)
    return runtime_error(r.message());
  std::cout << o.name << ": " << to_string(action) << " " << o.pattern << "\n";
  return 0;
}

int unrule(Store& store, const AdminOptions& o) {
  auto found = existing(store, o.name);
  if (!found) return runtime_error(found.message());
  auto rules = store.rules(o.name);
  if (!rules) return runtime_error(rules.message());
  auto same = [&](const Rule& r) {
    return lower(r.pattern) == lower(o.pattern);
  };  // the key is NOCASE
  if (std::none_of(rules->begin(), rules->end(), same)) {
    return runtime_error("subscriber " + o.name + " has no rule " + o.pattern);
  }
  if (auto r = store.remove_rule(o.name, o.pattern); !r) return runtime_error(r.message());
  std::cout << o.name << ": removed rule " << o.pattern << "\n";
  return 0;
}

int list_rules(Store& store, const AdminOptions& o) {
  auto found = existing(store, o.name);
  if (!found) return runtime_error(found.message());
  auto rules = store.rules(o.name);
  if (!rules) return runtime_error(rules.message());
  std::string fallback = to_string(found->default_policy);
  if (o.json) {
    json list = json::array();
    for (const auto& r : *rules)
      list.push_back({{"pattern", r.pattern}, {"action", to_string(r.action)}});
    std::cout << json{{"subscriber", o.name}, {"default_policy", fallback}, {"rules", list}}.dump()
              << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"ACTION", "PATTERN"}};
  for (const auto& r : *rules) rows.push_back({to_string(r.action), r.pattern});
  rows.push_back({fallback, "(default)"});
  print_table(rows);
  return 0;
}

std::string utc(std::int64_t ms) {
  if (ms == 0) return "-";
  auto t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// Milliseconds from `from` to `to`, null when either did not happen.
json span(std::int64_t from, std::int64_t to) {
  return from && to ? json(to - from) : json(nullptr);
}

json wake_json(const WakeRecord& w) {
  auto ms = [](std::int64_t v) { return v ? json(v) : json(nullptr); };
  // The phone "rings" at its first response to the relayed INVITE; in redirect mode the
  // 302 is the last thing worgw sees.
  std::int64_t ring = w.first_response_ms ? w.first_response_ms : w.connected_ms;
  return {{"id", w.id},
          {"call_id", w.call_id},
          {"subscriber", w.subscriber},
          {"caller", w.caller},
          {"outcome", w.outcome},
          {"detail", w.detail},
          {"invite_ms", ms(w.invite_ms)},
          {"wake_requested_ms", ms(w.wake_requested_ms)},
          {"wake_confirmed_ms", ms(w.wake_confirmed_ms)},
          {"device_register_ms", ms(w.device_register_ms)},
          {"connected_ms", ms(w.connected_ms)},
          {"first_response_ms", ms(w.first_response_ms)},
          {"wake_to_register_ms", span(w.wake_requested_ms, w.device_register_ms)},
          {"wake_to_ring_ms", span(w.wake_requested_ms, ring)},
          {"invite_to_connect_ms", span(w.invite_ms, w.connected_ms)}};
}

int list_calls(Store& store, const AdminOptions& o) {
  auto wakes = store.wakes(o.name, o.limit);
  if (!wakes) return runtime_error(wakes.message());
  json out = json::array();
  for (const auto& w : *wakes) out.push_back(wake_json(w));
  if (o.json) {
    std::cout << out.dump() << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"ID", "INVITE (UTC)", "SUBSCRIBER", "CALLER",
                                                 "OUTCOME", "WAKE>REG ms", "WAKE>RING ms",
                                                 "SETUP ms"}};
  for (const auto& j : out) {
    rows.push_back({text_of(j["id"]),
                    utc(j["invite_ms"].is_null() ? 0 : j["invite_ms"].get<std::int64_t>()),
                    text_of(j["subscriber"]), text_of(j["caller"]), text_of(j["outcome"]),
                    text_of(j["wake_to_register_ms"]), text_of(j["wake_to_ring_ms"]),
                    text_of(j["invite_to_connect_ms"])});
  }
  print_table(rows);
  return 0;
}

}  // namespace

int run_admin(const AdminOptions& options) {
  std::string path = options.db_path.empty() ? Store::default_path() : options.db_path;
  auto opened = Store::open(path);
  if (!opened) return runtime_error(opened.message());
  Store& store = **opened;
  const std::string& a = options.action;
  if (a == "subscriber-add") return subscriber_add(store, options);
  if (a == "subscriber-set") return subscriber_set(store, options);
  if (a == "subscriber-list") return subscriber_list(store, options);
  if (a == "subscriber-remove") return subscriber_remove(store, options);
  if (a == "allow") return set_rule(store, options, Policy::allow);
  if (a == "deny") return set_rule(store, options, Policy::deny);
  if (a == "unrule") return unrule(store, options);
  if (a == "rules") return list_rules(store, options);
  if (a == "calls") return list_calls(store, options);
  return runtime_error("unknown admin command " + a);
}

}  // namespace sipwake::worgw
