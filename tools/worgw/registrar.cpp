#include "registrar.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>

#include "sipwake/util/random.hpp"

namespace sipwake::worgw {
namespace {

constexpr std::uint32_t k_min_expires = 10;
constexpr std::uint32_t k_max_expires = 3600;
constexpr std::uint32_t k_default_expires = 3600;

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::optional<std::uint32_t> expires_param(const sip::NameAddr& c) {
  auto e = c.param("expires");
  if (!e) return std::nullopt;
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(e->data(), e->data() + e->size(), v);
  if (ec != std::errc{} || p != e->data() + e->size()) return std::nullopt;
  return v;
}

std::string strip_quotes(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  if (s.size() >= 2 && s.front() == '<' && s.back() == '>') s = s.substr(1, s.size() - 2);
  return s;
}

}  // namespace

DeviceRegistrar::DeviceRegistrar(ev::Loop& loop, Store& store, WriteBehind& writer, Directory& directory,
                                 txn::ServerLayer& server, log::EventSink& events, std::string realm,
                                 std::vector<sip::DigestAlgorithm> algorithms)
    : m_loop(loop), m_store(store), m_writer(writer), m_dir(directory), m_server(server), m_events(events),
      m_digest(realm, random_hex(32)), m_realm(std::move(realm)), m_algorithms(std::move(algorithms)) {}

DeviceRegistrar::~DeviceRegistrar() = default;

std::string DeviceRegistrar::contact_key(const sip::Uri& uri) {
  std::string host = uri.host;
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return uri.user + "@" + host + ":" + std::to_string(uri.port.value_or(5060));
}

void DeviceRegistrar::restore() {
  std::int64_t now = unix_now();
  for (const auto& [name, sub] : m_dir.all()) {
    auto b = m_store.binding(name);
    if (!b || !*b) continue;
    if ((*b)->expires_at <= now) {
      (void)m_store.clear_binding(name);
      continue;
    }
    auto flow = net::Address::parse((*b)->received);
    if (!flow) continue;
    save(name, Online{**b, *flow});
  }
}

void DeviceRegistrar::challenge(txn::ServerLayer::Id id, bool stale) {
  const sip::Message* req = m_server.request(id);
  if (!req) return;
  auto resp = sip::Message::response_to(*req, 401);
  if (!resp) return;
  // RFC 8760 2.4: one challenge per algorithm, preferred first.
  for (auto alg : m_algorithms) resp->add_header("WWW-Authenticate", m_digest.challenge(alg, stale, unix_now()));
  (void)m_server.respond(id, *resp);
}

const Subscriber* DeviceRegistrar::authenticate(txn::ServerLayer::Id id, const sip::Message& req,
                                                const std::string& claimed) {
  auto header = req.header("Authorization");
  if (!header) {
    challenge(id, false);
    return nullptr;
  }
  auto parsed = sip::DigestServer::parse_authorization(*header);
  if (!parsed) {
    (void)m_server.respond(id, 400, "Bad Authorization header");
    return nullptr;
  }
  std::string method = req.method();
  const Subscriber* sub = m_dir.find(claimed);
  std::string expected_user = sub ? (sub->auth_user.empty() ? sub->name : sub->auth_user) : "";
  if (!sub || parsed->username != expected_user) {
    // Right credentials for another subscriber are a reject, not a new challenge;
    // an unknown name looks exactly like a wrong password (no user enumeration).
    for (const auto& [name, other] : m_dir.all()) {
      std::string user = other.auth_user.empty() ? other.name : other.auth_user;
      if (user == parsed->username &&
          m_digest.verify(*parsed, method, other.password, unix_now()) == sip::DigestServer::Verdict::ok) {
        (void)m_server.respond(id, 403, "Credentials do not match the subscriber");
        return nullptr;
      }
    }
    challenge(id, false);
    return nullptr;
  }
  switch (m_digest.verify(*parsed, method, sub->password, unix_now())) {
    case sip::DigestServer::Verdict::ok:
      return sub;
    case sip::DigestServer::Verdict::stale_nonce:
      challenge(id, true);
      return nullptr;
    case sip::DigestServer::Verdict::malformed:
      (void)m_server.respond(id, 400, "Bad Authorization header");
      return nullptr;
    case sip::DigestServer::Verdict::bad_credentials:
      challenge(id, false);
      return nullptr;
  }
  return nullptr;
}

void DeviceRegistrar::handle_register(txn::ServerLayer::Id id, const sip::Message& req, const net::Address& from) {
  auto to = req.to();
  if (!to) {
    (void)m_server.respond(id, 400, "Missing To");
    return;
  }
  std::string claimed = to->uri.user;
  const Subscriber* sub = authenticate(id, req, claimed);
  if (!sub) return;
  std::string name = sub->name;

  auto resp = sip::Message::response_to(req, 200);
  if (!resp) return;
  auto header_expires = req.expires();
  auto contacts = req.contacts();
  if (req.contact_star()) {
    // RFC 3261 10.3 step 6: "*" only with Expires: 0.
    if (header_expires.value_or(1) != 0) {
      (void)m_server.respond(id, 400, "Contact * needs Expires: 0");
      return;
    }
    (void)m_server.respond(id, *resp);
    expire(name, "unregistered");
    return;
  }
  if (contacts.empty()) {  // a query: list what we hold
    if (auto cur = online(name)) {
      auto c = sip::NameAddr::parse(cur->binding.contact);
      if (c) {
        c->set_param("expires", std::to_string(std::max<std::int64_t>(0, cur->binding.expires_at - unix_now())));
        resp->add_contact(*c);
      }
    }
    (void)m_server.respond(id, *resp);
    return;
  }
  const sip::NameAddr& contact = contacts.front();
  std::uint32_t expires = expires_param(contact).value_or(header_expires.value_or(k_default_expires));
  if (expires == 0) {
    (void)m_server.respond(id, *resp);
    expire(name, "unregistered");
    return;
  }
  if (expires < k_min_expires) {
    auto brief = sip::Message::response_to(req, 423);
    if (brief) {
      brief->set_header("Min-Expires", std::to_string(k_min_expires));
      (void)m_server.respond(id, *brief);
    }
    return;
  }
  expires = std::min(expires, k_max_expires);
  Online device;
  device.flow = from;
  device.binding.contact = contact.uri.to_string();
  device.binding.received = from.to_string();
  device.binding.transport = "udp";
  if (auto inst = contact.param("+sip.instance")) device.binding.instance = strip_quotes(*inst);
  device.binding.expires_at = unix_now() + expires;
  sip::NameAddr echoed = contact;
  echoed.set_param("expires", std::to_string(expires));
  resp->add_contact(echoed);
  (void)m_server.respond(id, *resp);

  bool was_online = m_online.count(name) != 0;
  save(name, device);
  m_events.emit("device.online",
                {{"subscriber", name},
                 {"contact", device.binding.contact},
                 {"received", device.binding.received},
                 {"expires", expires},
                 {"refresh", was_online}},
                was_online ? "" : name + " is online at " + device.binding.received);
  if (m_on_login) m_on_login(name, device);
  // Written behind: the next packet must not wait for a commit.
  m_writer.queue([name, b = device.binding](Store& s) { return s.save_binding(name, b); });
}

void DeviceRegistrar::save(const std::string& subscriber, Online device) {
  auto& entry = m_online[subscriber];
  if (auto old = sip::Uri::parse(entry.device.binding.contact); old && !entry.device.binding.contact.empty()) {
    m_by_contact.erase(contact_key(*old));
  }
  if (auto uri = sip::Uri::parse(device.binding.contact)) m_by_contact[contact_key(*uri)] = subscriber;
  std::int64_t left = std::max<std::int64_t>(1, device.binding.expires_at - unix_now());
  entry.device = std::move(device);
  if (!entry.expiry) {
    entry.expiry = std::make_unique<ev::Timer>(m_loop, [this, subscriber] { expire(subscriber, "expired"); });
  }
  entry.expiry->arm(Duration{left * 1000});
}

void DeviceRegistrar::expire(const std::string& subscriber, const std::string& why) {
  auto it = m_online.find(subscriber);
  if (it == m_online.end()) return;
  if (auto uri = sip::Uri::parse(it->second.device.binding.contact)) m_by_contact.erase(contact_key(*uri));
  m_online.erase(it);  // destroys the expiry timer, possibly from inside its callback (Timer copes)
  m_events.emit("device.asleep", {{"subscriber", subscriber}, {"reason", why}}, subscriber + " is asleep (" + why + ")");
  m_writer.queue([subscriber](Store& s) { return s.clear_binding(subscriber); });
}

void DeviceRegistrar::drop(const std::string& subscriber, const std::string& why) { expire(subscriber, why); }

std::optional<Online> DeviceRegistrar::online(const std::string& subscriber) const {
  auto it = m_online.find(subscriber);
  if (it == m_online.end()) return std::nullopt;
  if (it->second.device.binding.expires_at < unix_now()) return std::nullopt;
  return it->second.device;
}

std::optional<net::Address> DeviceRegistrar::flow_for_contact(const sip::Uri& uri) const {
  auto it = m_by_contact.find(contact_key(uri));
  if (it == m_by_contact.end()) return std::nullopt;
  auto on = online(it->second);
  if (!on) return std::nullopt;
  return on->flow;
}

}  // namespace sipwake::worgw
