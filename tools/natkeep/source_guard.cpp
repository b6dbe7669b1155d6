#include "source_guard.hpp"

#include <algorithm>

namespace sipwake::natkeep {
namespace {

// Limits are per IP: a spoofing attacker picks ports freely.
stun::TransportAddress ip_only(const stun::TransportAddress& a) {
  stun::TransportAddress k = a;
  k.port = 0;
  return k;
}

}  // namespace

SourceGuard::State& SourceGuard::state(const stun::TransportAddress& from, TimePoint now) {
  auto key = ip_only(from);
  auto it = m_table.find(key);
  if (it != m_table.end()) return it->second;
  if (m_table.size() >= m_p.max_sources) m_table.clear();
  State s;
  s.tokens = m_p.burst;
  s.refilled = now;
  return m_table.emplace(key, s).first->second;
}

void SourceGuard::refill(State& s, TimePoint now) const {
  double secs = std::chrono::duration<double>(now - s.refilled).count();
  s.tokens = std::min(m_p.burst, s.tokens + secs * m_p.rate);
  s.refilled = now;
}

bool SourceGuard::exhausted(const stun::TransportAddress& from, TimePoint now) {
  auto it = m_table.find(ip_only(from));
  if (it == m_table.end()) return false;
  refill(it->second, now);
  return it->second.tokens < 1.0;
}

bool SourceGuard::admit(const stun::TransportAddress& from, TimePoint now) {
  State& s = state(from, now);
  refill(s, now);
  if (s.tokens < 1.0) return false;
  s.tokens -= 1.0;
  return true;
}

std::size_t SourceGuard::budget(const stun::TransportAddress& from, std::size_t received) {
  auto it = m_table.find(ip_only(from));
  if (it == m_table.end()) return received;
  it->second.credit += received;
  return static_cast<std::size_t>(it->second.credit);
}

void SourceGuard::spend(const stun::TransportAddress& from, std::size_t sent) {
  auto it = m_table.find(ip_only(from));
  if (it == m_table.end()) return;
  it->second.credit -= std::min<std::uint64_t>(it->second.credit, sent);
}

}  // namespace sipwake::natkeep
