#pragma once
// SQLite behind RAII: one Database per file, prepared Statements, Transactions, and
// forward migrations versioned with PRAGMA user_version (DESIGN.md "Storage").

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipwake/util/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace sipwake::db {

class Database;

/// A prepared statement; bind with 1-based indexes, step(), read columns 0-based.
class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, double value);
  Statement& bind_null(int index);
  /// Binds an optional: NULL when empty.
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  /// Advances: true with a row, false when done; an error is kept in error().
  bool step();
  /// Runs to completion (for INSERT/UPDATE/DELETE); error on failure.
  Result<void> run();
  /// Resets for re-use with new bindings.
  void reset();

  std::int64_t column_int(int col) const;
  double column_double(int col) const;
  std::string column_text(int col) const;
  bool column_null(int col) const;
  /// The last step()'s error ("" when none).
  const std::string& error() const { return m_error; }

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : m_db(db), m_stmt(stmt) {}
  sqlite3* m_db;
  sqlite3_stmt* m_stmt;
  std::string m_error;
};

/// One schema step: the SQL that moves user_version from N-1 to N.
struct Migration {
  int version;
  std::string sql;
};

/// An open SQLite database in WAL mode with foreign keys on and a busy timeout.
class Database {
 public:
  /// Opens (creating) `path`, or ":memory:". `read_only` never creates or writes.
  static Result<std::unique_ptr<Database>> open(const std::string& path, bool read_only = false);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  /// Applies every migration above the current user_version, each in a transaction.
  /// A database newer than the migrations know is an error (no silent downgrade).
  Result<void> migrate(const std::vector<Migration>& migrations);
  /// Runs SQL without results (may hold several statements).
  Result<void> exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  int user_version();
  std::int64_t last_insert_id() const;
  /// Rows changed by the last INSERT/UPDATE/DELETE.
  int changes() const;
  /// True inside BEGIN ... COMMIT.
  bool in_transaction() const;
  const std::string& path() const { return m_path; }

 private:
  Database(sqlite3* db, std::string path) : m_db(db), m_path(std::move(path)) {}
  sqlite3* m_db;
  std::string m_path;
};

/// BEGIN IMMEDIATE on construction; ROLLBACK unless commit() succeeded. Inside an
/// outer transaction it does nothing: the outer one commits or rolls back everything.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  /// Did BEGIN succeed?
  const Result<void>& begun() const { return m_begun; }
  Result<void> commit();

 private:
  Database& m_db;
  bool m_nested;
  Result<void> m_begun;
  bool m_done = false;
};

/// The state directory: $SIPWAKE_STATE_DIR, else /var/lib/sipwake as root, else
/// $XDG_STATE_HOME/sipwake (or ~/.local/state/sipwake).
std::string default_state_dir();

}  // namespace sipwake::db
