#include "sipwake/http/client.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "sipwake/http/url.hpp"

using namespace sipwake;

namespace {

// A one-shot HTTP server on a loopback port in a thread: reads the request head and
// body, answers with `response` (or nothing, for timeout tests).
class OneShotServer {
 public:
  explicit OneShotServer(std::string response, bool answer = true) : m_response(std::move(response)), m_answer(answer) {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(m_fd, 4);
    socklen_t len = sizeof a;
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &len);
    m_port = ntohs(a.sin_port);
    m_thread = std::thread([this] { serve(); });
  }
  ~OneShotServer() {
    ::shutdown(m_fd, SHUT_RDWR);
    m_thread.join();
    ::close(m_fd);
  }
  std::string url(const std::string& path = "/push") const { return "http://127.0.0.1:" + std::to_string(m_port) + path; }
  std::string request() const { return m_request; }

 private:
  void serve() {
    int c = ::accept(m_fd, nullptr, nullptr);
    if (c < 0) return;
    char buf[4096];
    std::string got;
    for (;;) {
      auto head_end = got.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        auto cl = got.find("Content-Length: ");
        std::size_t need = cl == std::string::npos ? 0 : std::stoul(got.substr(cl + 16));
        if (got.size() >= head_end + 4 + need) break;
      }
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    m_request = got;
    if (m_answer) {
      (void)!::send(c, m_response.data(), m_response.size(), MSG_NOSIGNAL);
    } else {
      ::recv(c, buf, sizeof buf, 0);  // hold the connection until the client gives up
    }
    ::close(c);
  }
  std::string m_response;
  bool m_answer;
  int m_fd = -1;
  std::uint16_t m_port = 0;
  std::string m_request;
  std::thread m_thread;
};

Result<http::Response> run_one(http::Request rq, http::ClientOptions opt = {}) {
  ev::Loop loop;
  auto client = http::Client::create(loop, opt);
  EXPECT_TRUE(client.ok());
  std::optional<Result<http::Response>> got;
  (*client)->send(std::move(rq), [&](Result<http::Response> r) {
    got = std::move(r);
    loop.stop();
  });
  ev::Timer guard(loop, [&] { loop.stop(); });
  guard.arm(Duration{5000});
  loop.run();
  if (!got) return fail("no callback");
  return std::move(*got);
}

}  // namespace

TEST(HttpUrl, ParsesSchemesPortsAndIpv6) {
  auto u = http::Url::parse("https://push.example.net/up/abc?x=1");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path, "/up/abc?x=1");
  EXPECT_EQ(u->origin(), "https://push.example.net:443");
  auto v = http::Url::parse("http://[::1]:8080");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->host, "::1");
  EXPECT_EQ(v->path, "/");
  EXPECT_EQ(v->host_header(), "[::1]:8080");
}

TEST(HttpUrl, RefusesCredentialsFragmentsAndBadPorts) {
  EXPECT_FALSE(http::Url::parse("ftp://x/").ok());
  EXPECT_FALSE(http::Url::parse("http://user:pw@x/").ok());
  EXPECT_FALSE(http::Url::parse("http://x/#frag").ok());
  EXPECT_FALSE(http::Url::parse("http://x:0/").ok());
  EXPECT_FALSE(http::Url::parse("http://x:70000/").ok());
  EXPECT_FALSE(http::Url::parse("http:///path").ok());
  EXPECT_FALSE(http::Url::parse("http://x/a b").ok());
}

TEST(HttpRetryAfter, DelaySecondsOnly) {
  EXPECT_EQ(http::parse_retry_after("7"), Duration{7000});
  EXPECT_EQ(http::parse_retry_after(" 0 "), Duration{0});
  EXPECT_FALSE(http::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT").has_value());
  EXPECT_FALSE(http::parse_retry_after("").has_value());
}

TEST(HttpClient, PostsBodyWithHeadersAndReadsResponse) {
  OneShotServer srv("HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-Test: yes\r\n\r\nok");
  http::Request rq;
  rq.url = srv.url();
  rq.body = R"({"wake":true})";
  rq.headers = {{"TTL", "20"}, {"Urgency", "high"}};
  auto r = run_one(rq);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(r->header("x-test").value_or(""), "yes");
  std::string req = srv.request();
  EXPECT_EQ(req.rfind("POST /push HTTP/1.1\r\n", 0), 0u) << req;
  EXPECT_NE(req.find("TTL: 20\r\n"), std::string::npos);
  EXPECT_NE(req.find("Urgency: high\r\n"), std::string::npos);
  EXPECT_NE(req.find("Host: 127.0.0.1:"), std::string::npos);
  EXPECT_NE(req.find(R"({"wake":true})"), std::string::npos);
}

TEST(HttpClient, ErrorStatusIsAResponseNotAFailure) {
  OneShotServer srv("HTTP/1.1 503 Busy\r\nRetry-After: 3\r\nContent-Length: 0\r\n\r\n");
  http::Request rq;
  rq.url = srv.url();
  auto r = run_one(rq);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(http::parse_retry_after(r->header("Retry-After").value_or("")), Duration{3000});
}

TEST(HttpClient, TimesOutWhenTheServerIsSilent) {
  OneShotServer srv("", false);
  http::Request rq;
  rq.url = srv.url();
  rq.timeout = Duration{300};
  auto r = run_one(rq);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("timed out"), std::string::npos) << r.message();
}

TEST(HttpClient, RefusesOversizedResponses) {
  std::string big(5000, 'x');
  OneShotServer srv("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + big);
  http::Request rq;
  rq.url = srv.url();
  rq.max_response = 1000;
  auto r = run_one(rq);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("larger than 1000"), std::string::npos) << r.message();
}

TEST(HttpClient, ReportsConnectionRefused) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);  // bound then closed: nobody listens there
  http::Request rq;
  rq.url = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/";
  auto r = run_one(rq);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.message().empty());
}

TEST(HttpClient, BadUrlFailsThroughTheCallbackNotInline) {
  ev::Loop loop;
  auto client = http::Client::create(loop);
  ASSERT_TRUE(client.ok());
  bool called = false;
  http::Request rq;
  rq.url = "gopher://x/";
  (*client)->send(rq, [&](Result<http::Response> r) {
    called = true;
    EXPECT_FALSE(r.ok());
    loop.stop();
  });
  EXPECT_FALSE(called);
  loop.run();
  EXPECT_TRUE(called);
}

TEST(HttpClient, MissingCaFileIsAnError) {
  ev::Loop loop;
  http::ClientOptions o;
  o.ca_file = "/nonexistent/ca.pem";
  EXPECT_FALSE(http::Client::create(loop, o).ok());
}

TEST(HttpClient, CancelledRequestNeverCallsBack) {
  OneShotServer srv("", false);
  ev::Loop loop;
  auto client = http::Client::create(loop);
  ASSERT_TRUE(client.ok());
  bool called = false;
  http::Request rq;
  rq.url = srv.url();
  rq.timeout = Duration{200};
  auto h = (*client)->send(rq, [&](Result<http::Response>) { called = true; });
  (*client)->cancel(h);
  EXPECT_EQ((*client)->in_flight(), 0u);
  ev::Timer t(loop, [&] { loop.stop(); });
  t.arm(Duration{400});
  loop.run();
  EXPECT_FALSE(called);
}
