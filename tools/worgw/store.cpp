#include "store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace sipwake::worgw {
namespace {

// Migration 1. The wake table has no foreign key: a call's history outlives a removed
// subscriber. Rule patterns compare case-insensitively (policy.hpp), so the key does too.
const std::vector<db::Migration> k_migrations = {
    {1, R"sql(
CREATE TABLE subscriber (
  name TEXT PRIMARY KEY,
  aor TEXT NOT NULL,
  registrar TEXT NOT NULL,
  auth_user TEXT NOT NULL,
  password TEXT NOT NULL,
  device_id TEXT NOT NULL DEFAULT '',
  proxy_login INTEGER NOT NULL DEFAULT 1 CHECK (proxy_login IN (0, 1)),
  mode TEXT NOT NULL DEFAULT 'default' CHECK (mode IN ('default', 'proxy', 'redirect')),
  voicemail TEXT NOT NULL DEFAULT '',
  default_policy TEXT NOT NULL DEFAULT 'allow' CHECK (default_policy IN ('allow', 'deny')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE rule (
  subscriber TEXT NOT NULL REFERENCES subscriber(name) ON DELETE CASCADE ON UPDATE CASCADE,
  pattern TEXT NOT NULL COLLATE NOCASE,
  action TEXT NOT NULL CHECK (action IN ('allow', 'deny')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (subscriber, pattern)
);
CREATE TABLE binding (
  subscriber TEXT PRIMARY KEY REFERENCES subscriber(name) ON DELETE CASCADE ON UPDATE CASCADE,
  contact TEXT NOT NULL,
  received TEXT NOT NULL,
  transport TEXT NOT NULL,
  instance TEXT NOT NULL DEFAULT '',
  expires_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE upstream (
  subscriber TEXT PRIMARY KEY REFERENCES subscriber(name) ON DELETE CASCADE ON UPDATE CASCADE,
  state TEXT NOT NULL,
  expires_at INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL
);
CREATE TABLE wake (
  id INTEGER PRIMARY KEY,
  call_id TEXT NOT NULL,
  subscriber TEXT NOT NULL,
  caller TEXT NOT NULL,
  invite_ms INTEGER NOT NULL DEFAULT 0,
  wake_requested_ms INTEGER NOT NULL DEFAULT 0,
  wake_confirmed_ms INTEGER NOT NULL DEFAULT 0,
  device_register_ms INTEGER NOT NULL DEFAULT 0,
  connected_ms INTEGER NOT NULL DEFAULT 0,
  first_response_ms INTEGER NOT NULL DEFAULT 0,
  outcome TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX wake_subscriber ON wake (subscriber, id);
)sql"},
};

constexpr const char* k_subscriber_columns =
    "name, aor, registrar, auth_user, password, device_id, proxy_login, mode, voicemail, "
    "default_policy";

std::int64_t now_s() { return static_cast<std::int64_t>(std::time(nullptr)); }

// Creates the missing directories of `dir` with mode 0700 (they will hold passwords).
Result<void> make_dirs(const std::string& dir) {
  if (dir.empty()) return {};
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return fail(dir + " is not a directory");
    return {};
  }
  auto slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    if (auto r = make_dirs(dir.substr(0, slash)); !r) return r;
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail("cannot create directory " + dir + ": " + std::strerror(errno));
  }
  return {};
}

// The database stores SIP passwords: create it 0600 before SQLite does (SQLite gives its
// -wal and -shm files the main file's mode). An existing file is never touched here.
Result<void> create_private_file(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    if (auto r = make_dirs(path.substr(0, slash)); !r) return r;
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return {};
    return fail("cannot create database " + path + ": " + std::strerror(errno));
  }
  ::fchmod(fd, 0600);  // in case of an unusual umask
  ::close(fd);
  return {};
}

Subscriber read_subscriber(const db::Statement& st) {
  Subscriber s;
  s.name = st.column_text(0);
  s.aor = st.column_text(1);
  s.registrar = st.column_text(2);
  s.auth_user = st.column_text(3);
  s.password = st.column_text(4);
  s.device_id = st.column_text(5);
  s.proxy_login = st.column_int(6) != 0;
  auto mode = parse_connect_mode(st.column_text(7));
  s.mode = mode ? *mode : ConnectMode::global;
  auto policy = parse_policy(st.column_text(9));
  s.voicemail = st.column_text(8);
  s.default_policy = policy ? *policy : Policy::allow;
  return s;
}

// Runs one write statement in its own transaction.
template <typename Bind>
Result<int> write_one(db::Database& db, std::string_view sql, Bind&& bind) {
  db::Transaction tx(db);
  if (!tx.begun()) return tx.begun().error();
  auto st = db.prepare(sql);
  if (!st) return st.error();
  bind(*st);
  if (auto r = st->run(); !r) return r.error();
  int changed = db.changes();
  if (auto r = tx.commit(); !r) return r.error();
  return changed;
}

Result<void> checked(const Result<int>& r, const std::string& missing) {
  if (!r) return r.error();
  if (*r == 0) return fail(missing);
  return {};
}

std::string no_subscriber(const std::string& name) { return "no subscriber named " + name; }

}  // namespace

std::string to_string(ConnectMode m) {
  switch (m) {
    case ConnectMode::global:
      return "default";
    case ConnectMode::proxy:
      return "proxy";
    case ConnectMode::redirect:
      return "redirect";
  }
  return "default";
}

std::string to_string(Policy p) { return p == Policy::deny ? "deny" : "allow"; }

Result<ConnectMode> parse_connect_mode(std::string_view text) {
  if (text == "default") return ConnectMode::global;
  if (text == "proxy") return ConnectMode::proxy;
  if (text == "redirect") return ConnectMode::redirect;
  return fail("unknown mode '" + std::string(text) + "' (default, proxy, redirect)");
}

Result<Policy> parse_policy(std::string_view text) {
  if (text == "allow") return Policy::allow;
  if (text == "deny") return Policy::deny;
  return fail("unknown policy '" + std::string(text) + "' (allow, deny)");
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path) {
  if (path != ":memory:") {
    if (auto r = create_private_file(path); !r) return r.error();
  }
  auto db = db::Database::open(path);
  if (!db) return db.error();
  if (auto r = (*db)->migrate(k_migrations); !r)
    return fail("cannot use database " + path + ": " + r.message());
  return std::unique_ptr<Store>(new Store(std::move(*db)));
}

std::string Store::default_path() { return db::default_state_dir() + "/worgw.db"; }

Result<void> Store::add_subscriber(const Subscriber& s) {
  db::Transaction tx(*m_db);
  if (!tx.begun()) return tx.begun();
  auto exists = m_db->prepare("SELECT 1 FROM subscriber WHERE name = ?1");
  if (!exists) return exists.error();
  exists->bind(1, s.name);
  if (exists->step()) return fail("subscriber " + s.name + " exists already");
  auto st = m_db->prepare(
      std::string("INSERT INTO subscriber (") + k_subscriber_columns +
      ", created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)");
  if (!st) return st.error();
  st->bind(1, s.name).bind(2, s.aor).bind(3, s.registrar).bind(4, s.auth_user).bind(5, s.password);
  st->bind(6, s.device_id).bind(7, std::int64_t{s.proxy_login ? 1 : 0}).bind(8, to_string(s.mode));
  st->bind(9, s.voicemail).bind(10, to_string(s.default_policy)).bind(11, now_s());
  if (auto r = st->run(); !r) return fail("cannot add subscriber " + s.name + ": " + r.message());
  return tx.commit();
}

Result<void> Store::update_subscriber(const Subscriber& s) {
  auto r = write_one(
      *m_db,
      "UPDATE subscriber SET aor = ?2, registrar = ?3, auth_user = ?4, password = ?5, device_id = "
      "?6, "
      "proxy_login = ?7, mode = ?8, voicemail = ?9, default_policy = ?10, updated_at = ?11 "
      "WHERE name = ?1",
      [&](db::Statement& st) {
        st.bind(1, s.name).bind(2, s.aor).bind(3, s.registrar).bind(4, s.auth_user);
        st.bind(5, s.password).bind(6, s.device_id).bind(7, std::int64_t{s.proxy_login ? 1 : 0});
        st.bind(8, to_string(s.mode)).bind(9, s.voicemail).bind(10, to_string(s.default_policy));
        st.bind(11, now_s());
      });
  return checked(r, no_subscriber(s.name));
}

Result<void> Store::remove_subscriber(const std::string& name) {
  auto r = write_one(*m_db, "DELETE FROM subscriber WHERE name = ?1",
                     [&](db::Statement& st) { st.bind(1, name); });
  return checked(r, no_subscriber(name));
}

Result<std::optional<Subscriber>> Store::subscriber(const std::string& name) {
  auto st = m_db->prepare(std::string("SELECT ") + k_subscriber_columns +
                          " FROM subscriber WHERE name = ?1");
  if (!st) return st.error();
  st->bind(1, name);
  if (st->step()) return std::optional<Subscriber>(read_subscriber(*st));
  if (!st->error().empty()) return fail(st->error());
  return std::optional<Subscriber>();
}

Result<std::vector<Subscriber>> Store::subscribers() {
  auto st = m_db->prepare(std::string("SELECT ") + k_subscriber_columns +
                          " FROM subscriber ORDER BY name");
  if (!st) return st.error();
  std::vector<Subscriber> out;
  while (st->step()) out.push_back(read_subscriber(*st));
  if (!st->error().empty()) return fail(st->error());
  return out;
}

Result<void> Store::set_rule(const std::string& subscriber, const Rule& rule) {
  db::Transaction tx(*m_db);
  if (!tx.begun()) return tx.begun();
  auto exists = m_db->prepare("SELECT 1 FROM subscriber WHERE name = ?1");
  if (!exists) return exists.error();
  exists->bind(1, subscriber);
  if (!exists->step()) return fail(no_subscriber(subscriber));
  // The key compares NOCASE, so "Shark" replaces "shark" and keeps the newest spelling.
  auto st = m_db->prepare(
      "INSERT INTO rule (subscriber, pattern, action, created_at) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (subscriber, pattern) DO UPDATE SET pattern = excluded.pattern, action = "
      "excluded.action");
  if (!st) return st.error();
  st->bind(1, subscriber).bind(2, rule.pattern).bind(3, to_string(rule.action)).bind(4, now_s());
  if (auto r = st->run(); !r) return r;
  return tx.commit();
}

Result<void> Store::remove_rule(const std::string& subscriber, const std::string& pattern) {
  // Removing a rule that is not there is not an error (a device may send "unrule" twice);
  // `worgw unrule` checks first to tell the operator.
  auto r = write_one(*m_db, "DELETE FROM rule WHERE subscriber = ?1 AND pattern = ?2",
                     [&](db::Statement& st) { st.bind(1, subscriber).bind(2, pattern); });
  if (!r) return r.error();
  return {};
}

Result<std::vector<Rule>> Store::rules(const std::string& subscriber) {
  auto st = m_db->prepare("SELECT pattern, action FROM rule WHERE subscriber = ?1 ORDER BY rowid");
  if (!st) return st.error();
  st->bind(1, subscriber);
  std::vector<Rule> out;
  while (st->step()) {
    auto action = parse_policy(st->column_text(1));
    out.push_back(Rule{st->column_text(0), action ? *action : Policy::deny});
  }
  if (!st->error().empty()) return fail(st->error());
  return out;
}

Result<void> Store::save_binding(const std::string& subscriber, const Binding& b) {
  auto r = write_one(
      *m_db,
      "INSERT INTO binding (subscriber, contact, received, transport, instance, expires_at, "
      "updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (subscriber) DO UPDATE SET "
      "contact = excluded.contact, received = excluded.received, transport = excluded.transport, "
      "instance = excluded.instance, expires_at = excluded.expires_at, updated_at = "
      "excluded.updated_at",
      [&](db::Statement& st) {
        st.bind(1, subscriber).bind(2, b.contact).bind(3, b.received).bind(4, b.transport);
        st.bind(5, b.instance).bind(6, b.expires_at).bind(7, now_s());
      });
  if (!r) return fail("cannot save binding of " + subscriber + ": " + r.message());
  return {};
}

Result<void> Store::clear_binding(const std::string& subscriber) {
  auto r = write_one(*m_db, "DELETE FROM binding WHERE subscriber = ?1",
                     [&](db::Statement& st) { st.bind(1, subscriber); });
  if (!r) return r.error();
  return {};
}

Result<std::optional<Binding>> Store::binding(const std::string& subscriber) {
  auto st = m_db->prepare(
      "SELECT contact, received, transport, instance, expires_at FROM binding WHERE subscriber = "
      "?1");
  if (!st) return st.error();
  st->bind(1, subscriber);
  if (st->step()) {
    return std::optional<Binding>(Binding{st->column_text(0), st->column_text(1),
                                          st->column_text(2), st->column_text(3),
                                          st->column_int(4)});
  }
  if (!st->error().empty()) return fail(st->error());
  return std::optional<Binding>();
}

Result<void> Store::save_upstream(const std::string& subscriber, const UpstreamState& u) {
  auto r = write_one(
      *m_db,
      "INSERT INTO upstream (subscriber, state, expires_at, last_error, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (subscriber) DO UPDATE SET state = excluded.state, "
      "expires_at = excluded.expires_at, last_error = excluded.last_error, "
      "updated_at = excluded.updated_at",
      [&](db::Statement& st) {
        st.bind(1, subscriber).bind(2, u.state).bind(3, u.expires_at).bind(4, u.last_error);
        st.bind(5, now_s());
      });
  if (!r) return fail("cannot save upstream state of " + subscriber + ": " + r.message());
  return {};
}

Result<std::optional<UpstreamState>> Store::upstream(const std::string& subscriber) {
  auto st =
      m_db->prepare("SELECT state, expires_at, last_error FROM upstream WHERE subscriber = ?1");
  if (!st) return st.error();
  st->bind(1, subscriber);
  if (st->step()) {
    return std::optional<UpstreamState>(
        UpstreamState{st->column_text(0), st->column_int(1), st->column_text(2)});
  }
  if (!st->error().empty()) return fail(st->error());
  return std::optional<UpstreamState>();
}

namespace {

void bind_wake(db::Statement& st, const WakeRecord& w) {
  st.bind(1, w.call_id).bind(2, w.subscriber).bind(3, w.caller).bind(4, w.invite_ms);
  st.bind(5, w.wake_requested_ms).bind(6, w.wake_confirmed_ms).bind(7, w.device_register_ms);
  st.bind(8, w.connected_ms).bind(9, w.first_response_ms).bind(10, w.outcome).bind(11, w.detail);
}

}  // namespace

Result<std::int64_t> Store::insert_wake(const WakeRecord& w) {
  db::Transaction tx(*m_db);
  if (!tx.begun()) return tx.begun().error();
  auto st = m_db->prepare(
      "INSERT INTO wake (call_id, subscriber, caller, invite_ms, wake_requested_ms, "
      "wake_confirmed_ms, "
      "device_register_ms, connected_ms, first_response_ms, outcome, detail) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!st) return st.error();
  bind_wake(*st, w);
  if (auto r = st->run(); !r) return r.error();
  std::int64_t id = m_db->last_insert_id();
  if (auto r = tx.commit(); !r) return r.error();
  return id;
}

Result<void> Store::update_wake(const WakeRecord& w) {
  auto r = write_one(
      *m_db,
      "UPDATE wake SET call_id = ?1, subscriber = ?2, caller = ?3, invite_ms = ?4, "
      "wake_requested_ms = ?5, wake_confirmed_ms = ?6, device_register_ms = ?7, connected_ms = ?8, "
      "first_response_ms = ?9, outcome = ?10, detail = ?11 WHERE id = ?12",
      [&](db::Statement& st) {
        bind_wake(st, w);
        st.bind(12, w.id);
      });
  return checked(r, "no wake record " + std::to_string(w.id));
}

Result<std::vector<WakeRecord>> Store::wakes(const std::string& subscriber, std::size_t limit) {
  // An empty subscriber lists every subscriber's calls; newest first.
  auto st = m_db->prepare(
      "SELECT id, call_id, subscriber, caller, invite_ms, wake_requested_ms, wake_confirmed_ms, "
      "device_register_ms, connected_ms, first_response_ms, outcome, detail FROM wake "
      "WHERE ?1 = '' OR subscriber = ?1 ORDER BY id DESC LIMIT ?2");
  if (!st) return st.error();
  st->bind(1, subscriber).bind(2, static_cast<std::int64_t>(limit));
  std::vector<WakeRecord> out;
  while (st->step()) {
    WakeRecord w;
    w.id = st->column_int(0);
    w.call_id = st->column_text(1);
    w.subscriber = st->column_text(2);
    w.caller = st->column_text(3);
    w.invite_ms = st->column_int(4);
    w.wake_requested_ms = st->column_int(5);
    w.wake_confirmed_ms = st->column_int(6);
    w.device_register_ms = st->column_int(7);
    w.connected_ms = st->column_int(8);
    w.first_response_ms = st->column_int(9);
    w.outcome = st->column_text(10);
    w.detail = st->column_text(11);
    out.push_back(std::move(w));
  }
  if (!st->error().empty()) return fail(st->error());
  return out;
}

}  // namespace sipwake::worgw
