// RFC 4475 torture messages (3.1.1 valid, 3.1.2 invalid) against Message::parse.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "sipwake/sip/message.hpp"

using sipwake::sip::Message;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> files(const char* kind) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(fs::path(SIPWAKE_TESTDATA) / "sip/torture" / kind)) {
    if (e.path().extension() == ".sip") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

// intmeth (3.1.1.2) carries a quoted NUL byte in the To display name. osip2 works on
// C strings, so Message::parse rejects NUL in the header part by design.
TEST(Rfc4475, EveryValidTortureMessageParsesAndRoundTrips) {
  const auto valid = files("valid");
  ASSERT_GE(valid.size(), 12u);
  for (const auto& p : valid) {
    auto m = Message::parse(slurp(p));
    if (p.stem() == "intmeth") {
      ASSERT_FALSE(m);
      EXPECT_NE(m.message().find("NUL"), std::string::npos);
      continue;
    }
    ASSERT_TRUE(m) << p.filename() << ": " << m.message();
    auto again = Message::parse(m->to_string());
    EXPECT_TRUE(again) << p.filename() << ": " << again.message() << "\n" << m->to_string();
  }
}

TEST(Rfc4475, ValidMessagesHaveTheExpectedFields) {
  const fs::path dir = fs::path(SIPWAKE_TESTDATA) / "sip/torture/valid";
  auto wsinv = Message::parse(slurp(dir / "wsinv.sip"));
  ASSERT_TRUE(wsinv) << wsinv.message();
  EXPECT_EQ(wsinv->vias().size(), 3u);
  EXPECT_EQ(wsinv->cseq()->number, 9u);
  EXPECT_EQ(wsinv->max_forwards(), 68u);
  EXPECT_EQ(wsinv->from()->param("tag"), "98asjd8");
  EXPECT_EQ(wsinv->to()->param("tag"), "1918181833n");
  EXPECT_EQ(wsinv->body().size(), 150u);
  EXPECT_EQ(wsinv->header("NewFangledHeader").has_value(), true);
  auto dblreq = Message::parse(slurp(dir / "dblreq.sip"));
  ASSERT_TRUE(dblreq);
  EXPECT_EQ(dblreq->method(), "REGISTER");
  EXPECT_EQ(dblreq->body(), "");  // trailing octets past Content-Length are dropped
  auto esc02 = Message::parse(slurp(dir / "esc02.sip"));
  ASSERT_TRUE(esc02);
  EXPECT_EQ(esc02->method(), "RE%47IST%45R");
  auto noreason = Message::parse(slurp(dir / "noreason.sip"));
  ASSERT_TRUE(noreason);
  EXPECT_EQ(noreason->status(), 100);
  auto transports = Message::parse(slurp(dir / "transports.sip"));
  ASSERT_TRUE(transports);
  EXPECT_EQ(transports->vias().at(3).transport, "UNKNOWN");
}

// Invalid messages we accept on purpose, because the defect is in a header we never
// interpret (a receiving element would pass it through too):
//   baddate - Date with a non-GMT zone (RFC 4475 3.1.2.12); Date is carried uninterpreted.
// Every other file in invalid/ must be rejected with a one-line reason; the test fails
// if a lenient one starts being rejected, so this list stays true.
TEST(Rfc4475, InvalidTortureMessagesAreRejectedWithAReason) {
  const std::set<std::string> k_lenient{"baddate"};
  const auto invalid = files("invalid");
  ASSERT_GE(invalid.size(), 19u);
  for (const auto& p : invalid) {
    auto m = Message::parse(slurp(p));
    if (k_lenient.count(p.stem().string()) != 0) {
      EXPECT_TRUE(m) << p.filename() << " became rejected; drop it from the lenient list: " << m.message();
      continue;
    }
    EXPECT_FALSE(m) << p.filename() << " was accepted";
    if (!m) {
      EXPECT_FALSE(m.message().empty());
      EXPECT_EQ(m.message().find('\n'), std::string::npos);
    }
  }
}

TEST(Rfc4475, TruncatedAndMutatedTortureMessagesNeverCrash) {
  for (const char* kind : {"valid", "invalid"}) {
    for (const auto& p : files(kind)) {
      const std::string data = slurp(p);
      for (std::size_t n = 0; n < data.size(); n += 7) {
        auto m = Message::parse(std::string_view(data).substr(0, n));
        if (m) (void)m->to_string();
        std::string flipped = data;
        flipped[n] = static_cast<char>(flipped[n] ^ 0x20);
        auto f = Message::parse(flipped);
        if (f) (void)f->to_string();
      }
    }
  }
}
