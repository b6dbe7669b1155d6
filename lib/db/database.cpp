#include "sipwake/db/database.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>

namespace sipwake::db {
namespace {

std::string errmsg(sqlite3* db, const std::string& what) {
  return what + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
}

}  // namespace

Statement::Statement(Statement&& o) noexcept : m_db(o.m_db), m_stmt(o.m_stmt), m_error(std::move(o.m_error)) {
  o.m_stmt = nullptr;
}

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(m_stmt);
    m_db = o.m_db;
    m_stmt = o.m_stmt;
    m_error = std::move(o.m_error);
    o.m_stmt = nullptr;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(m_stmt); }

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(m_stmt, index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  sqlite3_bind_text(m_stmt, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(m_stmt, index, value);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(m_stmt, index);
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) m_error = sqlite3_errmsg(m_db);
  return false;
}

Result<void> Statement::run() {
  m_error.clear();
  while (step()) {
  }
  std::string err = m_error;
  reset();
  if (!err.empty()) return fail(err);
  return {};
}

void Statement::reset() {
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
}

std::int64_t Statement::column_int(int col) const { return sqlite3_column_int64(m_stmt, col); }

double Statement::column_double(int col) const { return sqlite3_column_double(m_stmt, col); }

std::string Statement::column_text(int col) const {
  const unsigned char* t = sqlite3_column_text(m_stmt, col);
  int n = sqlite3_column_bytes(m_stmt, col);
  return t ? std::string(reinterpret_cast<const char*>(t), static_cast<std::size_t>(n)) : std::string();
}

bool Statement::column_null(int col) const { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }

Result<std::unique_ptr<Database>> Database::open(const std::string& path, bool read_only) {
  sqlite3* raw = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &raw, flags, nullptr) != SQLITE_OK) {
    std::string msg = errmsg(raw, "cannot open database " + path);
    sqlite3_close(raw);
    return fail(msg);
  }
  auto db = std::unique_ptr<Database>(new Database(raw, path));
  sqlite3_busy_timeout(raw, 5000);
  sqlite3_extended_result_codes(raw, 1);
  // Corrupt or foreign files fail here, with a clear message, before any write.
  if (auto check = db->exec("PRAGMA foreign_keys = ON; SELECT count(*) FROM sqlite_master;"); !check) {
    return fail("cannot use database " + path + ": " + check.message());
  }
  if (!read_only && path != ":memory:") {
    if (auto wal = db->exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"); !wal) {
      return fail("cannot use database " + path + ": " + wal.message());
    }
  }
  return db;
}

Database::~Database() { sqlite3_close(m_db); }

Result<void> Database::exec(std::string_view sql) {
  char* err = nullptr;
  std::string text(sql);
  if (sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(m_db);
    sqlite3_free(err);
    return fail(msg);
  }
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(m_db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK) {
    return fail(errmsg(m_db, "cannot prepare statement"));
  }
  return Statement(m_db, stmt);
}

int Database::user_version() {
  auto st = prepare("PRAGMA user_version");
  if (!st || !st->step()) return -1;
  return static_cast<int>(st->column_int(0));
}

std::int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(m_db); }

int Database::changes() const { return sqlite3_changes(m_db); }

bool Database::in_transaction() const { return sqlite3_get_autocommit(m_db) == 0; }

Result<void> Database::migrate(const std::vector<Migration>& migrations) {
  int current = user_version();
  if (current < 0) return fail("cannot read schema version of " + m_path);
  int newest = migrations.empty() ? 0 : migrations.back().version;
  if (current > newest) {
    return fail(m_path + " has schema version " + std::to_string(current) + ", newer than this program knows (" +
                std::to_string(newest) + ")");
  }
  for (const auto& m : migrations) {
    if (m.version <= current) continue;
    Transaction tx(*this);
    if (!tx.begun()) return tx.begun().error();
    if (auto r = exec(m.sql); !r) {
      return fail("migration to schema " + std::to_string(m.version) + " failed: " + r.message());
    }
    if (auto r = exec("PRAGMA user_version = " + std::to_string(m.version)); !r) return r;
    if (auto r = tx.commit(); !r) return r;
  }
  return {};
}

Transaction::Transaction(Database& db)
    : m_db(db), m_nested(db.in_transaction()), m_begun(m_nested ? Result<void>{} : db.exec("BEGIN IMMEDIATE")) {}

Transaction::~Transaction() {
  if (!m_nested && m_begun && !m_done) (void)m_db.exec("ROLLBACK");
}

Result<void> Transaction::commit() {
  if (!m_begun) return m_begun;
  if (m_nested) return {};
  auto r = m_db.exec("COMMIT");
  if (r) m_done = true;
  return r;
}

std::string default_state_dir() {
  if (const char* d = std::getenv("SIPWAKE_STATE_DIR"); d && *d) return d;
  if (::geteuid() == 0) return "/var/lib/sipwake";
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::string(x) + "/sipwake";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.local/state/sipwake";
}

}  // namespace sipwake::db
