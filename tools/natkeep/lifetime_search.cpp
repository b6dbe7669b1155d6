#include "lifetime_search.hpp"

#include <algorithm>

namespace sipwake::natkeep {

Duration LifetimeSearch::next_trial() const {
  if (m_hi.count() == 0) {
    if (m_lo.count() == 0) return m_p.start;
    if (m_lo >= m_p.max) return Duration{0};
    return std::min(m_lo * 2, m_p.max);  // grow until a gap fails
  }
  Duration width = m_hi - m_lo;
  Duration tolerance = std::max(m_p.resolution, m_lo / 20);
  if (width <= tolerance) return Duration{0};
  if (m_hi <= m_p.min) return Duration{0};  // shorter than we are willing to go
  return m_lo + width / 2;
}

void LifetimeSearch::record(Duration gap, bool alive) {
  if (alive) {
    m_lo = std::max(m_lo, gap);
    if (m_hi.count() != 0 && m_hi <= m_lo) m_hi = Duration{0};
  } else {
    m_hi = m_hi.count() == 0 ? gap : std::min(m_hi, gap);
    if (m_lo >= m_hi) m_lo = m_hi / 2;
  }
}

void LifetimeSearch::fell_back(Duration interval) {
  m_hi = m_hi.count() == 0 ? interval : std::min(m_hi, interval);
  m_lo = std::min(m_lo, m_hi / 2);
}

Duration LifetimeSearch::interval() const {
  if (m_lo.count() == 0) {
    // Nothing confirmed yet: half the smallest known-dead gap, else the start value.
    Duration guess = m_hi.count() != 0 ? m_hi / 2 : m_p.start;
    return std::max(m_p.min, guess);
  }
  // 10 % covers timer slack and a NAT that rounds its timeout down; the floor covers
  // scheduling jitter on very short lifetimes.
  Duration margin = std::max(Duration{300}, m_lo / 10);
  return std::max(m_p.min, m_lo - margin);
}

}  // namespace sipwake::natkeep
