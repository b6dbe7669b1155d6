#pragma once
// natkeep probe: RFC 5780 NAT behaviour discovery (mapping 4.3, filtering 4.4, binding
// lifetime 4.6, hairpinning 4.5) against a server with an alternate address.

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "probe_net.hpp"

namespace sipwake::natkeep {

/// RFC 4787 behaviours, as RFC 5780 names them.
enum class Behaviour { unknown, endpoint_independent, address_dependent, address_and_port_dependent };
const char* to_string(Behaviour b);

/// Classifies mapping from the mapped addresses seen by tests I, II and III (RFC 5780 4.3).
Behaviour classify_mapping(const stun::TransportAddress& x1, const stun::TransportAddress& x2,
                           const std::optional<stun::TransportAddress>& x3);

struct ProbeReport {
  bool server_answered = false;
  bool rfc5780 = false;  ///< server gave OTHER-ADDRESS, so mapping/filtering could run
  stun::TransportAddress mapped;
  std::optional<bool> port_preserved;
  Behaviour mapping = Behaviour::unknown;
  Behaviour filtering = Behaviour::unknown;
  std::optional<bool> hairpinning;
  std::optional<Duration> lifetime_lower, lifetime_upper;
  bool lifetime_capped = false;  ///< still alive at --max-lifetime
  nlohmann::json to_json() const;
  std::string to_table() const;
};

class Prober {
 public:
  struct Params {
    stun::TransportAddress server;
    Duration max_lifetime{120'000};
    Duration resolution{500};
    unsigned parallel = 8;  ///< concurrent lifetime trials, each on fresh sockets
    bool lifetime = true;
  };
  /// `progress` gets one-line status updates (shown on a terminal).
  Prober(Params p, ProbeNet& net, std::function<void(const std::string&)> progress);
  ProbeReport run();

 private:
  struct Answer {
    stun::TransportAddress mapped;
    std::optional<stun::TransportAddress> other;
    stun::TransportAddress from;
  };
  /// One padded Binding transaction on `sock` (retransmitted), answer expected on
  /// `answer_sock` (normally the same socket).
  std::optional<Answer> transact(int sock, const stun::TransportAddress& to, std::uint32_t change = 0,
                                 std::uint16_t response_port = 0, int answer_sock = -1,
                                 Duration timeout = Duration{1500});
  void test_mapping(ProbeReport& r);
  void test_filtering(ProbeReport& r);
  void test_hairpinning(ProbeReport& r);
  void test_lifetime(ProbeReport& r);
  std::optional<int> fresh();

  Params m_p;
  ProbeNet& m_net;
  std::function<void(const std::string&)> m_progress;
  std::optional<stun::TransportAddress> m_other;
};

}  // namespace sipwake::natkeep
