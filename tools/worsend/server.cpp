// serve: the I/O glue around the Coordinator: request lines in (stdin, --listen sockets),
// replies out, attempts run by Transports, audit rows flushed once per loop turn.
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <unordered_map>

#include "audit.hpp"
#include "commands.hpp"
#include "coordinator.hpp"
#include "request.hpp"
#include "sipwake/ev/line_reader.hpp"
#include "sipwake/ev/loop.hpp"
#include "sipwake/log/events.hpp"
#include "sipwake/log/logger.hpp"
#include "sipwake/net/line_server.hpp"
#include "store.hpp"
#include "transports.hpp"

namespace sipwake::worsend {
namespace {

using nlohmann::json;

// Audit rows queued for the writer thread beyond which we complain (the database is
// failing or far slower than the request rate).
constexpr std::size_t k_audit_backlog_warning = 200'000;

// How stale a device's transports may be in the serve loop (see DeviceCache).
constexpr Duration k_device_cache_ttl{1000};

bool human_event(std::string_view event) {
  return event != "wake.request" && event != "wake.attempt" && event != "wake.result" && event != "wake.retry" &&
         event != "wake.coalesced";
}

bool watchable_stdin() {
  struct stat st {};
  if (::fstat(STDIN_FILENO, &st) != 0) return false;
  return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || (S_ISCHR(st.st_mode) && ::isatty(STDIN_FILENO));
}

class Server {
 public:
  explicit Server(const Options& o) : m_opt(o), m_log("worsend"), m_events("worsend", o.json) {
    log::Level level = log::Level::warning;
    log::parse_level(o.log_level, level);
    m_log.set_level(level);
  }

  int run() {
    if (auto opened = open_state(); !opened) return failure(opened.message());
    m_tick = std::make_unique<ev::Timer>(m_loop, [this] { apply(m_coord->tick()); });
    m_handover = std::make_unique<ev::Timer>(m_loop, [this] { hand_over(); });
    std::signal(SIGPIPE, SIG_IGN);
    m_sigterm = std::make_unique<ev::SignalWatch>(m_loop, SIGTERM, [this] { stop("SIGTERM"); });
    m_sigint = std::make_unique<ev::SignalWatch>(m_loop, SIGINT, [this] { stop("SIGINT"); });
    auto listening = open_inputs();
    if (!listening) return failure(listening.message());
    emit("serve.started", {{"listen", *listening}, {"db", m_db->path()}},
         "worsend: serving" + (listening->empty() ? std::string(" stdin") : " " + listening->dump()));
    rearm();
    if (!m_done) m_loop.run();
    // Shutting down already: a second TERM (e.g. timeout(1) signalling its whole group)
    // must not kill us half-way through the final flush.
    m_sigterm.reset();
    m_sigint.reset();
    std::signal(SIGTERM, SIG_IGN);
    std::signal(SIGINT, SIG_IGN);
    flush();
    return m_exit;
  }

 private:
  // The database, the audit writer, the transports and the coordinator.
  Result<void> open_state() {
    auto db = open_store(m_opt.db);
    if (!db) return db.error();
    m_db = std::move(*db);
    m_devices = std::make_unique<DeviceStore>(*m_db);
    m_device_cache = std::make_unique<DeviceCache>(*m_devices, k_device_cache_ttl);
    auto audit = AuditThread::start(m_opt.db);
    if (!audit) return audit.error();
    m_audit = std::move(*audit);
    http::ClientOptions ho;
    ho.ca_file = m_opt.ca_file;
    ho.user_agent = "sipwake-worsend/0.1";
    auto client = http::Client::create(m_loop, ho);
    if (!client) return client.error();
    m_transports = std::make_unique<Transports>(
        m_loop, std::move(*client),
        [this](JobId j, unsigned a, const AttemptResult& r) { apply(m_coord->attempt_done(j, a, r)); });
    m_coord = std::make_unique<Coordinator>(
        m_loop.clock(), m_opt.coordinator,
        [this](const std::string& id) -> std::optional<Device> {
          auto d = m_device_cache->get(id, m_loop.now());
          if (!d) {
            m_log.error("device lookup: " + d.message());
            return std::nullopt;
          }
          return *d;
        },
        last_job_id(*m_db) + 1);
    restore_rate_limits();
    return {};
  }

  // The --listen sockets and stdin; returns the endpoints listened on.
  Result<json> open_inputs() {
    json listening = json::array();
    for (const auto& l : m_opt.listen) {
      auto ep = net::Endpoint::parse(l);
      auto srv = net::LineServer::listen(m_loop, *ep, [this](std::string_view line, std::shared_ptr<net::ReplyChannel> ch) {
        on_line(line, std::move(ch));
      });
      if (!srv) return srv.error();
      listening.push_back((*srv)->endpoint().to_string());
      m_servers.push_back(std::move(*srv));
    }
    if (watchable_stdin()) {
      ev::LineReader::Handlers h;
      h.on_line = [this](std::string_view line) { on_line(line, nullptr); };
      h.on_overflow = [this] { m_events.reply({{"id", nullptr}, {"ok", false}, {"error", "request line too long"}}); };
      h.on_eof = [this] {
        m_stdin_eof = true;
        maybe_finish();
      };
      m_stdin = std::make_unique<ev::LineReader>(m_loop, STDIN_FILENO, std::move(h));
    } else if (m_servers.empty()) {
      return fail("nothing to serve: stdin is not a pipe or terminal and no --listen was given");
    }
    return listening;
  }

  int failure(const std::string& msg) {
    m_log.error(msg);
    return k_exit_failure;
  }

  void emit(const std::string& event, json fields, const std::string& human) {
    // Human mode prints outcomes only; every step is in --json and in `worsend log`.
    if (m_events.json() || (!human.empty() && human_event(event))) m_events.emit(event, fields, human);
    m_audit_rows.push_back(AuditThread::Row{event, std::move(fields), wall_ms_now()});
    if (m_handover && !m_handover->armed()) m_handover->arm(Duration{0});
  }

  // Hands this loop turn's audit rows to the writer thread in one go.
  void hand_over() {
    if (!m_audit) return;
    m_audit->append(std::move(m_audit_rows));
    m_audit_rows.clear();
    check_audit();
  }

  void on_line(std::string_view line, std::shared_ptr<net::ReplyChannel> ch) {
    if (m_stopping) {
      auto r = parse_request(line, m_opt.limits);
      if (r.op == Request::Op::invalid && r.error.empty()) return;
      send(ch, {{"id", r.id}, {"ok", false}, {"error", "failed: shutting down"}});
      return;
    }
    Request r = parse_request(line, m_opt.limits);
    WaiterId w = ++m_next_waiter;
    switch (r.op) {
      case Request::Op::invalid:
        if (r.error.empty()) return;  // blank line
        send(ch, {{"id", r.id}, {"ok", false}, {"error", r.error}});
        emit("request.invalid", {{"request_id", r.id}, {"error", r.error}}, "invalid request: " + r.error);
        return;
      case Request::Op::wake: m_waiters.emplace(w, ch); apply(m_coord->wake(w, r)); return;
      case Request::Op::cancel: m_waiters.emplace(w, ch); apply(m_coord->cancel(w, r)); return;
      case Request::Op::status: m_waiters.emplace(w, ch); apply(m_coord->status(w, r)); return;
    }
  }

  void send(const std::shared_ptr<net::ReplyChannel>& ch, const json& body) {
    if (ch) {
      ch->send_line(body.dump(-1, ' ', false, json::error_handler_t::replace));
    } else {
      m_events.reply(body);
    }
  }

  void apply(std::vector<Action> actions) {
    for (auto& a : actions) {
      switch (a.kind) {
        case Action::Kind::reply: {
          auto it = m_waiters.find(a.waiter);
          if (it == m_waiters.end()) break;
          send(it->second, a.body);
          m_waiters.erase(it);
          break;
        }
        case Action::Kind::start: m_transports->start(a.attempt); break;
        case Action::Kind::abort: m_transports->abort(a.attempt.job, a.attempt.attempt); break;
        case Action::Kind::record: emit(a.event, a.body, a.human); break;
      }
    }
    rearm();
    maybe_finish();
  }

  void rearm() {
    auto next = m_coord->next_wakeup();
    Duration delay{60'000};  // housekeeping (rate limiter pruning) at least once a minute
    if (next) delay = std::min(delay, std::max(Duration{0}, std::chrono::duration_cast<Duration>(*next - m_loop.now())));
    m_tick->arm(delay);
  }

  // Recent wake signals count against the device limits again after a restart (a crash
  // loop must not become a way around them): those within --device-rate's window, or the
  // last hour for per-device rates with longer windows.
  void restore_rate_limits() {
    std::int64_t now_wall = wall_ms_now();
    std::int64_t window = std::max<std::int64_t>(m_opt.coordinator.device_rate.window.count(), 3'600'000);
    auto recent = recent_signals(*m_db, now_wall - window);
    if (!recent) {
      m_log.warning("cannot restore rate limits from the audit trail: " + recent.message());
      return;
    }
    TimePoint now = m_loop.now();
    for (const auto& [device, ts] : *recent) {
      std::optional<RateLimit> rate;
      if (auto d = m_device_cache->get(device, now); d && *d) rate = (*d)->rate;
      m_coord->restore_signal(device, rate, now - Duration{std::max<std::int64_t>(0, now_wall - ts)});
    }
  }

  // Reports (once per episode) when the writer thread fails or falls far behind.
  void check_audit() {
    if (++m_audit_checks % 256 != 0) return;
    std::string err = m_audit->take_error();
    if (!err.empty() && !m_audit_failing) m_log.error("audit log: " + err + "; rows kept in memory and retried");
    m_audit_failing = !err.empty();
    std::size_t backlog = m_audit->backlog();
    if (backlog > k_audit_backlog_warning && !m_backlog_warned) {
      m_log.warning("audit log: " + std::to_string(backlog) + " rows waiting for the database");
    }
    m_backlog_warned = backlog > k_audit_backlog_warning;
  }

  // Writes every queued audit row before we exit.
  void flush() {
    if (!m_audit) return;
    hand_over();
    m_audit->stop();
    if (std::string err = m_audit->take_error(); !err.empty()) m_log.error("audit log: " + err);
  }

  // With stdin as the only input, its end means: finish what is in flight, then exit.
  void maybe_finish() {
    if (!m_stdin_eof || !m_servers.empty() || m_stopping) return;
    if (m_coord->jobs() > 0 || !m_waiters.empty()) return;
    m_done = true;
    emit("serve.stopped", {{"reason", "end of input"}}, "worsend: end of input");
    m_loop.stop();
  }

  void stop(const char* why) {
    if (m_stopping) {
      m_loop.stop();
      return;
    }
    m_stopping = true;
    apply(m_coord->shutdown());
    m_done = true;
    emit("serve.stopped", {{"reason", why}}, std::string("worsend: stopped by ") + why);
    std::fflush(stdout);
    m_loop.stop();
  }

  const Options& m_opt;
  ev::Loop m_loop;
  log::Logger m_log;
  log::EventSink m_events;
  std::unique_ptr<db::Database> m_db;
  std::unique_ptr<DeviceStore> m_devices;
  std::unique_ptr<DeviceCache> m_device_cache;
  std::unique_ptr<AuditThread> m_audit;
  std::unique_ptr<Transports> m_transports;
  std::unique_ptr<Coordinator> m_coord;
  std::unique_ptr<ev::Timer> m_tick, m_handover;
  std::vector<AuditThread::Row> m_audit_rows;
  std::unique_ptr<ev::SignalWatch> m_sigterm, m_sigint;
  std::vector<std::unique_ptr<net::LineServer>> m_servers;
  std::unique_ptr<ev::LineReader> m_stdin;
  std::unordered_map<WaiterId, std::shared_ptr<net::ReplyChannel>> m_waiters;
  WaiterId m_next_waiter = 0;
  bool m_stdin_eof = false;
  bool m_stopping = false;
  bool m_done = false;
  bool m_audit_failing = false;
  bool m_backlog_warned = false;
  std::uint64_t m_audit_checks = 0;
  int m_exit = k_exit_ok;
};

}  // namespace

int run_serve(const Options& o) {
  try {
    Server s(o);
    return s.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "worsend: %s\n", e.what());
    return k_exit_failure;
  }
}

}  // namespace sipwake::worsend
