// Message: parse, serialize, start line, body and building responses.
#include "sipwake/sip/message.hpp"

#include <osipparser2/osip_parser.h>

#include "message_check.hpp"
#include "osip_glue.hpp"
#include "sipwake/sip/reason.hpp"
#include "text.hpp"

namespace sipwake::sip {

using detail::OsipString;

void Message::Deleter::operator()(osip_message* m) const noexcept { osip_message_free(m); }

Message::Message(osip_message* m) noexcept : m_msg(m) {}
Message::Message(Message&&) noexcept = default;
Message& Message::operator=(Message&&) noexcept = default;
Message::~Message() = default;

namespace {

osip_message_t* new_message() {
  detail::ensure_parser_init();
  osip_message_t* m = nullptr;
  if (osip_message_init(&m) != 0 || m == nullptr) throw std::bad_alloc();
  return m;
}

}  // namespace

Result<Message> Message::parse(std::string_view data) {
  auto layout = detail::check_raw(data);
  if (!layout) return layout.error();
  Message msg(new_message());
  // osip2 sees only the header block: its MIME body parser leaks on malformed multipart
  // bodies, and we want the body bytes untouched anyway. The body goes in as one opaque part.
  // Its copy of Content-Length is patched to 0 so it does not look for the body.
  std::string head(data.substr(layout->start, layout->header_end - layout->start));
  const std::size_t body_size = layout->parse_size - layout->header_end;
  if (layout->cl_offset != 0) {
    head.replace(layout->cl_offset - layout->start, layout->cl_size, "0");
  }
  if (osip_message_parse(msg.m_msg.get(), head.data(), head.size()) != 0) {
    return fail("malformed SIP message (rejected by parser)");
  }
  if (body_size > 0) {
    const std::string_view body = data.substr(layout->header_end, body_size);
    if (osip_message_set_body(msg.m_msg.get(), body.data(), body.size()) != 0) return fail("cannot store the body");
    detail::remove_header_values(msg.m_msg.get(), "content-length");
    detail::add_header_value(msg.m_msg.get(), "content-length", std::to_string(body_size));
  }
  if (auto ok = detail::check_parsed(msg.m_msg.get()); !ok) return ok.error();
  // Structured checks osip2 does not make: From/To must be valid name-addrs.
  if (!msg.from()) return fail("malformed From header");
  if (!msg.to()) return fail("malformed To header");
  detail::canonicalize_other_headers(msg.m_msg.get());
  return msg;
}

Message Message::request(std::string_view method, const Uri& request_uri) {
  Message msg(new_message());
  osip_message_t* m = msg.m_msg.get();
  osip_message_set_method(m, osip_strdup(std::string(method).c_str()));
  osip_message_set_version(m, osip_strdup("SIP/2.0"));
  msg.set_request_uri(request_uri);
  return msg;
}

Result<Message> Message::response_to(const Message& request, int code, std::string_view reason) {
  if (!request.is_request()) return fail("cannot answer a response");
  if (code < 100 || code > 699) return fail("status code " + std::to_string(code) + " out of range 100-699");
  Message msg(new_message());
  osip_message_t* m = msg.m_msg.get();
  osip_message_set_version(m, osip_strdup("SIP/2.0"));
  osip_message_set_status_code(m, code);
  const std::string phrase = reason.empty() ? reason_phrase(code) : std::string(reason);
  osip_message_set_reason_phrase(m, osip_strdup(phrase.c_str()));
  // RFC 3261 8.2.6.2: copy Via (all, in order), From, To, Call-ID and CSeq.
  for (std::string_view name : {"via", "from", "to", "call-id", "cseq"}) {
    for (const std::string& v : detail::header_values(request.m_msg.get(), name)) {
      detail::add_header_value(m, name, v);
    }
  }
  return msg;
}

Message Message::clone() const {
  osip_message_t* copy = nullptr;
  if (osip_message_clone(m_msg.get(), &copy) != 0 || copy == nullptr) throw std::bad_alloc();
  return Message(copy);
}

std::string Message::to_string() const {
  char* out = nullptr;
  std::size_t len = 0;
  if (osip_message_to_str(m_msg.get(), &out, &len) != 0 || out == nullptr) return {};
  OsipString owned(out);
  return std::string(out, len);
}

bool Message::is_request() const { return MSG_IS_REQUEST(m_msg.get()); }

std::string Message::method() const {
  const char* s = m_msg->sip_method;
  return s != nullptr ? std::string(s) : std::string{};
}

Uri Message::request_uri() const {
  if (m_msg->req_uri == nullptr) return Uri{};
  char* s = nullptr;
  if (osip_uri_to_str(m_msg->req_uri, &s) != 0 || s == nullptr) return Uri{};
  OsipString owned(s);
  auto uri = Uri::parse(s);
  return uri ? std::move(*uri) : Uri{};
}

void Message::set_request_uri(const Uri& uri) {
  osip_uri_t* u = nullptr;
  osip_uri_init(&u);
  if (osip_uri_parse(u, uri.to_string().c_str()) != 0) {
    osip_uri_free(u);
    return;
  }
  if (m_msg->req_uri != nullptr) osip_uri_free(m_msg->req_uri);
  m_msg->req_uri = u;
  osip_message_force_update(m_msg.get());
}

int Message::status() const { return m_msg->status_code; }

std::string Message::reason() const {
  const char* s = m_msg->reason_phrase;
  return s != nullptr ? std::string(s) : std::string{};
}

std::optional<std::string> Message::header(std::string_view name) const {
  auto values = detail::header_values(m_msg.get(), detail::canonical_lower(name));
  if (values.empty()) return std::nullopt;
  return std::move(values.front());
}

std::vector<std::string> Message::headers(std::string_view name) const {
  return detail::header_values(m_msg.get(), detail::canonical_lower(name));
}

void Message::add_header(std::string_view name, std::string_view value) {
  detail::add_header_value(m_msg.get(), detail::canonical_lower(name), value);
}

void Message::set_header(std::string_view name, std::string_view value) {
  const std::string n = detail::canonical_lower(name);
  detail::remove_header_values(m_msg.get(), n);
  detail::add_header_value(m_msg.get(), n, value);
}

void Message::remove_header(std::string_view name) {
  detail::remove_header_values(m_msg.get(), detail::canonical_lower(name));
}

std::string Message::body() const {
  const int n = osip_list_size(&m_msg->bodies);
  if (n == 0) return {};
  if (n == 1) {
    const auto* b = static_cast<const osip_body_t*>(osip_list_get(&m_msg->bodies, 0));
    return b->body != nullptr ? std::string(b->body, b->length) : std::string{};
  }
  // Multipart: osip keeps the parts apart; the serialized form has them joined again.
  const std::string all = to_string();
  const auto end = all.find("\r\n\r\n");
  return end == std::string::npos ? std::string{} : all.substr(end + 4);
}

void Message::set_body(std::string_view content_type, std::string_view body) {
  osip_message_t* m = m_msg.get();
  osip_list_special_free(&m->bodies, [](void* p) { osip_body_free(static_cast<osip_body_t*>(p)); });
  osip_list_init(&m->bodies);
  detail::remove_header_values(m, "content-type");
  detail::remove_header_values(m, "content-length");
  if (!body.empty()) {
    osip_message_set_body(m, body.data(), body.size());
    if (!content_type.empty()) detail::add_header_value(m, "content-type", content_type);
  }
  osip_message_force_update(m);
}

}  // namespace sipwake::sip
