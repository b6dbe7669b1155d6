#pragma once
// How natkeep's state machines report events: the I/O glue forwards them to the
// log::EventSink, unit tests record them.

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "protocol.hpp"
#include "sipwake/stun/address.hpp"

namespace sipwake::natkeep {

/// emit(event, fields, human line).
using EmitFn = std::function<void(std::string_view, nlohmann::json, std::string)>;
/// Wall-clock milliseconds since the epoch (injectable for tests).
using WallClockFn = std::function<std::uint64_t()>;
/// The process's wall clock.
std::uint64_t system_wall_ms();

/// A datagram to send: from which local socket, to where.
struct Outgoing {
  std::uint8_t local = 0;
  stun::TransportAddress to;
  Bytes data;
};

}  // namespace sipwake::natkeep
