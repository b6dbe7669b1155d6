#pragma once
// Sliding-window rate limits per key (device or caller): at most N events in any window.

#include <deque>
#include <string>
#include <unordered_map>

#include "model.hpp"
#include "sipwake/util/clock.hpp"

namespace sipwake::worsend {

/// Counts events per key; check() then record() so a denied request costs nothing.
class RateLimiter {
 public:
  /// Zero when another event is allowed now, else how long until one is.
  Duration check(const std::string& key, const RateLimit& limit, TimePoint now);
  /// Records one event at `now`.
  void record(const std::string& key, const RateLimit& limit, TimePoint now);
  /// Forgets keys with no event inside `window` (bounds memory); call from a periodic tick.
  void prune(TimePoint now, Duration window);
  std::size_t keys() const { return m_log.size(); }

 private:
  std::unordered_map<std::string, std::deque<TimePoint>> m_log;
};

}  // namespace sipwake::worsend
