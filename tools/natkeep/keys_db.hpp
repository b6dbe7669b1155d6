#pragma once
// Device keys from natkeep's SQLite database (DESIGN.md "Storage"): table `devices`
// (id TEXT PRIMARY KEY, key TEXT hex). natkeep owns the schema; operators add rows.

#include <functional>
#include <string>
#include <string_view>

#include "keys.hpp"
#include "sipwake/util/result.hpp"

namespace sipwake::natkeep {

/// Schema version this build writes and reads (PRAGMA user_version).
inline constexpr int k_keys_db_version = 1;

/// Opens (creating and migrating) `path` and calls `add(id, key)` for every valid row.
/// A row with a bad id or key is an error naming the row's id, never the key.
Result<std::size_t> load_keys_db(const std::string& path,
                                 const std::function<void(std::string_view, const DeviceKey&)>& add);

}  // namespace sipwake::natkeep
