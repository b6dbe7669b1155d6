// libFuzzer target: the STUN parser and every accessor a server applies to input.
#include <cstddef>
#include <cstdint>

#include "sipwake/stun/integrity.hpp"
#include "sipwake/stun/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sipwake::stun;
  auto m = Message::parse(std::span<const std::uint8_t>(data, size));
  if (!m.ok()) return 0;
  (void)m->xor_mapped_address();
  (void)m->mapped_address();
  (void)m->address_attr(attr::other_address);
  (void)m->address_attr(attr::response_origin);
  (void)m->username();
  (void)m->error_code();
  (void)m->change_request();
  (void)m->response_port();
  (void)m->u64(attr::natkeep_counter);
  (void)m->unknown_required();
  (void)check_fingerprint(*m);
  (void)check_short_term(*m, as_bytes("key"));
  return 0;
}
