#include "runner.hpp"

#include <unistd.h>

#include <csignal>
#include <memory>

#include "accounts.hpp"
#include "control.hpp"
#include "sipwake/ev/line_reader.hpp"
#include "sipwake/ev/loop.hpp"
#include "sipwake/log/events.hpp"
#include "sipwake/log/logger.hpp"
#include "sipwake/net/address_monitor.hpp"
#include "sipwake/reg/agent.hpp"

namespace sipwake::sipreg {
namespace {

// How long a shutdown may spend unregistering before we give up and exit.
constexpr Duration k_shutdown_grace{5000};
// Signals closer together than this are one signal delivered twice.
constexpr Duration k_duplicate_signal{300};

reg::Registration::Mode mode_of(const Options& o) {
  switch (o.command) {
    case Command::register_: return reg::Registration::Mode::register_;
    case Command::query: return reg::Registration::Mode::query;
    case Command::unregister:
      return o.all ? reg::Registration::Mode::unregister_all : reg::Registration::Mode::unregister;
  }
  return reg::Registration::Mode::register_;
}

class Runner {
 public:
  explicit Runner(const Options& o)
      : m_opt(o), m_log("sipreg", o.verbose >= 2 ? log::Level::debug : o.verbose == 1 ? log::Level::info
                                                                                      : log::Level::warning),
        m_events("sipreg", o.json) {}

  int run() {
    std::vector<std::string> warnings;
    auto accounts = load_accounts(m_opt, warnings);
    for (const auto& w : warnings) m_log.warning(w);
    if (!accounts) {
      m_log.error(accounts.message());
      return k_exit_failure;
    }
    reg::Agent::Options ao;
    ao.max_inflight = m_opt.max_inflight;
    ao.user_agent = "sipwake-sipreg/0.1";
    if (m_opt.local) ao.local = *net::Address::parse(*m_opt.local);  // validated with the options
    m_agent = std::make_unique<reg::Agent>(m_loop, ao, [this](const reg::Event& e) {
      m_events.emit(e.name, e.fields, e.human);
    });
    for (auto& a : *accounts) {
      auto added = m_agent->add(std::move(a.config), a.contact);
      if (!added) {
        m_log.error(added.message());
        return k_exit_failure;
      }
    }
    install_watches();
    m_agent->start(mode_of(m_opt), [this] {
      m_finished = true;
      m_loop.stop();
    });
    if (!m_finished) m_loop.run();  // a stop before run() would be lost
    return exit_status();
  }

 private:
  void install_watches() {
    m_sigint = std::make_unique<ev::SignalWatch>(m_loop, SIGINT, [this] { on_terminate(); });
    m_sigterm = std::make_unique<ev::SignalWatch>(m_loop, SIGTERM, [this] { on_terminate(); });
    std::signal(SIGPIPE, SIG_IGN);
    bool long_running = m_opt.command == Command::register_ && !m_opt.once;
    m_sighup = std::make_unique<ev::SignalWatch>(m_loop, SIGHUP, [this, long_running] {
      if (!long_running) return;  // a one-shot command finishes what it does
      m_log.info("SIGHUP: re-registering");
      m_agent->reregister_all();
    });
    if (!long_running) return;
    if (auto mon = net::AddressMonitor::open(m_loop, [this] {
          m_log.info("host addresses changed: re-registering");
          m_agent->reregister_all();
        })) {
      m_monitor = std::move(*mon);
    } else {
      m_log.warning(mon.message() + "; address changes will not trigger re-registration");
    }
    {
      ev::LineReader::Handlers h;
      h.on_line = [this](std::string_view line) { on_control(line); };
      h.on_overflow = [this] { m_events.reply({{"id", nullptr}, {"ok", false}, {"error", "request line too long"}}); };
      h.on_eof = [] {};  // end of input is not a reason to stop registering
      try {
        m_stdin = std::make_unique<ev::LineReader>(m_loop, STDIN_FILENO, std::move(h));
      } catch (const std::exception&) {
        m_log.info("stdin cannot be read; control lines are ignored");  // e.g. closed
      }
    }
  }

  void on_control(std::string_view line) {
    ControlCommand cmd = parse_control_line(line);
    switch (cmd.kind) {
      case ControlCommand::Kind::ignore:
        return;
      case ControlCommand::Kind::reregister:
        m_agent->reregister_all();
        if (cmd.wants_reply) m_events.reply({{"id", cmd.id}, {"ok", true}});
        return;
      case ControlCommand::Kind::status:
        m_events.reply({{"id", cmd.id}, {"ok", true}, {"registrations", status()}});
        return;
      case ControlCommand::Kind::error:
        m_events.reply({{"id", cmd.id}, {"ok", false}, {"error", cmd.error}});
        return;
    }
  }

  nlohmann::json status() const {
    nlohmann::json list = nlohmann::json::array();
    for (std::size_t i = 0; i < m_agent->size(); ++i) {
      const auto& r = m_agent->registration(i);
      nlohmann::json item = {{"aor", r.config().aor.to_string()},
                             {"state", reg::Registration::state_name(r.state())},
                             {"contact", r.contact()}};
      if (r.granted_expires()) item["expires"] = r.granted_expires();
      list.push_back(std::move(item));
    }
    return list;
  }

  void on_terminate() {
    // `timeout` and process-group kills can deliver one SIGTERM twice; only a second
    // signal that comes later than that means "exit now".
    if (m_stopping && m_loop.now() - m_stop_requested < k_duplicate_signal) return;
    if (m_stopping || m_opt.once || m_opt.command != Command::register_) {
      // A second signal, or a one-shot command: leave now.
      m_interrupted = true;
      m_loop.stop();
      return;
    }
    m_stopping = true;
    m_stop_requested = m_loop.now();
    m_grace = std::make_unique<ev::Timer>(m_loop, [this] {
      m_log.error("unregister did not finish within " + std::to_string(k_shutdown_grace.count() / 1000) + "s");
      m_grace_expired = true;
      m_loop.stop();
    });
    m_grace->arm(k_shutdown_grace);
    m_agent->stop_all(m_opt.keep);
  }

  int exit_status() {
    if (m_interrupted) {
      m_log.error("interrupted");
      return k_exit_failure;
    }
    if (m_grace_expired) return k_exit_failure;
    std::size_t failed = m_agent->failed();
    if (failed == 0) return k_exit_ok;
    m_log.error(m_agent->first_failure() +
                (m_agent->size() > 1 ? " (" + std::to_string(failed) + " of " + std::to_string(m_agent->size()) +
                                           " accounts failed)"
                                     : ""));
    return failed == m_agent->size() ? k_exit_failure : k_exit_partial;
  }

  const Options& m_opt;
  ev::Loop m_loop;
  log::Logger m_log;
  log::EventSink m_events;
  std::unique_ptr<reg::Agent> m_agent;
  std::unique_ptr<ev::SignalWatch> m_sigint, m_sigterm, m_sighup;
  std::unique_ptr<net::AddressMonitor> m_monitor;
  std::unique_ptr<ev::LineReader> m_stdin;
  std::unique_ptr<ev::Timer> m_grace;
  bool m_stopping = false;
  TimePoint m_stop_requested{};
  bool m_interrupted = false;
  bool m_grace_expired = false;
  bool m_finished = false;
};

}  // namespace

int run(const Options& options) {
  try {
    Runner runner(options);
    return runner.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sipreg: %s\n", e.what());
    return k_exit_failure;
  }
}

}  // namespace sipwake::sipreg
