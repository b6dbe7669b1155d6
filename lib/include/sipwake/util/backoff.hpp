#pragma once
// The one retry policy every tool uses: capped exponential backoff with full jitter,
// overridden by a server's Retry-After.

#include <optional>

#include "sipwake/util/clock.hpp"

namespace sipwake {

/// Capped exponential backoff with jitter; attempt counts start at 1.
class Backoff {
 public:
  struct Params {
    Duration initial{1000};  ///< base delay before the first retry
    Duration max{300'000};   ///< cap on the base delay (5 min, like baresip)
    double jitter = 0.5;     ///< the delay is drawn from [base*(1-jitter), base]
  };

  Backoff() = default;
  explicit Backoff(Params p) : m_p(p) {}

  /// Delay before the next attempt; Retry-After (if given) wins, still jittered upward
  /// a little so a server's clients do not return in one burst.
  Duration next(std::optional<Duration> retry_after = std::nullopt);
  /// Base delay (before jitter) for a given attempt number; for tests and docs.
  Duration base_for(unsigned attempt) const;
  /// Back to the first attempt (after a success).
  void reset() { m_attempt = 0; }
  unsigned attempts() const { return m_attempt; }

 private:
  Params m_p{};
  unsigned m_attempt = 0;
};

}  // namespace sipwake
