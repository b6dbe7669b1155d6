// natkeep keep: two UDP sockets (main and sibling), a timer, and Keeper in between.
#include <csignal>
#include <cstdio>
#include <memory>

#include "address_glue.hpp"
#include "commands.hpp"
#include "hooks.hpp"
#include "keeper.hpp"
#include "sipwake/ev/loop.hpp"
#include "sipwake/log/events.hpp"
#include "sipwake/log/logger.hpp"
#include "sipwake/net/udp_socket.hpp"

namespace sipwake::natkeep {
namespace {

Duration seconds_to_ms(double s) { return Duration{static_cast<long long>(s * 1000.0)}; }

// --on-change / --on-wake: the event's fields go to the command's environment.
Keeper::Hooks make_hooks(const KeepOptions& o, const std::string& server, const log::Logger& logger) {
  Keeper::Hooks hooks;
  if (!o.on_change.empty()) {
    hooks.on_change = [&o, &logger, server](const stun::TransportAddress& old_a, const stun::TransportAddress& new_a) {
      auto r = spawn_hook(o.on_change, {{"NATKEEP_EVENT", "mapping.changed"},
                                        {"NATKEEP_DEVICE", o.device},
                                        {"NATKEEP_SERVER", server},
                                        {"NATKEEP_OLD", old_a.to_string()},
                                        {"NATKEEP_NEW", new_a.to_string()},
                                        {"NATKEEP_NEW_IP", new_a.ip_string()},
                                        {"NATKEEP_NEW_PORT", std::to_string(new_a.port)}});
      if (!r) logger.error(r.message());
    };
  }
  if (!o.on_wake.empty()) {
    hooks.on_wake = [&o, &logger](const Wake& w) {
      EnvVars env = {{"NATKEEP_EVENT", "wake.received"},
                     {"NATKEEP_DEVICE", o.device},
                     {"NATKEEP_WAKE_COUNTER", std::to_string(w.counter)},
                     {"NATKEEP_WAKE_TIME_MS", std::to_string(w.time_ms)},
                     {"NATKEEP_WAKE_JSON", w.payload}};
      for (auto& kv : payload_env(w.payload)) env.push_back(kv);
      auto r = spawn_hook(o.on_wake, env);
      if (!r) logger.error(r.message());
    };
  }
  return hooks;
}

}  // namespace

int run_keep(const KeepOptions& o) {
  log::Logger logger("natkeep");
  if (log::Level lvl; log::parse_level(o.log_level, lvl)) logger.set_level(lvl);
  log::EventSink sink("natkeep", o.json);
  std::signal(SIGPIPE, SIG_IGN);

  if (!valid_device_id(o.device)) {
    std::fprintf(stderr, "natkeep: --device: 1..64 characters of A-Z a-z 0-9 . _ @ : + -\n");
    return 2;
  }
  auto key = load_key_file(o.key_file);
  if (!key) {
    std::fprintf(stderr, "natkeep: %s\n", key.message().c_str());
    return 1;
  }
  auto server = resolve_server(o.server);
  if (!server) {
    std::fprintf(stderr, "natkeep: --server: %s\n", server.message().c_str());
    return 1;
  }

  Keeper::Config cfg;
  cfg.device = o.device;
  cfg.key = *key;
  cfg.server = *server;
  cfg.auto_interval = o.interval == "auto";
  cfg.interval = cfg.auto_interval ? Duration{15'000} : seconds_to_ms(std::stod(o.interval));
  cfg.search.min = seconds_to_ms(o.min_interval);
  cfg.search.max = seconds_to_ms(o.max_interval);
  cfg.search.start = std::clamp(Duration{10'000}, cfg.search.min, cfg.search.max);
  cfg.lost_after = seconds_to_ms(o.lost_after);
  cfg.wake_window_ms = static_cast<std::uint64_t>(o.wake_window) * 1000;

  ev::Loop loop;
  std::vector<std::unique_ptr<net::UdpSocket>> sockets;
  for (int i = 0; i < 2; ++i) {
    auto s = net::UdpSocket::bind(loop, net::Address::any(server->family == 6 ? AF_INET6 : AF_INET, 0));
    if (!s) {
      std::fprintf(stderr, "natkeep: %s\n", s.message().c_str());
      return 1;
    }
    sockets.push_back(std::move(*s));
  }

  std::string device = o.device;
  Keeper::Hooks hooks = make_hooks(o, server->to_string(), logger);
  if (logger.enabled(log::Level::debug)) hooks.trace = [&logger](const std::string& line) { logger.debug(line); };
  // Every event names the device, so one stream can carry several keepers.
  cfg.local_port = sockets[0]->local_address().port();
  EmitFn emit = [&sink, device](std::string_view ev, nlohmann::json f, std::string human) {
    f["device"] = device;
    sink.emit(ev, std::move(f), human);
  };

  Keeper keeper(cfg, loop.clock(), system_wall_ms, emit, hooks);
  std::vector<Outgoing> out;
  std::unique_ptr<ev::Timer> timer;
  auto flush = [&] {
    for (auto& d : out) {
      auto r = sockets[d.local]->send_to(to_net(d.to),
                                         std::string_view(reinterpret_cast<const char*>(d.data.data()), d.data.size()));
      if (!r) logger.info(r.message());
    }
    out.clear();
    auto wait = std::chrono::duration_cast<Duration>(keeper.next_deadline() - loop.now());
    timer->arm(std::max(wait, Duration{1}));
  };
  timer = std::make_unique<ev::Timer>(loop, [&] {
    keeper.tick(out);
    flush();
  });
  for (std::uint8_t i = 0; i < 2; ++i) {
    sockets[i]->set_handler([&, i](std::string_view data, const net::Address& from) {
      keeper.on_datagram(i, to_stun(from),
                         std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()),
                         out);
      flush();
    });
  }
  ev::SignalWatch on_term(loop, SIGTERM, [&] { loop.stop(); });
  ev::SignalWatch on_int(loop, SIGINT, [&] { loop.stop(); });
  ev::SignalWatch on_chld(loop, SIGCHLD, [] { reap_hooks(); });
  keeper.start(out);
  flush();
  loop.run();
  sink.emit("keep.stopped", {{"device", device}, {"keepalives", keeper.keepalives_sent()}}, "");
  return 0;
}

}  // namespace sipwake::natkeep
