// Message: typed accessors for the headers every transaction and dialog needs.
#include <osipparser2/osip_parser.h>

#include <charconv>

#include "osip_glue.hpp"
#include "sipwake/sip/message.hpp"
#include "text.hpp"

namespace sipwake::sip {

namespace {

std::optional<std::uint16_t> to_port(const char* s) {
  if (s == nullptr) return std::nullopt;
  const std::string_view v = detail::trim(s);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
  if (v.empty() || ec != std::errc{} || end != v.data() + v.size() || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

Via to_via(const osip_via_t* v) {
  Via via;
  via.transport = v->protocol != nullptr ? detail::lower(v->protocol) : std::string{"udp"};
  for (char& c : via.transport) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  std::string_view host = v->host != nullptr ? std::string_view(v->host) : std::string_view{};
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  via.host = std::string(host);
  via.port = to_port(v->port);
  for (int i = 0; i < osip_list_size(&v->via_params); ++i) {
    const auto* p = static_cast<const osip_generic_param_t*>(osip_list_get(&v->via_params, i));
    if (p->gname == nullptr) continue;
    if (detail::iequals(p->gname, "branch")) {
      via.branch = p->gvalue != nullptr ? p->gvalue : "";
    } else if (detail::iequals(p->gname, "received")) {
      via.received = p->gvalue != nullptr ? p->gvalue : "";
    } else if (detail::iequals(p->gname, "rport")) {
      via.has_rport = true;
      via.rport = to_port(p->gvalue);
    }
  }
  return via;
}

std::string via_to_string(const Via& via) {
  std::string out = "SIP/2.0/" + via.transport + " ";
  Uri hp;
  hp.host = via.host;
  hp.port = via.port;
  out += hp.host_port();
  if (!via.branch.empty()) out += ";branch=" + via.branch;
  if (via.received) out += ";received=" + *via.received;
  if (via.rport) {
    out += ";rport=" + std::to_string(*via.rport);
  } else if (via.has_rport) {
    out += ";rport";  // RFC 3581 3: the client asks for rport with an empty parameter
  }
  return out;
}

std::optional<std::uint32_t> first_number(const Message& msg, std::string_view name) {
  auto v = msg.header(name);
  if (!v) return std::nullopt;
  return detail::parse_u32(*v);
}

std::optional<NameAddr> first_name_addr(const Message& msg, std::string_view name) {
  auto v = msg.header(name);
  if (!v) return std::nullopt;
  auto na = NameAddr::parse(*v);
  if (!na) return std::nullopt;
  return std::move(*na);
}

}  // namespace

std::vector<Via> Message::vias() const {
  std::vector<Via> out;
  const int n = osip_list_size(&m_msg->vias);
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out.push_back(to_via(static_cast<const osip_via_t*>(osip_list_get(&m_msg->vias, i))));
  return out;
}

std::optional<Via> Message::top_via() const {
  if (osip_list_size(&m_msg->vias) == 0) return std::nullopt;
  return to_via(static_cast<const osip_via_t*>(osip_list_get(&m_msg->vias, 0)));
}

void Message::push_via(const Via& via) {
  osip_via_t* v = nullptr;
  if (osip_via_init(&v) != 0) return;
  if (osip_via_parse(v, via_to_string(via).c_str()) != 0) {
    osip_via_free(v);
    return;
  }
  osip_list_add(&m_msg->vias, v, 0);
  osip_message_force_update(m_msg.get());
}

void Message::pop_via() {
  if (osip_list_size(&m_msg->vias) == 0) return;
  auto* v = static_cast<osip_via_t*>(osip_list_get(&m_msg->vias, 0));
  osip_list_remove(&m_msg->vias, 0);
  osip_via_free(v);
  osip_message_force_update(m_msg.get());
}

std::string Message::call_id() const { return header("call-id").value_or(std::string{}); }

std::optional<CSeq> Message::cseq() const {
  const osip_cseq_t* c = m_msg->cseq;
  if (c == nullptr || c->number == nullptr || c->method == nullptr) return std::nullopt;
  auto n = detail::parse_u32(c->number);
  if (!n) return std::nullopt;
  return CSeq{*n, c->method};
}

std::optional<NameAddr> Message::from() const { return first_name_addr(*this, "from"); }
std::optional<NameAddr> Message::to() const { return first_name_addr(*this, "to"); }

void Message::set_from(const NameAddr& from) { set_header("from", from.to_string()); }
void Message::set_to(const NameAddr& to) { set_header("to", to.to_string()); }
void Message::set_call_id(std::string_view call_id) { set_header("call-id", call_id); }

void Message::set_cseq(std::uint32_t number, std::string_view method) {
  set_header("cseq", std::to_string(number) + " " + std::string(method));
}

std::vector<NameAddr> Message::contacts() const {
  std::vector<NameAddr> out;
  for (const std::string& v : headers("contact")) {
    if (auto na = NameAddr::parse(v)) out.push_back(std::move(*na));
  }
  return out;
}

bool Message::contact_star() const {
  for (const std::string& v : headers("contact")) {
    if (detail::trim(v) == "*") return true;
  }
  return false;
}

void Message::add_contact(const NameAddr& contact) { add_header("contact", contact.to_string()); }

void Message::set_contact_star() { set_header("contact", "*"); }

std::optional<std::uint32_t> Message::expires() const { return first_number(*this, "expires"); }
std::optional<std::uint32_t> Message::min_expires() const { return first_number(*this, "min-expires"); }
std::optional<std::uint32_t> Message::max_forwards() const { return first_number(*this, "max-forwards"); }

std::optional<std::uint32_t> Message::retry_after() const {
  auto v = header("retry-after");
  if (!v) return std::nullopt;
  // RFC 3261 20.33: delta-seconds [ comment ] *( SEMI retry-param )
  std::string_view s = detail::trim(*v);
  return detail::parse_u32(s.substr(0, s.find_first_of(" \t(;")));
}

}  // namespace sipwake::sip
