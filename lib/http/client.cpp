#include "sipwake/http/client.hpp"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <strings.h>
#include <unordered_map>

#include "sipwake/http/url.hpp"

namespace sipwake::http {
namespace {

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string openssl_errors() {
  unsigned long e = ERR_get_error();
  if (e == 0) return {};
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

Result<evhttp_cmd_type> method_of(const std::string& m) {
  if (m == "POST") return EVHTTP_REQ_POST;
  if (m == "GET") return EVHTTP_REQ_GET;
  if (m == "PUT") return EVHTTP_REQ_PUT;
  if (m == "DELETE") return EVHTTP_REQ_DELETE;
  return fail("unsupported HTTP method " + m);
}

class ClientImpl;

// One request in flight: its connection, TLS session and deadline.
struct Pending {
  ClientImpl* owner = nullptr;
  std::uint64_t handle = 0;
  Client::Callback done;
  evhttp_connection* conn = nullptr;
  SSL* ssl = nullptr;  // owned by the connection's bufferevent
  std::unique_ptr<ev::Timer> timer;
  std::optional<Result<Response>> result;  // set once; delivered from the timer
  int error_kind = -1;
  int socket_errno = 0;
  std::size_t max_response = 0;
  Duration timeout{0};
  TimePoint started;
};

class ClientImpl final : public Client {
 public:
  ClientImpl(ev::Loop& loop, ClientOptions o, SSL_CTX* ctx) : m_loop(loop), m_opt(std::move(o)), m_ctx(ctx) {}
  ~ClientImpl() override {
    for (auto& [h, p] : m_pending) {
      if (p->conn) evhttp_connection_free(p->conn);
    }
    m_pending.clear();
    if (m_dns) evdns_base_free(m_dns, 0);
    SSL_CTX_free(m_ctx);
  }

  std::uint64_t send(Request rq, Callback done) override {
    auto p = std::make_unique<Pending>();
    p->owner = this;
    p->handle = ++m_next;
    p->done = std::move(done);
    p->max_response = rq.max_response;
    p->timeout = rq.timeout;
    p->started = m_loop.now();
    Pending* raw = p.get();
    p->timer = std::make_unique<ev::Timer>(m_loop, [this, raw] { on_timer(raw); });
    m_pending.emplace(raw->handle, std::move(p));
    if (auto started = start(*raw, rq); !started) {
      raw->result = Result<Response>(started.error());
      raw->timer->arm(Duration{0});
    } else {
      raw->timer->arm(rq.timeout);
    }
    return raw->handle;
  }

  void cancel(std::uint64_t handle) override {
    auto it = m_pending.find(handle);
    if (it == m_pending.end()) return;
    if (it->second->conn) evhttp_connection_free(it->second->conn);
    m_pending.erase(it);
  }

  std::size_t in_flight() const override { return m_pending.size(); }

 private:
  Result<void> start(Pending& p, const Request& rq) {
    auto url = Url::parse(rq.url);
    if (!url) return url.error();
    auto method = method_of(rq.method);
    if (!method) return method.error();
    auto made = make_bufferevent(p, *url);
    if (!made) return made.error();
    bufferevent* bev = *made;
    evdns_base* dns = is_ip_literal(url->host) ? nullptr : dns_base();
    p.conn = evhttp_connection_base_bufferevent_new(m_loop.base(), dns, bev, url->host.c_str(), url->port);
    if (!p.conn) {
      bufferevent_free(bev);
      p.ssl = nullptr;
      return fail("cannot create HTTP connection to " + url->origin());
    }
    evhttp_connection_set_retries(p.conn, 0);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(rq.timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((rq.timeout.count() % 1000) * 1000);
    evhttp_connection_set_timeout_tv(p.conn, &tv);
    evhttp_connection_set_max_body_size(p.conn, static_cast<ev_ssize_t>(rq.max_response));
    evhttp_connection_set_max_headers_size(p.conn, 16384);

    evhttp_request* req = evhttp_request_new(&ClientImpl::on_done, &p);
    if (!req) return fail("cannot create HTTP request");
    evhttp_request_set_error_cb(req, &ClientImpl::on_error);
    evkeyvalq* out = evhttp_request_get_output_headers(req);
    evhttp_add_header(out, "Host", url->host_header().c_str());
    evhttp_add_header(out, "User-Agent", m_opt.user_agent.c_str());
    evhttp_add_header(out, "Connection", "close");
    for (const auto& [k, v] : rq.headers) {
      if (k.find_first_of("\r\n:") != std::string::npos || v.find_first_of("\r\n") != std::string::npos) {
        evhttp_request_free(req);
        return fail("invalid header " + k);
      }
      evhttp_add_header(out, k.c_str(), v.c_str());
    }
    if (!rq.body.empty() || *method == EVHTTP_REQ_POST || *method == EVHTTP_REQ_PUT) {
      evhttp_add_header(out, "Content-Length", std::to_string(rq.body.size()).c_str());
      evbuffer_add(evhttp_request_get_output_buffer(req), rq.body.data(), rq.body.size());
    }
    if (evhttp_make_request(p.conn, req, *method, url->path.c_str()) != 0) {
      return fail("cannot send HTTP request to " + url->origin());  // evhttp freed req
    }
    return {};
  }

  // A plain socket, or a TLS one that checks the certificate against the URL's host.
  Result<bufferevent*> make_bufferevent(Pending& p, const Url& url) {
    if (!url.tls) {
      bufferevent* bev = bufferevent_socket_new(m_loop.base(), -1, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
      if (!bev) return fail("cannot create connection");
      return bev;
    }
    SSL* ssl = SSL_new(m_ctx);
    if (!ssl) return fail("TLS: " + openssl_errors());
    if (!is_ip_literal(url.host)) {
      SSL_set_tlsext_host_name(ssl, url.host.c_str());  // RFC 6066 SNI
      if (m_opt.verify) SSL_set1_host(ssl, url.host.c_str());
    } else if (m_opt.verify) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url.host.c_str());
    }
    bufferevent* bev = bufferevent_openssl_socket_new(m_loop.base(), -1, ssl, BUFFEREVENT_SSL_CONNECTING,
                                                      BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (!bev) {
      SSL_free(ssl);
      return fail("TLS: cannot create connection");
    }
    // Many servers close without close_notify; the body length is checked by evhttp.
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    p.ssl = ssl;
    return bev;
  }

  evdns_base* dns_base() {
    if (!m_dns) {
      m_dns = evdns_base_new(m_loop.base(), EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    }
    return m_dns;  // nullptr: evhttp falls back to the blocking resolver
  }

  static void on_error(evhttp_request_error kind, void* arg) noexcept {
    auto* p = static_cast<Pending*>(arg);
    p->error_kind = static_cast<int>(kind);
    p->socket_errno = errno;
  }

  static void on_done(evhttp_request* req, void* arg) noexcept {
    auto* p = static_cast<Pending*>(arg);
    if (p->result) return;
    try {
      if (req == nullptr || evhttp_request_get_response_code(req) == 0) {
        p->result = Result<Response>(fail(p->owner->describe_failure(*p)));
      } else {
        Response r;
        r.status = evhttp_request_get_response_code(req);
        if (const char* line = evhttp_request_get_response_code_line(req)) r.reason = line;
        evkeyvalq* in = evhttp_request_get_input_headers(req);
        for (evkeyval* kv = in->tqh_first; kv != nullptr; kv = kv->next.tqe_next) r.headers.emplace_back(kv->key, kv->value);
        evbuffer* body = evhttp_request_get_input_buffer(req);
        std::size_t n = std::min(evbuffer_get_length(body), p->max_response);
        r.body.resize(n);
        if (n > 0) evbuffer_copyout(body, r.body.data(), n);
        r.elapsed = std::chrono::duration_cast<Duration>(p->owner->m_loop.now() - p->started);
        p->result = Result<Response>(std::move(r));
      }
    } catch (...) {
      p->result = Result<Response>(fail("out of memory"));
    }
    p->timer->arm(Duration{0});  // deliver outside evhttp's callback
  }

  std::string describe_failure(const Pending& p) const {
    if (p.ssl) {
      long v = SSL_get_verify_result(p.ssl);
      if (v != X509_V_OK) return std::string("TLS certificate verification failed: ") + X509_verify_cert_error_string(v);
      if (std::string e = openssl_errors(); !e.empty()) return "TLS failure: " + e;
    }
    switch (p.error_kind) {
      case EVREQ_HTTP_TIMEOUT: return "timed out after " + std::to_string(p.timeout.count()) + " ms";
      case EVREQ_HTTP_DATA_TOO_LONG: return "response larger than " + std::to_string(p.max_response) + " bytes";
      case EVREQ_HTTP_INVALID_HEADER: return "invalid HTTP response header";
      case EVREQ_HTTP_BUFFER_ERROR: return "read or write error";
      default: break;
    }
    if (p.socket_errno == ECONNREFUSED) return "connection refused";
    if (p.socket_errno != 0 && p.socket_errno != EAGAIN) return std::string("connection failed: ") + std::strerror(p.socket_errno);
    return "connection refused or closed without a response";
  }

  void on_timer(Pending* p) {
    if (!p->result) p->result = Result<Response>(fail("timed out after " + std::to_string(p->timeout.count()) + " ms"));
    auto node = m_pending.extract(p->handle);
    if (p->conn) evhttp_connection_free(p->conn);
    p->conn = nullptr;
    Callback cb = std::move(p->done);
    Result<Response> r = std::move(*p->result);
    node.mapped().reset();
    if (cb) cb(std::move(r));
  }

  ev::Loop& m_loop;
  ClientOptions m_opt;
  SSL_CTX* m_ctx;
  evdns_base* m_dns = nullptr;
  std::uint64_t m_next = 0;
  std::unordered_map<std::uint64_t, std::unique_ptr<Pending>> m_pending;
};

}  // namespace

std::optional<std::string> Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return std::nullopt;
}

Result<std::unique_ptr<Client>> Client::create(ev::Loop& loop, ClientOptions options) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) return fail("TLS: cannot create context: " + openssl_errors());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (options.verify) SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (options.ca_file) {
    if (SSL_CTX_load_verify_locations(ctx, options.ca_file->c_str(), nullptr) != 1) {
      SSL_CTX_free(ctx);
      ERR_clear_error();
      return fail("cannot load CA file " + *options.ca_file);
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    ERR_clear_error();  // no system store: every HTTPS request will fail verification
  }
  return std::unique_ptr<Client>(new ClientImpl(loop, std::move(options), ctx));
}

std::optional<Duration> parse_retry_after(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty() || value.size() > 9) return std::nullopt;
  long long s = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    s = s * 10 + (c - '0');
  }
  return Duration{s * 1000};
}

}  // namespace sipwake::http
