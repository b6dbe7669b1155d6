#pragma once
// Drives many Registrations over real transports on one event loop: builds the
// REGISTERs, runs their transactions, paces sends, answers stray requests.

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sipwake/ev/loop.hpp"
#include "sipwake/net/address.hpp"
#include "sipwake/net/sip_transport.hpp"
#include "sipwake/reg/registration.hpp"
#include "sipwake/sip/message.hpp"
#include "sipwake/txn/client_layer.hpp"

namespace sipwake::reg {

/// Runs registrations for one process (sipreg, worgw's proxy login).
class Agent {
 public:
  struct Options {
    /// Local address to bind (port 0 = any); family must match the registrars'.
    std::optional<net::Address> local;
    /// REGISTER transactions in flight at most; more wait their turn (no bursts).
    std::size_t max_inflight = 256;
    std::string user_agent = "sipwake/0.1";
    /// A transport owned by the caller (e.g. a gateway's listening socket) used for
    /// every registration of its protocol and family; the caller passes responses
    /// in with handle_response().
    net::SipTransport* shared = nullptr;
  };
  using EventHandler = std::function<void(const Event& event)>;

  Agent(ev::Loop& loop, Options options, EventHandler on_event);
  ~Agent();

  /// Adds a registration; resolves its registrar and opens the transport it needs.
  /// `contact` overrides the automatic Contact (then it is never rewritten).
  Result<std::size_t> add(Config config, std::optional<std::string> contact = std::nullopt);
  /// Starts every registration in `mode`; `on_done` runs once all have finished.
  void start(Registration::Mode mode, std::function<void()> on_done);
  /// Starts one registration added after start() (e.g. a new subscriber).
  void start_one(std::size_t index, Registration::Mode mode);
  /// Unregisters one registration (or just stops it, with keep).
  void stop_one(std::size_t index, bool keep);
  /// Gives a response received on the shared transport to its transaction; false if
  /// it belongs to none of ours.
  bool handle_response(const sip::Message& response) { return m_layer.on_response(response); }
  /// Re-registers every running registration (network change, SIGHUP, "reregister").
  void reregister_all();
  /// Unregisters every registration (or just stops, with keep) and finishes.
  void stop_all(bool keep);

  std::size_t size() const { return m_regs.size(); }
  /// True when every registration has finished (after stop_all, once they are done).
  bool all_finished() const;
  const Registration& registration(std::size_t i) const;
  /// Registrations that ended in failure.
  std::size_t failed() const;
  /// The first failure's one-line reason ("" when none).
  std::string first_failure() const;

 private:
  struct Slot;
  struct TransportKey;
  void apply(std::size_t i, Output out);
  void transmit(std::size_t i, const Request& req);
  void pump();
  void on_message(std::string_view data, const net::Address& from, net::SipTransport& tp);
  void answer_request(const sip::Message& req, const net::Address& from, net::SipTransport& tp);
  Result<net::SipTransport*> transport_for(const std::string& proto, const net::Address& registrar);
  std::string auto_contact(std::size_t i);
  void check_done();

  ev::Loop& m_loop;
  Options m_opt;
  EventHandler m_on_event;
  std::function<void()> m_on_done;
  txn::ClientLayer m_layer;
  std::vector<std::unique_ptr<Slot>> m_regs;
  struct TransportEntry {
    std::string proto;
    int family;
    std::unique_ptr<net::SipTransport> transport;
  };
  std::vector<TransportEntry> m_transports;
  struct Waiting {
    std::size_t index;
    Request request;
    std::optional<Event> sent_event;  // emitted when the request really leaves
  };
  std::deque<Waiting> m_waiting;
  std::deque<std::size_t> m_to_start;  // registrations waiting for a transaction slot to start
  Registration::Mode m_start_mode = Registration::Mode::register_;
  std::size_t m_inflight = 0;
  bool m_done_fired = false;
};

}  // namespace sipwake::reg
