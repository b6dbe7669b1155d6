#pragma once
// Child processes on the event loop: posix_spawn with extra environment, a JSON (or any)
// document on stdin, stdout/stderr captured up to a cap, a timeout that sends SIGTERM
// and then SIGKILL to the child's process group, and reaping through a pidfd.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sipwake/ev/loop.hpp"
#include "sipwake/util/clock.hpp"
#include "sipwake/util/result.hpp"

namespace sipwake::proc {

/// What to run and how long it may take.
struct Spec {
  std::vector<std::string> argv;                            ///< argv[0] is looked up in PATH
  std::vector<std::pair<std::string, std::string>> env;     ///< added to (or replacing in) our environment
  std::string stdin_data;                                   ///< written to the child's stdin, then closed (max 60 KiB)
  Duration timeout{10'000};                                 ///< SIGTERM after this
  Duration kill_grace{2'000};                               ///< SIGKILL this long after SIGTERM
  std::size_t max_output = 65536;                           ///< bytes kept of stdout and of stderr each
};

/// How the child ended.
struct Outcome {
  int exit_code = -1;     ///< exit status, or -1 when killed by a signal
  int signal = 0;         ///< the terminating signal, or 0
  bool timed_out = false; ///< we sent SIGTERM because the timeout passed
  std::string out, err;   ///< captured output (capped)
  bool truncated = false; ///< stdout or stderr exceeded max_output
  Duration elapsed{0};
  /// exit 0, no signal, no timeout.
  bool success() const { return exit_code == 0 && signal == 0 && !timed_out; }
  /// One line: "exit 3: <first stderr line>", "killed by signal 9 after timeout", ...
  std::string describe() const;
};

/// Runs children and reports each once it has exited.
class Runner {
 public:
  using Callback = std::function<void(const Outcome&)>;

  explicit Runner(ev::Loop& loop);
  /// Kills (SIGKILL) and reaps every child still running; their callbacks are not called.
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  /// Starts a child; `done` is called from the loop after it exited. Fails when the
  /// program cannot be spawned (not found, not executable) or stdin_data is too large.
  Result<std::uint64_t> start(Spec spec, Callback done);
  /// Terminates a child (SIGTERM, SIGKILL after the grace); its callback is not called.
  void cancel(std::uint64_t handle);
  std::size_t running() const;

 private:
  struct Child;
  void finish(Child& c);
  void sweep();
  ev::Loop& m_loop;
  std::unique_ptr<ev::Timer> m_sweep;
  std::vector<std::unique_ptr<Child>> m_finished;
  std::uint64_t m_next = 0;
  std::vector<std::unique_ptr<Child>> m_children;
};

}  // namespace sipwake::proc
