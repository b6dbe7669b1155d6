#pragma once
// The registration client (RFC 3261 section 10, RFC 5626, RFC 8599 contact parameters)
// as a plain state machine: fed summaries of responses, transaction failures, timer
// ticks and commands; it answers with what to send, when to wake it, and events.
// sipreg and worgw's proxy login both drive it through reg::Agent.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sipwake/sip/digest.hpp"
#include "sipwake/sip/uri.hpp"
#include "sipwake/util/backoff.hpp"
#include "sipwake/util/clock.hpp"

namespace sipwake::reg {

/// What one registration is for.
struct Config {
  sip::Uri registrar;              ///< Request-URI of the REGISTER
  sip::Uri aor;                    ///< address of record (From/To)
  std::string auth_user;           ///< digest username; empty means the AOR's user
  std::string password;            ///< never logged, never in events
  std::uint32_t expires = 3600;    ///< requested expiry (seconds)
  bool contact_fixed = false;      ///< true: the user gave the Contact; never rewrite it
  std::string instance;            ///< RFC 5626 +sip.instance URN ("" = none)
  std::optional<std::uint32_t> reg_id;  ///< RFC 5626 reg-id
  std::string pn_provider, pn_prid, pn_param;  ///< RFC 8599 push parameters
  double refresh_fraction = 0.9;   ///< refresh at this share of the granted expiry
  double refresh_jitter = 0.05;    ///< minus up to this share, drawn once per registration
  double first_refresh_slot = 1.0; ///< [0,1): refresh phase within the period, from creation (spreads many
                                   ///< accounts); 1.0: plain refresh at the fraction of each grant
  bool once = false;               ///< no retries: a failure is final
  Backoff::Params backoff{};
};

/// One Contact binding in a request or response.
struct Binding {
  std::string uri;                  ///< the contact URI as text
  std::uint32_t expires = 0;
  std::vector<std::pair<std::string, std::string>> params;  ///< header params to send
};

/// A REGISTER to send; the Agent turns it into a SIP message.
struct Request {
  std::uint32_t cseq = 0;
  std::vector<Binding> contacts;    ///< empty with !star: a query (RFC 3261 10.2.3)
  bool star = false;                ///< Contact: * with Expires: 0
  std::optional<std::uint32_t> expires_header;
  std::optional<sip::DigestAnswer> authorization;
};

/// The parts of a final response the registration cares about.
struct Response {
  int status = 0;
  std::string reason;
  std::uint32_t cseq = 0;
  std::vector<Binding> contacts;    ///< Contacts in a 2xx with their expires
  std::optional<std::uint32_t> expires_header;
  std::optional<std::uint32_t> min_expires;
  std::optional<std::uint32_t> retry_after;
  std::optional<sip::DigestChallenge> challenge;  ///< selected for 401/407
  std::string challenge_error;                    ///< why none could be selected
  std::optional<std::string> public_host;         ///< Via received (or sent-by) when rport came back
  std::optional<std::uint16_t> public_port;       ///< Via rport value
};

/// An event for the JSON Lines stream (DESIGN.md), with its human-readable line.
struct Event {
  std::string name;
  nlohmann::json fields;
  std::string human;
};

/// What the driver must do after an input.
struct Output {
  std::optional<Request> send;
  std::optional<Duration> arm_timer;   ///< (re)arm the registration's timer
  bool cancel_timer = false;
  std::vector<Event> events;
};

/// Why the registration ended.
enum class Outcome { running, registered_once, unregistered, queried, kept, failed };

/// The registration client state machine.
class Registration {
 public:
  enum class State { idle, registering, registered, refreshing, retry_wait, unregistering, done };
  enum class Mode { register_, unregister, unregister_all, query };

  Registration(Config config, const Clock& clock);

  /// Begins in the given mode with the Contact to register (ignored for query/star).
  Output start(Mode mode, const std::string& contact_uri);
  /// A final response to the REGISTER with `response.cseq`.
  Output on_response(const Response& response);
  /// The transaction failed: Timer F, or the transport could not send.
  Output on_failure(std::uint32_t cseq, const std::string& why);
  /// The timer the machine armed has fired.
  Output on_timer();
  /// Re-register now (network change, SIGHUP, "reregister"); `contact_uri` is the
  /// current local Contact, which may differ from the registered one.
  Output reregister(const std::string& contact_uri);
  /// Unregister (if registered) and finish.
  Output stop();
  /// Finish at once without unregistering (--keep).
  Output abandon();

  State state() const { return m_state; }
  Outcome outcome() const { return m_outcome; }
  bool finished() const { return m_state == State::done; }
  /// The one-line reason of a failure, for the exit message.
  const std::string& failure() const { return m_failure; }
  const Config& config() const { return m_cfg; }
  /// The Contact currently registered (or being registered).
  const std::string& contact() const { return m_contact; }
  std::uint32_t granted_expires() const { return m_granted; }
  /// CSeq of the newest REGISTER; responses to older ones are ignored.
  std::uint32_t current_cseq() const { return m_cseq; }
  /// Time of the next refresh, when registered.
  std::optional<TimePoint> refresh_at() const { return m_refresh_at; }
  static const char* state_name(State s);

 private:
  Output send_register(Output out, std::uint32_t expires);
  Output send_unregister(Output out);
  Output send_query(Output out);
  Output fail_or_retry(Output out, int code, const std::string& reason, bool permanent,
                       std::optional<std::uint32_t> retry_after);
  Output finish(Output out, Outcome outcome, std::string failure = {});
  Output on_success(const Response& r);
  Output on_challenge(const Response& r);
  void enter(State s);
  Binding binding(const std::string& uri, std::uint32_t expires) const;
  nlohmann::json base_fields() const;
  nlohmann::json with_fields(nlohmann::json extra) const;
  Duration refresh_delay();

  Config m_cfg;
  const Clock& m_clock;
  Mode m_mode = Mode::register_;
  State m_state = State::idle;
  Outcome m_outcome = Outcome::running;
  std::string m_failure;
  std::string m_contact;                 // the contact we register
  std::string m_local_contact;           // the contact as derived from the local address
  bool m_discovering = false;            // unregister: querying which bindings are ours
  std::vector<std::string> m_discovered; // unregister: our bindings found by the query
  std::vector<std::string> m_stale_contacts;  // earlier contacts to remove (expires=0)
  std::uint32_t m_cseq = 0;              // CSeq of the REGISTER in flight
  std::uint32_t m_expires;               // what we ask for (may grow by 423)
  std::uint32_t m_granted = 0;
  std::optional<sip::DigestChallenge> m_challenge;  // last challenge, reused on refresh
  std::uint32_t m_nc = 0;
  unsigned m_auth_tries = 0;             // answers to challenges in this attempt
  unsigned m_min_expires_tries = 0;
  unsigned m_public_changes = 0;         // guards against a flapping NAT
  Backoff m_backoff;
  double m_jitter_draw;                  // this registration's share of refresh jitter
  bool m_first_refresh = true;
  std::optional<TimePoint> m_refresh_at;
  TimePoint m_created;                   // origin of the refresh phase
};

}  // namespace sipwake::reg
