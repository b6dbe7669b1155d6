#pragma once
// The audit trail: every request, attempt, transport result and outcome, written to SQLite
// in batches (one transaction per loop turn) and read back by `worsend log`.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sipwake/db/database.hpp"
#include "sipwake/util/result.hpp"

namespace sipwake::worsend {

/// Milliseconds since the epoch, now.
std::int64_t wall_ms_now();

/// Buffers records and writes them in one transaction per flush().
class AuditWriter {
 public:
  explicit AuditWriter(db::Database& db) : m_db(db) {}
  /// Queues one record (event name and its JSON fields) stamped `ts_ms`.
  void append(const std::string& event, const nlohmann::json& fields, std::int64_t ts_ms);
  /// Writes everything queued; on failure the records stay queued for the next flush.
  Result<void> flush();
  std::size_t pending() const { return m_queue.size(); }

 private:
  struct Row {
    std::int64_t ts_ms;
    std::string event;
    nlohmann::json fields;
  };
  db::Database& m_db;
  std::vector<Row> m_queue;
  std::optional<db::Statement> m_insert;
};

/// One audit row as read back.
struct AuditRow {
  std::int64_t seq = 0;
  std::int64_t ts_ms = 0;
  std::string event;
  nlohmann::json detail;
};

/// What `worsend log` selects.
struct AuditQuery {
  std::optional<std::string> device;
  std::optional<std::string> call_id;  ///< the call's own rows plus every row of the jobs it joined
  std::optional<std::int64_t> since_ms;
  std::size_t limit = 10000;           ///< the newest `limit` rows, printed oldest first
};

/// Rows matching `q`, oldest first.
Result<std::vector<AuditRow>> query_audit(db::Database& db, const AuditQuery& q);
/// The highest job id recorded (0 when none): job ids continue across restarts.
std::uint64_t last_job_id(db::Database& db);
/// A human line: "2026-11-22T12:00:00.123Z wake.attempt device=rabbit job=3 transport=udp ...".
std::string format_row(const AuditRow& row);
/// ISO 8601 UTC with milliseconds for a wall-clock ms value.
std::string iso_time(std::int64_t ms);
/// Parses --since: 2026-11-22T12:00:00Z, 2026-11-22, a relative 30s/10m/2h/1d, or @EPOCH_SECONDS.
Result<std::int64_t> parse_since(const std::string& text, std::int64_t now_ms);

}  // namespace sipwake::worsend
