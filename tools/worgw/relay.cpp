#include "relay.hpp"

#include <algorithm>
#include <cctype>

namespace sipwake::worgw {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string host_for_uri(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

std::string Self::record_route() const { return "<sip:" + host_for_uri(host) + ":" + std::to_string(port) + ";lr>"; }

bool Self::owns(const sip::Via& via) const {
  return via.branch.rfind(k_branch_prefix, 0) == 0 && iequals(via.host, host) && via.port.value_or(5060) == port;
}

bool Self::is_us(const sip::Uri& uri) const { return iequals(uri.host, host) && uri.port.value_or(5060) == port; }

sip::Message relayed_invite(const sip::Message& invite, const sip::Uri& target, const Self& self,
                            const std::string& branch) {
  sip::Message out = invite.clone();
  out.set_request_uri(target);
  // RFC 3261 16.6 step 3.
  out.set_header("Max-Forwards", std::to_string(invite.max_forwards().value_or(70) - 1));
  // 16.6 step 4: our Record-Route goes on top of any the request already carries.
  std::vector<std::string> rr = out.headers("Record-Route");
  out.remove_header("Record-Route");
  out.add_header("Record-Route", self.record_route());
  for (const auto& r : rr) out.add_header("Record-Route", r);
  sip::Via via;
  via.transport = "UDP";
  via.host = self.host;
  via.port = self.port;
  via.branch = branch;
  via.has_rport = true;
  out.push_via(via);
  return out;
}

sip::Message ack_for(const sip::Message& relayed, const sip::Message& response) {
  sip::Message ack = sip::Message::request("ACK", relayed.request_uri());
  if (auto via = relayed.top_via()) ack.push_via(*via);
  ack.set_header("Max-Forwards", "70");
  if (auto from = relayed.from()) ack.set_from(*from);
  if (auto to = response.to()) ack.set_to(*to);  // with the tag the response added
  ack.set_call_id(relayed.call_id());
  if (auto cseq = relayed.cseq()) ack.set_cseq(cseq->number, "ACK");
  for (const auto& r : relayed.headers("Route")) ack.add_header("Route", r);
  return ack;
}

sip::Message bye_for(const sip::Message& relayed, const sip::Message& response) {
  // RFC 3261 12.2.1.1: the remote target is the answer's Contact.
  sip::Uri target = relayed.request_uri();
  auto contacts = response.contacts();
  if (!contacts.empty()) target = contacts.front().uri;
  sip::Message bye = sip::Message::request("BYE", target);
  sip::Via via;
  if (auto v = relayed.top_via()) via = *v;
  via.branch += "b";  // a new transaction
  bye.push_via(via);
  bye.set_header("Max-Forwards", "70");
  if (auto from = relayed.from()) bye.set_from(*from);
  if (auto to = response.to()) bye.set_to(*to);
  bye.set_call_id(relayed.call_id());
  if (auto cseq = relayed.cseq()) bye.set_cseq(cseq->number + 1, "BYE");
  return bye;
}

sip::Message cancel_for(const sip::Message& relayed) {
  sip::Message c = sip::Message::request("CANCEL", relayed.request_uri());
  if (auto via = relayed.top_via()) c.push_via(*via);
  c.set_header("Max-Forwards", "70");
  if (auto from = relayed.from()) c.set_from(*from);
  if (auto to = relayed.to()) c.set_to(*to);
  c.set_call_id(relayed.call_id());
  if (auto cseq = relayed.cseq()) c.set_cseq(cseq->number, "CANCEL");
  for (const auto& r : relayed.headers("Route")) c.add_header("Route", r);
  return c;
}

Result<sip::Message> local_response(const sip::Message& request, int status, const std::string& to_tag,
                                    std::string_view reason) {
  auto resp = sip::Message::response_to(request, status, reason);
  if (!resp) return resp;
  if (status > 100) {
    if (auto to = resp->to(); to && !to->param("tag")) {
      to->set_param("tag", to_tag);
      resp->set_to(*to);
    }
  }
  return resp;
}

std::string raw_error_response(std::string_view raw, int status, std::string_view reason) {
  if (raw.rfind("SIP/", 0) == 0) return "";  // never answer a response
  std::string clean;
  for (char c : reason.substr(0, 100)) clean.push_back(c == '\r' || c == '\n' ? ' ' : c);
  std::string headers;
  bool have_via = false;
  std::size_t pos = raw.find('\n');
  while (pos != std::string_view::npos && pos + 1 < raw.size()) {
    std::size_t end = raw.find('\n', pos + 1);
    std::string_view line = raw.substr(pos + 1, end == std::string_view::npos ? raw.size() - pos - 1 : end - pos - 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    auto colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view name = line.substr(0, colon);
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      for (const char* keep : {"Via", "v", "From", "f", "To", "t", "Call-ID", "i", "CSeq"}) {
        if (iequals(name, keep)) {
          if (iequals(name, "Via") || iequals(name, "v")) have_via = true;
          if (line.size() < 1000) headers.append(line).append("\r\n");
        }
      }
    }
    pos = end;
  }
  if (!have_via) return "";
  return "SIP/2.0 " + std::to_string(status) + " " + clean + "\r\n" + headers + "Content-Length: 0\r\n\r\n";
}

}  // namespace sipwake::worgw
