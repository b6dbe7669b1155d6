// libFuzzer target: SIP over TCP framing (net::StreamFramer) fed the input in chunks
// whose sizes come from the input itself; every framed message goes through the SIP
// parser too, as a TCP transport would.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sipwake/net/stream_framer.hpp"
#include "sipwake/sip/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  sipwake::net::StreamFramer framer(4096);
  std::vector<std::string> out;
  std::size_t chunk = 1 + data[0] % 64;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  while (!rest.empty()) {
    std::size_t n = rest.size() < chunk ? rest.size() : chunk;
    if (!framer.feed(rest.substr(0, n), out)) break;  // a framing error is final
    rest.remove_prefix(n);
  }
  for (const auto& m : out) {
    auto parsed = sipwake::sip::Message::parse(m);
    if (parsed) (void)parsed->to_string();
  }
  (void)framer.take_pings();
  return 0;
}
