#include "rate_limiter.hpp"

namespace sipwake::worsend {

Duration RateLimiter::check(const std::string& key, const RateLimit& limit, TimePoint now) {
  if (limit.count == 0) return Duration{0};
  auto it = m_log.find(key);
  if (it == m_log.end()) return Duration{0};
  auto& q = it->second;
  while (!q.empty() && q.front() + limit.window <= now) q.pop_front();
  if (q.size() < limit.count) return Duration{0};
  return q.front() + limit.window - now;
}

void RateLimiter::record(const std::string& key, const RateLimit& limit, TimePoint now) {
  if (limit.count == 0) return;
  auto& q = m_log[key];
  q.push_back(now);
  while (q.size() > limit.count) q.pop_front();
}

void RateLimiter::prune(TimePoint now, Duration window) {
  for (auto it = m_log.begin(); it != m_log.end();) {
    if (it->second.empty() || it->second.back() + window <= now) {
      it = m_log.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace sipwake::worsend
