#include <cstdio>
#include <iostream>

#include "audit.hpp"
#include "commands.hpp"
#include "store.hpp"

namespace sipwake::worsend {

int run_log(const Options& o) {
  auto db = open_store(o.db);
  if (!db) {
    std::fprintf(stderr, "worsend: %s\n", db.message().c_str());
    return k_exit_failure;
  }
  AuditQuery q;
  q.device = o.log_device;
  q.call_id = o.log_call_id;
  q.limit = o.limit;
  if (o.since) {
    auto s = parse_since(*o.since, wall_ms_now());
    if (!s) {
      std::fprintf(stderr, "worsend: %s\n", s.message().c_str());
      return k_exit_usage;
    }
    q.since_ms = *s;
  }
  auto rows = query_audit(**db, q);
  if (!rows) {
    std::fprintf(stderr, "worsend: %s: %s\n", o.db.c_str(), rows.message().c_str());
    return k_exit_failure;
  }
  for (const auto& r : *rows) {
    if (o.json) {
      nlohmann::json j = r.detail;
      j["seq"] = r.seq;
      j["ts"] = iso_time(r.ts_ms);
      j["event"] = r.event;
      std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      std::cout << format_row(r) << "\n";
    }
  }
  return k_exit_ok;
}

}  // namespace sipwake::worsend
