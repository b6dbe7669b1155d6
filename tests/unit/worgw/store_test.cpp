#include "store.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace sipwake::worgw {
namespace {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "worgw-store-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    m_dir = tmpl;
  }
  void TearDown() override { fs::remove_all(m_dir); }

  std::unique_ptr<Store> open(const std::string& name = "worgw.db") {
    auto s = Store::open((fs::path(m_dir) / name).string());
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.message());
    return s.ok() ? std::move(*s) : nullptr;
  }

  static Subscriber rabbit() {
    Subscriber s;
    s.name = "rabbit";
    s.aor = "sip:rabbit@operator.example";
    s.registrar = "sip:operator.example";
    s.auth_user = "rabbit";
    s.password = "carrots";
    return s;
  }

  std::string m_dir;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_F(StoreTest, NewDatabaseIsPrivateAndItsMissingDirectoriesToo) {
  auto path = fs::path(m_dir) / "state" / "sipwake" / "worgw.db";
  auto s = Store::open(path.string());
  ASSERT_TRUE(s.ok()) << s.message();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(path.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(StoreTest, SubscriberRoundTripsEveryField) {
  auto store = open();
  Subscriber s = rabbit();
  s.device_id = "phone-1";
  s.proxy_login = false;
  s.mode = ConnectMode::redirect;
  s.voicemail = "sip:vm@operator.example";
  s.default_policy = Policy::deny;
  ASSERT_TRUE(store->add_subscriber(s).ok());
  auto got = store->subscriber("rabbit");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  const Subscriber& g = **got;
  EXPECT_EQ(g.aor, s.aor);
  EXPECT_EQ(g.registrar, s.registrar);
  EXPECT_EQ(g.auth_user, s.auth_user);
  EXPECT_EQ(g.password, "carrots");
  EXPECT_EQ(g.device_id, "phone-1");
  EXPECT_FALSE(g.proxy_login);
  EXPECT_EQ(g.mode, ConnectMode::redirect);
  EXPECT_EQ(g.voicemail, s.voicemail);
  EXPECT_EQ(g.default_policy, Policy::deny);
  EXPECT_FALSE(store->subscriber("nobody")->has_value());
}

TEST_F(StoreTest, AddingAnExistingNameFailsAndKeepsTheFirst) {
  auto store = open();
  ASSERT_TRUE(store->add_subscriber(rabbit()).ok());
  Subscriber other = rabbit();
  other.password = "other";
  auto r = store->add_subscriber(other);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("exists"), std::string::npos);
  EXPECT_EQ((*store->subscriber("rabbit"))->password, "carrots");
}

TEST_F(StoreTest, UpdateAndRemoveOfAnUnknownSubscriberFail) {
  auto store = open();
  EXPECT_FALSE(store->update_subscriber(rabbit()).ok());
  auto r = store->remove_subscriber("rabbit");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), "no subscriber named rabbit");
}

TEST_F(StoreTest, UpdateChangesFieldsAndListIsSortedByName) {
  auto store = open();
  Subscriber b = rabbit();
  b.name = "badger";
  ASSERT_TRUE(store->add_subscriber(rabbit()).ok());
  ASSERT_TRUE(store->add_subscriber(b).ok());
  Subscriber s = rabbit();
  s.mode = ConnectMode::proxy;
  s.password = "new";
  ASSERT_TRUE(store->update_subscriber(s).ok());
  auto all = store->subscribers();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "badger");
  EXPECT_EQ((*all)[1].mode, ConnectMode::proxy);
  EXPECT_EQ((*all)[1].password, "new");
}

TEST_F(StoreTest, RulesReplaceTheSamePatternCaseInsensitively) {
  auto store = open();
  ASSERT_TRUE(store->add_subscriber(rabbit()).ok());
  ASSERT_TRUE(store->set_rule("rabbit", {"tiger", Policy::deny}).ok());
  ASSERT_TRUE(store->set_rule("rabbit", {"shark", Policy::allow}).ok());
  ASSERT_TRUE(store->set_rule("rabbit", {"dog", Policy::allow}).ok());
  ASSERT_TRUE(store->set_rule("rabbit", {"SHARK", Policy::deny}).ok());
  auto rules = store->rules("rabbit");
  ASSERT_TRUE(rules.ok());
  ASSERT_EQ(rules->size(), 3u);
  EXPECT_EQ((*rules)[0].pattern, "tiger") << "rules list in the order they were first made";
  EXPECT_EQ((*rules)[1].pattern, "SHARK");
  EXPECT_EQ((*rules)[1].action, Policy::deny);
  EXPECT_EQ((*rules)[2].pattern, "dog");
  ASSERT_TRUE(store->remove_rule("rabbit", "Shark").ok());
  EXPECT_EQ(store->rules("rabbit")->size(), 2u);
  EXPECT_TRUE(store->remove_rule("rabbit", "shark").ok()) << "removing a missing rule is harmless";
  EXPECT_EQ(store->rules("rabbit")->size(), 2u);
}

TEST_F(StoreTest, RuleForAnUnknownSubscriberFails) {
  auto store = open();
  auto r = store->set_rule("ghost", {"shark", Policy::allow});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), "no subscriber named ghost");
}

TEST_F(StoreTest, BindingAndUpstreamStateAreKeptPerSubscriber) {
  auto store = open();
  ASSERT_TRUE(store->add_subscriber(rabbit()).ok());
  EXPECT_FALSE(store->binding("rabbit")->has_value());
  Binding b{"sip:rabbit@10.0.0.2:5060;+sip.instance=\"<urn:uuid:1>\"", "203.0.113.9:40000", "udp",
            "<urn:uuid:1>", 1'900'000'000};
  ASSERT_TRUE(store->save_binding("rabbit", b).ok());
  b.received = "203.0.113.9:40001";
  ASSERT_TRUE(store->save_binding("rabbit", b).ok());
  auto got = store->binding("rabbit");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->received, "203.0.113.9:40001");
  EXPECT_EQ((*got)->expires_at, 1'900'000'000);
  EXPECT_EQ((*got)->instance, "<urn:uuid:1>");
  ASSERT_TRUE(store->clear_binding("rabbit").ok());
  EXPECT_FALSE(store->binding("rabbit")->has_value());
  EXPECT_FALSE(store->save_binding("ghost", b).ok()) << "a binding needs a subscriber";

  ASSERT_TRUE(store->save_upstream("rabbit", {"retry-wait", 0, "503 Service Unavailable"}).ok());
  ASSERT_TRUE(store->save_upstream("rabbit", {"registered", 1'900'000'600, ""}).ok());
  auto up = store->upstream("rabbit");
  ASSERT_TRUE(up.ok() && up->has_value());
  EXPECT_EQ((*up)->state, "registered");
  EXPECT_EQ((*up)->expires_at, 1'900'000'600);
  EXPECT_EQ((*up)->last_error, "");
}

TEST_F(StoreTest, RemovingASubscriberCascadesButKeepsCallHistory) {
  auto store = open();
  ASSERT_TRUE(store->add_subscriber(rabbit()).ok());
  ASSERT_TRUE(store->set_rule("rabbit", {"shark", Policy::allow}).ok());
  ASSERT_TRUE(store->save_binding("rabbit", {"sip:r@h", "192.0.2.1:5060", "udp", "", 1}).ok());
  ASSERT_TRUE(store->save_upstream("rabbit", {"registered", 2, ""}).ok());
  WakeRecord w;
  w.call_id = "c1";
  w.subscriber = "rabbit";
  w.caller = "sip:shark@example.net";
  ASSERT_TRUE(store->insert_wake(w).ok());
  ASSERT_TRUE(store->remove_subscriber("rabbit").ok());
  ASSERT_TRUE(store->add_subscriber(rabbit()).ok());
  EXPECT_TRUE(store->rules("rabbit")->empty());
  EXPECT_FALSE(store->binding("rabbit")->has_value());
  EXPECT_FALSE(store->upstream("rabbit")->has_value());
  EXPECT_EQ(store->wakes("rabbit", 10)->size(), 1u);
}

TEST_F(StoreTest, WakeTimelineIsUpdatedAndListedNewestFirst) {
  auto store = open();
  WakeRecord w;
  w.call_id = "c1";
  w.subscriber = "rabbit";
  w.caller = "sip:shark@example.net";
  w.invite_ms = 1000;
  auto id = store->insert_wake(w);
  ASSERT_TRUE(id.ok());
  w.id = *id;
  w.wake_requested_ms = 1001;
  w.wake_confirmed_ms = 1010;
  w.device_register_ms = 2500;
  w.connected_ms = 2501;
  w.first_response_ms = 2600;
  w.outcome = "connected";
  ASSERT_TRUE(store->update_wake(w).ok());
  WakeRecord other{0, "c2",     "badger",  "sip:dog@example.net", 3000, 0, 0, 0, 0,
                   0, "denied", "rule dog"};
  ASSERT_TRUE(store->insert_wake(other).ok());

  auto all = store->wakes("", 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].call_id, "c2");
  auto mine = store->wakes("rabbit", 10);
  ASSERT_EQ(mine->size(), 1u);
  const WakeRecord& g = (*mine)[0];
  EXPECT_EQ(g.device_register_ms, 2500);
  EXPECT_EQ(g.first_response_ms, 2600);
  EXPECT_EQ(g.outcome, "connected");
  EXPECT_EQ(store->wakes("", 1)->size(), 1u);
  WakeRecord missing = w;
  missing.id = 999;
  EXPECT_FALSE(store->update_wake(missing).ok());
}

TEST_F(StoreTest, DataSurvivesReopening) {
  {
    auto store = open();
    ASSERT_TRUE(store->add_subscriber(rabbit()).ok());
  }
  auto store = open();
  EXPECT_TRUE(store->subscriber("rabbit")->has_value());
}

TEST_F(StoreTest, CorruptFileIsReportedAndLeftAlone) {
  auto path = fs::path(m_dir) / "worgw.db";
  std::string junk(8192, 'x');
  junk.replace(0, 20, "this is no database\n");
  std::ofstream(path, std::ios::binary) << junk;
  auto s = Store::open(path.string());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path.string()), std::string::npos) << s.message();
  EXPECT_EQ(slurp(path), junk);
}

TEST_F(StoreTest, NewerSchemaIsRefused) {
  auto path = (fs::path(m_dir) / "worgw.db").string();
  {
    auto db = db::Database::open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->exec("PRAGMA user_version = 99").ok());
  }
  auto s = Store::open(path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("newer"), std::string::npos) << s.message();
}

TEST(StoreNames, ModesAndPoliciesRoundTripAsText) {
  for (auto m : {ConnectMode::global, ConnectMode::proxy, ConnectMode::redirect}) {
    EXPECT_EQ(*parse_connect_mode(to_string(m)), m);
  }
  EXPECT_EQ(to_string(ConnectMode::global), "default");
  EXPECT_EQ(*parse_policy("deny"), Policy::deny);
  EXPECT_FALSE(parse_policy("maybe").ok());
  EXPECT_FALSE(parse_connect_mode("global").ok());
}

}  // namespace
}  // namespace sipwake::worgw
