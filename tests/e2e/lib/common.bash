# shellcheck shell=bash
# Common helpers for the end-to-end suites (tests/e2e/*.bats).
#
# Load from a .bats file with:   load lib/common
# then call `e2e_setup` in setup() and `e2e_teardown` in teardown().
#
# Provides:
#   REPO, SIPWAKE_BIN        repository root; directory of our binaries (env override)
#   E2E_RUN_ID               names this suite run (part of every E2E_TMP)
#   e2e_leftovers            print PIDs of processes of this run still alive
#   E2E_TMP                  per-test temporary directory (removed in teardown
#                            unless E2E_KEEP_TMP=1)
#   free_port udp|tcp|both [4|6]   a port the kernel says is free on loopback
#   wait_until TIMEOUT cmd...      poll cmd every 0.1 s until it succeeds
#   e2e_spawn NAME cmd...          start cmd in the background (own process group),
#                                  stdout -> $E2E_TMP/NAME.out, stderr -> NAME.err,
#                                  stdin from the fifo $E2E_TMP/NAME.in; sets
#                                  E2E_LAST_PID; write to it with `e2e_send NAME line`
#   e2e_track PID                  kill PID's process group in teardown
#   e2e_stop PID [SIGNAL] [TIMEOUT] signal PID and wait for it to exit
#   require_cmd CMD [why]          skip the test when CMD is not installed
#   require_sipreg                 skip the test when $SIPWAKE_BIN/sipreg is absent

E2E_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
E2E_DIR="$(cd "$E2E_LIB_DIR/.." && pwd)"
REPO="${REPO:-$(cd "$E2E_DIR/../.." && pwd)}"
SIPWAKE_BIN="${SIPWAKE_BIN:-$REPO/build/bin}"
export REPO SIPWAKE_BIN
# Names every temp dir of one suite run, so a run can check it left nothing
# behind without looking at other people's processes.
E2E_RUN_ID="${E2E_RUN_ID:-$(basename "${BATS_RUN_TMPDIR:-run$$}")}"
export E2E_RUN_ID

# bats-support / bats-assert: Debian installs them under /usr/lib/bats; other
# layouts (npm, brew, git submodules) are tried too. Missing -> plain bats.
for _d in "${BATS_LIB_PATH:-}" /usr/lib/bats /usr/share/bats /usr/local/lib/bats \
          /opt/homebrew/lib /usr/local/lib/node_modules; do
    [[ -n $_d && -f $_d/bats-support/load.bash && -f $_d/bats-assert/load.bash ]] || continue
    # shellcheck disable=SC1091
    source "$_d/bats-support/load.bash"
    # shellcheck disable=SC1091
    source "$_d/bats-assert/load.bash"
    break
done
unset _d

# Skip the current test when a peer program is missing.
require_cmd() {
    local cmd=$1 why=${2:-}
    command -v "$cmd" >/dev/null 2>&1 || skip "$cmd not installed${why:+ ($why)}"
}

# Skip the current test until the sipreg binary has been built.
require_sipreg() {
    [[ -x $SIPWAKE_BIN/sipreg ]] || skip "sipreg not built ($SIPWAKE_BIN/sipreg missing)"
}

# free_port udp|tcp|both [4|6]: print a port that is free on loopback. "both"
# finds one free for UDP and TCP at once (Kamailio listens on both).
free_port() {
    local proto=${1:-udp} fam=${2:-4}
    if command -v python3 >/dev/null 2>&1; then
        timeout 10 python3 - "$proto" "$fam" <<'PY'
import socket, sys
proto, fam = sys.argv[1], sys.argv[2]
af, host = (socket.AF_INET6, "::1") if fam == "6" else (socket.AF_INET, "127.0.0.1")
kinds = {"udp": [socket.SOCK_DGRAM], "tcp": [socket.SOCK_STREAM],
         "both": [socket.SOCK_DGRAM, socket.SOCK_STREAM]}[proto]
for _ in range(200):
    first = socket.socket(af, kinds[0])
    first.bind((host, 0))
    port = first.getsockname()[1]
    held = [first]
    try:
        for k in kinds[1:]:
            s = socket.socket(af, k)
            held.append(s)
            s.bind((host, port))
    except OSError:
        continue
    finally:
        for s in held:
            s.close()
    print(port)
    sys.exit(0)
sys.exit(1)
PY
        return
    fi
    # No python: pick random high ports and ask the kernel's socket table.
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + RANDOM % 40000))
        if ! ss -Hlun "sport = :$p" | grep -q . && ! ss -Hltn "sport = :$p" | grep -q .; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# wait_until TIMEOUT cmd...: run cmd every 0.1 s until it succeeds (0) or
# TIMEOUT seconds (may be fractional) have passed (1). Output of cmd is discarded.
wait_until() {
    local timeout_s=$1
    shift
    local deadline now ms
    ms=$(awk -v t="$timeout_s" 'BEGIN { printf "%d", t * 1000 }')
    deadline=$(($(date +%s%N) / 1000000 + ms))
    while true; do
        "$@" >/dev/null 2>&1 && return 0
        now=$(($(date +%s%N) / 1000000))
        ((now >= deadline)) && return 1
        sleep 0.1
    done
}

# Per-test setup: temp dir and the list of processes to clean up.
e2e_setup() {
    E2E_TMP="$(mktemp -d "${TMPDIR:-/tmp}/sipwake-e2e.$E2E_RUN_ID.XXXXXX")"
    : >"$E2E_TMP/.pids"
    export E2E_TMP
}

# Remember a PID (kept in a file, so subshells may call this too).
e2e_track() {
    echo "$1" >>"$E2E_TMP/.pids"
}

# e2e_spawn NAME cmd...: start cmd in its own process group with stdin from a
# fifo (kept open, so cmd never sees EOF) and output to $E2E_TMP/NAME.{out,err}.
# fd 3 is closed so bats does not wait for the child.
e2e_spawn() {
    local name=$1
    shift
    local fifo="$E2E_TMP/$name.in"
    rm -f "$fifo"
    mkfifo "$fifo"
    # Open read-write: does not block, and there is always a writer.
    local fd
    exec {fd}<>"$fifo"
    eval "E2E_FD_${name//[^A-Za-z0-9_]/_}=$fd"
    setsid "$@" <"$fifo" >"$E2E_TMP/$name.out" 2>"$E2E_TMP/$name.err" 3>&- &
    E2E_LAST_PID=$!
    E2E_SPAWNER=$BASHPID
    e2e_track "$E2E_LAST_PID"
}

# e2e_send NAME LINE: write one line to the stdin of a process started by e2e_spawn.
e2e_send() {
    local var="E2E_FD_${1//[^A-Za-z0-9_]/_}"
    printf '%s\n' "$2" >&"${!var}"
}

# True while PID is alive (and not a zombie).
pid_alive() {
    local st
    st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [[ -n $st && $st != Z* ]]
}

# e2e_stop PID [SIGNAL] [TIMEOUT]: signal PID and wait up to TIMEOUT s for it to
# exit; returns its exit status, or 124 on timeout. Call it directly from the
# test (not under `run`): only the shell that spawned PID can read its status;
# from another shell (subshell) it returns 0 once PID is gone.
e2e_stop() {
    local pid=$1 sig=${2:-TERM} t=${3:-10}
    kill -s "$sig" "$pid" 2>/dev/null || true
    wait_until "$t" eval '! pid_alive '"$pid" || return 124
    [[ $BASHPID == "${E2E_SPAWNER:-}" ]] || return 0
    local rc=0
    wait "$pid" 2>/dev/null || rc=$?
    return "$rc"
}

# Kill every tracked process group (TERM, then KILL after 5 s), then remove the
# temp dir. Safe to call more than once.
e2e_teardown() {
    [[ -n ${E2E_TMP:-} && -d $E2E_TMP ]] || return 0
    local pid pids=()
    mapfile -t pids <"$E2E_TMP/.pids"
    for pid in "${pids[@]}"; do
        [[ -n $pid ]] || continue
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        [[ -n $pid ]] || continue
        wait_until 5 eval '! pid_alive '"$pid" ||
            { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; }
        wait "$pid" 2>/dev/null || true
    done
    # A failed test keeps its logs visible: print them for bats to show.
    if [[ ${BATS_TEST_COMPLETED:-} != 1 && ${E2E_DUMP_LOGS:-1} == 1 ]]; then
        local f
        for f in "$E2E_TMP"/*.out "$E2E_TMP"/*.err "$E2E_TMP"/*.log; do
            [[ -s $f ]] || continue
            echo "# ---- $(basename "$f") (last 40 lines)" >&2
            tail -n 40 "$f" | sed 's/^/# /' >&2
        done
    fi
    if [[ ${E2E_KEEP_TMP:-0} == 1 ]]; then
        echo "# kept $E2E_TMP" >&2
    else
        rm -rf "$E2E_TMP"
    fi
    E2E_TMP=
}


# PIDs of any process whose command line names a temp dir of this run
# (Kamailio, SIPp, sipreg started by the helpers). Empty when all is clean.
e2e_leftovers() {
    pgrep -f -- "sipwake-e2e\.$E2E_RUN_ID\." || true
}
