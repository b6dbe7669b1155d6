#pragma once
// worsend's SQLite database: the schema (devices, their transports, the audit trail) and
// the device table's operations. The audit trail's writer and reader are in audit.hpp.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model.hpp"
#include "sipwake/db/database.hpp"
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

}  // namespace sipwake::worsend
