// Load generator for tests/bench/natkeep_serve.sh: authenticated natkeep keepalives (or
// plain padded Binding requests) from many sockets, closed-loop with a bounded window,
// so the figure is what the server sustains, not what the kernel drops.
//
//   natkeep_load keys N                      print a keys file for devices d0..d(N-1)
//   natkeep_load send HOST:PORT N COUNTER [keepalive|plain] [sockets] [window] [max_seconds] [closed|open]
// closed: at most `window` unanswered at a time, answers counted (latency-bound);
// open: send as fast as the kernel takes them, answers not read (the server's own
// counters tell what it handled). Prints one JSON object.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "protocol.hpp"
#include "sipwake/stun/builder.hpp"

using namespace sipwake;
using namespace sipwake::natkeep;

namespace {

DeviceKey key_for(std::uint64_t i) {
  DeviceKey k;
  k.len = 32;
  for (std::size_t b = 0; b < 32; ++b) k.bytes[b] = static_cast<std::uint8_t>((i >> ((b % 8) * 8)) ^ (b * 37));
  return k;
}

std::string hex(const DeviceKey& k) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < k.len; ++i) {
    s.push_back(d[k.bytes[i] >> 4]);
    s.push_back(d[k.bytes[i] & 15]);
  }
  return s;
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "keys") {
    std::uint64_t n = std::stoull(argv[2]);
    for (std::uint64_t i = 0; i < n; ++i) std::printf("d%llu %s\n", static_cast<unsigned long long>(i), hex(key_for(i)).c_str());
    return 0;
  }
  if (argc < 5 || std::string(argv[1]) != "send") {
    std::fprintf(stderr, "usage: natkeep_load keys N | send HOST:PORT N COUNTER [plain] [sockets] [window] [max_seconds]\n");
    return 2;
  }
  auto server = stun::TransportAddress::parse(argv[2]);
  if (!server) {
    std::fprintf(stderr, "natkeep_load: %s\n", server.message().c_str());
    return 2;
  }
  std::uint64_t n = std::stoull(argv[3]);
  std::uint64_t counter = std::stoull(argv[4]);
  bool plain = argc > 5 && std::string(argv[5]) == "plain";
  int nsock = argc > 6 ? std::stoi(argv[6]) : 16;
  std::uint64_t window = argc > 7 ? std::stoull(argv[7]) : 2048;
  double max_seconds = argc > 8 ? std::stod(argv[8]) : 60;
  bool open_loop = argc > 9 && std::string(argv[9]) == "open";

  std::vector<int> socks;
  for (int i = 0; i < nsock; ++i) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int buf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(42000 + i));  // stable sources across runs
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      a.sin_port = 0;
      ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    socks.push_back(fd);
  }
  // Precompute every datagram: the generator must not be the bottleneck.
  double t_build = now_s();
  // One contiguous arena, sent in order: the generator's memory walk stays sequential.
  // Every transaction ID of this run starts with the same 4 random bytes, so answers
  // left over from an earlier run (same source ports) are not counted.
  auto nonce = stun::MessageBuilder::random_transaction_id();
  std::vector<std::uint8_t> arena;
  std::vector<std::pair<std::size_t, std::size_t>> packets(n);
  arena.reserve(n * 104);
  for (std::uint64_t i = 0; i < n; ++i) {
    auto txid = stun::MessageBuilder::random_transaction_id();
    std::copy(nonce.begin(), nonce.begin() + 4, txid.begin());
    Bytes p;
    if (plain) {
      stun::MessageBuilder b(stun::Class::request, stun::method::binding, txid);
      b.add_padding(76);  // 100 bytes: room for the answer under the no-amplification rule
      p = b.bytes();
    } else {
      p = build_keepalive("d" + std::to_string(i), key_for(i), counter, txid);
    }
    packets[i] = {arena.size(), p.size()};
    arena.insert(arena.end(), p.begin(), p.end());
  }
  t_build = now_s() - t_build;

  sockaddr_storage ss;
  unsigned sl = server->to_sockaddr(ss);
  std::uint64_t sent = 0, answered = 0, lost = 0;
  std::vector<pollfd> pfds;
  for (int fd : socks) pfds.push_back(pollfd{fd, POLLIN, 0});
  double start = now_s();
  double last_answer = start;
  constexpr int k_batch = 32;
  mmsghdr msgs[k_batch];
  iovec iov[k_batch];
  std::vector<std::uint8_t> rbuf(k_batch * 256);
  while ((sent < n || sent > answered + lost) && now_s() - start < max_seconds) {
    // Send while the window allows, a batch at a time from one socket.
    while (sent < n && (open_loop || sent - answered - lost < window)) {
      std::uint64_t group = sent / k_batch;
      int fd = socks[group % socks.size()];
      int cnt = 0;
      for (; cnt < k_batch && sent + static_cast<std::uint64_t>(cnt) < n; ++cnt) {
        auto& p = packets[sent + static_cast<std::uint64_t>(cnt)];
        iov[cnt] = iovec{arena.data() + p.first, p.second};
        std::memset(&msgs[cnt], 0, sizeof msgs[cnt]);
        msgs[cnt].msg_hdr.msg_iov = &iov[cnt];
        msgs[cnt].msg_hdr.msg_iovlen = 1;
        msgs[cnt].msg_hdr.msg_name = &ss;
        msgs[cnt].msg_hdr.msg_namelen = sl;
      }
      int got = sendmmsg(fd, msgs, static_cast<unsigned>(cnt), 0);
      if (got <= 0) break;
      sent += static_cast<std::uint64_t>(got);
    }
    if (open_loop) {
      if (sent >= n) {
        last_answer = now_s();
        break;
      }
      continue;
    }
    int r = ::poll(pfds.data(), pfds.size(), 20);
    if (r > 0) {
      for (auto& p : pfds) {
        if (!(p.revents & POLLIN)) continue;
        for (int j = 0; j < k_batch; ++j) {
          iov[j] = iovec{rbuf.data() + j * 256, 256};
          std::memset(&msgs[j], 0, sizeof msgs[j]);
          msgs[j].msg_hdr.msg_iov = &iov[j];
          msgs[j].msg_hdr.msg_iovlen = 1;
        }
        int got = recvmmsg(p.fd, msgs, k_batch, MSG_DONTWAIT, nullptr);
        for (int j = 0; j < got; ++j) {
          const std::uint8_t* b = rbuf.data() + j * 256;
          if (msgs[j].msg_len >= 20 && std::memcmp(b + 8, nonce.data(), 4) == 0) {
            ++answered;
            last_answer = now_s();
          }
        }
      }
    } else if (now_s() - last_answer > 0.3) {
      // Nothing for 300 ms: what is outstanding was dropped somewhere; release the window.
      lost = sent - answered;
      last_answer = now_s();
    }
  }
  double secs = last_answer - start;
  if (open_loop) answered = 0;  // not read: ask the server
  std::printf("{\"loop\":\"%s\",\"mode\":\"%s\",\"devices\":%llu,\"sent\":%llu,\"answered\":%llu,\"lost\":%llu,"
              "\"seconds\":%.3f,\"per_second\":%.0f,\"build_seconds\":%.2f}\n",
              open_loop ? "open" : "closed", plain ? "plain" : "keepalive", static_cast<unsigned long long>(n),
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(answered),
              static_cast<unsigned long long>(sent - answered), secs, secs > 0 ? static_cast<double>(answered) / secs : 0.0,
              t_build);
  return 0;
}
