#include "sipwake/util/backoff.hpp"

#include <gtest/gtest.h>

namespace sipwake {
namespace {

TEST(Backoff, BaseDoublesPerAttemptUpToTheCap) {
  Backoff b({Duration{1000}, Duration{8000}, 0.5});
  EXPECT_EQ(b.base_for(1).count(), 1000);
  EXPECT_EQ(b.base_for(2).count(), 2000);
  EXPECT_EQ(b.base_for(4).count(), 8000);
  EXPECT_EQ(b.base_for(30).count(), 8000);
}

TEST(Backoff, DelaysStayWithinTheJitterBand) {
  Backoff b({Duration{1000}, Duration{300000}, 0.5});
  for (unsigned attempt = 1; attempt <= 6; ++attempt) {
    Duration d = b.next();
    Duration base = b.base_for(attempt);
    EXPECT_GE(d.count(), base.count() / 2) << "attempt " << attempt;
    EXPECT_LE(d.count(), base.count()) << "attempt " << attempt;
  }
  EXPECT_EQ(b.attempts(), 6u);
  b.reset();
  EXPECT_EQ(b.attempts(), 0u);
}

TEST(Backoff, RetryAfterWinsAndIsNeverShortened) {
  Backoff b;
  for (int i = 0; i < 50; ++i) {
    Duration d = b.next(Duration{2000});
    EXPECT_GE(d.count(), 2000);
    EXPECT_LE(d.count(), 2200);
  }
}

TEST(Backoff, JitterSpreadsAPopulation) {
  Backoff::Params p{Duration{10000}, Duration{10000}, 0.5};
  long long lo = 1 << 30, hi = 0;
  for (int i = 0; i < 200; ++i) {
    Backoff b(p);
    long long d = b.next().count();
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_GT(hi - lo, 2000);  // 200 clients do not come back in one instant
}

}  // namespace
}  // namespace sipwake
