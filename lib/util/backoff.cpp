#include "sipwake/util/backoff.hpp"

#include <algorithm>

#include "sipwake/util/random.hpp"

namespace sipwake {

Duration Backoff::base_for(unsigned attempt) const {
  if (attempt == 0) attempt = 1;
  long long base = m_p.initial.count();
  for (unsigned i = 1; i < attempt && base < m_p.max.count(); ++i) base *= 2;
  return Duration{std::min(base, static_cast<long long>(m_p.max.count()))};
}

Duration Backoff::next(std::optional<Duration> retry_after) {
  ++m_attempt;
  if (retry_after) {
    // RFC 3261 20.33: wait at least Retry-After; add up to 10 % so a crowd spreads out.
    auto extra = static_cast<long long>(static_cast<double>(retry_after->count()) * 0.1 * random_unit());
    return *retry_after + Duration{extra};
  }
  auto base = static_cast<double>(base_for(m_attempt).count());
  double low = base * (1.0 - m_p.jitter);
  return Duration{static_cast<long long>(low + (base - low) * random_unit())};
}

}  // namespace sipwake
