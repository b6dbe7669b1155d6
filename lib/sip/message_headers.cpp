// The header-name table: which osip field holds which header, and generic access to all.
#include <algorithm>
#include <array>
#include <mutex>

#include "osip_glue.hpp"
#include "text.hpp"

namespace sipwake::sip::detail {

namespace {

struct Slot {
  std::string_view name;  // lowercase full name
  void (*values)(const osip_message_t*, std::vector<std::string>&);
  void (*clear)(osip_message_t*);
  int (*add)(osip_message_t*, const char*);
};

void take(std::vector<std::string>& out, int rc, char* s) {
  OsipString owned(s);
  if (rc == 0 && owned) out.emplace_back(owned.get());
}

void reset_list(osip_list_t* list, void (*free_fn)(void*)) {
  osip_list_special_free(list, free_fn);
  osip_list_init(list);
}

// List-valued headers: one osip element per value.
#define SIP_LIST_SLOT(hname, field, type, prefix)                                         \
  Slot {                                                                                  \
    hname,                                                                                \
        [](const osip_message_t* m, std::vector<std::string>& out) {                      \
          for (int i = 0; i < osip_list_size(&m->field); ++i) {                           \
            auto* e = static_cast<type*>(osip_list_get(&m->field, i));                    \
            char* s = nullptr;                                                            \
            const int rc = prefix##_to_str(e, &s);                                        \
            take(out, rc, s);                                                             \
          }                                                                               \
        },                                                                                \
        [](osip_message_t* m) {                                                           \
          reset_list(&m->field, [](void* p) { prefix##_free(static_cast<type*>(p)); });   \
        },                                                                                \
        [](osip_message_t* m, const char* v) { return osip_message_set_##prefix##_x(m, v); } \
  }

// Single-instance headers: one pointer field.
#define SIP_ONE_SLOT(hname, field, prefix)                              \
  Slot {                                                                \
    hname,                                                              \
        [](const osip_message_t* m, std::vector<std::string>& out) {    \
          if (m->field == nullptr) return;                              \
          char* s = nullptr;                                            \
          const int rc = prefix##_to_str(m->field, &s);                 \
          take(out, rc, s);                                             \
        },                                                              \
        [](osip_message_t* m) {                                         \
          if (m->field != nullptr) prefix##_free(m->field);             \
          m->field = nullptr;                                           \
        },                                                              \
        [](osip_message_t* m, const char* v) { return osip_message_set_##prefix##_x(m, v); } \
  }

// osip's setter names drop the "osip_" prefix of the type; these shims line them up.
int osip_message_set_osip_accept_x(osip_message_t* m, const char* v) { return osip_message_set_accept(m, v); }
int osip_message_set_osip_accept_encoding_x(osip_message_t* m, const char* v) { return osip_message_set_accept_encoding(m, v); }
int osip_message_set_osip_accept_language_x(osip_message_t* m, const char* v) { return osip_message_set_accept_language(m, v); }
int osip_message_set_osip_alert_info_x(osip_message_t* m, const char* v) { return osip_message_set_alert_info(m, v); }
int osip_message_set_osip_allow_x(osip_message_t* m, const char* v) { return osip_message_set_allow(m, v); }
int osip_message_set_osip_authentication_info_x(osip_message_t* m, const char* v) { return osip_message_set_authentication_info(m, v); }
int osip_message_set_osip_authorization_x(osip_message_t* m, const char* v) { return osip_message_set_authorization(m, v); }
int osip_message_set_osip_call_info_x(osip_message_t* m, const char* v) { return osip_message_set_call_info(m, v); }
int osip_message_set_osip_contact_x(osip_message_t* m, const char* v) { return osip_message_set_contact(m, v); }
int osip_message_set_osip_content_encoding_x(osip_message_t* m, const char* v) { return osip_message_set_content_encoding(m, v); }
int osip_message_set_osip_error_info_x(osip_message_t* m, const char* v) { return osip_message_set_error_info(m, v); }
int osip_message_set_osip_proxy_authenticate_x(osip_message_t* m, const char* v) { return osip_message_set_proxy_authenticate(m, v); }
int osip_message_set_osip_proxy_authentication_info_x(osip_message_t* m, const char* v) { return osip_message_set_proxy_authentication_info(m, v); }
int osip_message_set_osip_proxy_authorization_x(osip_message_t* m, const char* v) { return osip_message_set_proxy_authorization(m, v); }
int osip_message_set_osip_record_route_x(osip_message_t* m, const char* v) { return osip_message_set_record_route(m, v); }
int osip_message_set_osip_route_x(osip_message_t* m, const char* v) { return osip_message_set_route(m, v); }
int osip_message_set_osip_via_x(osip_message_t* m, const char* v) { return osip_message_set_via(m, v); }
int osip_message_set_osip_www_authenticate_x(osip_message_t* m, const char* v) { return osip_message_set_www_authenticate(m, v); }
int osip_message_set_osip_call_id_x(osip_message_t* m, const char* v) { return osip_message_set_call_id(m, v); }
int osip_message_set_osip_content_length_x(osip_message_t* m, const char* v) { return osip_message_set_content_length(m, v); }
int osip_message_set_osip_content_type_x(osip_message_t* m, const char* v) { return osip_message_set_content_type(m, v); }
int osip_message_set_osip_cseq_x(osip_message_t* m, const char* v) { return osip_message_set_cseq(m, v); }
int osip_message_set_osip_from_x(osip_message_t* m, const char* v) { return osip_message_set_from(m, v); }
int osip_message_set_osip_mime_version_x(osip_message_t* m, const char* v) { return osip_message_set_mime_version(m, v); }
int osip_message_set_osip_to_x(osip_message_t* m, const char* v) { return osip_message_set_to(m, v); }

const std::array<Slot, 25>& slots() {
  static const std::array<Slot, 25> table{{
      SIP_LIST_SLOT("accept", accepts, osip_accept_t, osip_accept),
      SIP_LIST_SLOT("accept-encoding", accept_encodings, osip_accept_encoding_t, osip_accept_encoding),
      SIP_LIST_SLOT("accept-language", accept_languages, osip_accept_language_t, osip_accept_language),
      SIP_LIST_SLOT("alert-info", alert_infos, osip_alert_info_t, osip_alert_info),
      SIP_LIST_SLOT("allow", allows, osip_allow_t, osip_allow),
      SIP_LIST_SLOT("authentication-info", authentication_infos, osip_authentication_info_t, osip_authentication_info),
      SIP_LIST_SLOT("authorization", authorizations, osip_authorization_t, osip_authorization),
      SIP_LIST_SLOT("call-info", call_infos, osip_call_info_t, osip_call_info),
      SIP_LIST_SLOT("contact", contacts, osip_contact_t, osip_contact),
      SIP_LIST_SLOT("content-encoding", content_encodings, osip_content_encoding_t, osip_content_encoding),
      SIP_LIST_SLOT("error-info", error_infos, osip_error_info_t, osip_error_info),
      SIP_LIST_SLOT("proxy-authenticate", proxy_authenticates, osip_proxy_authenticate_t, osip_proxy_authenticate),
      SIP_LIST_SLOT("proxy-authentication-info", proxy_authentication_infos, osip_proxy_authentication_info_t, osip_proxy_authentication_info),
      SIP_LIST_SLOT("proxy-authorization", proxy_authorizations, osip_proxy_authorization_t, osip_proxy_authorization),
      SIP_LIST_SLOT("record-route", record_routes, osip_record_route_t, osip_record_route),
      SIP_LIST_SLOT("route", routes, osip_route_t, osip_route),
      SIP_LIST_SLOT("via", vias, osip_via_t, osip_via),
      SIP_LIST_SLOT("www-authenticate", www_authenticates, osip_www_authenticate_t, osip_www_authenticate),
      SIP_ONE_SLOT("call-id", call_id, osip_call_id),
      SIP_ONE_SLOT("content-length", content_length, osip_content_length),
      SIP_ONE_SLOT("content-type", content_type, osip_content_type),
      SIP_ONE_SLOT("cseq", cseq, osip_cseq),
      SIP_ONE_SLOT("from", from, osip_from),
      SIP_ONE_SLOT("mime-version", mime_version, osip_mime_version),
      SIP_ONE_SLOT("to", to, osip_to),
  }};
  return table;
}

#undef SIP_LIST_SLOT
#undef SIP_ONE_SLOT

const Slot* find_slot(std::string_view lower_name) {
  for (const Slot& s : slots()) {
    if (s.name == lower_name) return &s;
  }
  return nullptr;
}

bool is_single(std::string_view n) {
  return n == "call-id" || n == "content-length" || n == "content-type" || n == "cseq" || n == "from" ||
         n == "to" || n == "mime-version" || n == "max-forwards" || n == "expires" || n == "min-expires";
}

// Headers whose grammar is a comma-separated list (RFC 3261 7.3.1), so "a, b" is two values.
bool is_comma_list(std::string_view n) {
  static constexpr std::array<std::string_view, 27> k_lists{
      "accept", "accept-encoding", "accept-language", "alert-info", "allow", "allow-events",
      "call-info", "contact", "content-encoding", "content-language", "error-info", "in-reply-to",
      "path", "proxy-require", "record-route", "require", "route", "service-route", "supported",
      "unsupported", "via", "accept-contact", "reject-contact", "request-disposition",
      "security-client", "security-server", "security-verify"};
  return std::find(k_lists.begin(), k_lists.end(), n) != k_lists.end();
}

void ignore_trace(const char*, int, osip_trace_level_t, const char*, va_list) noexcept {}

}  // namespace

void ensure_parser_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    parser_init();
    // osip2 traces parse errors to stderr; we report them as Result errors instead.
    osip_trace_initialize_func(END_TRACE_LEVEL, &ignore_trace);
    for (int level = TRACE_LEVEL0; level < END_TRACE_LEVEL; ++level) {
      osip_trace_disable_level(static_cast<osip_trace_level_t>(level));
    }
  });
}

std::string canonical_lower(std::string_view name) {
  std::string n = lower(trim(name));
  if (n.size() != 1) return n;
  // RFC 3261 7.3.3 and the IANA registry of compact forms.
  switch (n[0]) {
    case 'a': return "accept-contact";
    case 'b': return "referred-by";
    case 'c': return "content-type";
    case 'd': return "request-disposition";
    case 'e': return "content-encoding";
    case 'f': return "from";
    case 'i': return "call-id";
    case 'j': return "reject-contact";
    case 'k': return "supported";
    case 'l': return "content-length";
    case 'm': return "contact";
    case 'n': return "identity-info";
    case 'o': return "event";
    case 'r': return "refer-to";
    case 's': return "subject";
    case 't': return "to";
    case 'u': return "allow-events";
    case 'v': return "via";
    case 'x': return "session-expires";
    case 'y': return "identity";
    default: return n;
  }
}

std::string display_name(std::string_view lower_name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> k_special{{
      {"call-id", "Call-ID"}, {"cseq", "CSeq"}, {"www-authenticate", "WWW-Authenticate"},
      {"mime-version", "MIME-Version"}, {"rack", "RAck"}, {"rseq", "RSeq"}, {"sip-etag", "SIP-ETag"},
      {"sip-if-match", "SIP-If-Match"}, {"identity-info", "Identity-Info"}}};
  for (const auto& [l, d] : k_special) {
    if (l == lower_name) return std::string(d);
  }
  std::string out(lower_name);
  bool start = true;
  for (char& c : out) {
    if (start && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    start = c == '-';
  }
  return out;
}

std::vector<std::string> header_values(const osip_message_t* m, std::string_view lower_name) {
  std::vector<std::string> out;
  if (const Slot* s = find_slot(lower_name)) {
    s->values(m, out);
    return out;
  }
  const bool split = is_comma_list(lower_name);
  for (int i = 0; i < osip_list_size(&m->headers); ++i) {
    const auto* h = static_cast<const osip_header_t*>(osip_list_get(&m->headers, i));
    if (h->hname == nullptr || !iequals(h->hname, lower_name)) continue;
    std::string_view v = h->hvalue != nullptr ? std::string_view(h->hvalue) : std::string_view{};
    if (!split) {
      out.emplace_back(trim(v));
      continue;
    }
    for (std::string_view part : split_outside_quotes(v, ',')) {
      if (!part.empty()) out.emplace_back(part);
    }
  }
  return out;
}

bool add_header_value(osip_message_t* m, std::string_view lower_name, std::string_view value) {
  if (is_single(lower_name)) remove_header_values(m, lower_name);
  const Slot* s = find_slot(lower_name);
  bool ok = true;
  if (s != nullptr) {
    // osip's setters take one element each; split lists the way its parser would.
    std::vector<std::string_view> parts;
    if (is_comma_list(lower_name)) {
      parts = split_outside_quotes(value, ',');
    } else {
      parts.push_back(trim(value));
    }
    for (std::string_view part : parts) {
      if (part.empty()) continue;
      ok = s->add(m, std::string(part).c_str()) == 0 && ok;
    }
  } else {
    ok = osip_message_set_header(m, display_name(lower_name).c_str(), std::string(trim(value)).c_str()) == 0;
  }
  osip_message_force_update(m);
  return ok;
}

void remove_header_values(osip_message_t* m, std::string_view lower_name) {
  if (const Slot* s = find_slot(lower_name)) {
    s->clear(m);
  } else {
    for (int i = osip_list_size(&m->headers) - 1; i >= 0; --i) {
      auto* h = static_cast<osip_header_t*>(osip_list_get(&m->headers, i));
      if (h->hname != nullptr && iequals(h->hname, lower_name)) {
        osip_list_remove(&m->headers, i);
        osip_header_free(h);
      }
    }
  }
  osip_message_force_update(m);
}

void canonicalize_other_headers(osip_message_t* m) {
  for (int i = 0; i < osip_list_size(&m->headers); ++i) {
    auto* h = static_cast<osip_header_t*>(osip_list_get(&m->headers, i));
    if (h->hname == nullptr) continue;
    std::string name = display_name(canonical_lower(h->hname));
    if (name == h->hname) continue;
    osip_free(h->hname);
    h->hname = osip_strdup(name.c_str());
  }
}

}  // namespace sipwake::sip::detail
