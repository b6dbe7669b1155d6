#pragma once
// Private to lib/txn: the RFC 3261 transaction timers are optional deadlines; these
// answer "has this one fired?" and "which comes first?" for every state machine.

#include <initializer_list>
#include <optional>

#include "sipwake/util/clock.hpp"

namespace sipwake::txn::detail {

/// The earliest of the armed deadlines (empty when none is armed).
inline std::optional<TimePoint> earliest(std::initializer_list<std::optional<TimePoint>> ts) {
  std::optional<TimePoint> out;
  for (const auto& t : ts) {
    if (t && (!out || *t < *out)) out = t;
  }
  return out;
}

/// True when the timer is armed and its deadline has passed.
inline bool due(const std::optional<TimePoint>& t, TimePoint now) { return t && *t <= now; }

}  // namespace sipwake::txn::detail
