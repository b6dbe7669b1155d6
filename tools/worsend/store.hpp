#pragma once
// worsend's SQLite database: the schema (devices, their transports, the audit trail) and
// the device table's operations. The audit trail's writer and reader are in audit.hpp.

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model.hpp"
#include "sipwake/db/database.hpp"
#include "sipwake/util/clock.hpp"
#include "sipwake/util/result.hpp"

namespace sipwake::worsend {

/// The default database path: <state dir>/worsend.db.
std::string default_db_path();

/// Opens (creating, migrating) the database; read_only for `log` and `device list`.
Result<std::unique_ptr<db::Database>> open_store(const std::string& path, bool read_only = false);

/// Devices and their transports.
class DeviceStore {
 public:
  explicit DeviceStore(db::Database& db) : m_db(db) {}
  /// Adds a new device; an existing id is an error.
  Result<void> add(const Device& d);
  /// Replaces an existing device's transports and rate; false when it does not exist.
  Result<bool> replace(const Device& d);
  /// Removes a device; false when it did not exist.
  Result<bool> remove(const std::string& id);
  /// One device, or nothing.
  Result<std::optional<Device>> get(const std::string& id);
  /// Every device, ordered by id.
  Result<std::vector<Device>> list();

 private:
  Result<void> write_transports(const Device& d);
  db::Database& m_db;
  std::optional<db::Statement> m_get_device, m_get_transports;
};

/// Device lookups for the serve loop, kept for `ttl`: `device add|set|remove` from another
/// process takes effect within that time, and a wake costs no SQL for a device seen lately.
class DeviceCache {
 public:
  DeviceCache(DeviceStore& store, Duration ttl) : m_store(store), m_ttl(ttl) {}
  /// The device as stored at most `ttl` ago; unknown devices are never cached.
  Result<std::optional<Device>> get(const std::string& id, TimePoint now);

 private:
  static constexpr std::size_t k_max_entries = 100'000;
  struct Entry {
    Device device;
    TimePoint loaded;
  };
  DeviceStore& m_store;
  Duration m_ttl;
  std::unordered_map<std::string, Entry> m_entries;
};

}  // namespace sipwake::worsend
