// Load generator for tests/bench/worsend_bench.sh. It plays both ends of worsend's udp
// transport: the wake requests (JSON Lines on worsend's unix socket) and the devices
// (authenticated natkeep keepalives from one loopback socket per device, so natkeep serve
// holds a binding for each; every wake datagram natkeep sends is timestamped on arrival
// and acknowledged). A request goes only to a device with nothing in flight, so every
// request becomes exactly one datagram (no coalescing).
//
//   worsend_load SOCKET NATKEEP_HOST:PORT KEYS_FILE COUNT RATE [MAX_SECONDS]
// RATE 0 = as fast as replies allow (throughput); RATE > 0 = paced (latency).
// Prints one JSON object: requests/s, datagrams/s, intake-to-wire and reply latency.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol.hpp"
#include "sipwake/stun/builder.hpp"
#include "sipwake/stun/message.hpp"

using namespace sipwake;
using namespace sipwake::natkeep;

namespace {

using Clock = std::chrono::steady_clock;
std::int64_t now_ns() { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count(); }

struct Device {
  std::string id;
  DeviceKey key;
  int fd = -1;
  std::atomic<bool> bound{false};
  std::atomic<bool> busy{false};
};

struct Shared {
  std::vector<std::unique_ptr<Device>> devices;
  std::vector<std::atomic<std::int64_t>> sent_ns, wire_ns, reply_ns;
  std::vector<std::atomic<int>> device_of;
  std::atomic<std::uint64_t> datagrams{0}, replies{0}, ok{0};
  std::atomic<bool> stop{false};
  explicit Shared(std::size_t n) : sent_ns(n), wire_ns(n), reply_ns(n), device_of(n) {}
};

// The decimal number right after `marker` in `text`, or SIZE_MAX.
std::size_t index_after(std::string_view text, std::string_view marker) {
  auto at = text.find(marker);
  if (at == std::string_view::npos) return SIZE_MAX;
  std::size_t v = 0, i = at + marker.size();
  if (i >= text.size() || text[i] < '0' || text[i] > '9') return SIZE_MAX;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) v = v * 10 + static_cast<std::size_t>(text[i] - '0');
  return v;
}

sockaddr_in parse_hostport(const std::string& text) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  auto colon = text.rfind(':');
  ::inet_pton(AF_INET, text.substr(0, colon).c_str(), &a.sin_addr);
  a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1))));
  return a;
}

// The device side: keepalives until bound, then timestamp and acknowledge each wake.
void device_loop(Shared& sh, const sockaddr_in& server) {
  int ep = ::epoll_create1(0);
  for (std::size_t i = 0; i < sh.devices.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, sh.devices[i]->fd, &ev);
  }
  std::uint64_t counter = static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  // Keepalives: all at once until every device is bound, then one device at a time spread
  // over 15 s, so natkeep never sees a burst that would queue the wakes being measured.
  const std::int64_t spread = 15'000'000'000 / static_cast<std::int64_t>(sh.devices.size());
  std::int64_t next_keepalive = 0;
  std::size_t next_device = 0;
  std::uint8_t buf[2048];
  std::vector<epoll_event> evs(256);
  while (!sh.stop) {
    std::int64_t now = now_ns();
    if (now >= next_keepalive) {
      bool all_bound = true;
      for (auto& d : sh.devices) all_bound = all_bound && d->bound;
      for (std::size_t k = 0; k < (all_bound ? 1 : sh.devices.size()); ++k) {
        Device& d = *sh.devices[next_device];
        next_device = (next_device + 1) % sh.devices.size();
        auto ka = build_keepalive(d.id, d.key, ++counter, stun::MessageBuilder::random_transaction_id());
        ::sendto(d.fd, ka.data(), ka.size(), 0, reinterpret_cast<const sockaddr*>(&server), sizeof server);
      }
      next_keepalive = now + (all_bound ? spread : 500'000'000);
    }
    int n = ::epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 5);
    for (int e = 0; e < n; ++e) {
      Device& d = *sh.devices[evs[static_cast<std::size_t>(e)].data.u64];
      for (;;) {
        sockaddr_in from{};
        socklen_t flen = sizeof from;
        ssize_t len = ::recvfrom(d.fd, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &flen);
        if (len <= 0) break;
        std::int64_t t = now_ns();
        auto m = stun::Message::parse(std::span<const std::uint8_t>(buf, static_cast<std::size_t>(len)));
        if (!m) continue;
        if (m->method() == stun::method::binding && m->cls() == stun::Class::success) {
          d.bound = true;
          continue;
        }
        if (m->method() != stun::method::natkeep_wake || m->cls() != stun::Class::request) continue;
        sh.datagrams++;
        if (auto p = m->text(stun::attr::natkeep_payload)) {
          std::size_t idx = index_after(*p, R"("call_id":"b)");
          if (idx < sh.wire_ns.size()) sh.wire_ns[idx] = t;
        }
        auto ack = build_wake_ack(d.id, d.key, ++counter, m->transaction_id());
        ::sendto(d.fd, ack.data(), ack.size(), 0, reinterpret_cast<const sockaddr*>(&from), flen);
      }
    }
  }
  ::close(ep);
}

void reply_loop(Shared& sh, int fd) {
  std::string buf;
  char chunk[65536];
  while (!sh.stop) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) break;
    std::int64_t t = now_ns();
    buf.append(chunk, static_cast<std::size_t>(n));
    std::size_t start = 0, nl;
    while ((nl = buf.find('\n', start)) != std::string::npos) {
      // Scanned, not parsed: the generator must stay cheaper than what it measures.
      std::string_view line = std::string_view(buf).substr(start, nl - start);
      start = nl + 1;
      std::size_t idx = index_after(line, R"("id":"b)");
      if (idx >= sh.reply_ns.size()) continue;
      sh.reply_ns[idx] = t;
      if (line.find(R"("ok":true)") != std::string_view::npos) sh.ok++;
      sh.replies++;
      sh.devices[static_cast<std::size_t>(sh.device_of[idx].load())]->busy = false;
    }
    buf.erase(0, start);
  }
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: worsend_load SOCKET NATKEEP_HOST:PORT KEYS_FILE COUNT RATE [MAX_SECONDS]\n");
    return 2;
  }
  std::string sock_path = argv[1];
  sockaddr_in server = parse_hostport(argv[2]);
  std::size_t count = std::stoull(argv[4]);
  double rate = std::stod(argv[5]);
  double max_seconds = argc > 6 ? std::stod(argv[6]) : 60;

  Shared sh(count);
  auto loaded = load_keys_file(argv[3], [&](std::string_view id, const DeviceKey& k) {
    auto d = std::make_unique<Device>();
    d->id = std::string(id);
    d->key = k;
    d->fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(d->fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    sh.devices.push_back(std::move(d));
  });
  if (!loaded || sh.devices.empty()) {
    std::fprintf(stderr, "worsend_load: no devices\n");
    return 1;
  }
  std::thread devices([&] { device_loop(sh, server); });
  auto bound = [&] { return std::all_of(sh.devices.begin(), sh.devices.end(), [](const auto& d) { return d->bound.load(); }); };
  for (int i = 0; i < 100 && !bound(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!bound()) {
    std::fprintf(stderr, "worsend_load: natkeep serve did not answer every keepalive\n");
    sh.stop = true;
    devices.join();
    return 1;
  }

  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::snprintf(un.sun_path, sizeof un.sun_path, "%s", sock_path.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&un), sizeof un) != 0) {
    std::perror("worsend_load: connect");
    sh.stop = true;
    devices.join();
    return 1;
  }
  std::thread replies([&] { reply_loop(sh, fd); });

  std::int64_t t0 = now_ns();
  std::int64_t deadline = t0 + static_cast<std::int64_t>(max_seconds * 1e9);
  std::size_t next_dev = 0, sent = 0;
  std::string batch;
  while (sent < count && now_ns() < deadline) {
    if (rate > 0) {
      std::int64_t due = t0 + static_cast<std::int64_t>(static_cast<double>(sent) * 1e9 / rate);
      // Sleep, not spin: the clock starts when the line is written, so a late wake-up
      // shifts the send time but not the figure, and a spinning core would starve worsend.
      std::this_thread::sleep_until(Clock::time_point(std::chrono::nanoseconds(due)));
    }
    batch.clear();
    std::size_t limit = rate > 0 ? 1 : 32, lines = 0;
    for (std::size_t tries = 0; tries < sh.devices.size() && lines < limit && sent < count; ++tries) {
      Device& d = *sh.devices[next_dev];
      std::size_t di = next_dev;
      next_dev = (next_dev + 1) % sh.devices.size();
      if (d.busy) continue;
      d.busy = true;
      sh.device_of[sent] = static_cast<int>(di);
      batch += R"({"id":"b)" + std::to_string(sent) + R"(","op":"wake","device":")" + d.id + R"(","caller":"sip:bench@x","call_id":"b)" +
               std::to_string(sent) + R"(","deadline_ms":20000})" "\n";
      sh.sent_ns[sent] = now_ns();
      ++sent;
      ++lines;
    }
    if (batch.empty()) {
      // Every device busy: wait for replies without spinning (a spinning generator would
      // take the CPU from what it measures on a small machine).
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      continue;
    }
    if (::send(fd, batch.data(), batch.size(), MSG_NOSIGNAL) < 0) break;
  }
  while (sh.replies < sent && now_ns() < deadline + 5'000'000'000) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::int64_t t_end = 0, w_end = 0;
  std::vector<double> wire_us, reply_us;
  for (std::size_t i = 0; i < sent; ++i) {
    std::int64_t s = sh.sent_ns[i], w = sh.wire_ns[i], r = sh.reply_ns[i];
    if (w > 0) {
      wire_us.push_back(static_cast<double>(w - s) / 1000.0);
      w_end = std::max(w_end, w);
    }
    if (r > 0) {
      reply_us.push_back(static_cast<double>(r - s) / 1000.0);
      t_end = std::max(t_end, r);
    }
  }
  sh.stop = true;
  ::shutdown(fd, SHUT_RDWR);
  replies.join();
  devices.join();
  double secs = static_cast<double>(t_end - t0) / 1e9;
  double wsecs = static_cast<double>(w_end - t0) / 1e9;
  nlohmann::json out = {{"sent", sent},
                        {"replies", sh.replies.load()},
                        {"ok", sh.ok.load()},
                        {"datagrams", sh.datagrams.load()},
                        {"devices", sh.devices.size()},
                        {"target_rate", rate},
                        {"seconds", secs},
                        {"requests_per_s", secs > 0 ? static_cast<double>(sh.ok.load()) / secs : 0},
                        {"datagrams_per_s", wsecs > 0 ? static_cast<double>(wire_us.size()) / wsecs : 0},
                        {"wire_p50_us", percentile(wire_us, 0.50)},
                        {"wire_p99_us", percentile(wire_us, 0.99)},
                        {"wire_max_us", percentile(wire_us, 1.0)},
                        {"reply_p50_us", percentile(reply_us, 0.50)},
                        {"reply_p99_us", percentile(reply_us, 0.99)}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
