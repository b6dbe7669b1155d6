#include "lifetime_search.hpp"

#include <gtest/gtest.h>

namespace sipwake::natkeep {
namespace {

// Runs the search against a NAT whose holes live `lifetime`; returns trials used.
int converge(LifetimeSearch& s, Duration lifetime) {
  int trials = 0;
  while (!s.converged() && trials < 50) {
    Duration gap = s.next_trial();
    s.record(gap, gap < lifetime);
    ++trials;
  }
  return trials;
}

TEST(LifetimeSearch, ConvergesWithinResolutionAndKeepsAMarginBelowTheLifetime) {
  for (long long ms : {3'000LL, 30'000LL, 120'000LL, 17'500LL}) {
    LifetimeSearch s({});
    int trials = converge(s, Duration{ms});
    EXPECT_LT(trials, 20) << ms;
    EXPECT_LE(s.lower().count(), ms);
    EXPECT_GE(s.upper().count(), ms);
    EXPECT_LE((s.upper() - s.lower()).count(), std::max<long long>(500, s.lower().count() / 20));
    EXPECT_LT(s.interval().count(), ms) << ms;
    EXPECT_GE(s.interval().count(), ms * 8 / 10 - 1000) << ms;
  }
}

TEST(LifetimeSearch, StopsAtTheConfiguredMaximumWhenHolesNeverClose) {
  LifetimeSearch::Params p;
  p.max = Duration{60'000};
  LifetimeSearch s(p);
  converge(s, Duration{1'000'000});
  EXPECT_EQ(s.lower(), Duration{60'000});
  EXPECT_EQ(s.upper(), Duration{0});
  EXPECT_EQ(s.interval(), Duration{54'000});
}

TEST(LifetimeSearch, NeverGoesBelowTheMinimumInterval) {
  LifetimeSearch::Params p;
  p.min = Duration{2'000};
  LifetimeSearch s(p);
  converge(s, Duration{500});
  EXPECT_EQ(s.interval(), Duration{2'000});
}

TEST(LifetimeSearch, FallingBackHalvesTheConfirmedLifetimeAndSearchesAgain) {
  LifetimeSearch s({});
  converge(s, Duration{30'000});
  Duration before = s.interval();
  s.fell_back(before);
  EXPECT_FALSE(s.converged());
  EXPECT_LT(s.interval(), before);
  converge(s, Duration{12'000});
  EXPECT_LT(s.interval(), Duration{12'000});
}

}  // namespace
}  // namespace sipwake::natkeep
