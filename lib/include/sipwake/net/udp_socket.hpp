#pragma once
// A non-blocking UDP socket on the event loop; datagrams are read in batches (recvmmsg).

#include <functional>
#include <memory>
#include <string_view>

#include "sipwake/ev/loop.hpp"
#include "sipwake/net/address.hpp"
#include "sipwake/util/fd.hpp"
#include "sipwake/util/result.hpp"

namespace sipwake::net {

/// A bound UDP socket; set a handler to receive datagrams.
class UdpSocket {
 public:
  using Handler = std::function<void(std::string_view data, const Address& from)>;

  /// Binds to `local` (port 0 picks a free port); IPv6 sockets are v6-only.
  static Result<std::unique_ptr<UdpSocket>> bind(ev::Loop& loop, const Address& local);
  ~UdpSocket();

  /// Receives every datagram (up to 64 KiB) from now on.
  void set_handler(Handler handler) { m_handler = std::move(handler); }
  /// Called with the destination (and errno) of a datagram the network refused (ICMP port or
  /// host unreachable, read from the socket's error queue: IP_RECVERR).
  void set_unreachable_handler(std::function<void(const Address& dest, int error)> h) { m_unreachable = std::move(h); }
  /// Sends one datagram; fails (without blocking) when the kernel cannot take it.
  Result<void> send_to(const Address& to, std::string_view data);
  /// The bound address, with the port the kernel chose.
  const Address& local_address() const { return m_local; }
  int fd() const { return m_fd.get(); }

 private:
  UdpSocket(ev::Loop& loop, Fd fd, Address local);
  void on_readable();
  void drain_errors();

  Fd m_fd;
  Address m_local;
  Handler m_handler;
  std::function<void(const Address& dest, int error)> m_unreachable;
  std::unique_ptr<ev::FdWatch> m_watch;
};

}  // namespace sipwake::net
