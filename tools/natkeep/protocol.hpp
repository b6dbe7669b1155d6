#pragma once
// natkeep's datagrams, all STUN-framed so one socket carries them and a STUN server
// answers them (RFC 8489 short-term credentials: USERNAME = device id, key = device key).
//
//   keepalive  Binding request   USERNAME, NATKEEP-COUNTER, [RESPONSE-PORT],
//                                MESSAGE-INTEGRITY-SHA256, FINGERPRINT
//   answer     Binding success   XOR-MAPPED-ADDRESS, [RESPONSE-ORIGIN, OTHER-ADDRESS],
//                                MESSAGE-INTEGRITY-SHA256, FINGERPRINT
//   wake       WAKE request      USERNAME, NATKEEP-COUNTER, NATKEEP-TIME, NATKEEP-PAYLOAD,
//                                MESSAGE-INTEGRITY-SHA256, FINGERPRINT
//   wake ack   WAKE success      USERNAME, NATKEEP-COUNTER, MESSAGE-INTEGRITY-SHA256, FINGERPRINT

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keys.hpp"
#include "sipwake/stun/message.hpp"

namespace sipwake::natkeep {

using Bytes = std::vector<std::uint8_t>;

/// A verified wake as the device sees it.
struct Wake {
  std::string device;
  std::uint64_t counter = 0;
  std::uint64_t time_ms = 0;  ///< sender's wall clock, ms since the epoch
  std::string payload;        ///< JSON text
  stun::TransactionId txid{};
};

/// Device -> server keepalive; `response_port` != 0 makes it an RFC 5780 4.6 sibling probe.
Bytes build_keepalive(std::string_view device, const DeviceKey& key, std::uint64_t counter,
                      const stun::TransactionId& txid, std::uint16_t response_port = 0);
/// Server -> device wake.
Bytes build_wake(std::string_view device, const DeviceKey& key, std::uint64_t counter,
                 std::uint64_t time_ms, std::string_view payload, const stun::TransactionId& txid);
/// Device -> server acknowledgement of the wake with `txid`.
Bytes build_wake_ack(std::string_view device, const DeviceKey& key, std::uint64_t counter,
                     const stun::TransactionId& txid);

/// Why a wake was not accepted.
enum class WakeCheck { ok, repeat, malformed, wrong_device, bad_integrity, replay, stale };
const char* to_string(WakeCheck c);

/// Checks a wake for this device: integrity, counter above `last_counter` (equal with
/// the same transaction is a retransmission: `repeat`), time within `window_ms` of now.
WakeCheck check_wake(const stun::Message& m, std::string_view device, const DeviceKey& key,
                     std::uint64_t last_counter, const stun::TransactionId& last_txid,
                     std::uint64_t now_ms, std::uint64_t window_ms, Wake& out);

/// Largest wake payload (JSON text), so a wake fits one unfragmented datagram.
inline constexpr std::size_t k_max_payload = 1024;

}  // namespace sipwake::natkeep
