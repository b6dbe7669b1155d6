#include "sipwake/proc/runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "sipwake/util/fd.hpp"

extern char** environ;

namespace sipwake::proc {
namespace {

constexpr std::size_t k_max_stdin = 60 * 1024;  // fits an unresized pipe: written without blocking

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// A pipe whose `parent_end` (0 read, 1 write) is non-blocking; the child's end stays
// blocking, as programs expect of their stdio.
Result<std::pair<Fd, Fd>> make_pipe(int parent_end) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
  ::fcntl(p[parent_end], F_SETFL, ::fcntl(p[parent_end], F_GETFL) | O_NONBLOCK);
  return std::pair<Fd, Fd>{Fd(p[0]), Fd(p[1])};
}

std::vector<std::string> build_env(const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    bool replaced = std::any_of(extra.begin(), extra.end(), [&](const auto& p) { return kv.substr(0, eq) == p.first; });
    if (!replaced) env.emplace_back(kv);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

}  // namespace

std::string Outcome::describe() const {
  if (timed_out) return "timed out after " + std::to_string(elapsed.count()) + " ms";
  if (signal != 0) return "killed by signal " + std::to_string(signal);
  std::string s = "exit " + std::to_string(exit_code);
  std::string_view first(err);
  first = first.substr(0, first.find('\n'));
  if (first.size() > 200) first = first.substr(0, 200);
  if (!first.empty()) s += ": " + std::string(first);
  return s;
}

struct Runner::Child {
  std::uint64_t handle = 0;
  pid_t pid = -1;
  Fd pidfd, out, err;
  std::unique_ptr<ev::FdWatch> wpid, wout, werr;
  std::unique_ptr<ev::Timer> term, kill;
  Callback done;
  Outcome outcome;
  TimePoint started;
  std::size_t cap = 0;
  Duration grace{0};
  bool cancelled = false;
  bool reaped = false;
};

namespace {

// Reads what is available; false at EOF or on error.
bool drain(int fd, std::string& into, std::size_t cap, bool& truncated) {
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      std::size_t take = std::min(static_cast<std::size_t>(n), cap - std::min(cap, into.size()));
      into.append(buf, take);
      if (take < static_cast<std::size_t>(n)) truncated = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

}  // namespace

Runner::Runner(ev::Loop& loop) : m_loop(loop), m_sweep(std::make_unique<ev::Timer>(loop, [this] { sweep(); })) {}

Runner::~Runner() {
  for (auto& c : m_children) {
    if (c->reaped) continue;
    ::kill(-c->pid, SIGKILL);
    int status = 0;
    while (::waitpid(c->pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

std::size_t Runner::running() const {
  return static_cast<std::size_t>(std::count_if(m_children.begin(), m_children.end(), [](const auto& c) { return !c->reaped; }));
}

Result<std::uint64_t> Runner::start(Spec spec, Callback done) {
  if (spec.argv.empty()) return fail("no command");
  if (spec.stdin_data.size() > k_max_stdin) return fail("stdin data larger than 60 KiB");
  auto in = make_pipe(1);
  auto out = make_pipe(0);
  auto err = make_pipe(0);
  if (!in) return in.error();
  if (!out) return out.error();
  if (!err) return err.error();

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in->first.get(), 0);
  posix_spawn_file_actions_adddup2(&fa, out->second.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, err->second.get(), 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);  // we ignore SIGPIPE; the child must not inherit that
  posix_spawnattr_setpgroup(&attr, 0);         // own group: a timeout kills the whole script
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::vector<char*> argv;
  for (auto& a : spec.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_store = build_env(spec.env);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return fail("cannot run " + spec.argv[0] + ": " + std::strerror(rc));

  auto c = std::make_unique<Child>();
  c->handle = ++m_next;
  c->pid = pid;
  c->done = std::move(done);
  c->started = m_loop.now();
  c->cap = spec.max_output;
  c->grace = spec.kill_grace;
  c->out = std::move(out->first);
  c->err = std::move(err->first);
  in->first.reset();
  out->second.reset();
  err->second.reset();
  if (!spec.stdin_data.empty()) {
    // A child that exits without reading gives EPIPE (SIGPIPE is the caller's to ignore).
    (void)!::write(in->second.get(), spec.stdin_data.data(), spec.stdin_data.size());
  }
  in->second.reset();

  c->pidfd = Fd(pidfd_open(pid));
  if (!c->pidfd.valid()) {
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return fail(std::string("pidfd_open: ") + std::strerror(errno));
  }
  Child* raw = c.get();
  c->wout = std::make_unique<ev::FdWatch>(m_loop, c->out.get(), [raw] {
    if (!drain(raw->out.get(), raw->outcome.out, raw->cap, raw->outcome.truncated)) raw->wout.reset();
  });
  c->werr = std::make_unique<ev::FdWatch>(m_loop, c->err.get(), [raw] {
    if (!drain(raw->err.get(), raw->outcome.err, raw->cap, raw->outcome.truncated)) raw->werr.reset();
  });
  c->wpid = std::make_unique<ev::FdWatch>(m_loop, c->pidfd.get(), [this, raw] { finish(*raw); });
  c->kill = std::make_unique<ev::Timer>(m_loop, [raw] { ::kill(-raw->pid, SIGKILL); });
  c->term = std::make_unique<ev::Timer>(m_loop, [raw] {
    raw->outcome.timed_out = true;
    ::kill(-raw->pid, SIGTERM);
    raw->kill->arm(raw->grace);
  });
  c->term->arm(spec.timeout);
  m_children.push_back(std::move(c));
  return raw->handle;
}

void Runner::cancel(std::uint64_t handle) {
  for (auto& c : m_children) {
    if (c->handle != handle || c->reaped) continue;
    c->cancelled = true;
    c->done = nullptr;
    ::kill(-c->pid, SIGTERM);
    c->term->cancel();
    c->kill->arm(c->grace);
  }
}

void Runner::finish(Child& c) {
  if (c.reaped) return;  // the pidfd stays readable until the sweep destroys its watch
  int status = 0;
  pid_t r = ::waitpid(c.pid, &status, WNOHANG);
  if (r == 0) return;  // spurious wakeup
  c.reaped = true;
  if (r == c.pid) {
    if (WIFEXITED(status)) c.outcome.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) c.outcome.signal = WTERMSIG(status);
  }
  // Everything the child wrote is in the pipes now; grandchildren holding them are not waited for.
  if (c.out.valid()) drain(c.out.get(), c.outcome.out, c.cap, c.outcome.truncated);
  if (c.err.valid()) drain(c.err.get(), c.outcome.err, c.cap, c.outcome.truncated);
  c.outcome.elapsed = std::chrono::duration_cast<Duration>(m_loop.now() - c.started);
  c.term->cancel();
  c.kill->cancel();
  // Destroy the child (and the watch running this callback) only after we return.
  auto it = std::find_if(m_children.begin(), m_children.end(), [&](const auto& p) { return p.get() == &c; });
  m_finished.push_back(std::move(*it));
  m_children.erase(it);
  m_sweep->arm(Duration{0});
}

void Runner::sweep() {
  auto finished = std::move(m_finished);
  m_finished.clear();
  for (auto& c : finished) {
    if (!c->cancelled && c->done) c->done(c->outcome);
  }
}

}  // namespace sipwake::proc
