#!/usr/bin/env bash
# Benchmark worsend (issue 4 "Figures"): wake requests per second from intake to the wake
# datagram on the wire with the udp transport, and p50/p99 intake-to-wire latency at
# 1,000 requests/s. The chain is real: worsend -> natkeep serve's control socket ->
# natkeep's authenticated wake datagram -> a device socket; the generator
# (worsend_load.cpp) plays the wake clients and the devices (each device keeps a real
# natkeep binding with authenticated keepalives and acknowledges its wakes).
#
#   tests/bench/worsend_bench.sh [--build DIR] [--devices N] [--count N] [--rate R] [--seconds S] [--rt]
# --rt runs the latency case (all three parties) under SCHED_FIFO (chrt, needs root) so
# that other work on a shared machine does not add its time slices to the figure. Prints a table, then one
# JSON object on the last line. Loopback only.
set -euo pipefail

BUILD=build
DEVICES=512
COUNT=200000
RATE=1000
SECONDS_AT_RATE=10
RT=0
while (($#)); do
    case $1 in
        --build) BUILD=$2; shift 2 ;;
        --devices) DEVICES=$2; shift 2 ;;
        --count) COUNT=$2; shift 2 ;;
        --rate) RATE=$2; shift 2 ;;
        --seconds) SECONDS_AT_RATE=$2; shift 2 ;;
        --rt) RT=1; shift ;;
        -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "worsend_bench.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
B="$REPO/$BUILD"
WORSEND="$B/bin/worsend"
NATKEEP="$B/bin/natkeep"
for bin in "$WORSEND" "$NATKEEP"; do
    [[ -x $bin ]] || { echo "worsend_bench.sh: $bin not built" >&2; exit 1; }
done
TMP="$(mktemp -d "${TMPDIR:-/tmp}/worsend-bench.XXXXXX")"
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT

CORES=$(nproc)
# With 4+ cores each party gets its own (worsend's writer thread shares its core); with
# fewer, pinning would crowd worsend's two threads, so the scheduler decides.
PIN_W=() PIN_N=() PIN_G=()
if ((CORES >= 4)); then PIN_W=(taskset -c 0) PIN_N=(taskset -c 1) PIN_G=(taskset -c 2,3); fi
if ((RT)) && ! chrt -f 10 true 2>/dev/null; then
    echo "worsend_bench.sh: --rt needs chrt and root" >&2
    exit 1
fi

# wait_for FILE PATTERN SECONDS: readiness polling.
wait_for() {
    local i
    for ((i = 0; i < $3 * 10; i++)); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "worsend_bench.sh: timed out waiting for $2 in $1" >&2
    return 1
}

LOAD="$TMP/worsend_load"
timeout 120 g++ -O2 -std=c++20 -pthread -I"$REPO/lib/include" -I"$REPO/tools/natkeep" \
    "$REPO/tests/bench/worsend_load.cpp" "$B/tools/libnatkeep_core.a" "$B/lib/libsipwake_stun.a" \
    "$B/lib/libsipwake_net.a" "$B/lib/libsipwake_util.a" -lcrypto -o "$LOAD"

echo "setting up $DEVICES devices..." >&2
for ((i = 0; i < DEVICES; i++)); do
    printf 'bench%d %s\n' "$i" "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
done >"$TMP/keys"
chmod 600 "$TMP/keys"
CTL="$TMP/natkeep.sock"
SOCK="$TMP/worsend.sock"
DB="$TMP/worsend.db"
PORT=$(timeout 5 python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
for ((i = 0; i < DEVICES; i++)); do
    timeout 10 "$WORSEND" device add "bench$i" --udp "unix:$CTL" --db "$DB"
done

# run_case NAME COUNT RATE [rt]: a fresh natkeep serve and worsend (rate limits off: the
# bench measures the pipeline, not the policy; human event lines, the audit trail on), the
# generator beside them; with rt all three run SCHED_FIFO. Prints the generator's JSON.
run_case() {
    local rt=()
    [[ ${4:-} == rt ]] && rt=(chrt -f 10)
    timeout 600 "${rt[@]}" "${PIN_N[@]}" "$NATKEEP" serve --listen "udp:127.0.0.1:$PORT" --keys "$TMP/keys" \
        --control "unix:$CTL" --json >"$TMP/natkeep.$1.out" 2>"$TMP/natkeep.$1.err" &
    local npid=$!
    wait_for "$TMP/natkeep.$1.out" '"serve.ready"' 5
    timeout 600 "${rt[@]}" "${PIN_W[@]}" "$WORSEND" serve --db "$DB" --listen "unix:$SOCK" \
        --device-rate 0 --caller-rate 0 >"$TMP/worsend.$1.out" 2>"$TMP/worsend.$1.err" </dev/null &
    local wpid=$!
    wait_for "$TMP/worsend.$1.out" 'worsend: serving' 5
    timeout 300 "${rt[@]}" "${PIN_G[@]}" "$LOAD" "$SOCK" "127.0.0.1:$PORT" "$TMP/keys" "$2" "$3" 120 || true
    kill -TERM "$wpid" "$npid"
    wait "$wpid" "$npid" || true
}

LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
echo "throughput: $COUNT requests as fast as replies allow..." >&2
MAX=$(run_case max "$COUNT" 0)
echo "latency: $((RATE * SECONDS_AT_RATE)) requests at $RATE/s..." >&2
PACED=$(run_case paced "$((RATE * SECONDS_AT_RATE))" "$RATE" "$( ((RT)) && echo rt)")
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
AUDIT_ROWS=$(timeout 30 "$WORSEND" log --db "$DB" --json --limit 10000000 | wc -l)

f() { jq -r ".$2" <<<"$1"; }
printf '\n%-44s %14s %14s\n' "worsend udp transport (natkeep serve)" "measured" "target"
printf '%-44s %14.0f %14s\n' "wake requests/s, intake -> datagram" "$(f "$MAX" datagrams_per_s)" ">= 20000"
printf '%-44s %14.0f %14s\n' "wake requests/s, intake -> ok reply" "$(f "$MAX" requests_per_s)" "-"
printf '%-44s %14.3f %14s\n' "p50 intake -> wire at $RATE/s (ms)" "$(jq -r '.wire_p50_us / 1000' <<<"$PACED")" "-"
printf '%-44s %14.3f %14s\n' "p99 intake -> wire at $RATE/s (ms)" "$(jq -r '.wire_p99_us / 1000' <<<"$PACED")" "< 2"
printf '%-44s %14.3f %14s\n' "max intake -> wire at $RATE/s (ms)" "$(jq -r '.wire_max_us / 1000' <<<"$PACED")" "-"
printf '%-44s %14.3f %14s\n' "p99 intake -> ok reply at $RATE/s (ms)" "$(jq -r '.reply_p99_us / 1000' <<<"$PACED")" "-"
printf '%-44s %14s %14s\n' "datagrams / requests (max, paced)" "$(f "$MAX" datagrams)/$(f "$MAX" sent), $(f "$PACED" datagrams)/$(f "$PACED" sent)" "1 each"
printf '%-44s %14s %14s\n' "audit rows written" "$AUDIT_ROWS" "-"
printf '%-44s %14s %14s\n' "cores; 1-min load before/after" "$CORES; $LOAD_BEFORE/$LOAD_AFTER" "-"
printf '%-44s %14s %14s\n' "SCHED_FIFO for the latency case (--rt)" "$( ((RT)) && echo yes || echo no)" "-"
printf '\n'
jq -cn --argjson max "$MAX" --argjson paced "$PACED" --arg devices "$DEVICES" --arg rows "$AUDIT_ROWS" --arg cores "$CORES" \
    --arg l0 "$LOAD_BEFORE" --arg l1 "$LOAD_AFTER" --arg rt "$RT" '{
    bench: "worsend_udp", peer: "natkeep serve", devices: ($devices | tonumber), cores: ($cores | tonumber),
    loadavg_before: ($l0 | tonumber), loadavg_after: ($l1 | tonumber), sched_fifo: ($rt == "1"),
    throughput: $max, paced: $paced, audit_rows: ($rows | tonumber),
    targets: {requests_per_s: 20000, p99_ms_at_1000: 2},
    pass: (($max.datagrams_per_s >= 20000) and ($paced.wire_p99_us < 2000))}'
