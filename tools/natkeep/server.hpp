#pragma once
// natkeep serve's protocol core: STUN Binding server (RFC 8489, RFC 5780), authenticated
// device keepalives and bindings, wake delivery with acknowledgement. No sockets here:
// datagrams and control lines in, datagrams, replies and events out.

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "binding_table.hpp"
#include "events.hpp"
#include "source_guard.hpp"
#include "sipwake/stun/message.hpp"
#include "sipwake/util/clock.hpp"

namespace sipwake::natkeep {

/// Local socket roles (RFC 5780 3: primary/alternate address and port).
enum Local : std::uint8_t { primary = 0, alt_port = 1, alt_ip = 2, alt_both = 3 };

class Server {
 public:
  struct Config {
    /// Addresses of the local sockets by role; 1..3 only when an alternate is configured.
    std::array<stun::TransportAddress, 4> locals{};
    bool has_alt = false;
    std::string software = "natkeep";
    SourceGuard::Params guard{};
    Duration wake_timeout{5000};
    std::uint64_t counter_floor = 0;  ///< wake counters start above this (tests)
  };
  using ReplyFn = std::function<void(const nlohmann::json&)>;

  Server(Config cfg, BindingTable& table, const Clock& clock, WallClockFn wall, EmitFn emit);

  /// A datagram arrived on local socket `local` from `from`.
  void on_datagram(std::uint8_t local, const stun::TransportAddress& from,
                   std::span<const std::uint8_t> data, std::vector<Outgoing>& out);
  /// A control request line (DESIGN.md "Requests in"); `reply` is called exactly once,
  /// maybe later (a wake replies when acknowledged or timed out).
  void on_request(std::string_view line, ReplyFn reply, std::vector<Outgoing>& out);
  /// Retransmits wakes and fails those past their deadline.
  void tick(std::vector<Outgoing>& out);

  struct Stats {
    std::uint64_t keepalives = 0, binding_requests = 0, rejected = 0, dropped = 0;
    std::uint64_t wakes_sent = 0, wakes_acked = 0, wakes_failed = 0;
  };
  const Stats& stats() const { return m_stats; }
  std::size_t pending_wakes() const { return m_pending.size(); }

 private:
  struct Pending {
    nlohmann::json id;
    std::string device;
    ReplyFn reply;
    Bytes datagram;
    std::uint8_t local = 0;
    stun::TransportAddress to;
    TimePoint started{}, next_send{}, deadline{};
    Duration gap{500};
  };

  void on_binding(std::uint8_t local, const stun::TransportAddress& from, const stun::Message& m,
                  std::vector<Outgoing>& out);
  bool on_keepalive(std::uint8_t local, const stun::TransportAddress& from,
                    const stun::Message& m, std::vector<Outgoing>& out);
  void on_anonymous(std::uint8_t local, const stun::TransportAddress& from, const stun::Message& m,
                    std::vector<Outgoing>& out);
  void on_wake_ack(const stun::TransportAddress& from, const stun::Message& m);
  void stale_counter(const stun::TransportAddress& from, const stun::Message& m, const DeviceEntry& e,
                     std::vector<Outgoing>& out);
  void reject(const stun::TransportAddress& from, std::string_view device, const char* why);
  void request_wake(const nlohmann::json& req, ReplyFn reply, std::vector<Outgoing>& out);
  nlohmann::json binding_json(std::string_view device) const;
  std::uint8_t reply_socket(std::uint8_t local, std::uint32_t change) const;

  Config m_cfg;
  BindingTable& m_table;
  const Clock& m_clock;
  WallClockFn m_wall;
  EmitFn m_emit;
  SourceGuard m_guard;
  Stats m_stats;
  std::uint64_t m_wake_counter = 0;
  std::map<stun::TransactionId, Pending> m_pending;
};

}  // namespace sipwake::natkeep
