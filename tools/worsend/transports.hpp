#pragma once
// The I/O side of attempts: udp through natkeep serve's control socket, http(s) push,
// exec of a command. Each start() ends in exactly one result (unless aborted), always
// delivered from the loop, never from inside start().

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "coordinator.hpp"
#include "sipwake/ev/loop.hpp"
#include "sipwake/http/client.hpp"
#include "sipwake/net/line_client.hpp"
#include "sipwake/proc/runner.hpp"

namespace sipwake::worsend {

/// The JSON a wake carries to the device (http body, exec stdin, natkeep payload).
nlohmann::json wake_payload(const AttemptInfo& a);

/// Runs attempts for the coordinator.
class Transports {
 public:
  using Done = std::function<void(JobId job, unsigned attempt, const AttemptResult& result)>;

  Transports(ev::Loop& loop, std::unique_ptr<http::Client> http, Done done);
  ~Transports();

  void start(const AttemptInfo& a);
  /// Stops an attempt; its result is never delivered.
  void abort(JobId job, unsigned attempt);
  std::size_t active() const { return m_active.size(); }

 private:
  using Key = std::pair<JobId, unsigned>;
  struct Active {
    TransportKind kind;
    std::uint64_t handle = 0;  // http / exec handle
    std::string natkeep;       // udp: endpoint text and request id
    std::string natkeep_id;
    std::unique_ptr<ev::Timer> guard;
  };
  struct Natkeep {
    std::unique_ptr<net::LineClient> client;
    std::unordered_map<std::string, Key> pending;  // natkeep request id -> attempt
  };

  void start_udp(const AttemptInfo& a, Active& act);
  void start_http(const AttemptInfo& a, Active& act);
  void start_exec(const AttemptInfo& a, Active& act);
  void finish(Key key, AttemptResult r);
  void finish_later(Key key, AttemptResult r);
  void on_natkeep_line(const std::string& endpoint, std::string_view line);
  void on_natkeep_closed(const std::string& endpoint, const std::string& why);

  ev::Loop& m_loop;
  std::unique_ptr<http::Client> m_http;
  proc::Runner m_proc;
  Done m_done;
  std::map<Key, Active> m_active;
  std::unordered_map<std::string, Natkeep> m_natkeep;
  std::vector<std::pair<Key, AttemptResult>> m_later;
  ev::Timer m_later_timer;
};

}  // namespace sipwake::worsend
