// Fuzzes every sip parser with the same bytes: Message (parse, serialize, re-parse),
// Uri, NameAddr, DigestChallenge and Authorization values.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sipwake/sip/digest.hpp"
#include "sipwake/sip/message.hpp"

using namespace sipwake::sip;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  if (auto m = Message::parse(in)) {
    const std::string wire = m->to_string();
    if (auto again = Message::parse(wire)) {
      (void)again->to_string();
      (void)again->vias();
      (void)again->contacts();
      (void)again->body();
      (void)select_challenge(*again);
    }
    (void)m->from();
    (void)m->to();
    (void)m->cseq();
    (void)m->request_uri();
    (void)m->headers("Supported");
    (void)m->expires();
    (void)m->retry_after();
    if (m->is_request()) (void)Message::response_to(*m, 200);
  }
  if (auto u = Uri::parse(in)) (void)Uri::parse(u->to_string());
  if (auto na = NameAddr::parse(in)) (void)NameAddr::parse(na->to_string());
  (void)DigestChallenge::parse(in, false);
  if (auto p = DigestServer::parse_authorization(in)) {
    static const DigestServer server("example.com", "fuzz-secret");
    (void)server.verify(*p, "REGISTER", "pw", 0);
  }
  return 0;
}
