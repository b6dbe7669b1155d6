#pragma once
// Database writes the gateway does not wait for (device bindings, call timelines):
// queued and committed together every 50 ms, so a packet never waits behind a commit.

#include <functional>
#include <memory>
#include <vector>

#include "sipwake/ev/loop.hpp"
#include "sipwake/log/events.hpp"
#include "store.hpp"

namespace sipwake::worgw {

/// A write-behind queue in front of the Store.
class WriteBehind {
 public:
  WriteBehind(ev::Loop& loop, Store& store, log::EventSink& events);
  ~WriteBehind();

  /// Queues a write; it is committed within 50 ms (or at flush()).
  void queue(std::function<Result<void>(Store&)> write);
  /// Commits everything queued now (shutdown).
  void flush();

 private:
  Store& m_store;
  log::EventSink& m_events;
  std::vector<std::function<Result<void>(Store&)>> m_queue;
  std::unique_ptr<ev::Timer> m_timer;
};

}  // namespace sipwake::worgw
