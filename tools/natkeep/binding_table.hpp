#pragma once
// The server's device table: key and current binding per device, sized for 1M devices
// in well under 256 MB (about 100 bytes per device plus the id index).

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "keys.hpp"
#include "sipwake/stun/address.hpp"

namespace sipwake::natkeep {

/// One device's state; `mapped.valid()` is false until its first keepalive.
struct DeviceEntry {
  DeviceKey key;
  stun::TransportAddress mapped;      ///< where its keepalives come from (the NAT hole)
  std::uint8_t local = 0;             ///< index of the server socket that hole leads to
  std::uint32_t last_seen_s = 0;      ///< monotonic seconds of the last accepted keepalive
  std::uint64_t counter = 0;          ///< highest keepalive counter accepted
  std::uint32_t last_tag = 0;         ///< transaction+source of that keepalive (retransmissions)
};

/// Device id -> entry. Entries live in one vector; the index maps ids to positions.
class BindingTable {
 public:
  /// Reserves room for `n` devices up front (avoids rehash spikes under load).
  void reserve(std::size_t n);
  /// Adds or replaces a device's key (its binding is kept when the key is unchanged).
  void set_key(std::string_view id, const DeviceKey& key);
  /// The device, or null when unknown.
  DeviceEntry* find(std::string_view id);
  const DeviceEntry* find(std::string_view id) const;
  std::size_t size() const { return m_entries.size(); }
  std::size_t bound() const;

 private:
  struct Hash {
    using is_transparent = void;
    // Not noexcept on purpose: libstdc++ then caches hash codes in the nodes, so a
    // lookup compares cached hashes instead of chasing every key in the bucket.
    std::size_t operator()(std::string_view s) const {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> m_index;
  std::vector<DeviceEntry> m_entries;
};

}  // namespace sipwake::natkeep
