#include "store.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "audit.hpp"
#include "commands.hpp"

using namespace sipwake;
using namespace sipwake::worsend;

namespace {

std::unique_ptr<db::Database> memory_db() {
  auto d = open_store(":memory:");
  EXPECT_TRUE(d.ok());
  return std::move(*d);
}

DeviceArgs args(std::string id) {
  DeviceArgs a;
  a.id = std::move(id);
  return a;
}

}  // namespace

TEST(DeviceStore, AddGetReplaceRemove) {
  auto db = memory_db();
  DeviceStore s(*db);
  DeviceArgs a = args("rabbit");
  a.http = "https://push.example/up/123";
  a.udp = "unix:/run/natkeep.sock";
  a.natkeep_device = "rabbit-phone";
  a.given_order = {TransportKind::http, TransportKind::udp};
  a.rate = "5/60";
  auto d = build_device(a, std::nullopt);
  ASSERT_TRUE(d.ok()) << d.message();
  ASSERT_TRUE(s.add(*d).ok());
  EXPECT_FALSE(s.add(*d).ok());  // ids are unique
  auto got = s.get("rabbit");
  ASSERT_TRUE(got.ok() && got->has_value());
  const Device& g = **got;
  ASSERT_EQ(g.transports.size(), 2u);
  EXPECT_EQ(g.transports[0].kind, TransportKind::http);
  EXPECT_EQ(g.transports[1].natkeep_device, "rabbit-phone");
  EXPECT_EQ(g.transports[1].timeout, default_timeout(TransportKind::udp));
  ASSERT_TRUE(g.rate.has_value());
  EXPECT_EQ(g.rate->count, 5u);

  DeviceArgs b = args("rabbit");
  b.order = "udp,http";
  b.exec = "/bin/true";
  b.given_order = {TransportKind::exec};
  b.drop = {"http"};
  b.order.reset();
  b.exec_timeout = 2500;
  auto d2 = build_device(b, g);
  ASSERT_TRUE(d2.ok()) << d2.message();
  auto replaced = s.replace(*d2);
  ASSERT_TRUE(replaced.ok() && *replaced);
  auto g2 = s.get("rabbit");
  ASSERT_EQ((*g2)->transports.size(), 2u);
  EXPECT_EQ((*g2)->transports[0].kind, TransportKind::udp);
  EXPECT_EQ((*g2)->transports[1].kind, TransportKind::exec);
  EXPECT_EQ((*g2)->transports[1].timeout, Duration{2500});

  auto removed = s.remove("rabbit");
  ASSERT_TRUE(removed.ok() && *removed);
  EXPECT_FALSE(*s.remove("rabbit"));
  EXPECT_FALSE(s.get("rabbit")->has_value());
}

TEST(DeviceStore, BuildDeviceRejectsOrphanOptionsAndBadOrders) {
  DeviceArgs a = args("x");
  a.exec = "true";
  a.given_order = {TransportKind::exec};
  a.token_file = "/tmp/t";
  EXPECT_FALSE(build_device(a, std::nullopt).ok());
  a.token_file.reset();
  a.order = "exec,udp";
  EXPECT_FALSE(build_device(a, std::nullopt).ok());
  a.order = "exec";
  EXPECT_TRUE(build_device(a, std::nullopt).ok());
}

TEST(Audit, CallQueryFindsTheAttemptsOfTheJobItJoined) {
  auto db = memory_db();
  AuditWriter w(*db);
  w.append("wake.request", {{"request_id", "r1"}, {"device", "rabbit"}, {"call_id", "A"}}, 1000);
  w.append("wake.request", {{"request_id", "r2"}, {"device", "rabbit"}, {"call_id", "B"}}, 1001);
  w.append("wake.coalesced", {{"request_id", "r2"}, {"device", "rabbit"}, {"call_id", "B"}, {"job", 7}}, 1001);
  w.append("wake.attempt", {{"job", 7}, {"attempt", 1}, {"device", "rabbit"}, {"call_id", "A"}, {"transport", "udp"}}, 1002);
  w.append("wake.result", {{"job", 7}, {"attempt", 1}, {"device", "rabbit"}, {"transport", "udp"}, {"ok", true}}, 1010);
  w.append("wake.ok", {{"request_id", "r2"}, {"device", "rabbit"}, {"call_id", "B"}, {"job", 7}, {"via", "udp"}}, 1010);
  w.append("wake.request", {{"request_id", "r3"}, {"device", "dog"}, {"call_id", "C"}}, 5000);
  ASSERT_TRUE(w.flush().ok());
  EXPECT_EQ(w.pending(), 0u);

  AuditQuery q;
  q.call_id = "B";
  auto rows = query_audit(*db, q);
  ASSERT_TRUE(rows.ok());
  std::vector<std::string> events;
  for (const auto& r : *rows) events.push_back(r.event);
  EXPECT_EQ(events, (std::vector<std::string>{"wake.request", "wake.coalesced", "wake.attempt", "wake.result", "wake.ok"}));

  AuditQuery d;
  d.device = "dog";
  EXPECT_EQ(query_audit(*db, d)->size(), 1u);
  AuditQuery s;
  s.since_ms = 1010;
  EXPECT_EQ(query_audit(*db, s)->size(), 3u);
  EXPECT_EQ(last_job_id(*db), 7u);
}

TEST(Audit, FormatRowPutsTheKeyFieldsFirst) {
  AuditRow r;
  r.ts_ms = 1763812800123;
  r.event = "wake.result";
  r.detail = {{"error", "HTTP 503 Busy"}, {"transport", "http"}, {"device", "rabbit"}, {"job", 3}};
  EXPECT_EQ(format_row(r), "2025-11-22T12:00:00.123Z wake.result device=rabbit job=3 transport=http error=\"HTTP 503 Busy\"");
}

TEST(Audit, ParseSinceForms) {
  std::int64_t now = 1'000'000'000;
  EXPECT_EQ(*parse_since("10m", now), now - 600'000);
  EXPECT_EQ(*parse_since("@100", now), 100'000);
  EXPECT_EQ(*parse_since("1970-01-02", now), 86'400'000);
  EXPECT_EQ(*parse_since("1970-01-01T00:01:00Z", now), 60'000);
  EXPECT_FALSE(parse_since("yesterday", now).ok());
  EXPECT_FALSE(parse_since("1970-13-01", now).ok());
}

TEST(RateLimitText, ParsesAndPrints) {
  auto r = RateLimit::parse("5/60");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->count, 5u);
  EXPECT_EQ(r->window, Duration{60000});
  EXPECT_EQ(r->to_string(), "5/60");
  EXPECT_EQ(RateLimit::parse("0")->count, 0u);
  EXPECT_FALSE(RateLimit::parse("5").ok());
  EXPECT_FALSE(RateLimit::parse("5/0").ok());
  EXPECT_FALSE(RateLimit::parse("x/60").ok());
}

TEST(TransportText, UrlsAreLoggedByOriginOnly) {
  Transport t;
  t.kind = TransportKind::http;
  t.target = "https://push.example.net/up/SECRETCAPABILITY";
  EXPECT_EQ(t.loggable_target(), "https://push.example.net:443");
}

TEST(AuditThread, WritesEverythingAppendedBeforeStop) {
  char dir[] = "/tmp/worsend-audit-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/w.db";
  ASSERT_TRUE(open_store(path).ok());  // creates the schema
  auto t = AuditThread::start(path);
  ASSERT_TRUE(t.ok()) << t.message();
  for (int batch = 0; batch < 50; ++batch) {
    std::vector<AuditThread::Row> rows;
    for (int i = 0; i < 20; ++i) rows.push_back({"wake.request", {{"device", "d"}, {"job", batch * 20 + i}}, 1000});
    (*t)->append(std::move(rows));
  }
  (*t)->stop();
  (*t)->append({{"serve.stopped", {{"reason", "test"}}, 2000}});  // after the thread ended: still written
  (*t)->stop();
  EXPECT_EQ((*t)->take_error(), "");
  EXPECT_EQ((*t)->backlog(), 0u);
  auto db = open_store(path);
  ASSERT_TRUE(db.ok());
  AuditQuery q;
  auto rows = query_audit(**db, q);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 1001u);
  EXPECT_EQ(rows->back().event, "serve.stopped");
  EXPECT_EQ(last_job_id(**db), 999u);
  std::filesystem::remove_all(dir);
}

TEST(DeviceCache, ServesRecentLookupsAndForgetsUnknownDevices) {
  auto db = memory_db();
  DeviceStore s(*db);
  ManualClock clock;
  DeviceCache cache(s, Duration{1000});
  EXPECT_FALSE(cache.get("rabbit", clock.now())->has_value());
  DeviceArgs a = args("rabbit");
  a.exec = "true";
  a.given_order = {TransportKind::exec};
  ASSERT_TRUE(s.add(*build_device(a, std::nullopt)).ok());
  EXPECT_TRUE(cache.get("rabbit", clock.now())->has_value());  // unknown was not cached
  ASSERT_TRUE(*s.remove("rabbit"));
  EXPECT_TRUE(cache.get("rabbit", clock.now())->has_value());  // still within the ttl
  clock.advance(Duration{1000});
  EXPECT_FALSE(cache.get("rabbit", clock.now())->has_value());
}

TEST(Audit, RecentSignalsAreFirstAttemptsInsideTheWindow) {
  auto db = memory_db();
  AuditWriter w(*db);
  w.append("wake.attempt", {{"job", 1}, {"attempt", 1}, {"device", "old"}}, 1000);
  w.append("wake.attempt", {{"job", 2}, {"attempt", 1}, {"device", "rabbit"}}, 500'000);
  w.append("wake.attempt", {{"job", 2}, {"attempt", 2}, {"device", "rabbit"}}, 500'100);
  w.append("wake.ok", {{"job", 2}, {"device", "rabbit"}}, 500'200);
  w.append("wake.attempt", {{"job", 3}, {"attempt", 1}, {"device", "dog"}}, 600'000);
  ASSERT_TRUE(w.flush().ok());
  auto r = recent_signals(*db, 400'000);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], (std::pair<std::string, std::int64_t>{"rabbit", 500'000}));
  EXPECT_EQ((*r)[1].first, "dog");
}
