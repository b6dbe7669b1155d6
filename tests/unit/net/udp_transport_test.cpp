// Real sockets on loopback with the real loop, bounded by a watchdog timer.
#include <gtest/gtest.h>

#include "sipwake/net/line_server.hpp"
#include "sipwake/net/sip_transport.hpp"
#include "sipwake/net/udp_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>

namespace sipwake::net {
namespace {

TEST(UdpSipTransport, DeliversADatagramWithItsSourceAddress) {
  ev::Loop loop;
  auto a = open_udp_transport(loop, *Address::parse("127.0.0.1:0"));
  auto b = UdpSocket::bind(loop, *Address::parse("127.0.0.1:0"));
  ASSERT_TRUE(a && b);
  auto a_local = (*a)->local_address_for(*Address::parse("127.0.0.1:9"));
  ASSERT_TRUE(a_local);
  std::string got;
  Address from;
  (*a)->set_handler([&](std::string_view msg, const Address& src) {
    got = std::string(msg);
    from = src;
    loop.stop();
  });
  ev::Timer watchdog(loop, [&] { loop.stop(); });
  watchdog.arm(Duration{2000});
  ASSERT_TRUE((*b)->send_to(*a_local, "OPTIONS sip:x SIP/2.0\r\n\r\n"));
  loop.run();
  EXPECT_EQ(got, "OPTIONS sip:x SIP/2.0\r\n\r\n");
  EXPECT_EQ(from, (*b)->local_address());
}

TEST(TcpSipTransport, FailedConnectReportsTheClosedPeer) {
  ev::Loop loop;
  // A port with no listener: bind one, learn its number, close it.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  Address any = *Address::parse("127.0.0.1:0");
  ASSERT_EQ(::bind(s, any.sa(), any.len()), 0);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&ss), &len);
  Address dead = Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  ::close(s);

  auto tp = open_tcp_transport(loop, Address::any(AF_INET, 0));
  ASSERT_TRUE(tp);
  bool closed = false;
  (*tp)->set_closed_handler([&](const Address& peer, std::string_view) {
    closed = peer == dead;
    loop.stop();
  });
  ev::Timer watchdog(loop, [&] { loop.stop(); });
  watchdog.arm(Duration{2000});
  auto sent = (*tp)->send(dead, "OPTIONS sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n");
  if (sent) loop.run();
  EXPECT_TRUE(!sent || closed);
}

TEST(LineServer, AnswersEachLineOnTheSameConnectionAndRejectsOversizedLines) {
  ev::Loop loop;
  std::string path = "/tmp/sipwake-ls-" + std::to_string(::getpid()) + ".sock";
  auto ep = *Endpoint::parse("unix:" + path);
  auto server = LineServer::listen(
      loop, ep, [](std::string_view line, std::shared_ptr<ReplyChannel> reply) { reply->send_line("echo:" + std::string(line)); },
      64);
  ASSERT_TRUE(server) << server.message();
  int c = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::snprintf(un.sun_path, sizeof un.sun_path, "%s", path.c_str());
  ASSERT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&un), sizeof un), 0);
  std::string req = "one\ntwo\n" + std::string(200, 'x') + "\nthree\n";
  ASSERT_EQ(::write(c, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  std::string got;
  ev::FdWatch reader(loop, c, [&] {
    char buf[4096];
    ssize_t n = ::read(c, buf, sizeof buf);
    if (n > 0) got.append(buf, static_cast<std::size_t>(n));
    if (got.find("echo:three\n") != std::string::npos || n <= 0) loop.stop();
  });
  ev::Timer watchdog(loop, [&] { loop.stop(); });
  watchdog.arm(Duration{2000});
  loop.run();
  ::close(c);
  EXPECT_NE(got.find("echo:one\necho:two\n"), std::string::npos);
  EXPECT_NE(got.find("request line too long"), std::string::npos);
  EXPECT_NE(got.find("echo:three\n"), std::string::npos);
  EXPECT_EQ(got.find("echo:xxx"), std::string::npos);
}

}  // namespace
}  // namespace sipwake::net
