#pragma once
// Calls for subscribers: connect when the device is online, otherwise check the
// caller's wake permission, wake the device (one wake for all its callers), hold the
// INVITE with 180 until the device logs in, then relay (or redirect) it.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "directory.hpp"
#include "options.hpp"
#include "registrar.hpp"
#include "relay.hpp"
#include "sipwake/ev/loop.hpp"
#include "sipwake/log/events.hpp"
#include "sipwake/net/sip_transport.hpp"
#include "sipwake/txn/client_layer.hpp"
#include "sipwake/txn/client_transaction.hpp"
#include "sipwake/txn/server_layer.hpp"
#include "store.hpp"
#include "wake_client.hpp"
#include "write_behind.hpp"

namespace sipwake::worgw {

/// What the call handling works with; all owned by the gateway.
struct CallContext {
  ev::Loop& loop;
  const RunOptions& options;
  Self self;
  net::SipTransport& transport;
  txn::ServerLayer& server;
  Directory& directory;
  DeviceRegistrar& registrar;
  Store& store;
  WriteBehind& writer;
  WakeClient& waker;
  log::EventSink& events;
};

/// Every INVITE for a subscriber, from arrival to its final response.
class CallManager {
 public:
  explicit CallManager(CallContext ctx);
  ~CallManager();

  /// A new INVITE (server transaction `id`, 100 not yet sent).
  void on_invite(txn::ServerLayer::Id id, const sip::Message& invite);
  /// A CANCEL (its own transaction `cancel_id`) for the INVITE transaction `invite_id`.
  void on_cancel(txn::ServerLayer::Id cancel_id, txn::ServerLayer::Id invite_id);
  /// The subscriber's device has just logged in (authenticated REGISTER).
  void on_device_login(const std::string& subscriber, const Online& device);
  /// A response from a device to a relayed INVITE or CANCEL; false when not ours.
  bool on_response(const sip::Message& response);
  /// The network refused a datagram to `dest` (ICMP unreachable): a relayed INVITE to
  /// it is dead at once.
  void on_unreachable(const net::Address& dest);
  /// SIGTERM: answer every held call (480) so no caller waits in silence.
  void shutdown();
  std::size_t held() const;

 private:
  struct Call;
  struct WakeGroup {
    bool requested = false;
    bool confirmed = false;
    std::vector<std::uint64_t> calls;
  };

  Call* find(std::uint64_t key);
  static std::optional<sip::Message> relayed_of(const std::string& wire);
  void respond(Call& c, int status, std::string_view reason = {}, const std::vector<std::pair<std::string, std::string>>& extra = {});
  void hold_for_wake(Call& c);
  void request_wake(const std::string& subscriber, Call& first);
  void on_wake_result(const std::string& subscriber, const WakeResult& r);
  void connect(Call& c, const Online& device);
  void relay(Call& c, const Online& device);
  void on_client_timer(std::uint64_t key);
  void on_dead_binding(std::uint64_t key);
  void orphan(Call& c);
  bool on_orphan_response(const std::string& branch, const sip::Message& response);
  void give_up(Call& c, const std::string& why, bool denied);
  void finish(Call& c, const std::string& outcome, const std::string& detail);
  void leave_group(Call& c);
  ConnectMode mode_for(const Subscriber& s) const;
  std::string voicemail_for(const Subscriber* s) const;
  nlohmann::json call_fields(const Call& c) const;

  CallContext m_ctx;
  txn::ClientLayer m_cancels;
  std::uint64_t m_next = 1;
  std::map<std::uint64_t, std::unique_ptr<Call>> m_calls;
  std::unordered_map<txn::ServerLayer::Id, std::uint64_t> m_by_server;
  std::unordered_map<std::string, std::uint64_t> m_by_branch;
  std::map<std::string, WakeGroup> m_groups;
  /// INVITE legs given up for a newer one (the phone logged in again elsewhere).
  struct Orphan {
    std::string relayed_wire;
    net::Address device;
    bool cancelled = false;
    std::unique_ptr<ev::Timer> expiry;
  };
  std::unordered_map<std::string, std::unique_ptr<Orphan>> m_orphans;
};

}  // namespace sipwake::worgw
