#pragma once
// One libevent loop per process, with RAII timers, signal and fd watches.

#include <functional>
#include <memory>

#include "sipwake/util/clock.hpp"

struct event_base;
struct event;

namespace sipwake::ev {

/// The process's event loop; owns the libevent base.
class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  /// Runs until stop() is called or nothing is left to wait for.
  void run();
  /// Makes run() return after the current callback.
  void stop();
  /// The loop's clock (steady, ms resolution).
  const Clock& clock() const { return m_clock; }
  TimePoint now() const { return m_clock.now(); }
  /// The libevent base; for lib/ wrappers only.
  event_base* base() const { return m_base; }

 private:
  event_base* m_base;
  SteadyClock m_clock;
};

/// A one-shot timer; re-arm to repeat. Destroying it cancels it.
class Timer {
 public:
  Timer(Loop& loop, std::function<void()> on_fire);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  /// Fires once after `delay` (replacing any earlier arming).
  void arm(Duration delay);
  void cancel();
  bool armed() const;

 private:
  static void trampoline(int, short, void* self) noexcept;
  event* m_ev;
  std::function<void()> m_on_fire;
};

/// Calls back (on the loop, not in signal context) each time a signal arrives.
class SignalWatch {
 public:
  SignalWatch(Loop& loop, int signo, std::function<void()> on_signal);
  ~SignalWatch();
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

 private:
  static void trampoline(int, short, void* self) noexcept;
  event* m_ev;
  std::function<void()> m_on_signal;
};

/// Calls back whenever a file descriptor is readable (level-triggered, persistent).
class FdWatch {
 public:
  FdWatch(Loop& loop, int fd, std::function<void()> on_readable);
  ~FdWatch();
  FdWatch(const FdWatch&) = delete;
  FdWatch& operator=(const FdWatch&) = delete;

 private:
  static void trampoline(int, short, void* self) noexcept;
  event* m_ev;
  std::function<void()> m_on_readable;
};

}  // namespace sipwake::ev
