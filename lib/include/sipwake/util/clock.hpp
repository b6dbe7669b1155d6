#pragma once
// Injectable clocks: protocol state machines read time only through Clock.

#include <chrono>

namespace sipwake {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;
using namespace std::chrono_literals;

/// A source of monotonic time; tests substitute ManualClock.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Monotonic now, millisecond resolution.
  virtual TimePoint now() const = 0;
};

/// The process's steady clock.
class SteadyClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
  }
};

/// A clock that moves only when told to; for unit tests.
class ManualClock final : public Clock {
 public:
  TimePoint now() const override { return m_now; }
  void advance(Duration d) { m_now += d; }
  void set(TimePoint t) { m_now = t; }

 private:
  TimePoint m_now{Duration{1'000'000}};
};

}  // namespace sipwake
