#pragma once
// Notices when the host's IP addresses change (rtnetlink), so clients can re-register.

#include <functional>
#include <memory>

#include "sipwake/ev/loop.hpp"
#include "sipwake/util/fd.hpp"
#include "sipwake/util/result.hpp"

namespace sipwake::net {

/// Calls back once per burst of address changes (debounced), on the loop.
class AddressMonitor {
 public:
  static Result<std::unique_ptr<AddressMonitor>> open(ev::Loop& loop, std::function<void()> on_change,
                                                      Duration debounce = Duration{300});
  ~AddressMonitor();

 private:
  AddressMonitor(ev::Loop& loop, Fd fd, std::function<void()> on_change, Duration debounce);
  void on_readable();

  Fd m_fd;
  std::function<void()> m_on_change;
  Duration m_debounce;
  std::unique_ptr<ev::Timer> m_timer;
  std::unique_ptr<ev::FdWatch> m_watch;
};

}  // namespace sipwake::net
