#include "write_behind.hpp"

namespace sipwake::worgw {

WriteBehind::WriteBehind(ev::Loop& loop, Store& store, log::EventSink& events)
    : m_store(store), m_events(events), m_timer(std::make_unique<ev::Timer>(loop, [this] { flush(); })) {}

WriteBehind::~WriteBehind() { flush(); }

void WriteBehind::queue(std::function<Result<void>(Store&)> write) {
  m_queue.push_back(std::move(write));
  if (!m_timer->armed()) m_timer->arm(Duration{50});
}

void WriteBehind::flush() {
  if (m_queue.empty()) return;
  std::vector<std::function<Result<void>(Store&)>> writes;
  writes.swap(m_queue);
  std::vector<std::string> errors;
  auto r = m_store.batch([&](Store& s) {
    for (auto& w : writes) {
      if (auto one = w(s); !one) errors.push_back(one.message());
    }
  });
  if (!r) errors.push_back(r.message());
  for (const auto& e : errors) m_events.emit("store.failed", {{"error", e}}, "");
}

}  // namespace sipwake::worgw
