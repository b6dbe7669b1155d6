#include "prober.hpp"

#include <gtest/gtest.h>

#include "fixtures.hpp"

namespace sipwake::natkeep {
namespace {

using test::addr;

TEST(ProberClassify, SameMappingToEveryServerAddressIsEndpointIndependent) {
  EXPECT_EQ(classify_mapping(addr("198.51.100.1:4000"), addr("198.51.100.1:4000"), std::nullopt),
            Behaviour::endpoint_independent);
}

TEST(ProberClassify, NewMappingPerServerIpButNotPortIsAddressDependent) {
  EXPECT_EQ(classify_mapping(addr("198.51.100.1:4000"), addr("198.51.100.1:4001"), addr("198.51.100.1:4001")),
            Behaviour::address_dependent);
}

TEST(ProberClassify, NewMappingPerServerPortIsAddressAndPortDependent) {
  EXPECT_EQ(classify_mapping(addr("198.51.100.1:4000"), addr("198.51.100.1:4001"), addr("198.51.100.1:4002")),
            Behaviour::address_and_port_dependent);
}

TEST(ProberReport, JsonHasNullsForWhatWasNotMeasured) {
  ProbeReport r;
  r.server_answered = true;
  r.mapped = addr("198.51.100.1:4000");
  auto j = r.to_json();
  EXPECT_EQ(j["mapping"], "unknown");
  EXPECT_TRUE(j["lifetime_s"].is_null());
  EXPECT_TRUE(j["hairpinning"].is_null());
  r.lifetime_lower = Duration{2900};
  r.lifetime_upper = Duration{3100};
  EXPECT_DOUBLE_EQ(r.to_json()["lifetime_s"].get<double>(), 3.0);
  EXPECT_NE(r.to_table().find("2.9 .. 3.1 s"), std::string::npos);
}

}  // namespace
}  // namespace sipwake::natkeep
