#include "policy.hpp"

#include <gtest/gtest.h>

namespace sipwake::worgw {
namespace {

std::vector<Rule> rabbit_rules() {
  return {{"shark", Policy::allow}, {"dog", Policy::allow}, {"tiger", Policy::deny}};
}

TEST(Policy, RabbitLetsSharkAndDogWakeButNotTiger) {
  auto rules = rabbit_rules();
  EXPECT_EQ(decide("sip:shark@example.net", rules, Policy::deny), Policy::allow);
  EXPECT_EQ(decide("sip:dog@zoo.example", rules, Policy::deny), Policy::allow);
  EXPECT_EQ(decide("sip:tiger@example.net", rules, Policy::allow), Policy::deny);
}

TEST(Policy, UnmatchedCallerGetsTheSubscribersDefault) {
  auto rules = rabbit_rules();
  EXPECT_EQ(decide("sip:cat@example.net", rules, Policy::allow), Policy::allow);
  EXPECT_EQ(decide("sip:cat@example.net", rules, Policy::deny), Policy::deny);
  EXPECT_EQ(decide("sip:cat@example.net", {}, Policy::deny), Policy::deny);
}

TEST(Policy, DisplayNameAngleBracketsAndParametersDoNotMatter) {
  auto rules = rabbit_rules();
  for (const char* from :
       {"sip:shark@example.net;user=phone", "<sip:shark@example.net>",
        "\"Shark\" <sip:shark@example.net;transport=udp>;tag=abc",
        "Shark <sips:shark@example.net:5061>", "  sip:shark@example.net  ",
        "sip:shark:secret@example.net", "shark@example.net", "sip:shark@example.net?subject=hi"}) {
    EXPECT_EQ(decide(from, rules, Policy::deny), Policy::allow) << from;
  }
  EXPECT_EQ(decide("\"shark\" <sip:tiger@example.net>", rules, Policy::allow), Policy::deny)
      << "the display name is not the caller";
}

TEST(Policy, MatchingIsCaseInsensitive) {
  std::vector<Rule> rules = {{"Shark", Policy::allow}, {"@ZOO.example", Policy::deny}};
  EXPECT_EQ(decide("sip:SHARK@Example.NET", rules, Policy::deny), Policy::allow);
  EXPECT_EQ(decide("SIP:cat@zoo.EXAMPLE", rules, Policy::allow), Policy::deny);
  EXPECT_EQ(decide("sip:x@y", {{"SIP:X@Y", Policy::deny}}, Policy::allow), Policy::deny);
}

TEST(Policy, DomainPatternMatchesEveryUserOfThatDomainOnly) {
  std::vector<Rule> rules = {{"@example.net", Policy::deny}};
  EXPECT_EQ(decide("sip:anyone@example.net", rules, Policy::allow), Policy::deny);
  EXPECT_EQ(decide("sip:anyone@sub.example.net", rules, Policy::allow), Policy::allow);
  EXPECT_EQ(decide("sip:anyone@example.net.evil", rules, Policy::allow), Policy::allow);
  EXPECT_EQ(decide("sip:anyone@example.net:5080;transport=tcp", rules, Policy::allow),
            Policy::deny);
}

TEST(Policy, ExactUriMatchesUserAndDomainTogether) {
  std::vector<Rule> rules = {{"sip:shark@example.net", Policy::allow}};
  EXPECT_EQ(decide("sip:shark@example.net", rules, Policy::deny), Policy::allow);
  EXPECT_EQ(decide("sip:shark@other.example", rules, Policy::deny), Policy::deny);
  EXPECT_EQ(decide("sip:sharky@example.net", rules, Policy::deny), Policy::deny);
}

TEST(Policy, UserPatternIgnoresTheDomain) {
  std::vector<Rule> rules = {{"shark", Policy::allow}};
  EXPECT_EQ(decide("sip:shark@a.example", rules, Policy::deny), Policy::allow);
  EXPECT_EQ(decide("sip:shark@b.example", rules, Policy::deny), Policy::allow);
  EXPECT_EQ(decide("sip:sharks@a.example", rules, Policy::deny), Policy::deny);
}

TEST(Policy, WildcardsMatchAnyRun) {
  std::vector<Rule> rules = {{"sip:+4930*@*", Policy::allow}};
  EXPECT_EQ(decide("sip:+493012345@gw.example;user=phone", rules, Policy::deny), Policy::allow);
  EXPECT_EQ(decide("sip:+4940123@gw.example", rules, Policy::deny), Policy::deny);
  EXPECT_EQ(decide("sip:x@host", {{"*@host", Policy::deny}}, Policy::allow), Policy::deny);
  EXPECT_EQ(decide("sip:x@otherhost", {{"*@host", Policy::deny}}, Policy::allow), Policy::allow);
  EXPECT_EQ(decide("sip:shark@a", {{"sh*k", Policy::deny}}, Policy::allow), Policy::deny);
  EXPECT_EQ(decide("sip:shark@a", {{"sh*x", Policy::deny}}, Policy::allow), Policy::allow);
  EXPECT_EQ(decide("tel:+493012345", rules, Policy::deny), Policy::allow)
      << "tel: has the number as user";
}

TEST(Policy, StarMatchesEveryoneIncludingAnonymous) {
  std::vector<Rule> rules = {{"*", Policy::deny}};
  EXPECT_EQ(decide("sip:anonymous@anonymous.invalid", rules, Policy::allow), Policy::deny);
  EXPECT_EQ(decide("\"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=1", rules, Policy::allow),
            Policy::deny);
  EXPECT_EQ(decide("", rules, Policy::allow), Policy::deny);
}

TEST(Policy, MostSpecificRuleWins) {
  // An allow-list: nobody, except the domain, except one user there.
  std::vector<Rule> rules = {{"*", Policy::deny},
                             {"*@*.example", Policy::allow},
                             {"@zoo.example", Policy::deny},
                             {"shark", Policy::allow},
                             {"sip:shark@zoo.example", Policy::deny}};
  EXPECT_EQ(decide("sip:cat@elsewhere.test", rules, Policy::allow), Policy::deny);  // "*"
  EXPECT_EQ(decide("sip:cat@farm.example", rules, Policy::deny), Policy::allow);  // wildcard > "*"
  EXPECT_EQ(decide("sip:cat@zoo.example", rules, Policy::allow),
            Policy::deny);  // domain > wildcard
  EXPECT_EQ(decide("sip:shark@farm.example", rules, Policy::deny), Policy::allow);  // user > domain
  EXPECT_EQ(decide("sip:shark@zoo.example", rules, Policy::allow), Policy::deny);   // exact > user
  std::vector<Rule> user_over_domain = {{"@zoo.example", Policy::deny}, {"shark", Policy::allow}};
  EXPECT_EQ(decide("sip:shark@zoo.example", user_over_domain, Policy::deny), Policy::allow);
}

TEST(Policy, DenyWinsAtEqualSpecificity) {
  std::vector<Rule> rules = {{"shark", Policy::allow}, {"SHARK", Policy::deny}};
  EXPECT_EQ(decide("sip:shark@example.net", rules, Policy::allow), Policy::deny);
  std::vector<Rule> wild = {{"sh*", Policy::allow}, {"*@example.net", Policy::deny}};
  EXPECT_EQ(decide("sip:shark@example.net", wild, Policy::allow), Policy::deny);
  std::vector<Rule> reversed = {{"*@example.net", Policy::deny}, {"sh*", Policy::allow}};
  EXPECT_EQ(decide("sip:shark@example.net", reversed, Policy::allow), Policy::deny)
      << "order does not matter";
}

TEST(Policy, IPv6CallerHostsCompareWithoutPort) {
  std::vector<Rule> rules = {{"@[2001:db8::1]", Policy::deny}};
  EXPECT_EQ(decide("sip:x@[2001:db8::1]:5060", rules, Policy::allow), Policy::deny);
  EXPECT_EQ(decide("sip:x@[2001:db8::2]", rules, Policy::allow), Policy::allow);
}

TEST(ValidatePattern, AcceptsEveryDocumentedForm) {
  for (const char* p : {"sip:shark@example.net", "shark@example.net", "shark", "@example.net", "*",
                        "sip:+4930*@*", "*@example.net", "sips:shark@example.net", "tel:+4930123",
                        "+4930123", "@[2001:db8::1]", "SIP:Shark@Example.NET"}) {
    EXPECT_TRUE(validate_pattern(p).ok()) << p << ": " << validate_pattern(p).message();
  }
}

TEST(ValidatePattern, RejectsWhatCannotNameACaller) {
  for (const char* p :
       {"", "@", "shark@", "a@b@c", "sip:", "shark example", "<sip:shark@example.net>",
        "sip:shark@example.net;user=phone", "sip:shark@example.net:5060", "http://example.net",
        "sip:shark:pw@example.net", "\"Shark\"", "shark?x", "a,b", "@[2001:db8::1"}) {
    auto r = validate_pattern(p);
    EXPECT_FALSE(r.ok()) << p;
    if (!r.ok()) {
      EXPECT_EQ(r.message().find('\n'), std::string::npos);
    }
  }
  EXPECT_FALSE(validate_pattern(std::string(300, 'a')).ok());
}

}  // namespace
}  // namespace sipwake::worgw
