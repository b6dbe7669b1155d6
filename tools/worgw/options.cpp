#include "options.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <vector>

#include "policy.hpp"
#include "sipwake/net/endpoint.hpp"
#include "sipwake/sip/uri.hpp"

namespace sipwake::worgw {
namespace {

constexpr const char* k_version = "worgw (sipwake) 0.1.0";

// Option values the parser fills before they are checked and converted.
struct Raw {
  std::string run_mode = "proxy";
  std::optional<std::string> proxy_login;
};

void add_db(CLI::App* sub, std::string& path) {
  sub->add_option("--db", path, "Database file (default: $SIPWAKE_STATE_DIR/worgw.db)");
}

void add_subscriber_fields(CLI::App* sub, AdminOptions& o, Raw& raw) {
  sub->add_option("NAME", o.name,
                  "Subscriber name ([A-Za-z0-9._-], the user the device logs in as)")
      ->required();
  sub->add_option("--aor", o.aor, "Upstream address of record, e.g. sip:rabbit@operator.example");
  sub->add_option("--registrar", o.registrar, "Upstream registrar URI, e.g. sip:operator.example");
  sub->add_option("--user", o.user, "Digest user upstream and for the device (default: NAME)");
  sub->add_option("--password-file", o.password_file,
                  "File whose first line is the password (else env WORGW_PASSWORD)");
  sub->add_option("--device", o.device, "Device id worsend wakes (default: NAME)");
  sub->add_option("--proxy-login", raw.proxy_login,
                  "Keep an upstream registration while the device sleeps")
      ->check(CLI::IsMember({"on", "off"}));
  sub->add_option("--mode", o.mode,
                  "How calls are connected: default (run's --mode), proxy or redirect")
      ->check(CLI::IsMember({"default", "proxy", "redirect"}));
  sub->add_option("--voicemail", o.voicemail,
                  "Voicemail URI for calls that cannot be connected (\"\" = run's)");
  sub->add_option("--default-policy", o.default_policy,
                  "Wake callers no rule matches: allow (default) or deny")
      ->check(CLI::IsMember({"allow", "deny"}));
  add_db(sub, o.db_path);
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool printable_token(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

Result<void> check_uri(const char* option, const std::string& text, bool needs_user) {
  auto uri = sip::Uri::parse(text);
  if (!uri) return fail(std::string(option) + ": " + uri.message());
  if (needs_user && uri->user.empty()) {
    return fail(std::string(option) + " needs a user part, e.g. sip:rabbit@operator.example");
  }
  return {};
}

// "md5", "sha256" or a comma-separated list of them without repeats (RFC 8760: one
// challenge per algorithm, in order of preference).
Result<void> check_algorithms(const std::string& list) {
  std::vector<std::string> seen;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = list.find(',', start);
    std::string word =
        list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (word != "md5" && word != "sha256") {
      return fail("--digest-algorithms: unknown algorithm '" + word + "' (md5, sha256)");
    }
    for (const auto& w : seen) {
      if (w == word) return fail("--digest-algorithms: " + word + " is listed twice");
    }
    seen.push_back(word);
    if (comma == std::string::npos) return {};
    start = comma + 1;
  }
}

Result<void> validate_run(RunOptions& o, const Raw& raw) {
  auto listen = net::Endpoint::parse(o.listen);
  if (!listen) return fail("--listen: " + listen.message());
  if (listen->kind != net::Endpoint::Kind::udp)
    return fail("--listen: only udp:HOST:PORT is supported for now");
  if (!o.worsend.empty()) {
    auto ws = net::Endpoint::parse(o.worsend);
    if (!ws) return fail("--worsend: " + ws.message());
    if (ws->kind != net::Endpoint::Kind::unix_path && ws->kind != net::Endpoint::Kind::tcp) {
      return fail("--worsend: want unix:PATH or tcp:HOST:PORT");
    }
  }
  if (!printable_token(o.realm, 128) || o.realm.find('"') != std::string::npos) {
    return fail("--realm: want 1 to 128 printable characters without spaces or quotes");
  }
  if (auto r = check_algorithms(o.digest_algorithms); !r) return r;
  if (!o.voicemail.empty()) {
    if (auto r = check_uri("--voicemail", o.voicemail, false); !r) return r;
  }
  o.mode = raw.run_mode == "redirect" ? ConnectMode::redirect : ConnectMode::proxy;
  return {};
}

Result<void> validate_admin(AdminOptions& o, const Raw& raw) {
  if (!o.name.empty() && !valid_name(o.name)) {
    return fail("subscriber name '" + o.name + "': want 1 to 64 of A-Z a-z 0-9 . _ -");
  }
  if (!o.pattern.empty() || o.action == "allow" || o.action == "deny" || o.action == "unrule") {
    if (auto r = validate_pattern(o.pattern); !r) return r;
  }
  if (raw.proxy_login) o.proxy_login = *raw.proxy_login == "on";
  bool add = o.action == "subscriber-add";
  if (add && !o.aor) return fail("subscriber add: --aor is required");
  if (add && !o.registrar) return fail("subscriber add: --registrar is required");
  if (o.aor) {
    if (auto r = check_uri("--aor", *o.aor, true); !r) return r;
  }
  if (o.registrar) {
    if (auto r = check_uri("--registrar", *o.registrar, false); !r) return r;
  }
  if (o.voicemail && !o.voicemail->empty()) {
    if (auto r = check_uri("--voicemail", *o.voicemail, false); !r) return r;
  }
  if (o.user &&
      (!printable_token(*o.user, 128) || o.user->find_first_of("\":@") != std::string::npos)) {
    return fail("--user: want 1 to 128 printable characters without spaces, quotes, ':' or '@'");
  }
  if (o.device && !o.device->empty() && !printable_token(*o.device, 128)) {
    return fail("--device: want up to 128 printable characters without spaces");
  }
  const char* env = std::getenv("WORGW_PASSWORD");
  bool env_password = env && *env;
  if (add && !o.password_file && !env_password) {
    return fail("subscriber add needs a password: --password-file FILE or env WORGW_PASSWORD");
  }
  if (o.action == "subscriber-set" && !o.aor && !o.registrar && !o.user && !o.password_file &&
      !o.device && !o.proxy_login && !o.mode && !o.voicemail && !o.default_policy &&
      !env_password) {
    return fail("subscriber set: nothing to change");
  }
  return {};
}

int usage_error(const std::string& message) {
  std::string line = message.empty() ? "invalid command line" : message;
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::cerr << "worgw: " << line << "\n";
  return 2;
}

}  // namespace

ParseResult parse_options(int argc, char** argv) {
  ParseResult out;
  RunOptions& r = out.run;
  AdminOptions& a = out.admin;
  Raw raw;
  CLI::App app{
      "worgw - wake-on-ring gateway: logs in upstream for sleeping phones, wakes them for allowed "
      "callers",
      "worgw"};
  app.set_version_flag("--version", k_version);
  app.require_subcommand(1, 1);

  auto* run = app.add_subcommand("run", "Run the gateway until SIGINT/SIGTERM");
  run->add_option("--listen", r.listen, "SIP address, udp:HOST:PORT (default udp:127.0.0.1:5070)");
  add_db(run, r.db_path);
  run->add_option("--worsend", r.worsend,
                  "worsend's request socket, unix:PATH or tcp:HOST:PORT (none: no waking)");
  run->add_option("--realm", r.realm, "Digest realm for device logins (default sipwake)");
  run->add_option("--digest-algorithms", r.digest_algorithms,
                  "Digest challenges offered to devices, in order: md5, sha256 or a list like "
                  "sha256,md5 (default md5)");
  run->add_option("--mode", raw.run_mode,
                  "How held calls are connected: proxy (default) or redirect")
      ->check(CLI::IsMember({"proxy", "redirect"}));
  run->add_option("--wake-timeout", r.wake_timeout_s,
                  "Seconds a call waits for the device (1-600, default 30)")
      ->check(CLI::Range(1u, 600u));
  run->add_option("--voicemail", r.voicemail, "Voicemail URI for calls that cannot be connected");
  run->add_option("--dead-binding-timeout", r.dead_binding_ms,
                  "Milliseconds without a response from an online device before it is woken "
                  "(100-60000, default 2000)")
      ->check(CLI::Range(100u, 60000u));
  run->add_option("--upstream-expires", r.upstream_expires,
                  "Expiry asked for upstream registrations (60-86400, default 600)")
      ->check(CLI::Range(60u, 86400u));
  run->add_flag("--json", r.json, "Write events as JSON Lines on stdout");
  run->add_flag("-v,--verbose", r.verbose, "More diagnostics on stderr (repeat for debug)");

  auto* sub = app.add_subcommand("subscriber", "Add, change, list and remove subscribers");
  sub->require_subcommand(1, 1);
  auto* add = sub->add_subcommand(
      "add", "Add a subscriber (password from --password-file or WORGW_PASSWORD)");
  add_subscriber_fields(add, a, raw);
  auto* set = sub->add_subcommand("set", "Change the given fields of a subscriber");
  add_subscriber_fields(set, a, raw);
  auto* list = sub->add_subcommand("list", "List subscribers with device and upstream status");
  list->add_flag("--json", a.json, "Write a JSON array");
  add_db(list, a.db_path);
  auto* remove = sub->add_subcommand("remove", "Remove a subscriber, its rules and its state");
  remove->add_option("NAME", a.name, "Subscriber name")->required();
  add_db(remove, a.db_path);

  auto rule_cmd = [&](const char* name, const char* what) {
    auto* c = app.add_subcommand(name, what);
    c->add_option("NAME", a.name, "Subscriber name")->required();
    c->add_option("PATTERN", a.pattern,
                  "Caller pattern: sip:user@domain, user, @domain, * wildcards")
        ->required();
    add_db(c, a.db_path);
    return c;
  };
  auto* allow = rule_cmd("allow", "Let callers matching PATTERN wake the subscriber's phone");
  auto* deny = rule_cmd("deny", "Keep callers matching PATTERN from waking the subscriber's phone");
  auto* unrule = rule_cmd("unrule", "Remove the rule for PATTERN");
  auto* rules = app.add_subcommand("rules", "List a subscriber's wake rules and default");
  rules->add_option("NAME", a.name, "Subscriber name")->required();
  rules->add_flag("--json", a.json, "Write a JSON object");
  add_db(rules, a.db_path);
  auto* calls = app.add_subcommand("calls", "List recent calls with their wake timelines");
  calls->add_option("--subscriber", a.name, "Only this subscriber's calls");
  calls
      ->add_option("--limit", a.limit, "Calls to list at most, newest first (1-100000, default 20)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  calls->add_flag("--json", a.json, "Write a JSON array");
  add_db(calls, a.db_path);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return out;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return out;
  } catch (const CLI::CallForVersion&) {
    std::cout << k_version << "\n";
    return out;
  } catch (const CLI::ParseError& e) {
    out.exit_code = usage_error(std::string(e.what()) + " (see worgw --help)");
    return out;
  }

  if (run->parsed()) {
    if (auto v = validate_run(r, raw); !v) {
      out.exit_code = usage_error(v.message());
      return out;
    }
    out.kind = ParseResult::Kind::run;
    return out;
  }
  const std::pair<CLI::App*, const char*> actions[] = {
      {add, "subscriber-add"},   {set, "subscriber-set"},
      {list, "subscriber-list"}, {remove, "subscriber-remove"},
      {allow, "allow"},          {deny, "deny"},
      {unrule, "unrule"},        {rules, "rules"},
      {calls, "calls"}};
  for (const auto& [cmd, action] : actions) {
    if (cmd->parsed()) a.action = action;
  }
  if (auto v = validate_admin(a, raw); !v) {
    out.exit_code = usage_error(v.message());
    return out;
  }
  out.kind = ParseResult::Kind::admin;
  return out;
}

}  // namespace sipwake::worgw
