#pragma once
// Proxy login: worgw stays registered at each subscriber's upstream server (the
// operator's registrar) with a Contact that reaches worgw, so calls come here while
// the phone sleeps. Reuses the library's registration client.

#include <map>
#include <memory>
#include <string>

#include "directory.hpp"
#include "options.hpp"
#include "relay.hpp"
#include "sipwake/log/events.hpp"
#include "sipwake/reg/agent.hpp"
#include "store.hpp"

namespace sipwake::worgw {

/// Upstream registrations for every subscriber with proxy login on.
class ProxyLogin {
 public:
  ProxyLogin(ev::Loop& loop, net::SipTransport& transport, Store& store, Directory& directory,
             log::EventSink& events, const RunOptions& options, Self self);

  /// Registers every subscriber with proxy login on (refreshes spread over time).
  void start();
  /// After the directory changed: registers new subscribers, unregisters removed ones.
  void sync();
  /// Unregisters everything (shutdown).
  void stop_all();
  bool finished() const { return m_agent.all_finished(); }
  /// A response on the shared socket for one of our REGISTERs? Then it is consumed.
  bool handle_response(const sip::Message& m) { return m_agent.handle_response(m); }

 private:
  void begin(const Subscriber& s, double slot);
  std::optional<std::size_t> add(const Subscriber& s, double slot);
  void on_event(const reg::Event& e);

  net::SipTransport& m_transport;
  Store& m_store;
  Directory& m_dir;
  log::EventSink& m_events;
  const RunOptions& m_opt;
  Self m_self;
  reg::Agent m_agent;
  std::map<std::string, std::size_t> m_index;      // subscriber -> agent slot (running)
  std::map<std::string, std::string> m_by_aor;     // aor -> subscriber, for events
};

}  // namespace sipwake::worgw
