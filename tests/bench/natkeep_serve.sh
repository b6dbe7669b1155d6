#!/usr/bin/env bash
# Benchmark natkeep serve (issue 3 "Figures"): authenticated keepalives per second on one
# core with the load generator (natkeep_load.cpp) in another process on another core,
# and RSS with 1,000,000 device bindings; plain Binding requests compared with coturn
# (turnserver --stun-only) in the same run when it is installed.
#
#   tests/bench/natkeep_serve.sh [--devices N] [--build DIR]
# Prints a table, then one JSON object on the last line. Loopback only.
set -euo pipefail

DEVICES=1000000
BUILD=build
while (($#)); do
    case $1 in
        --devices) DEVICES=$2; shift 2 ;;
        --build) BUILD=$2; shift 2 ;;
        -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "natkeep_serve.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
B="$REPO/$BUILD"
NATKEEP="$B/bin/natkeep"
[[ -x $NATKEEP ]] || { echo "natkeep_serve.sh: $NATKEEP not built" >&2; exit 1; }
TMP="$(mktemp -d "${TMPDIR:-/tmp}/natkeep-bench.XXXXXX")"
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT

CORES=$(nproc)
SRV_CPU=0
GEN_CPU=$((CORES > 1 ? 1 : 0))

LOAD="$TMP/natkeep_load"
timeout 120 g++ -O2 -std=c++20 -I"$REPO/lib/include" -I"$REPO/tools/natkeep" "$REPO/tests/bench/natkeep_load.cpp" \
    "$B/tools/libnatkeep_core.a" "$B/lib/libsipwake_stun.a" "$B/lib/libsipwake_util.a" -lcrypto -o "$LOAD"

free_udp_port() {
    timeout 5 python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
rss_kb() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
TICKS=$(getconf CLK_TCK)
# wait_for FILE PATTERN SECONDS: readiness polling.
wait_for() {
    local i
    for ((i = 0; i < $3 * 10; i++)); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "natkeep_serve.sh: timed out waiting for $2 in $1" >&2
    return 1
}
# run_load ARGS...: the generator pinned to its core; prints its JSON line.
run_load() { timeout 120 taskset -c "$GEN_CPU" "$LOAD" send "$@"; }
field() { jq -r ".$1" <<<"$2"; }

echo "generating $DEVICES device keys..." >&2
timeout 120 "$LOAD" keys "$DEVICES" >"$TMP/keys"

PORT=$(free_udp_port)
taskset -c "$SRV_CPU" "$NATKEEP" serve --listen "udp:127.0.0.1:$PORT" --keys "$TMP/keys" --rate 1000000 --json \
    >"$TMP/serve.out" 2>"$TMP/serve.err" </dev/null &
SP=$!
PIDS+=("$SP")
wait_for "$TMP/serve.out" serve.ready 120
RSS_KEYS=$(rss_kb "$SP")

echo "first keepalive of each device (binding.new)..." >&2
C0=$(cpu_ticks "$SP")
REG=$(run_load "127.0.0.1:$PORT" "$DEVICES" 1 keepalive 16 2048 100)
C1=$(cpu_ticks "$SP")
RSS_BOUND=$(rss_kb "$SP")
echo "steady keepalives..." >&2
KEEP=$(run_load "127.0.0.1:$PORT" "$DEVICES" 2 keepalive 16 2048 100)
C2=$(cpu_ticks "$SP")
PLAIN_N=$((DEVICES < 200000 ? DEVICES : 200000))
PLAIN=$(run_load "127.0.0.1:$PORT" "$PLAIN_N" 0 plain 16 2048 60)
C3=$(cpu_ticks "$SP")
BOUND=$(grep -c '"binding.new"' "$TMP/serve.out" || true)

COTURN_RATE=null COTURN_CPU=null COTURN_NOTE="coturn (turnserver) not installed"
if command -v turnserver >/dev/null 2>&1; then
    CPORT=$(free_udp_port)
    taskset -c "$SRV_CPU" turnserver -n --stun-only --listening-ip 127.0.0.1 --listening-port "$CPORT" --no-cli \
        --no-tls --no-dtls --relay-threads 1 --log-file stdout >"$TMP/coturn.out" 2>&1 </dev/null &
    CP=$!
    PIDS+=("$CP")
    # Readiness: coturn answers a Binding request.
    for ((i = 0; i < 50; i++)); do
        R=$(run_load "127.0.0.1:$CPORT" 10 0 plain 1 10 1) || true
        [[ $(field answered "$R") == 10 ]] && break
        sleep 0.1
    done
    K0=$(cpu_ticks "$CP")
    CPLAIN=$(run_load "127.0.0.1:$CPORT" "$PLAIN_N" 0 plain 16 2048 60)
    K1=$(cpu_ticks "$CP")
    COTURN_RATE=$(field per_second "$CPLAIN")
    COTURN_CPU=$(awk -v t=$((K1 - K0)) -v hz="$TICKS" -v n="$PLAIN_N" 'BEGIN { printf "%.0f", (t > 0 ? n / (t / hz) : 0) }')
    COTURN_NOTE="coturn $(turnserver --version 2>/dev/null | head -1 | tr -d '\n' || echo '?') --stun-only, 1 relay thread, same core"
fi

per_cpu() { awk -v t="$1" -v hz="$TICKS" -v n="$2" 'BEGIN { printf "%.0f", (t > 0 ? n / (t / hz) : 0) }'; }
REG_CPU=$(per_cpu $((C1 - C0)) "$DEVICES")
KEEP_CPU=$(per_cpu $((C2 - C1)) "$DEVICES")
PLAIN_CPU=$(per_cpu $((C3 - C2)) "$PLAIN_N")

printf '\nnatkeep serve, %s devices, server on CPU %s, generator on CPU %s (%s cores), loopback\n' \
    "$DEVICES" "$SRV_CPU" "$GEN_CPU" "$CORES"
printf '%-44s %14s %18s\n' "figure" "per second" "per server CPU-s"
printf '%-44s %14s %18s\n' "first keepalive per device (binding.new)" "$(field per_second "$REG")" "$REG_CPU"
printf '%-44s %14s %18s\n' "authenticated keepalives (steady)" "$(field per_second "$KEEP")" "$KEEP_CPU"
printf '%-44s %14s %18s\n' "plain Binding requests, natkeep" "$(field per_second "$PLAIN")" "$PLAIN_CPU"
printf '%-44s %14s %18s\n' "plain Binding requests, coturn" "$COTURN_RATE" "$COTURN_CPU"
printf '%-44s %14s\n' "RSS after loading keys (MB)" "$((RSS_KEYS / 1024))"
printf '%-44s %14s\n' "RSS with all bindings (MB)" "$((RSS_BOUND / 1024))"
printf '%-44s %14s\n' "bindings created" "$BOUND"
printf 'lost datagrams: register %s, steady %s, plain %s; %s\n' "$(field lost "$REG")" "$(field lost "$KEEP")" \
    "$(field lost "$PLAIN")" "$COTURN_NOTE"
jq -cn --argjson devices "$DEVICES" --argjson reg "$REG" --argjson keep "$KEEP" --argjson plain "$PLAIN" \
    --argjson reg_cpu "$REG_CPU" --argjson keep_cpu "$KEEP_CPU" --argjson plain_cpu "$PLAIN_CPU" \
    --argjson coturn_rate "$COTURN_RATE" --argjson coturn_cpu "$COTURN_CPU" --arg coturn_note "$COTURN_NOTE" \
    --argjson rss_keys_kb "$RSS_KEYS" --argjson rss_bound_kb "$RSS_BOUND" --argjson bound "$BOUND" --argjson cores "$CORES" \
    '{bench:"natkeep_serve", devices:$devices, cores:$cores,
      keepalives_per_s:$keep.per_second, keepalives_per_cpu_s:$keep_cpu,
      first_keepalives_per_s:$reg.per_second, first_keepalives_per_cpu_s:$reg_cpu,
      plain_per_s:$plain.per_second, plain_per_cpu_s:$plain_cpu,
      coturn_plain_per_s:$coturn_rate, coturn_plain_per_cpu_s:$coturn_cpu, coturn:$coturn_note,
      rss_keys_mb:($rss_keys_kb/1024|floor), rss_bindings_mb:($rss_bound_kb/1024|floor), bindings:$bound,
      targets:{keepalives_per_s:100000, rss_mb:256}}'
