#include "protocol.hpp"

#include "sipwake/stun/builder.hpp"
#include "sipwake/stun/integrity.hpp"

namespace sipwake::natkeep {

using namespace sipwake::stun;

Bytes build_keepalive(std::string_view device, const DeviceKey& key, std::uint64_t counter,
                      const TransactionId& txid, std::uint16_t response_port) {
  MessageBuilder b(Class::request, method::binding, txid);
  b.add_text(attr::username, device);
  b.add_u64(attr::natkeep_counter, counter);
  if (response_port != 0) b.add_response_port(response_port);
  b.add_message_integrity_sha256(key.span());
  b.add_fingerprint();
  return std::move(b).take();
}

Bytes build_wake(std::string_view device, const DeviceKey& key, std::uint64_t counter,
                 std::uint64_t time_ms, std::string_view payload, const TransactionId& txid) {
  MessageBuilder b(Class::request, method::natkeep_wake, txid);
  b.add_text(attr::username, device);
  b.add_u64(attr::natkeep_counter, counter);
  b.add_u64(attr::natkeep_time, time_ms);
  b.add_text(attr::natkeep_payload, payload);
  b.add_message_integrity_sha256(key.span());
  b.add_fingerprint();
  return std::move(b).take();
}

Bytes build_wake_ack(std::string_view device, const DeviceKey& key, std::uint64_t counter,
                     const TransactionId& txid) {
  MessageBuilder b(Class::success, method::natkeep_wake, txid);
  b.add_text(attr::username, device);
  b.add_u64(attr::natkeep_counter, counter);
  b.add_message_integrity_sha256(key.span());
  b.add_fingerprint();
  return std::move(b).take();
}

const char* to_string(WakeCheck c) {
  switch (c) {
    case WakeCheck::ok: return "ok";
    case WakeCheck::repeat: return "repeat";
    case WakeCheck::malformed: return "malformed";
    case WakeCheck::wrong_device: return "wrong-device";
    case WakeCheck::bad_integrity: return "bad-integrity";
    case WakeCheck::replay: return "replay";
    case WakeCheck::stale: return "stale";
  }
  return "?";
}

WakeCheck check_wake(const Message& m, std::string_view device, const DeviceKey& key,
                     std::uint64_t last_counter, const TransactionId& last_txid,
                     std::uint64_t now_ms, std::uint64_t window_ms, Wake& out) {
  if (m.cls() != Class::request || m.method() != method::natkeep_wake || m.classic()) {
    return WakeCheck::malformed;
  }
  auto user = m.username();
  auto counter = m.u64(attr::natkeep_counter);
  auto time_ms = m.u64(attr::natkeep_time);
  auto payload = m.text(attr::natkeep_payload);
  if (!user || !counter || !time_ms || !payload) return WakeCheck::malformed;
  if (*user != device) return WakeCheck::wrong_device;
  // Integrity first: nothing below may be influenced by an unauthenticated sender.
  if (check_message_integrity_sha256(m, key.span()) != Integrity::ok) {
    return WakeCheck::bad_integrity;
  }
  if (*counter == last_counter && m.transaction_id() == last_txid) return WakeCheck::repeat;
  if (*counter <= last_counter) return WakeCheck::replay;
  std::uint64_t skew = *time_ms > now_ms ? *time_ms - now_ms : now_ms - *time_ms;
  if (skew > window_ms) return WakeCheck::stale;
  out.device = std::string(*user);
  out.counter = *counter;
  out.time_ms = *time_ms;
  out.payload = std::string(*payload);
  out.txid = m.transaction_id();
  return WakeCheck::ok;
}

}  // namespace sipwake::natkeep
