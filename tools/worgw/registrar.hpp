#pragma once
// worgw as the registrar of its subscribers' devices: digest-authenticated REGISTER
// (the subscriber's own credentials) makes a device online at the address it came from.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "directory.hpp"
#include "sipwake/ev/loop.hpp"
#include "sipwake/log/events.hpp"
#include "sipwake/net/address.hpp"
#include "sipwake/sip/digest.hpp"
#include "sipwake/sip/message.hpp"
#include "sipwake/txn/server_layer.hpp"
#include "store.hpp"
#include "write_behind.hpp"

namespace sipwake::worgw {

/// A device that is logged in, with where to reach it.
struct Online {
  Binding binding;
  net::Address flow;  ///< the address its REGISTER came from (RFC 3581); INVITEs go here
};

/// Device logins and the digest checks every device request passes.
class DeviceRegistrar {
 public:
  using LoginHandler = std::function<void(const std::string& subscriber, const Online& device)>;

  DeviceRegistrar(ev::Loop& loop, Store& store, WriteBehind& writer, Directory& directory,
                  txn::ServerLayer& server, log::EventSink& events, std::string realm,
                  std::vector<sip::DigestAlgorithm> algorithms);
  ~DeviceRegistrar();

  /// Called after each successful login that adds or renews a binding.
  void set_login_handler(LoginHandler h) { m_on_login = std::move(h); }
  /// Restores unexpired bindings saved before a restart.
  void restore();
  /// Answers a REGISTER in server transaction `id`.
  void handle_register(txn::ServerLayer::Id id, const sip::Message& req, const net::Address& from);
  /// Checks the digest credentials of a device request for `subscriber`; on failure
  /// it has already answered (401/403/400) and returns null.
  const Subscriber* authenticate(txn::ServerLayer::Id id, const sip::Message& req, const std::string& subscriber);
  /// The device's login, if it has one that has not expired.
  std::optional<Online> online(const std::string& subscriber) const;
  /// Forgets a binding that proved dead (the device did not answer).
  void drop(const std::string& subscriber, const std::string& why);
  /// The flow of the device whose Contact is `uri` (for requests inside its dialogs).
  std::optional<net::Address> flow_for_contact(const sip::Uri& uri) const;

 private:
  struct Entry {
    Online device;
    std::unique_ptr<ev::Timer> expiry;
  };
  void challenge(txn::ServerLayer::Id id, bool stale);
  void save(const std::string& subscriber, Online device);
  void expire(const std::string& subscriber, const std::string& why);
  static std::string contact_key(const sip::Uri& uri);

  ev::Loop& m_loop;
  Store& m_store;
  WriteBehind& m_writer;
  Directory& m_dir;
  txn::ServerLayer& m_server;
  log::EventSink& m_events;
  sip::DigestServer m_digest;
  std::string m_realm;
  std::vector<sip::DigestAlgorithm> m_algorithms;
  LoginHandler m_on_login;
  std::map<std::string, Entry> m_online;
  std::unordered_map<std::string, std::string> m_by_contact;  // contact key -> subscriber
};

}  // namespace sipwake::worgw
