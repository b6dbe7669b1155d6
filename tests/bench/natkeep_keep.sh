#!/usr/bin/env bash
# Benchmark natkeep keep (issue 3 "Figures"): keepalives per hour behind a Linux NAT
# whose nf_conntrack_udp_timeout is 30 s, for --interval auto against fixed 15 s
# (pjsua's default) and 29 s (libre's), all three behind the same NAT at once, with the
# share of time each device's hole was open (conntrack sampled every 0.5 s).
#
# Time is scaled down by --scale (default 10: the NAT's 30 s becomes 3 s, 15 s becomes
# 1.5 s, an hour of figures is extrapolated from --minutes of run). natkeep's own fixed
# constants (1 s minimum margin, 1 s trial timeout) are not scaled, which only makes
# auto look worse than it would at full scale.
#
#   tests/bench/natkeep_keep.sh [--scale K] [--minutes M] [--scenario linux|strict|both] [--build DIR]
#
# Scenarios: linux = nf_conntrack_udp_timeout 30 s with the kernel's default
# nf_conntrack_udp_timeout_stream 120 s (holes that saw replies for over 2 s live
# longer: what auto discovers); strict = both 30 s. Needs root and network namespaces.
set -euo pipefail
shopt -s inherit_errexit

SCALE=10 MINUTES=4 SCENARIO=linux BUILD=build
while (($#)); do
    case $1 in
        --scale) SCALE=$2; shift 2 ;;
        --minutes) MINUTES=$2; shift 2 ;;  # whole minutes
        --scenario) SCENARIO=$2; shift 2 ;;
        --build) BUILD=$2; shift 2 ;;
        -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "natkeep_keep.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
NATKEEP="$REPO/$BUILD/bin/natkeep"
[[ -x $NATKEEP ]] || { echo "natkeep_keep.sh: $NATKEEP not built" >&2; exit 1; }
skip() { echo "natkeep_keep.sh: skipped: $*" >&2; exit 0; }
# shellcheck source=../e2e/lib/common.bash
source "$REPO/tests/e2e/lib/common.bash"
# shellcheck source=../e2e/lib/netns.bash
source "$REPO/tests/e2e/lib/netns.bash"

# run_scenario NAME UDP_TIMEOUT STREAM_TIMEOUT (full-scale seconds): prints a JSON line.
# Runs in a subshell ($(...)) with its own temp dir, processes and namespaces, all
# removed when it exits, however it exits.
run_scenario() {
    local name=$1 udp=$2 stream=$3
    e2e_setup
    trap 'e2e_teardown >/dev/null 2>&1; netns_teardown' EXIT
    local t_udp t_stream
    t_udp=$(awk -v a="$udp" -v k="$SCALE" 'BEGIN { v = a / k; printf "%d", (v < 1 ? 1 : v) }')
    t_stream=$(awk -v a="$stream" -v k="$SCALE" 'BEGIN { v = a / k; printf "%d", (v < 1 ? 1 : v) }')
    netns_setup --udp-timeout "$t_udp" --udp-stream-timeout "$t_stream"
    local dir="$E2E_TMP/$name"
    mkdir -p "$dir"
    : >"$dir/keys"
    local d k
    for d in auto fixed15 fixed29; do
        k=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
        echo "$k" >"$dir/$d.key"
        echo "$d $k" >>"$dir/keys"
    done
    e2e_spawn "$name-serve" ip netns exec "$NS_SRV" "$NATKEEP" serve --listen "udp:$SRV_IP:3478" --keys "$dir/keys" --json
    wait_until 5 grep -q serve.ready "$E2E_TMP/$name-serve.out"
    local s15 s29 smin smax
    s15=$(awk -v k="$SCALE" 'BEGIN { printf "%.3f", 15 / k }')
    s29=$(awk -v k="$SCALE" 'BEGIN { printf "%.3f", 29 / k }')
    smin=$(awk -v k="$SCALE" 'BEGIN { v = 1 / k; printf "%.3f", (v < 0.2 ? 0.2 : v) }')
    smax=$(awk -v k="$SCALE" 'BEGIN { printf "%.3f", 600 / k }')
    local common=(--server "$SRV_IP:3478" --json)
    e2e_spawn "$name-auto" ip netns exec "$NS_DEV" "$NATKEEP" keep "${common[@]}" --device auto --key-file "$dir/auto.key" \
        --interval auto --min-interval "$smin" --max-interval "$smax"
    e2e_spawn "$name-fixed15" ip netns exec "$NS_DEV" "$NATKEEP" keep "${common[@]}" --device fixed15 \
        --key-file "$dir/fixed15.key" --interval "$s15"
    e2e_spawn "$name-fixed29" ip netns exec "$NS_DEV" "$NATKEEP" keep "${common[@]}" --device fixed29 \
        --key-file "$dir/fixed29.key" --interval "$s29"
    for d in auto fixed15 fixed29; do wait_until 5 grep -q mapping.ok "$E2E_TMP/$name-$d.out"; done
    local ports=()
    for d in auto fixed15 fixed29; do
        ports+=("$(grep mapping.ok "$E2E_TMP/$name-$d.out" | head -1 | jq -r .local_port)")
    done
    echo "scenario $name: NAT udp timeout ${t_udp}s, stream ${t_stream}s (scale $SCALE); running $MINUTES min..." >&2
    # Sample the NAT's conntrack table: is each device's hole open?
    timeout $((MINUTES * 60 + 30)) ip netns exec "$NS_NAT" python3 - "$((MINUTES * 60))" "$DEV_IP" "${ports[@]}" \
        >"$dir/open.json" <<'PY'
import subprocess, sys, time, json
secs, dev, ports = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
seen = {p: 0 for p in ports}
n = 0
end = time.monotonic() + secs
while time.monotonic() < end:
    out = subprocess.run(["conntrack", "-L", "-p", "udp"], capture_output=True, text=True).stdout
    for p in ports:
        if f"src={dev} dst=" in out and f"sport={p} " in out:
            seen[p] += 1
    n += 1
    time.sleep(0.5)
print(json.dumps({p: seen[p] / max(n, 1) for p in ports}))
PY
    local pids
    mapfile -t pids <"$E2E_TMP/.pids"
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for d in auto fixed15 fixed29; do wait_until 5 grep -q keep.stopped "$E2E_TMP/$name-$d.out" || true; done
    local result="{}" i=0 sent per_hour open changed
    for d in auto fixed15 fixed29; do
        sent=$(grep keep.stopped "$E2E_TMP/$name-$d.out" | jq .keepalives)
        per_hour=$(awk -v s="$sent" -v m="$MINUTES" -v k="$SCALE" 'BEGIN { printf "%.0f", s * 60 / (m * k) }')
        open=$(jq -r --arg p "${ports[$i]}" '.[$p]' "$dir/open.json")
        changed=$(grep -c mapping.changed "$E2E_TMP/$name-$d.out" || true)
        result=$(jq -c --arg d "$d" --argjson sent "$sent" --argjson ph "$per_hour" --argjson open "$open" \
            --argjson ch "$changed" '. + {($d): {requests: $sent, per_hour: $ph, open_share: $open, mapping_changes: $ch}}' \
            <<<"$result")
        i=$((i + 1))
    done
    local measured
    measured=$(grep lifetime.measured "$E2E_TMP/$name-auto.out" | tail -1 | jq -c '{lower_ms, upper_ms, interval_ms}' || echo null)
    local trials
    trials=$(grep lifetime.trial "$E2E_TMP/$name-auto.out" | jq -cs 'map([.idle_ms, .alive])' || echo '[]')
    jq -c --arg name "$name" --argjson udp "$udp" --argjson stream "$stream" --argjson m "${measured:-null}" \
        --argjson k "$SCALE" --argjson trials "$trials" '{scenario: $name, udp_timeout_s: $udp, stream_timeout_s: $stream,
          scale: $k, auto_measured_scaled: $m, auto_trials_scaled: $trials} + .' <<<"$result"
}

RESULTS=()
case $SCENARIO in
    linux) RESULTS+=("$(run_scenario linux 30 120)") ;;
    strict) RESULTS+=("$(run_scenario strict 30 30)") ;;
    both) RESULTS+=("$(run_scenario linux 30 120)" "$(run_scenario strict 30 30)") ;;
    *) echo "natkeep_keep.sh: --scenario linux|strict|both" >&2; exit 2 ;;
esac

printf '\nnatkeep keep behind a Linux NAT (nf_conntrack_udp_timeout 30 s), %s min at scale %s = %s min of NAT time\n' \
    "$MINUTES" "$SCALE" "$((MINUTES * SCALE))"
printf '%-8s %-10s %12s %14s %10s %14s\n' scenario interval "requests/h" "vs 15 s" "hole open" "mapping chg"
for r in "${RESULTS[@]}"; do
    base=$(jq .fixed15.per_hour <<<"$r")
    for d in auto fixed15 fixed29; do
        jq -r --arg d "$d" --argjson b "$base" \
            '[.scenario, $d, .[$d].per_hour, ((.[$d].per_hour / $b * 100 | floor | tostring) + " %"),
              ((.[$d].open_share * 100 | floor | tostring) + " %"), .[$d].mapping_changes] | @tsv' <<<"$r" |
            awk -F'\t' '{ printf "%-8s %-10s %12s %14s %10s %14s\n", $1, $2, $3, $4, $5, $6 }'
    done
done
printf '%s\n' "${RESULTS[@]}" | jq -cs '{bench: "natkeep_keep", target: "auto per_hour <= 50 % of fixed15", results: .}'
