#pragma once
// The audit trail: every request, attempt, transport result and outcome, written to SQLite
// in batches (one transaction per loop turn) and read back by `worsend log`.

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
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
  void append(std::string event, nlohmann::json fields, std::int64_t ts_ms);
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

/// An AuditWriter on its own connection and thread, so the event loop never waits for
/// the disk (a WAL checkpoint's fsync can take milliseconds). Records are written in
/// the order appended; stop() (or destruction) writes everything still queued.
class AuditThread {
 public:
  /// Opens `path` (already migrated) for writing and starts the thread.
  static Result<std::unique_ptr<AuditThread>> start(const std::string& path);
  ~AuditThread();
  AuditThread(const AuditThread&) = delete;
  AuditThread& operator=(const AuditThread&) = delete;

  /// One record for append().
  struct Row {
    std::string event;
    nlohmann::json fields;
    std::int64_t ts_ms;
  };
  /// Queues records (one hand-over per event-loop turn); never blocks on the database.
  void append(std::vector<Row> rows);
  /// Writes everything queued and ends the thread.
  void stop();
  /// The last write error since the previous call ("" when none); for the loop to log.
  std::string take_error();
  /// Records queued and not yet committed.
  std::size_t backlog() const;

 private:
  explicit AuditThread(std::unique_ptr<db::Database> db);
  void run();

  std::unique_ptr<db::Database> m_db;
  AuditWriter m_writer;
  mutable std::mutex m_mu;
  std::condition_variable m_cv;
  std::vector<Row> m_queue;
  std::size_t m_writing = 0;
  std::string m_error;
  bool m_stop = false;
  std::thread m_thread;
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
/// When each wake job of the last `window` started (its first attempt), oldest first:
/// device and wall-clock ms; for restoring rate limits after a restart.
Result<std::vector<std::pair<std::string, std::int64_t>>> recent_signals(db::Database& db, std::int64_t since_ms);
/// The highest job id recorded (0 when none): job ids continue across restarts.
std::uint64_t last_job_id(db::Database& db);
/// A human line: "2026-11-22T12:00:00.123Z wake.attempt device=rabbit job=3 transport=udp ...".
std::string format_row(const AuditRow& row);
/// ISO 8601 UTC with milliseconds for a wall-clock ms value.
std::string iso_time(std::int64_t ms);
/// Parses --since: 2026-11-22T12:00:00Z, 2026-11-22, a relative 30s/10m/2h/1d, or @EPOCH_SECONDS.
Result<std::int64_t> parse_since(const std::string& text, std::int64_t now_ms);

}  // namespace sipwake::worsend
