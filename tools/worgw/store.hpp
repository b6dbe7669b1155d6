#pragma once
// worgw's master database (SQLite, owned by worgw): subscribers, their wake rules,
// device bindings, upstream registration state, and the wake timeline of each call.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sipwake/db/database.hpp"
#include "sipwake/util/result.hpp"

namespace sipwake::worgw {

/// How a held call is connected once the device is there.
enum class ConnectMode { global, proxy, redirect };
/// What a rule or a subscriber's default says about waking.
enum class Policy { allow, deny };

std::string to_string(ConnectMode m);
std::string to_string(Policy p);
Result<ConnectMode> parse_connect_mode(std::string_view text);  // "default"|"proxy"|"redirect"
Result<Policy> parse_policy(std::string_view text);             // "allow"|"deny"

/// One subscriber (a mobile user worgw logs in for and wakes).
struct Subscriber {
  std::string name;                 ///< worgw's key; the device logs in as this user
  std::string aor;                  ///< upstream AOR, e.g. sip:rabbit@operator.example
  std::string registrar;            ///< upstream registrar URI
  std::string auth_user;            ///< upstream and device digest user (default: name)
  std::string password;             ///< never printed, never in events
  std::string device_id;            ///< worsend's device id ("" = same as name)
  bool proxy_login = true;          ///< keep an upstream registration while the device sleeps
  ConnectMode mode = ConnectMode::global;
  std::string voicemail;            ///< URI for calls that cannot be connected ("" = global/none)
  Policy default_policy = Policy::allow;
};

/// A wake rule: callers matching `pattern` may (allow) or may not (deny) wake the phone.
struct Rule {
  std::string pattern;
  Policy action = Policy::allow;
};

/// The device's current login at worgw (while online).
struct Binding {
  std::string contact;      ///< the Contact URI it registered
  std::string received;     ///< "ADDR:PORT" the REGISTER came from (where INVITEs go)
  std::string transport;    ///< "udp"
  std::string instance;     ///< +sip.instance, RFC 8599 params stay in `contact`
  std::int64_t expires_at = 0;  ///< unix seconds
};

/// Upstream (proxy login) registration state, written by the running gateway.
struct UpstreamState {
  std::string state;        ///< registration state name, e.g. "registered", "retry-wait"
  std::int64_t expires_at = 0;
  std::string last_error;
};

/// One call's wake timeline (unix milliseconds; 0 = did not happen).
struct WakeRecord {
  std::int64_t id = 0;
  std::string call_id, subscriber, caller;
  std::int64_t invite_ms = 0, wake_requested_ms = 0, wake_confirmed_ms = 0, device_register_ms = 0,
               connected_ms = 0, first_response_ms = 0;
  std::string outcome;      ///< "connected", "redirected", "denied", "voicemail", "unavailable", "cancelled"
  std::string detail;
};

/// Access to worgw.db; every method is one short transaction.
class Store {
 public:
  /// Opens (creating with mode 0600) and migrates the database.
  static Result<std::unique_ptr<Store>> open(const std::string& path);
  /// The default path: db::default_state_dir() + "/worgw.db".
  static std::string default_path();

  Result<void> add_subscriber(const Subscriber& s);     ///< error if the name exists
  Result<void> update_subscriber(const Subscriber& s);  ///< error if it does not
  Result<void> remove_subscriber(const std::string& name);  ///< cascades rules, binding, state
  Result<std::optional<Subscriber>> subscriber(const std::string& name);
  Result<std::vector<Subscriber>> subscribers();

  Result<void> set_rule(const std::string& subscriber, const Rule& rule);  ///< replaces same pattern
  Result<void> remove_rule(const std::string& subscriber, const std::string& pattern);
  Result<std::vector<Rule>> rules(const std::string& subscriber);

  Result<void> save_binding(const std::string& subscriber, const Binding& b);
  Result<void> clear_binding(const std::string& subscriber);
  Result<std::optional<Binding>> binding(const std::string& subscriber);

  Result<void> save_upstream(const std::string& subscriber, const UpstreamState& u);
  Result<std::optional<UpstreamState>> upstream(const std::string& subscriber);

  /// Runs `writes` (several Store calls) as one transaction: one commit instead of many.
  Result<void> batch(const std::function<void(Store&)>& writes);

  /// Changes whenever another process (an admin command) commits to the database;
  /// the running gateway polls it to reload subscribers and rules.
  Result<std::int64_t> data_version();

  Result<std::int64_t> insert_wake(const WakeRecord& w);  ///< returns the id
  Result<void> update_wake(const WakeRecord& w);
  Result<std::vector<WakeRecord>> wakes(const std::string& subscriber, std::size_t limit);

 private:
  explicit Store(std::unique_ptr<db::Database> db) : m_db(std::move(db)) {}
  std::unique_ptr<db::Database> m_db;
};

}  // namespace sipwake::worgw
