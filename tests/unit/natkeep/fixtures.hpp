#pragma once
// Shared helpers for natkeep unit tests: keys, addresses, an event recorder.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "events.hpp"
#include "keys.hpp"

namespace sipwake::natkeep::test {

inline DeviceKey key(char fill) {
  return *parse_key_hex(std::string(64, fill));
}

inline stun::TransportAddress addr(const char* text) { return *stun::TransportAddress::parse(text); }

/// Records emitted events as {"event": name, ...fields}.
struct Recorder {
  std::vector<nlohmann::json> events;
  EmitFn fn() {
    return [this](std::string_view ev, nlohmann::json f, std::string) {
      f["event"] = std::string(ev);
      events.push_back(std::move(f));
    };
  }
  std::size_t count(const std::string& name) const {
    std::size_t n = 0;
    for (const auto& e : events) n += e["event"] == name ? 1 : 0;
    return n;
  }
  const nlohmann::json* last(const std::string& name) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if ((*it)["event"] == name) return &*it;
    }
    return nullptr;
  }
};

}  // namespace sipwake::natkeep::test
