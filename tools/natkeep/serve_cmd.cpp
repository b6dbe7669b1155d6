// natkeep serve: binds the sockets and control channels and drives Server.
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <memory>

#include "address_glue.hpp"
#include "batch_sender.hpp"
#include "keys_db.hpp"
#include "commands.hpp"
#include "server.hpp"
#include "sipwake/ev/line_reader.hpp"
#include "sipwake/ev/loop.hpp"
#include "sipwake/log/events.hpp"
#include "sipwake/log/logger.hpp"
#include "sipwake/net/endpoint.hpp"
#include "sipwake/net/line_server.hpp"
#include "sipwake/net/udp_socket.hpp"

namespace sipwake::natkeep {
namespace {

Result<stun::TransportAddress> parse_listen(const std::string& text) {
  auto ep = net::Endpoint::parse(text);
  if (!ep) return fail(ep.message());
  if (ep->kind != net::Endpoint::Kind::udp) return fail("expected udp:ADDR:PORT, got " + text);
  return stun::TransportAddress::from_ip(ep->host, ep->port);
}

// Keys from --keys and --keys-db. Everything is read before the table is touched: a
// bad reload changes nothing.
Result<std::size_t> load_keys(const ServeOptions& o, BindingTable& table) {
  std::vector<std::pair<std::string, DeviceKey>> keys;
  auto add = [&](std::string_view id, const DeviceKey& k) { keys.emplace_back(id, k); };
  if (!o.keys.empty()) {
    if (auto n = load_keys_file(o.keys, add); !n) return n;
  }
  if (!o.keys_db.empty()) {
    if (auto n = load_keys_db(o.keys_db, add); !n) return n;
  }
  table.reserve(keys.size());  // no-op on reloads of a table already that large
  for (const auto& [id, k] : keys) table.set_key(id, k);
  return keys.size();
}

// The server's socket geometry (RFC 5780 3) and limits from the options; errors are
// usage errors.
Result<Server::Config> make_config(const ServeOptions& o) {
  Server::Config cfg;
  auto primary = parse_listen(o.listen);
  if (!primary) return fail("--listen: " + primary.message());
  cfg.locals.fill(*primary);
  if (!o.alt_listen.empty()) {
    auto alt = parse_listen(o.alt_listen);
    if (!alt) return fail("--alt-listen: " + alt.message());
    if (alt->family != primary->family || alt->same_ip(*primary) || alt->port == primary->port) {
      return fail("--alt-listen needs another IP and port of the same family");
    }
    cfg.has_alt = true;
    cfg.locals[Local::alt_port] = *primary;
    cfg.locals[Local::alt_port].port = alt->port;
    cfg.locals[Local::alt_ip] = *alt;
    cfg.locals[Local::alt_ip].port = primary->port;
    cfg.locals[Local::alt_both] = *alt;
  }
  cfg.wake_timeout = Duration{o.wake_timeout_ms};
  cfg.guard.rate = o.rate;
  cfg.guard.burst = std::max(2.0, o.rate * 2);
  return cfg;
}

}  // namespace

int run_serve(const ServeOptions& o) {
  log::Logger logger("natkeep");
  if (log::Level lvl; log::parse_level(o.log_level, lvl)) logger.set_level(lvl);
  log::EventSink sink("natkeep", o.json);
  std::signal(SIGPIPE, SIG_IGN);

  auto cfg = make_config(o);
  if (!cfg) {
    std::fprintf(stderr, "natkeep: %s\n", cfg.message().c_str());
    return 2;
  }

  BindingTable table;
  auto loaded = load_keys(o, table);
  if (!loaded) {
    std::fprintf(stderr, "natkeep: %s\n", loaded.message().c_str());
    return 1;
  }

  ev::Loop loop;
  std::vector<std::unique_ptr<net::UdpSocket>> sockets;
  int count = cfg->has_alt ? 4 : 1;
  for (int i = 0; i < count; ++i) {
    auto s = net::UdpSocket::bind(loop, to_net(cfg->locals[static_cast<std::size_t>(i)]));
    if (!s) {
      std::fprintf(stderr, "natkeep: %s\n", s.message().c_str());
      return 1;
    }
    // Port 0 was asked for: record what the kernel chose so RFC 5780 answers are right.
    cfg->locals[static_cast<std::size_t>(i)] = to_stun((*s)->local_address());
    sockets.push_back(std::move(*s));
  }

  EmitFn emit = [&sink](std::string_view ev, nlohmann::json f, std::string human) {
    sink.emit(ev, std::move(f), human);
  };
  Server server(*cfg, table, loop.clock(), system_wall_ms, emit);
  std::vector<Outgoing> out;
  std::vector<int> fds;
  for (auto& s : sockets) fds.push_back(s->fd());
  BatchSender sender;
  // Answers are queued per received datagram and sent once the receive batch is done
  // (a zero timer runs after the current read callback), or when the queue is long.
  std::unique_ptr<ev::Timer> flush_timer;
  auto send_now = [&] {
    if (!out.empty()) sender.send(fds, out);
  };
  flush_timer = std::make_unique<ev::Timer>(loop, send_now);
  auto flush = [&] {
    if (out.size() >= 16) {
      send_now();
    } else if (!out.empty() && !flush_timer->armed()) {
      flush_timer->arm(Duration{0});
    }
  };
  for (int i = 0; i < count; ++i) {
    auto local = static_cast<std::uint8_t>(i);
    sockets[static_cast<std::size_t>(i)]->set_handler([&, local](std::string_view data, const net::Address& from) {
      server.on_datagram(local, to_stun(from),
                         std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()),
                         out);
      flush();
    });
  }

  std::unique_ptr<net::LineServer> control;
  if (!o.control.empty()) {
    auto ep = net::Endpoint::parse(o.control);
    if (!ep) {
      std::fprintf(stderr, "natkeep: --control: %s\n", ep.message().c_str());
      return 2;
    }
    auto ls = net::LineServer::listen(loop, *ep, [&](std::string_view line, std::shared_ptr<net::ReplyChannel> ch) {
      server.on_request(line, [ch](const nlohmann::json& j) {
        ch->send_line(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      }, out);
      flush();
    });
    if (!ls) {
      std::fprintf(stderr, "natkeep: %s\n", ls.message().c_str());
      return 1;
    }
    control = std::move(*ls);
  }
  std::unique_ptr<ev::LineReader> stdin_reader;
  // Requests on stdin too (DESIGN.md), when stdin is something that can be watched:
  // epoll refuses regular files such as /dev/null redirections.
  struct stat sb {};
  bool watch_stdin = fstat(0, &sb) == 0 && (S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode) || S_ISCHR(sb.st_mode)) &&
                     !S_ISREG(sb.st_mode);
  if (watch_stdin && S_ISCHR(sb.st_mode) && isatty(0) == 0) watch_stdin = false;  // /dev/null
  if (watch_stdin) stdin_reader = std::make_unique<ev::LineReader>(loop, 0, ev::LineReader::Handlers{
      [&](std::string_view line) {
        if (line.empty()) return;
        server.on_request(line, [&sink](const nlohmann::json& j) { sink.reply(j); }, out);
        flush();
      },
      [&] { sink.reply({{"id", nullptr}, {"ok", false}, {"error", "request line too long"}}); },
      [] {}},
      8192);

  // Wake retransmissions and deadlines: a 100 ms tick is finer than any of them needs.
  std::unique_ptr<ev::Timer> ticker;
  ticker = std::make_unique<ev::Timer>(loop, [&] {
    server.tick(out);
    flush();
    ticker->arm(Duration{100});
  });
  ticker->arm(Duration{100});
  ev::SignalWatch on_term(loop, SIGTERM, [&] { loop.stop(); });
  ev::SignalWatch on_int(loop, SIGINT, [&] { loop.stop(); });
  ev::SignalWatch on_hup(loop, SIGHUP, [&] {
    auto n = load_keys(o, table);
    if (!n) {
      logger.error("keys reload failed, keeping the old keys: " + n.message());
    } else {
      sink.emit("keys.reloaded", {{"devices", table.size()}}, "keys reloaded: " + std::to_string(table.size()) + " devices");
    }
  });

  nlohmann::json ready = {{"listen", cfg->locals[0].to_string()}, {"devices", table.size()}};
  if (cfg->has_alt) ready["alt_listen"] = cfg->locals[Local::alt_both].to_string();
  if (control) ready["control"] = control->endpoint().to_string();
  sink.emit("serve.ready", ready, "natkeep serve listening on " + cfg->locals[0].to_string());
  loop.run();
  const auto& st = server.stats();
  sink.emit("serve.stopped", {{"keepalives", st.keepalives}, {"rejected", st.rejected}, {"wakes_acked", st.wakes_acked}},
            "");
  return 0;
}

}  // namespace sipwake::natkeep
