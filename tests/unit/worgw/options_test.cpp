#include "options.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace sipwake::worgw {
namespace {

struct Parsed {
  ParseResult result;
  std::string out, err;
};

Parsed parse(std::initializer_list<const char*> args) {
  std::vector<std::string> storage = {"worgw"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  Parsed p;
  p.result = parse_options(static_cast<int>(argv.size()), argv.data());
  p.out = testing::internal::GetCapturedStdout();
  p.err = testing::internal::GetCapturedStderr();
  return p;
}

// One "worgw: ..." line on stderr and exit 2.
void expect_usage_error(const Parsed& p) {
  EXPECT_EQ(p.result.kind, ParseResult::Kind::exit);
  EXPECT_EQ(p.result.exit_code, 2);
  EXPECT_EQ(p.err.rfind("worgw: ", 0), 0u) << p.err;
  EXPECT_EQ(p.err.find('\n'), p.err.size() - 1) << p.err;
  EXPECT_TRUE(p.out.empty());
}

class OptionsTest : public ::testing::Test {
 protected:
  void SetUp() override { ::unsetenv("WORGW_PASSWORD"); }
  void TearDown() override { ::unsetenv("WORGW_PASSWORD"); }
};

TEST_F(OptionsTest, HelpAndVersionExitZero) {
  for (auto p :
       {parse({"--help"}), parse({"run", "--help"}), parse({"subscriber", "add", "--help"})}) {
    EXPECT_EQ(p.result.kind, ParseResult::Kind::exit);
    EXPECT_EQ(p.result.exit_code, 0);
    EXPECT_NE(p.out.find("worgw"), std::string::npos);
  }
  EXPECT_NE(parse({"subscriber", "add", "--help"}).out.find("--password-file"), std::string::npos);
  auto v = parse({"--version"});
  EXPECT_EQ(v.result.exit_code, 0);
  EXPECT_EQ(v.out, "worgw (sipwake) 0.1.0\n");
}

TEST_F(OptionsTest, NoSubcommandIsAUsageError) {
  expect_usage_error(parse({}));
  expect_usage_error(parse({"subscriber"}));
  expect_usage_error(parse({"frobnicate"}));
}

TEST_F(OptionsTest, RunHasDefaultsAndTakesEveryOption) {
  auto d = parse({"run"});
  ASSERT_EQ(d.result.kind, ParseResult::Kind::run);
  EXPECT_EQ(d.result.run.listen, "udp:127.0.0.1:5070");
  EXPECT_EQ(d.result.run.mode, ConnectMode::proxy);
  EXPECT_EQ(d.result.run.wake_timeout_s, 30u);
  EXPECT_EQ(d.result.run.digest_algorithms, "md5");
  auto p = parse({"run",
                  "--listen",
                  "udp:[::1]:5080",
                  "--db",
                  "/tmp/x.db",
                  "--worsend",
                  "unix:/run/w.sock",
                  "--realm",
                  "zoo",
                  "--digest-algorithms",
                  "sha256,md5",
                  "--mode",
                  "redirect",
                  "--wake-timeout",
                  "600",
                  "--voicemail",
                  "sip:vm@example.net",
                  "--dead-binding-timeout",
                  "1500",
                  "--upstream-expires",
                  "300",
                  "--json",
                  "-vv"});
  ASSERT_EQ(p.result.kind, ParseResult::Kind::run) << p.err;
  const RunOptions& r = p.result.run;
  EXPECT_EQ(r.listen, "udp:[::1]:5080");
  EXPECT_EQ(r.db_path, "/tmp/x.db");
  EXPECT_EQ(r.worsend, "unix:/run/w.sock");
  EXPECT_EQ(r.realm, "zoo");
  EXPECT_EQ(r.digest_algorithms, "sha256,md5");
  EXPECT_EQ(r.mode, ConnectMode::redirect);
  EXPECT_EQ(r.wake_timeout_s, 600u);
  EXPECT_EQ(r.voicemail, "sip:vm@example.net");
  EXPECT_EQ(r.dead_binding_ms, 1500u);
  EXPECT_EQ(r.upstream_expires, 300u);
  EXPECT_TRUE(r.json);
  EXPECT_EQ(r.verbose, 2);
}

TEST_F(OptionsTest, RunRejectsBadValues) {
  expect_usage_error(parse({"run", "--listen", "tcp:127.0.0.1:5070"}));
  expect_usage_error(parse({"run", "--listen", "nonsense"}));
  expect_usage_error(parse({"run", "--worsend", "udp:127.0.0.1:9"}));
  expect_usage_error(parse({"run", "--wake-timeout", "0"}));
  expect_usage_error(parse({"run", "--wake-timeout", "601"}));
  expect_usage_error(parse({"run", "--mode", "default"}));
  expect_usage_error(parse({"run", "--voicemail", "http://vm"}));
  expect_usage_error(parse({"run", "--realm", "a b"}));
  expect_usage_error(parse({"run", "--digest-algorithms", "sha512"}));
  expect_usage_error(parse({"run", "--digest-algorithms", "md5,md5"}));
  expect_usage_error(parse({"run", "--digest-algorithms", "md5,"}));
  expect_usage_error(parse({"run", "--digest-algorithms", ""}));
}

TEST_F(OptionsTest, SubscriberAddNeedsAorRegistrarAndPassword) {
  expect_usage_error(parse({"subscriber", "add", "rabbit", "--registrar", "sip:op.example"}));
  expect_usage_error(parse({"subscriber", "add", "rabbit", "--aor", "sip:rabbit@op.example"}));
  auto no_pw = parse({"subscriber", "add", "rabbit", "--aor", "sip:rabbit@op.example",
                      "--registrar", "sip:op.example"});
  expect_usage_error(no_pw);
  EXPECT_NE(no_pw.err.find("WORGW_PASSWORD"), std::string::npos);
  ::setenv("WORGW_PASSWORD", "carrots", 1);
  auto ok = parse({"subscriber",
                   "add",
                   "rabbit",
                   "--aor",
                   "sip:rabbit@op.example",
                   "--registrar",
                   "sip:op.example",
                   "--user",
                   "r1",
                   "--device",
                   "phone",
                   "--proxy-login",
                   "off",
                   "--mode",
                   "redirect",
                   "--voicemail",
                   "sip:vm@op.example",
                   "--default-policy",
                   "deny",
                   "--db",
                   "/tmp/w.db"});
  ASSERT_EQ(ok.result.kind, ParseResult::Kind::admin) << ok.err;
  const AdminOptions& a = ok.result.admin;
  EXPECT_EQ(a.action, "subscriber-add");
  EXPECT_EQ(a.name, "rabbit");
  EXPECT_EQ(*a.user, "r1");
  EXPECT_EQ(*a.device, "phone");
  EXPECT_EQ(a.proxy_login, std::optional<bool>(false));
  EXPECT_EQ(*a.mode, "redirect");
  EXPECT_EQ(*a.default_policy, "deny");
  EXPECT_EQ(a.db_path, "/tmp/w.db");
  EXPECT_EQ(ok.err.find("carrots"), std::string::npos);
}

TEST_F(OptionsTest, SubscriberUrisAreChecked) {
  expect_usage_error(parse({"subscriber", "add", "rabbit", "--aor", "sip:op.example", "--registrar",
                            "sip:op.example", "--password-file", "/dev/null"}));
  expect_usage_error(parse({"subscriber", "add", "rabbit", "--aor", "mailto:r@op.example",
                            "--registrar", "sip:op.example", "--password-file", "/dev/null"}));
  expect_usage_error(parse({"subscriber", "set", "rabbit", "--registrar", "http://op.example"}));
  expect_usage_error(parse({"subscriber", "set", "rabbit", "--proxy-login", "yes"}));
  expect_usage_error(parse({"subscriber", "set", "rabbit", "--default-policy", "maybe"}));
}

TEST_F(OptionsTest, NamesAreRestricted) {
  expect_usage_error(parse({"subscriber", "remove", "rab bit"}));
  expect_usage_error(parse({"subscriber", "remove", "rabbit/../x"}));
  expect_usage_error(parse({"rules", std::string(65, 'a').c_str()}));
  expect_usage_error(parse({"calls", "--subscriber", "r@b"}));
  EXPECT_EQ(parse({"subscriber", "remove", "Rab.bit_1-x"}).result.kind, ParseResult::Kind::admin);
}

TEST_F(OptionsTest, SubscriberSetNeedsSomethingToChange) {
  expect_usage_error(parse({"subscriber", "set", "rabbit"}));
  auto p = parse({"subscriber", "set", "rabbit", "--proxy-login", "on"});
  ASSERT_EQ(p.result.kind, ParseResult::Kind::admin);
  EXPECT_EQ(p.result.admin.proxy_login, std::optional<bool>(true));
  EXPECT_FALSE(p.result.admin.aor.has_value());
  ::setenv("WORGW_PASSWORD", "new", 1);
  EXPECT_EQ(parse({"subscriber", "set", "rabbit"}).result.kind, ParseResult::Kind::admin)
      << "a new password";
}

TEST_F(OptionsTest, RuleCommandsValidateThePattern) {
  auto p = parse({"allow", "rabbit", "shark"});
  ASSERT_EQ(p.result.kind, ParseResult::Kind::admin);
  EXPECT_EQ(p.result.admin.action, "allow");
  EXPECT_EQ(p.result.admin.pattern, "shark");
  EXPECT_EQ(parse({"deny", "rabbit", "@zoo.example"}).result.admin.action, "deny");
  EXPECT_EQ(parse({"unrule", "rabbit", "*"}).result.admin.action, "unrule");
  expect_usage_error(parse({"deny", "rabbit", "<sip:tiger@x>"}));
  expect_usage_error(parse({"allow", "rabbit"}));
  expect_usage_error(parse({"allow", "rabbit", "shark", "extra"}));
}

TEST_F(OptionsTest, ListingCommands) {
  auto l = parse({"subscriber", "list", "--json"});
  EXPECT_EQ(l.result.admin.action, "subscriber-list");
  EXPECT_TRUE(l.result.admin.json);
  auto r = parse({"rules", "rabbit"});
  EXPECT_EQ(r.result.admin.action, "rules");
  auto c = parse({"calls", "--subscriber", "rabbit", "--limit", "5"});
  ASSERT_EQ(c.result.kind, ParseResult::Kind::admin);
  EXPECT_EQ(c.result.admin.action, "calls");
  EXPECT_EQ(c.result.admin.name, "rabbit");
  EXPECT_EQ(c.result.admin.limit, 5u);
  expect_usage_error(parse({"calls", "--limit", "0"}));
}

}  // namespace
}  // namespace sipwake::worgw
