#include "wake_client.hpp"

#include <nlohmann/json.hpp>

namespace sipwake::worgw {
namespace {

// worsend answers within the deadline; give the socket a little more before we
// decide it is gone.
constexpr Duration k_reply_grace{2000};

}  // namespace

WakeClient::WakeClient(ev::Loop& loop, const std::string& endpoint) : m_loop(loop) {
  if (endpoint.empty()) {
    m_disabled_reason = "no wake server configured (--worsend)";
    return;
  }
  auto ep = net::Endpoint::parse(endpoint);
  if (!ep) {
    m_disabled_reason = ep.message();
    return;
  }
  m_client = std::make_unique<net::LineClient>(
      loop, *ep,
      net::LineClient::Handlers{[this](std::string_view line) { on_line(line); },
                                [this](const std::string& why) { fail_all("wake server: " + why); }});
}

WakeClient::~WakeClient() = default;

void WakeClient::wake(const std::string& device, const std::string& caller, const std::string& call_id,
                      Duration deadline, Callback done) {
  std::string id = "w" + std::to_string(m_next++);
  Pending p;
  p.done = std::move(done);
  p.timer = std::make_unique<ev::Timer>(m_loop, [this, id] { finish(id, {false, "", "wake server did not answer"}); });
  auto& entry = m_pending[id] = std::move(p);
  if (!m_client) {
    std::string why = m_disabled_reason;
    entry.timer = std::make_unique<ev::Timer>(m_loop, [this, id, why] { finish(id, {false, "", why}); });
    entry.timer->arm(Duration{0});
    return;
  }
  nlohmann::json req = {{"id", id},           {"op", "wake"},       {"device", device},
                        {"caller", caller},   {"call_id", call_id}, {"deadline_ms", deadline.count()}};
  auto sent = m_client->send_line(req.dump());
  if (!sent) {
    std::string why = "wake server: " + sent.message();
    entry.timer = std::make_unique<ev::Timer>(m_loop, [this, id, why] { finish(id, {false, "", why}); });
    entry.timer->arm(Duration{0});
    return;
  }
  entry.timer->arm(deadline + k_reply_grace);
}

void WakeClient::cancel(const std::string& device, const std::string& call_id) {
  if (!m_client) return;
  nlohmann::json req = {{"id", "c" + std::to_string(m_next++)}, {"op", "cancel"}, {"device", device},
                        {"call_id", call_id}};
  (void)m_client->send_line(req.dump());
}

void WakeClient::on_line(std::string_view line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return;
  auto id = j.find("id");
  if (id == j.end() || !id->is_string()) return;
  WakeResult r;
  r.ok = j.value("ok", false);
  r.via = j.value("via", "");
  r.error = j.value("error", r.ok ? "" : "wake failed");
  finish(id->get<std::string>(), r);
}

void WakeClient::finish(const std::string& id, const WakeResult& r) {
  auto it = m_pending.find(id);
  if (it == m_pending.end()) return;  // a reply to a cancel, or late
  Callback done = std::move(it->second.done);
  m_pending.erase(it);
  if (done) done(r);
}

void WakeClient::fail_all(const std::string& why) {
  std::vector<std::string> ids;
  for (const auto& [id, p] : m_pending) ids.push_back(id);
  for (const auto& id : ids) finish(id, {false, "", why});
}

}  // namespace sipwake::worgw
