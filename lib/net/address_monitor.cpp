#include "sipwake/net/address_monitor.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace sipwake::net {

Result<std::unique_ptr<AddressMonitor>> AddressMonitor::open(ev::Loop& loop, std::function<void()> on_change,
                                                             Duration debounce) {
  Fd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd.valid()) return fail(std::string("cannot open netlink socket: ") + std::strerror(errno));
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    return fail(std::string("cannot subscribe to address changes: ") + std::strerror(errno));
  }
  return std::unique_ptr<AddressMonitor>(new AddressMonitor(loop, std::move(fd), std::move(on_change), debounce));
}

AddressMonitor::AddressMonitor(ev::Loop& loop, Fd fd, std::function<void()> on_change, Duration debounce)
    : m_fd(std::move(fd)), m_on_change(std::move(on_change)), m_debounce(debounce) {
  m_timer = std::make_unique<ev::Timer>(loop, [this] { m_on_change(); });
  m_watch = std::make_unique<ev::FdWatch>(loop, m_fd.get(), [this] { on_readable(); });
}

AddressMonitor::~AddressMonitor() = default;

void AddressMonitor::on_readable() {
  char buf[8192];
  bool changed = false;
  for (;;) {
    ssize_t n = ::recv(m_fd.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) break;
    for (auto* nh = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(nh, static_cast<unsigned>(n));
         nh = NLMSG_NEXT(nh, n)) {
      if (nh->nlmsg_type == RTM_NEWADDR || nh->nlmsg_type == RTM_DELADDR) changed = true;
    }
  }
  // An address change arrives as several messages (v4, v6, DAD); act once after they settle.
  if (changed) m_timer->arm(m_debounce);
}

}  // namespace sipwake::net
