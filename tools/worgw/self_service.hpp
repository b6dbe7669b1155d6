#pragma once
// Device self-service: the subscriber edits its own settings from the phone with a
// SIP MESSAGE to worgw, authenticated with its SIP credentials. Body (text/plain),
// one command per line:  proxy-login on|off  |  allow PATTERN  |  deny PATTERN  |
// unrule PATTERN  |  rules. The 200 OK carries the resulting settings.

#include <string>
#include <vector>

#include "directory.hpp"
#include "registrar.hpp"
#include "upstream.hpp"

namespace sipwake::worgw {

/// One parsed self-service command.
struct SelfCommand {
  enum class Kind { proxy_login, allow, deny, unrule, rules } kind = Kind::rules;
  std::string argument;  ///< the pattern; "on"/"off" for proxy-login
};

/// Parses a MESSAGE body; error names the bad line.
Result<std::vector<SelfCommand>> parse_self_commands(std::string_view body);

/// Handles MESSAGE requests from devices.
class SelfService {
 public:
  SelfService(Store& store, Directory& directory, DeviceRegistrar& registrar, txn::ServerLayer& server,
              log::EventSink& events, ProxyLogin& proxy)
      : m_store(store), m_dir(directory), m_registrar(registrar), m_server(server), m_events(events),
        m_proxy(proxy) {}

  void handle(txn::ServerLayer::Id id, const sip::Message& request);

 private:
  std::string summary(const std::string& subscriber) const;

  Store& m_store;
  Directory& m_dir;
  DeviceRegistrar& m_registrar;
  txn::ServerLayer& m_server;
  log::EventSink& m_events;
  ProxyLogin& m_proxy;
};

}  // namespace sipwake::worgw
