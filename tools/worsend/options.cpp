#include "options.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

#include "sipwake/http/url.hpp"
#include "sipwake/net/endpoint.hpp"
#include "audit.hpp"
#include "store.hpp"

namespace sipwake::worsend {
namespace {

constexpr const char* k_version = "worsend (sipwake) 0.1.0";

void add_common(CLI::App* sub, Options& o, bool json = true) {
  sub->add_option("--db", o.db, "SQLite database (default: $SIPWAKE_STATE_DIR/worsend.db)");
  if (json) sub->add_flag("--json", o.json, "JSON output (JSON Lines events for serve)");
}

void add_transports(CLI::App* sub, DeviceArgs& d) {
  sub->add_option("device", d.id, "Device id")->required();
  sub->add_option("--udp", d.udp, "Wake through natkeep serve's control socket, unix:PATH or tcp:HOST:PORT");
  sub->add_option("--natkeep-device", d.natkeep_device, "Device id at natkeep (default: the same id)");
  sub->add_option("--udp-timeout", d.udp_timeout, "ms to wait for the device's acknowledgement")
      ->check(CLI::Range(100, 600000));
  sub->add_option("--http", d.http, "Wake by POSTing to this push URL (http:// or https://)");
  sub->add_option("--token-file", d.token_file, "File whose first line is the push endpoint's bearer token")
      ->check(CLI::ExistingFile);
  sub->add_option("--http-timeout", d.http_timeout, "ms to wait for the push endpoint")->check(CLI::Range(100, 600000));
  sub->add_option("--exec", d.exec, "Wake by running this shell command (exit 0 confirms)");
  sub->add_option("--exec-timeout", d.exec_timeout, "ms the command may run")->check(CLI::Range(100, 600000));
  sub->add_option("--rate", d.rate, "Wake signals allowed per window, N/SECONDS (overrides --device-rate; 'default' clears)");
  sub->add_option("--order", d.order, "Transport order, e.g. udp,http,exec (default: command-line order)");
}

Result<void> check_rate(const std::string& what, const std::string& text) {
  if (auto r = RateLimit::parse(text); !r) return fail(what + ": " + r.message());
  return {};
}

Result<void> validate_device(DeviceArgs& d, bool is_set) {
  if (!valid_device_id(d.id)) return fail("invalid device id \"" + d.id + "\" (1-128 of A-Z a-z 0-9 . _ @ : + -)");
  if (d.udp) {
    auto ep = net::Endpoint::parse(*d.udp);
    if (!ep) return fail("--udp: " + ep.message());
    if (ep->kind != net::Endpoint::Kind::unix_path && ep->kind != net::Endpoint::Kind::tcp) {
      return fail("--udp: natkeep's control endpoint is unix:PATH or tcp:HOST:PORT");
    }
  }
  if (d.natkeep_device && !valid_device_id(*d.natkeep_device)) return fail("--natkeep-device: invalid device id");
  if (d.http) {
    if (auto u = http::Url::parse(*d.http); !u) return fail("--http: " + u.message());
  }
  if (d.exec && d.exec->find_first_not_of(" \t") == std::string::npos) return fail("--exec: empty command");
  if (d.rate && !(is_set && *d.rate == "default")) {
    if (auto r = check_rate("--rate", *d.rate); !r) return r;
  }
  for (const auto& k : d.drop) {
    if (auto p = parse_kind(k); !p) return fail("--drop: " + p.message());
  }
  if (d.order) {
    std::string rest = *d.order;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      if (auto p = parse_kind(rest.substr(0, comma)); !p) return fail("--order: " + p.message());
      rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
    }
  }
  if (!is_set && !d.udp && !d.http && !d.exec) return fail("device add needs at least one of --udp, --http, --exec");
  return {};
}

// serve's options as given, before they become Options.
struct ServeText {
  std::string device_rate = "10/60", caller_rate = "30/60";
  std::int64_t deadline = 20000, max_deadline = 120000, retry_initial = 500, retry_max = 5000;
};

Result<void> finish_serve(Options& o, const ServeText& t) {
  auto dr = RateLimit::parse(t.device_rate);
  if (!dr) return fail("--device-rate: " + dr.message());
  auto cr = RateLimit::parse(t.caller_rate);
  if (!cr) return fail("--caller-rate: " + cr.message());
  o.coordinator.device_rate = *dr;
  o.coordinator.caller_rate = *cr;
  if (t.deadline > t.max_deadline) return fail("--deadline must not exceed --max-deadline");
  if (t.retry_initial > t.retry_max) return fail("--retry-initial must not exceed --retry-max");
  o.coordinator.default_deadline = Duration{t.deadline};
  o.limits.max_deadline = Duration{t.max_deadline};
  o.coordinator.backoff = Backoff::Params{Duration{t.retry_initial}, Duration{t.retry_max}, 0.5};
  for (const auto& l : o.listen) {
    auto ep = net::Endpoint::parse(l);
    if (!ep) return fail("--listen: " + ep.message());
    if (ep->kind != net::Endpoint::Kind::unix_path && ep->kind != net::Endpoint::Kind::tcp) {
      return fail("--listen: want unix:PATH or tcp:HOST:PORT, not " + l);
    }
  }
  if (o.verbose == 1) o.log_level = "info";
  if (o.verbose >= 2) o.log_level = "debug";
  return {};
}

CLI::App* add_serve(CLI::App& app, Options& o, ServeText& st) {
  auto* serve = app.add_subcommand("serve", "Take wake requests on stdin and --listen sockets and deliver them");
  add_common(serve, o);
  serve->add_option("--listen", o.listen, "Also take requests on unix:PATH or tcp:HOST:PORT (repeatable)");
  serve->add_option("--device-rate", st.device_rate, "Wake signals per device, N/SECONDS or 0 (default 10/60)");
  serve->add_option("--caller-rate", st.caller_rate, "Wake requests per caller, N/SECONDS or 0 (default 30/60)");
  serve->add_option("--deadline", st.deadline, "Default deadline_ms of a request (default 20000)")
      ->check(CLI::Range(100, 600000));
  serve->add_option("--max-deadline", st.max_deadline, "Largest deadline_ms accepted (default 120000)")
      ->check(CLI::Range(100, 600000));
  serve->add_option("--max-rounds", o.coordinator.max_rounds, "Passes over a device's transports at most (default 3)")
      ->check(CLI::Range(1, 20));
  serve->add_option("--retry-initial", st.retry_initial, "First retry delay in ms, doubled per round (default 500)")
      ->check(CLI::Range(10, 60000));
  serve->add_option("--retry-max", st.retry_max, "Cap on the retry delay in ms (default 5000)")->check(CLI::Range(10, 600000));
  serve->add_option("--ca-file", o.ca_file, "PEM CA bundle for https push endpoints (default: system store)")
      ->check(CLI::ExistingFile);
  serve->add_option("--log-level", o.log_level, "error|warning|info|debug")
      ->check(CLI::IsMember({"error", "warning", "info", "debug"}));
  serve->add_flag("-v,--verbose", o.verbose, "More diagnostics on stderr (repeat for debug)");
  return serve;
}

// --udp/--http/--exec in the order the command line gave them.
std::vector<TransportKind> given_order(const CLI::App& sub) {
  std::vector<TransportKind> order;
  for (const CLI::Option* opt : sub.parse_order()) {
    std::optional<TransportKind> k;
    if (opt->get_name() == "--udp") k = TransportKind::udp;
    if (opt->get_name() == "--http") k = TransportKind::http;
    if (opt->get_name() == "--exec") k = TransportKind::exec;
    if (k && std::find(order.begin(), order.end(), *k) == order.end()) order.push_back(*k);
  }
  return order;
}

}  // namespace

ParseResult parse_options(int argc, char** argv) {
  Options o;
  CLI::App app{"worsend - the WOR server: deliver wake signals to sleeping devices", "worsend"};
  app.set_version_flag("--version", k_version);
  app.require_subcommand(1, 1);
  ServeText st;
  CLI::App* serve = add_serve(app, o, st);

  auto* device = app.add_subcommand("device", "Manage the devices worsend can wake");
  device->require_subcommand(1, 1);
  auto* add = device->add_subcommand("add", "Add a device with its transports");
  add_common(add, o, false);
  add_transports(add, o.device);
  auto* set = device->add_subcommand("set", "Change a device's transports, order or rate");
  add_common(set, o, false);
  add_transports(set, o.device);
  set->add_option("--drop", o.device.drop, "Remove this transport (udp, http, exec; repeatable)");
  auto* list = device->add_subcommand("list", "List devices and their transports");
  add_common(list, o);
  auto* remove = device->add_subcommand("remove", "Remove a device");
  add_common(remove, o, false);
  remove->add_option("device", o.device.id, "Device id")->required();

  auto* logc = app.add_subcommand("log", "Show the audit trail: requests, attempts, results, outcomes");
  add_common(logc, o);
  logc->add_option("--device", o.log_device, "Only this device");
  logc->add_option("--call-id", o.log_call_id, "Only this call (and every attempt of the wakes it joined)");
  logc->add_option("--since", o.since, "From this time: 2026-11-22T12:00:00Z, 2026-11-22, 10m, 2h, 1d, @EPOCH");
  logc->add_option("--limit", o.limit, "At most this many rows, the newest (default 10000)")->check(CLI::Range(1, 10000000));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return {std::nullopt, k_exit_ok};
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return {std::nullopt, k_exit_ok};
  } catch (const CLI::CallForVersion&) {
    std::cout << k_version << "\n";
    return {std::nullopt, k_exit_ok};
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    if (msg.empty()) msg = "invalid command line";
    auto nl = msg.find('\n');
    std::cerr << "worsend: " << msg.substr(0, nl) << " (see worsend --help)\n";
    return {std::nullopt, k_exit_usage};
  }

  auto usage = [](const std::string& msg) {
    std::cerr << "worsend: " << msg << "\n";
    return ParseResult{std::nullopt, k_exit_usage};
  };
  if (serve->parsed()) o.command = Command::serve;
  if (add->parsed()) o.command = Command::device_add;
  if (set->parsed()) o.command = Command::device_set;
  if (list->parsed()) o.command = Command::device_list;
  if (remove->parsed()) o.command = Command::device_remove;
  if (logc->parsed()) o.command = Command::log;
  if (o.db.empty()) o.db = default_db_path();

  if (o.command == Command::serve) {
    if (auto v = finish_serve(o, st); !v) return usage(v.message());
  }
  if (o.command == Command::device_add || o.command == Command::device_set) {
    CLI::App* sub = o.command == Command::device_add ? add : set;
    o.device.given_order = given_order(*sub);
    if (auto v = validate_device(o.device, o.command == Command::device_set); !v) return usage(v.message());
  }
  if (o.command == Command::device_remove && !valid_device_id(o.device.id)) {
    return usage("invalid device id \"" + o.device.id + "\"");
  }
  if (o.command == Command::log && o.since) {
    if (auto s = parse_since(*o.since, 0); !s) return usage(s.message());
  }
  return {o, k_exit_ok};
}

}  // namespace sipwake::worsend
