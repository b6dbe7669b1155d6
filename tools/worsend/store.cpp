#include "store.hpp"

#include <filesystem>

namespace sipwake::worsend {
namespace {

const std::vector<db::Migration>& migrations() {
  static const std::vector<db::Migration> k_migrations = {
      {1, R"sql(
CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  rate TEXT,                                  -- "N/SECONDS" overriding --device-rate, NULL = default
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE TABLE transports (
  device TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('udp', 'http', 'exec')),
  target TEXT NOT NULL,
  natkeep_device TEXT,
  token_file TEXT,                            -- a path; the token itself is never stored
  timeout_ms INTEGER NOT NULL,
  PRIMARY KEY (device, kind)
);
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY,
  ts_ms INTEGER NOT NULL,                     -- wall clock, ms since the epoch
  event TEXT NOT NULL,
  device TEXT,
  call_id TEXT,
  request_id TEXT,
  caller TEXT,
  job INTEGER,
  attempt INTEGER,
  transport TEXT,
  ok INTEGER,
  error TEXT,
  elapsed_ms INTEGER,
  detail TEXT NOT NULL                        -- the event's JSON fields
);
-- Each index costs every insert (a device index scattered writes over the whole trail and
-- halved the writer's rate); --call-id needs these two, --device and --since scan.
CREATE INDEX audit_call ON audit(call_id);
CREATE INDEX audit_job ON audit(job);
)sql"}};
  return k_migrations;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string default_db_path() { return db::default_state_dir() + "/worsend.db"; }

Result<std::unique_ptr<db::Database>> open_store(const std::string& path, bool read_only) {
  if (!read_only && path == default_db_path()) {
    // The state directory is ours to create (not an explicit --db's parents).
    std::error_code ec;
    auto dir = std::filesystem::path(path).parent_path();
    if (std::filesystem::create_directories(dir, ec)) {
      std::filesystem::permissions(dir, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                            std::filesystem::perms::group_exec, ec);
    }
    if (ec) return fail("cannot create " + dir.string() + ": " + ec.message());
  }
  auto d = db::Database::open(path, read_only);
  if (!d) return d.error();
  if (read_only) {
    if ((*d)->user_version() == 0) return fail(path + ": not a worsend database (no schema)");
    if ((*d)->user_version() > static_cast<int>(migrations().size())) return fail(path + ": database is newer than this worsend");
    return d;
  }
  if (auto m = (*d)->migrate(migrations()); !m) return fail(path + ": " + m.message());
  return d;
}

Result<void> DeviceStore::write_transports(const Device& d) {
  auto del = m_db.prepare("DELETE FROM transports WHERE device = ?");
  if (!del) return del.error();
  if (auto r = del->bind(1, d.id).run(); !r) return r;
  auto ins = m_db.prepare(
      "INSERT INTO transports (device, position, kind, target, natkeep_device, token_file, timeout_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!ins) return ins.error();
  std::int64_t pos = 0;
  for (const auto& t : d.transports) {
    ins->reset();
    ins->bind(1, d.id).bind(2, pos++).bind(3, kind_name(t.kind)).bind(4, t.target);
    if (t.natkeep_device.empty()) ins->bind_null(5); else ins->bind(5, t.natkeep_device);
    if (t.token_file.empty()) ins->bind_null(6); else ins->bind(6, t.token_file);
    ins->bind(7, static_cast<std::int64_t>(t.timeout.count()));
    if (auto r = ins->run(); !r) return r;
  }
  return {};
}

Result<void> DeviceStore::add(const Device& d) {
  db::Transaction tx(m_db);
  if (!tx.begun()) return tx.begun().error();
  auto ins = m_db.prepare("INSERT INTO devices (id, rate, created_ms, updated_ms) VALUES (?, ?, ?, ?)");
  if (!ins) return ins.error();
  ins->bind(1, d.id);
  if (d.rate) ins->bind(2, d.rate->to_string()); else ins->bind_null(2);
  ins->bind(3, wall_ms()).bind(4, wall_ms());
  if (auto r = ins->run(); !r) {
    if (r.message().find("UNIQUE") != std::string::npos) return fail("device " + d.id + " already exists (use device set)");
    return r;
  }
  if (auto w = write_transports(d); !w) return w;
  return tx.commit();
}

Result<bool> DeviceStore::replace(const Device& d) {
  db::Transaction tx(m_db);
  if (!tx.begun()) return tx.begun().error();
  auto up = m_db.prepare("UPDATE devices SET rate = ?, updated_ms = ? WHERE id = ?");
  if (!up) return up.error();
  if (d.rate) up->bind(1, d.rate->to_string()); else up->bind_null(1);
  up->bind(2, wall_ms()).bind(3, d.id);
  if (auto r = up->run(); !r) return r.error();
  if (m_db.changes() == 0) return false;
  if (auto w = write_transports(d); !w) return w.error();
  if (auto c = tx.commit(); !c) return c.error();
  return true;
}

Result<bool> DeviceStore::remove(const std::string& id) {
  auto del = m_db.prepare("DELETE FROM devices WHERE id = ?");
  if (!del) return del.error();
  if (auto r = del->bind(1, id).run(); !r) return r.error();
  return m_db.changes() > 0;
}

Result<std::optional<Device>> DeviceStore::get(const std::string& id) {
  // Prepared once: the serve loop looks a device up for every new wake.
  if (!m_get_device) {
    auto a = m_db.prepare("SELECT rate FROM devices WHERE id = ?");
    if (!a) return a.error();
    auto b = m_db.prepare(
        "SELECT kind, target, natkeep_device, token_file, timeout_ms FROM transports WHERE device = ? ORDER BY position");
    if (!b) return b.error();
    m_get_device.emplace(std::move(*a));
    m_get_transports.emplace(std::move(*b));
  }
  auto& sd = *m_get_device;
  sd.reset();
  sd.bind(1, id);
  if (!sd.step()) {
    if (!sd.error().empty()) return fail(sd.error());
    return std::optional<Device>{};
  }
  Device d;
  d.id = id;
  if (!sd.column_null(0)) {
    if (auto r = RateLimit::parse(sd.column_text(0)); r) d.rate = *r;
  }
  sd.reset();
  auto& st = *m_get_transports;
  st.reset();
  st.bind(1, id);
  while (st.step()) {
    Transport t;
    auto k = parse_kind(st.column_text(0));
    if (!k) continue;
    t.kind = *k;
    t.target = st.column_text(1);
    if (!st.column_null(2)) t.natkeep_device = st.column_text(2);
    if (!st.column_null(3)) t.token_file = st.column_text(3);
    t.timeout = Duration{st.column_int(4)};
    d.transports.push_back(std::move(t));
  }
  if (!st.error().empty()) return fail(st.error());
  st.reset();
  return std::optional<Device>{std::move(d)};
}

Result<std::optional<Device>> DeviceCache::get(const std::string& id, TimePoint now) {
  if (auto it = m_entries.find(id); it != m_entries.end() && now - it->second.loaded < m_ttl) {
    return std::optional<Device>{it->second.device};
  }
  auto d = m_store.get(id);
  if (!d) return d;
  if (!*d) {
    m_entries.erase(id);  // an unknown device is looked up again next time: it may be added
    return d;
  }
  if (m_entries.size() >= k_max_entries) m_entries.clear();
  m_entries[id] = Entry{**d, now};
  return d;
}

Result<std::vector<Device>> DeviceStore::list() {
  auto ids = m_db.prepare("SELECT id FROM devices ORDER BY id");
  if (!ids) return ids.error();
  std::vector<std::string> names;
  while (ids->step()) names.push_back(ids->column_text(0));
  if (!ids->error().empty()) return fail(ids->error());
  std::vector<Device> out;
  for (const auto& n : names) {
    auto d = get(n);
    if (!d) return d.error();
    if (*d) out.push_back(std::move(**d));
  }
  return out;
}

}  // namespace sipwake::worsend
