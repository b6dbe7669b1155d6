#include "binding_table.hpp"

#include <cstring>

namespace sipwake::natkeep {

void BindingTable::reserve(std::size_t n) {
  m_index.reserve(n);
  m_entries.reserve(n);
}

void BindingTable::set_key(std::string_view id, const DeviceKey& key) {
  auto it = m_index.find(id);
  if (it != m_index.end()) {
    DeviceEntry& e = m_entries[it->second];
    bool same = e.key.len == key.len && std::memcmp(e.key.bytes.data(), key.bytes.data(), key.len) == 0;
    e.key = key;
    // A new key invalidates what the old key vouched for.
    if (!same) e = DeviceEntry{key, {}, 0, 0, 0, 0};
    return;
  }
  m_index.emplace(std::string(id), static_cast<std::uint32_t>(m_entries.size()));
  m_entries.push_back(DeviceEntry{key, {}, 0, 0, 0, 0});
}

DeviceEntry* BindingTable::find(std::string_view id) {
  auto it = m_index.find(id);
  return it == m_index.end() ? nullptr : &m_entries[it->second];
}

const DeviceEntry* BindingTable::find(std::string_view id) const {
  auto it = m_index.find(id);
  return it == m_index.end() ? nullptr : &m_entries[it->second];
}

std::size_t BindingTable::bound() const {
  std::size_t n = 0;
  for (const auto& e : m_entries) n += e.mapped.valid() ? 1 : 0;
  return n;
}

}  // namespace sipwake::natkeep
