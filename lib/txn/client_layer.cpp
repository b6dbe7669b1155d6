#include "sipwake/txn/client_layer.hpp"

#include <vector>

namespace sipwake::txn {
namespace {

std::string key_of(const std::string& branch, const std::string& method) { return branch + '\n' + method; }

}  // namespace

struct ClientLayer::Txn {
  NonInviteClient fsm;
  net::SipTransport* transport;
  net::Address to;
  std::string wire;
  Callbacks cb;
  std::unique_ptr<ev::Timer> timer;
};

ClientLayer::ClientLayer(ev::Loop& loop, Timers timers) : m_loop(loop), m_timers(timers) {}

ClientLayer::~ClientLayer() = default;

Result<void> ClientLayer::send(net::SipTransport& transport, const net::Address& to, const sip::Message& request,
                               Callbacks callbacks) {
  auto via = request.top_via();
  auto cseq = request.cseq();
  if (!via || via->branch.empty() || !cseq) return fail("request without Via branch or CSeq");
  std::string wire = request.to_string();
  if (wire.empty()) return fail("cannot serialize request");
  if (auto sent = transport.send(to, wire); !sent) return sent.error();
  std::string key = key_of(via->branch, cseq->method);
  auto t = std::unique_ptr<Txn>(new Txn{NonInviteClient(transport.reliable(), m_loop.now(), m_timers), &transport,
                                        to, std::move(wire), std::move(callbacks), nullptr});
  t->timer = std::make_unique<ev::Timer>(m_loop, [this, key] {
    auto it = m_txns.find(key);
    if (it == m_txns.end()) return;
    Step s = it->second->fsm.on_timer(m_loop.now());
    drive(key, s, nullptr);
  });
  Txn& ref = *t;
  m_txns[key] = std::move(t);
  schedule(ref);
  return {};
}

void ClientLayer::schedule(Txn& t) {
  auto deadline = t.fsm.next_deadline();
  if (!deadline) {
    t.timer->cancel();
    return;
  }
  t.timer->arm(std::max(Duration{0}, *deadline - m_loop.now()));
}

void ClientLayer::drive(const std::string& key, Step step, const sip::Message* response) {
  auto it = m_txns.find(key);
  if (it == m_txns.end()) return;
  Txn& t = *it->second;
  if (step.retransmit) {
    // A failed retransmission is not fatal: the next one or Timer F decides.
    (void)t.transport->send(t.to, t.wire);
  }
  // Callbacks may start new transactions (and so rehash the map): copy what they need.
  Callbacks cb;
  bool deliver = step.deliver && response;
  bool failed = step.timed_out;
  if (deliver || failed) cb = t.cb;
  // Once the TU has its final answer the transaction is forgotten at once rather than
  // after Timer K: a retransmitted final response then matches nothing and is dropped
  // as a stray, which is all Timer K would do, and 10,000 registrations do not keep
  // 20,000 finished transactions alive for 5 s.
  if (step.terminated || (deliver && response->status() >= 200)) {
    m_txns.erase(it);
  } else {
    schedule(t);
  }
  if (deliver && cb.on_response) cb.on_response(*response);
  if (failed && cb.on_failure) cb.on_failure("no response (transaction timeout)");
}

bool ClientLayer::on_response(const sip::Message& response) {
  auto via = response.top_via();
  auto cseq = response.cseq();
  if (!via || !cseq) return false;
  std::string key = key_of(via->branch, cseq->method);
  auto it = m_txns.find(key);
  if (it == m_txns.end()) return false;
  Step s = it->second->fsm.on_response(response.status(), m_loop.now());
  drive(key, s, &response);
  return true;
}

void ClientLayer::fail_peer(const net::SipTransport& transport, const net::Address& peer, const std::string& why) {
  std::vector<Callbacks> failed;
  for (auto it = m_txns.begin(); it != m_txns.end();) {
    if (it->second->transport == &transport && it->second->to == peer) {
      failed.push_back(it->second->cb);
      it = m_txns.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& cb : failed) {
    if (cb.on_failure) cb.on_failure(why);
  }
}

}  // namespace sipwake::txn
