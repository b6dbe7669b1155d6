#include "sipwake/ev/loop.hpp"

#include <event2/event.h>

#include <cstdio>
#include <exception>
#include <stdexcept>

namespace sipwake::ev {
namespace {

timeval to_timeval(Duration d) {
  if (d.count() < 0) d = Duration{0};
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

// No exception may unwind through libevent's C frames: report and stop hard.
template <typename F>
void guarded(F&& f) noexcept {
  try {
    f();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sipwake: fatal: uncaught exception in event callback: %s\n", e.what());
    std::terminate();
  }
}

}  // namespace

Loop::Loop() : m_base(event_base_new()) {
  if (!m_base) throw std::runtime_error("cannot create event loop");
}

Loop::~Loop() { event_base_free(m_base); }

void Loop::run() { event_base_dispatch(m_base); }

void Loop::stop() { event_base_loopbreak(m_base); }

Timer::Timer(Loop& loop, std::function<void()> on_fire)
    : m_ev(evtimer_new(loop.base(), &Timer::trampoline, this)), m_on_fire(std::move(on_fire)) {
  if (!m_ev) throw std::runtime_error("cannot create timer");
}

Timer::~Timer() { event_free(m_ev); }

void Timer::arm(Duration delay) {
  timeval tv = to_timeval(delay);
  evtimer_add(m_ev, &tv);
}

void Timer::cancel() { evtimer_del(m_ev); }

bool Timer::armed() const { return evtimer_pending(m_ev, nullptr) != 0; }

void Timer::trampoline(int, short, void* self) noexcept {
  // The callback may destroy this Timer (its owner finished): run a copy.
  guarded([self] {
    auto fn = static_cast<Timer*>(self)->m_on_fire;
    fn();
  });
}

SignalWatch::SignalWatch(Loop& loop, int signo, std::function<void()> on_signal)
    : m_ev(evsignal_new(loop.base(), signo, &SignalWatch::trampoline, this)),
      m_on_signal(std::move(on_signal)) {
  if (!m_ev || evsignal_add(m_ev, nullptr) != 0) throw std::runtime_error("cannot watch signal");
}

SignalWatch::~SignalWatch() { event_free(m_ev); }

void SignalWatch::trampoline(int, short, void* self) noexcept {
  guarded([self] { static_cast<SignalWatch*>(self)->m_on_signal(); });
}

FdWatch::FdWatch(Loop& loop, int fd, std::function<void()> on_readable)
    : m_ev(event_new(loop.base(), fd, EV_READ | EV_PERSIST, &FdWatch::trampoline, this)),
      m_on_readable(std::move(on_readable)) {
  if (!m_ev || event_add(m_ev, nullptr) != 0) throw std::runtime_error("cannot watch descriptor");
}

FdWatch::~FdWatch() { event_free(m_ev); }

void FdWatch::trampoline(int, short, void* self) noexcept {
  guarded([self] { static_cast<FdWatch*>(self)->m_on_readable(); });
}

}  // namespace sipwake::ev
