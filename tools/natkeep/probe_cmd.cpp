// natkeep probe: runs the RFC 5780 tests and prints a table or one JSON object.
#include <unistd.h>

#include <cstdio>

#include "address_glue.hpp"
#include "commands.hpp"
#include "prober.hpp"
#include "sipwake/log/events.hpp"

namespace sipwake::natkeep {

int run_probe(const ProbeOptions& o) {
  auto server = resolve_server(o.server);
  if (!server) {
    std::fprintf(stderr, "natkeep: --server: %s\n", server.message().c_str());
    return 1;
  }
  auto net = make_udp_probe_net(server->family);
  Prober::Params p;
  p.server = *server;
  p.max_lifetime = Duration{static_cast<long long>(o.max_lifetime * 1000)};
  p.parallel = o.parallel;
  p.lifetime = !o.no_lifetime;
  bool tty = isatty(STDERR_FILENO) == 1;
  Prober prober(p, *net, [tty](const std::string& line) {
    if (tty) std::fprintf(stderr, "\r\033[K%s", line.c_str());
  });
  ProbeReport r = prober.run();
  if (tty) std::fprintf(stderr, "\r\033[K");
  if (o.json) {
    log::EventSink sink("natkeep", true);
    nlohmann::json f = r.to_json();
    f["server"] = server->to_string();
    sink.emit("probe.result", f, "");
  } else {
    std::fputs(r.to_table().c_str(), stdout);
  }
  if (!r.server_answered) {
    std::fprintf(stderr, "natkeep: probe: no answer from %s\n", server->to_string().c_str());
    return 1;
  }
  if (!r.rfc5780) {
    std::fprintf(stderr, "natkeep: probe: %s gave no OTHER-ADDRESS (no RFC 5780); mapping and filtering not tested\n",
                 server->to_string().c_str());
    return k_exit_partial;
  }
  return 0;
}

}  // namespace sipwake::natkeep
