#pragma once
// SIP requests and responses: a move-only RAII wrapper around the osip2 message.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipwake/sip/name_addr.hpp"
#include "sipwake/sip/uri.hpp"
#include "sipwake/util/result.hpp"

struct osip_message;  // osip2's message; only lib/sip sees its definition

namespace sipwake::sip {

/// One Via header value (RFC 3261 20.42, RFC 3581 rport).
struct Via {
  std::string transport = "UDP";  ///< uppercase, e.g. "UDP", "TCP", "TLS"
  std::string host;               ///< without brackets for IPv6
  std::optional<std::uint16_t> port;
  std::string branch;
  std::optional<std::string> received;
  bool has_rport = false;              ///< ;rport present (with or without a value)
  std::optional<std::uint16_t> rport;  ///< its value, when it has one
};

/// The CSeq header.
struct CSeq {
  std::uint32_t number = 0;
  std::string method;
};

/// Largest message parse() accepts.
inline constexpr std::size_t k_max_message_size = 64 * 1024;

/// A SIP request or response. Move-only; clone() copies explicitly.
class Message {
 public:
  /// Parses one datagram or framed stream message; one-line reason on failure. Never crashes.
  static Result<Message> parse(std::string_view data);
  /// A new request with start line only (SIP/2.0); add headers with the setters.
  static Message request(std::string_view method, const Uri& request_uri);
  /// A response copying all Vias, From, To, Call-ID and CSeq; empty reason means the default phrase.
  static Result<Message> response_to(const Message& request, int code, std::string_view reason = {});

  Message(Message&&) noexcept;
  Message& operator=(Message&&) noexcept;
  ~Message();
  /// A deep copy.
  Message clone() const;

  /// Serializes with CRLF line ends; Content-Length always matches the body. "" on failure.
  std::string to_string() const;

  bool is_request() const;
  /// The request method ("" for responses).
  std::string method() const;
  /// The Request-URI (default Uri{} when absent or not sip/sips).
  Uri request_uri() const;
  /// Replaces the Request-URI.
  void set_request_uri(const Uri& uri);
  /// The status code (0 for requests).
  int status() const;
  /// The reason phrase ("" for requests).
  std::string reason() const;

  /// First value of a header; case-insensitive, compact forms equivalent.
  std::optional<std::string> header(std::string_view name) const;
  /// All values; comma-separated list headers count as several values.
  std::vector<std::string> headers(std::string_view name) const;
  /// Appends a header (a single-instance header such as From is replaced instead).
  void add_header(std::string_view name, std::string_view value);
  /// Replaces all instances of a header.
  void set_header(std::string_view name, std::string_view value);
  /// Removes all instances of a header.
  void remove_header(std::string_view name);

  /// All Vias, topmost first.
  std::vector<Via> vias() const;
  std::optional<Via> top_via() const;
  /// Makes `via` the top Via; writes ;rport (empty) when has_rport && !rport.
  void push_via(const Via& via);
  /// Removes the top Via (what a proxy does to a response it relays).
  void pop_via();

  std::string call_id() const;
  std::optional<CSeq> cseq() const;
  std::optional<NameAddr> from() const;
  std::optional<NameAddr> to() const;
  void set_from(const NameAddr& from);
  void set_to(const NameAddr& to);
  void set_call_id(std::string_view call_id);
  void set_cseq(std::uint32_t number, std::string_view method);

  /// Contact values (not "*"); unparsable values are skipped.
  std::vector<NameAddr> contacts() const;
  /// True when the Contact is "*" (RFC 3261 10.2.2).
  bool contact_star() const;
  void add_contact(const NameAddr& contact);
  /// Replaces all Contacts with "*".
  void set_contact_star();

  std::optional<std::uint32_t> expires() const;
  std::optional<std::uint32_t> min_expires() const;
  /// The delta-seconds of Retry-After (comments and params ignored).
  std::optional<std::uint32_t> retry_after() const;
  std::optional<std::uint32_t> max_forwards() const;

  /// The body bytes ("" when none).
  std::string body() const;
  /// Replaces the body and its Content-Type; an empty body removes both.
  void set_body(std::string_view content_type, std::string_view body);

 private:
  struct Deleter {
    void operator()(osip_message* m) const noexcept;
  };
  explicit Message(osip_message* m) noexcept;
  std::unique_ptr<osip_message, Deleter> m_msg;
};

}  // namespace sipwake::sip
