#include "audit.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>
#include <ctime>

namespace sipwake::worsend {
namespace {

using nlohmann::json;

std::optional<std::string> text_of(const json& f, const char* key) {
  auto it = f.find(key);
  if (it == f.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) {
    if (it->get_ref<const std::string&>().empty()) return std::nullopt;
    return it->get<std::string>();
  }
  return it->dump();
}

std::optional<std::int64_t> int_of(const json& f, const char* key) {
  auto it = f.find(key);
  if (it == f.end() || !it->is_number()) return std::nullopt;
  return it->get<std::int64_t>();
}

}  // namespace

std::int64_t wall_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void AuditWriter::append(std::string event, json fields, std::int64_t ts_ms) {
  m_queue.push_back(Row{ts_ms, std::move(event), std::move(fields)});
}

Result<void> AuditWriter::flush() {
  if (m_queue.empty()) return {};
  if (!m_insert) {
    auto st = m_db.prepare(
        "INSERT INTO audit (ts_ms, event, device, call_id, request_id, caller, job, attempt, transport, ok, error, "
        "elapsed_ms, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st) return st.error();
    m_insert.emplace(std::move(*st));
  }
  db::Transaction tx(m_db);
  if (!tx.begun()) return tx.begun().error();
  auto& st = *m_insert;
  for (const auto& r : m_queue) {
    const json& f = r.fields;
    st.reset();
    st.bind(1, r.ts_ms).bind(2, r.event);
    st.bind(3, text_of(f, "device"));
    st.bind(4, text_of(f, "call_id"));
    st.bind(5, text_of(f, "request_id"));
    st.bind(6, text_of(f, "caller"));
    st.bind(7, int_of(f, "job"));
    st.bind(8, int_of(f, "attempt"));
    auto transport = text_of(f, "transport");
    st.bind(9, transport ? transport : text_of(f, "via"));
    if (auto ok = f.find("ok"); ok != f.end() && ok->is_boolean()) {
      st.bind(10, static_cast<std::int64_t>(ok->get<bool>()));
    } else if (r.event == "wake.ok") {
      st.bind(10, std::int64_t{1});
    } else if (r.event == "wake.failed" || r.event == "wake.denied") {
      st.bind(10, std::int64_t{0});
    } else {
      st.bind_null(10);
    }
    st.bind(11, text_of(f, "error"));
    auto elapsed = int_of(f, "elapsed_ms");
    st.bind(12, elapsed ? elapsed : int_of(f, "latency_ms"));
    st.bind(13, f.dump(-1, ' ', false, json::error_handler_t::replace));
    if (auto run = st.run(); !run) return run;
  }
  if (auto c = tx.commit(); !c) return c;
  m_queue.clear();
  return {};
}

Result<std::unique_ptr<AuditThread>> AuditThread::start(const std::string& path) {
  auto d = db::Database::open(path);
  if (!d) return d.error();
  // 16 MiB of page cache: index pages stay in memory between batches.
  if (auto c = (*d)->exec("PRAGMA cache_size = -16384"); !c) return c.error();
  return std::unique_ptr<AuditThread>(new AuditThread(std::move(*d)));
}

AuditThread::AuditThread(std::unique_ptr<db::Database> db) : m_db(std::move(db)), m_writer(*m_db) {
  m_thread = std::thread([this] { run(); });
}

AuditThread::~AuditThread() { stop(); }

void AuditThread::append(std::vector<Row> rows) {
  if (rows.empty()) return;
  {
    std::lock_guard<std::mutex> lock(m_mu);
    if (m_queue.empty()) {
      m_queue = std::move(rows);
    } else {
      for (auto& r : rows) m_queue.push_back(std::move(r));
    }
  }
  m_cv.notify_one();
}

void AuditThread::stop() {
  {
    std::lock_guard<std::mutex> lock(m_mu);
    m_stop = true;
  }
  m_cv.notify_one();
  if (m_thread.joinable()) m_thread.join();
  // Rows appended after the thread ended (or left by a failed last batch): write them here.
  std::lock_guard<std::mutex> lock(m_mu);
  for (auto& r : m_queue) m_writer.append(std::move(r.event), std::move(r.fields), r.ts_ms);
  m_queue.clear();
  if (m_writer.pending() == 0) return;
  if (auto written = m_writer.flush(); !written) m_error = written.message();
  m_writing = m_writer.pending();
}

std::string AuditThread::take_error() {
  std::lock_guard<std::mutex> lock(m_mu);
  return std::exchange(m_error, std::string());
}

std::size_t AuditThread::backlog() const {
  std::lock_guard<std::mutex> lock(m_mu);
  return m_queue.size() + m_writing;
}

void AuditThread::run() {
  std::vector<Row> batch;
  std::unique_lock<std::mutex> lock(m_mu);
  for (;;) {
    m_cv.wait(lock, [this] { return m_stop || !m_queue.empty(); });
    if (m_queue.empty() && m_stop) return;
    batch.swap(m_queue);
    m_writing = batch.size();
    lock.unlock();
    for (auto& r : batch) m_writer.append(std::move(r.event), std::move(r.fields), r.ts_ms);
    batch.clear();
    auto written = m_writer.flush();
    // A failed batch stays in the writer and goes with the next one; back off a little
    // so a locked or full database is not hammered.
    if (!written) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    lock.lock();
    m_writing = m_writer.pending();
    if (!written) {
      m_error = written.message();
      if (m_stop) return;  // give up at shutdown rather than spin on a dead database
    }
  }
}

Result<std::vector<AuditRow>> query_audit(db::Database& db, const AuditQuery& q) {
  std::string sql = "SELECT seq, ts_ms, event, detail FROM audit WHERE 1";
  if (q.device) sql += " AND device = ?1";
  if (q.call_id) sql += " AND (call_id = ?2 OR job IN (SELECT job FROM audit WHERE call_id = ?2 AND job IS NOT NULL))";
  if (q.since_ms) sql += " AND ts_ms >= ?3";
  sql += " ORDER BY seq DESC LIMIT ?4";
  auto st = db.prepare(sql);
  if (!st) return st.error();
  if (q.device) st->bind(1, *q.device);
  if (q.call_id) st->bind(2, *q.call_id);
  if (q.since_ms) st->bind(3, *q.since_ms);
  st->bind(4, static_cast<std::int64_t>(q.limit));
  std::vector<AuditRow> rows;
  while (st->step()) {
    AuditRow r;
    r.seq = st->column_int(0);
    r.ts_ms = st->column_int(1);
    r.event = st->column_text(2);
    r.detail = json::parse(st->column_text(3), nullptr, false);
    if (r.detail.is_discarded()) r.detail = json::object();
    rows.push_back(std::move(r));
  }
  if (!st->error().empty()) return fail(st->error());
  std::reverse(rows.begin(), rows.end());
  return rows;
}

Result<std::vector<std::pair<std::string, std::int64_t>>> recent_signals(db::Database& db, std::int64_t since_ms) {
  // Newest first by rowid, stopping at the first older row: no full scan of a long trail
  // (rows are appended in time order; a minute of slack covers clock steps).
  auto st = db.prepare("SELECT event, attempt, device, ts_ms FROM audit ORDER BY seq DESC");
  if (!st) return st.error();
  std::vector<std::pair<std::string, std::int64_t>> out;
  while (st->step()) {
    std::int64_t ts = st->column_int(3);
    if (ts < since_ms - 60'000) break;
    if (ts < since_ms || st->column_text(0) != "wake.attempt" || st->column_int(1) != 1) continue;
    out.emplace_back(st->column_text(2), ts);
  }
  if (!st->error().empty()) return fail(st->error());
  std::reverse(out.begin(), out.end());
  return out;
}

std::uint64_t last_job_id(db::Database& db) {
  auto st = db.prepare("SELECT COALESCE(MAX(job), 0) FROM audit");
  if (!st || !st->step()) return 0;
  return static_cast<std::uint64_t>(st->column_int(0));
}

std::string iso_time(std::int64_t ms) {
  std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&s, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string format_row(const AuditRow& row) {
  std::string s = iso_time(row.ts_ms) + " " + row.event;
  // A fixed order for the fields an operator scans for; the rest follow.
  static const char* k_first[] = {"device", "call_id", "request_id", "caller", "job", "attempt", "transport", "via", "ok"};
  json rest = row.detail;
  auto put = [&](const std::string& k, const json& v) {
    std::string text = v.is_string() ? v.get<std::string>() : v.dump();
    if (text.empty()) return;
    bool quote = text.find(' ') != std::string::npos;
    s += " " + k + "=" + (quote ? "\"" + text + "\"" : text);
  };
  for (const char* k : k_first) {
    if (auto it = rest.find(k); it != rest.end()) {
      if (!it->is_null()) put(k, *it);
      rest.erase(k);
    }
  }
  for (auto it = rest.begin(); it != rest.end(); ++it) {
    if (!it->is_null()) put(it.key(), *it);
  }
  return s;
}

Result<std::int64_t> parse_since(const std::string& text, std::int64_t now_ms) {
  auto bad = [&] {
    return fail("--since: want 2026-11-22T12:00:00Z, 2026-11-22, 30s/10m/2h/1d or @EPOCH_SECONDS, not \"" + text + "\"");
  };
  if (text.empty()) return bad();
  if (text[0] == '@') {
    try {
      std::size_t used = 0;
      long long s = std::stoll(text.substr(1), &used);
      if (used + 1 != text.size()) return bad();
      return static_cast<std::int64_t>(s) * 1000;
    } catch (...) {
      return bad();
    }
  }
  char unit = text.back();
  if ((unit == 's' || unit == 'm' || unit == 'h' || unit == 'd') && text.size() > 1 &&
      text.find_first_not_of("0123456789") == text.size() - 1) {
    long long n = std::stoll(text.substr(0, text.size() - 1));
    long long mult = unit == 's' ? 1000 : unit == 'm' ? 60'000 : unit == 'h' ? 3'600'000 : 86'400'000;
    return now_ms - n * mult;
  }
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec);
  if (n == 3 && text.size() == 10) {
    h = mi = sec = 0;
  } else if (n != 6 || (text.back() != 'Z' && text.size() != 19)) {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return bad();
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<std::int64_t>(::timegm(&tm)) * 1000;
}

}  // namespace sipwake::worsend
