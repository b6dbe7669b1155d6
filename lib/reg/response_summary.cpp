#include "sipwake/reg/response_summary.hpp"

#include <charconv>

namespace sipwake::reg {

Response summarize(const sip::Message& m) {
  Response r;
  r.status = m.status();
  r.reason = m.reason();
  if (auto cseq = m.cseq()) r.cseq = cseq->number;
  r.expires_header = m.expires();
  r.min_expires = m.min_expires();
  r.retry_after = m.retry_after();
  if (r.status >= 200 && r.status < 300) {
    for (const auto& c : m.contacts()) {
      Binding b;
      b.uri = c.uri.to_string();
      // RFC 3261 10.3 step 6: a contact's expires parameter wins over the Expires header.
      b.expires = r.expires_header.value_or(0);
      if (auto e = c.param("expires")) {
        std::uint32_t v = 0;
        auto [p, ec] = std::from_chars(e->data(), e->data() + e->size(), v);
        if (ec == std::errc{} && p == e->data() + e->size()) b.expires = v;
      }
      r.contacts.push_back(std::move(b));
    }
  }
  if (r.status == 401 || r.status == 407) {
    auto chosen = sip::select_challenge(m);
    if (chosen) {
      r.challenge = *chosen;
    } else {
      r.challenge_error = chosen.message();
    }
  }
  // RFC 3581 4: rport (and received, when the source differed) say where we were seen.
  if (auto via = m.top_via(); via && via->rport) {
    r.public_host = via->received.value_or(via->host);
    r.public_port = via->rport;
  }
  return r;
}

}  // namespace sipwake::reg
