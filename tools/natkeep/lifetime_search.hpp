#pragma once
// The binding-lifetime search behind `keep --interval auto`: which idle gap to try next,
// and the keepalive interval that the evidence so far makes safe.

#include "sipwake/util/clock.hpp"

namespace sipwake::natkeep {

/// Bounds on the NAT's idle timeout, narrowed by trials (RFC 5780 4.6).
class LifetimeSearch {
 public:
  struct Params {
    Duration start{10'000};     ///< first idle gap tried
    Duration min{1'000};        ///< never keep alive more often than this
    Duration max{600'000};      ///< never try gaps longer than this
    Duration resolution{500};   ///< stop when the bounds are this close (or 5 %)
  };
  explicit LifetimeSearch(Params p) : m_p(p) {}

  /// The next idle gap to try; zero when converged.
  Duration next_trial() const;
  /// A trial with idle gap `gap` found the mapping alive (true) or gone (false).
  void record(Duration gap, bool alive);
  /// The mapping changed under a normal keepalive at `interval`: the lifetime is shorter.
  void fell_back(Duration interval);
  /// A re-test of the confirmed gap failed: that evidence is stale. Search again below it.
  void restart_below(Duration gap) {
    m_lo = Duration{0};
    m_hi = gap;
  }
  bool converged() const { return next_trial() == Duration{0}; }
  /// Keepalive interval: below the confirmed lifetime by a margin of 10 % (at least 300 ms).
  Duration interval() const;
  Duration lower() const { return m_lo; }
  Duration upper() const { return m_hi; }  ///< zero while unknown

 private:
  Params m_p;
  Duration m_lo{0};
  Duration m_hi{0};
};

}  // namespace sipwake::natkeep
