#include "options.hpp"

#include <charconv>

namespace sipwake::natkeep {
namespace {

const auto k_udp_endpoint = CLI::Validator(
    [](std::string& s) -> std::string {
      if (s.rfind("udp:", 0) != 0) return "must be udp:HOST:PORT";
      return {};
    },
    "udp:HOST:PORT", "udp endpoint");

const auto k_control_endpoint = CLI::Validator(
    [](std::string& s) -> std::string {
      if (s.rfind("unix:", 0) != 0 && s.rfind("tcp:", 0) != 0) return "must be unix:PATH or tcp:HOST:PORT";
      return {};
    },
    "unix:PATH|tcp:HOST:PORT", "control endpoint");

const auto k_level = CLI::IsMember({"error", "warning", "info", "debug"});

}  // namespace

void add_options(CLI::App& app, Options& o) {
  app.require_subcommand(1);
  auto* serve = app.add_subcommand("serve", "STUN server, device bindings and wake delivery");
  serve->add_option("--listen", o.serve.listen, "primary address, udp:ADDR:PORT")->required()->check(k_udp_endpoint);
  serve->add_option("--alt-listen", o.serve.alt_listen, "alternate address for RFC 5780, udp:ADDR2:PORT2")
      ->check(k_udp_endpoint);
  serve->add_option("--keys", o.serve.keys, "device keys file (DEVICE-ID HEXKEY per line)")->check(CLI::ExistingFile);
  serve->add_option("--keys-db", o.serve.keys_db, "device keys from this SQLite database (table devices)");
  serve->add_option("--control", o.serve.control, "control socket, unix:PATH or tcp:HOST:PORT")
      ->check(k_control_endpoint);
  serve->add_option("--wake-timeout", o.serve.wake_timeout_ms, "ms to wait for a wake acknowledgement")
      ->check(CLI::Range(100, 600000));
  serve->add_option("--rate", o.serve.rate, "unauthenticated requests per second per source IP")
      ->check(CLI::Range(0.1, 1e6));
  serve->add_flag("--json", o.serve.json, "JSON Lines events on stdout");
  serve->add_option("--log-level", o.serve.log_level, "error|warning|info|debug")->check(k_level);

  auto* keep = app.add_subcommand("keep", "keep a NAT hole open, report mapping changes and wakes");
  keep->add_option("--server", o.keep.server, "natkeep serve address, HOST:PORT")->required();
  keep->add_option("--device", o.keep.device, "device id")->required();
  keep->add_option("--key-file", o.keep.key_file, "file holding the device key (hex)")->required()->check(CLI::ExistingFile);
  keep->add_option("--interval", o.keep.interval, "keepalive interval: auto or SECONDS");
  keep->add_option("--min-interval", o.keep.min_interval, "auto: never more often than this (s)")->check(CLI::Range(0.2, 3600.0));
  keep->add_option("--max-interval", o.keep.max_interval, "auto: longest idle gap tried (s)")->check(CLI::Range(1.0, 86400.0));
  keep->add_option("--lost-after", o.keep.lost_after, "a keepalive unanswered this long has failed (s)")
      ->check(CLI::Range(0.5, 60.0));
  keep->add_option("--wake-window", o.keep.wake_window, "accepted clock difference of a wake (s)")->check(CLI::Range(1, 86400));
  keep->add_option("--on-change", o.keep.on_change, "command run when the mapping changes");
  keep->add_option("--on-wake", o.keep.on_wake, "command run for each verified wake");
  keep->add_flag("--json", o.keep.json, "JSON Lines events on stdout");
  keep->add_option("--log-level", o.keep.log_level, "error|warning|info|debug")->check(k_level);

  auto* probe = app.add_subcommand("probe", "measure NAT mapping, filtering, lifetime, hairpinning");
  probe->add_option("--server", o.probe.server, "natkeep serve (with --alt-listen) address, HOST:PORT")->required();
  probe->add_flag("--json", o.probe.json, "one JSON object on stdout");
  probe->add_option("--max-lifetime", o.probe.max_lifetime, "longest binding lifetime tested (s)")
      ->check(CLI::Range(1.0, 3600.0));
  probe->add_flag("--no-lifetime", o.probe.no_lifetime, "skip the binding lifetime test");
  probe->add_option("--parallel", o.probe.parallel, "concurrent lifetime trials")->check(CLI::Range(2, 32));
}

std::string validate_keep(const KeepOptions& o) {
  if (o.interval != "auto") {
    double v = 0;
    auto [end, ec] = std::from_chars(o.interval.data(), o.interval.data() + o.interval.size(), v);
    if (ec != std::errc{} || end != o.interval.data() + o.interval.size() || v < 0.2 || v > 86400) {
      return "--interval: must be auto or seconds in 0.2..86400";
    }
  }
  if (o.min_interval > o.max_interval) return "--min-interval must not exceed --max-interval";
  return {};
}

}  // namespace sipwake::natkeep
