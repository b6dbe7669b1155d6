#include "events.hpp"

#include <chrono>

namespace sipwake::natkeep {

std::uint64_t system_wall_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

}  // namespace sipwake::natkeep
