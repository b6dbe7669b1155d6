#include "keys_db.hpp"

#include "sipwake/db/database.hpp"

namespace sipwake::natkeep {
namespace {

const std::vector<db::Migration>& migrations() {
  static const std::vector<db::Migration> k_migrations = {
      {1,
       "CREATE TABLE devices ("
       "  id TEXT PRIMARY KEY NOT NULL,"
       "  key TEXT NOT NULL,"                    // hex, 16..32 bytes
       "  added TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
       ") WITHOUT ROWID;"},
  };
  return k_migrations;
}

}  // namespace

Result<std::size_t> load_keys_db(const std::string& path,
                                 const std::function<void(std::string_view, const DeviceKey&)>& add) {
  auto dbr = db::Database::open(path);
  if (!dbr) return fail("keys database " + path + ": " + dbr.message());
  auto& d = **dbr;
  if (auto m = d.migrate(migrations()); !m) return fail("keys database " + path + ": " + m.message());
  auto st = d.prepare("SELECT id, key FROM devices ORDER BY id");
  if (!st) return fail("keys database " + path + ": " + st.message());
  std::size_t n = 0;
  while (st->step()) {
    std::string id = st->column_text(0);
    std::string key = st->column_text(1);
    if (!valid_device_id(id)) return fail("keys database " + path + ": bad device id in table devices");
    auto k = parse_key_hex(key);
    if (!k) return fail("keys database " + path + ": device " + id + ": " + k.message());
    add(id, *k);
    ++n;
  }
  if (!st->error().empty()) return fail("keys database " + path + ": " + st->error());
  return n;
}

}  // namespace sipwake::natkeep
