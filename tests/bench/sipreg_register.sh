#!/usr/bin/env bash
# Registration throughput of sipreg against SIPp, both registering the same
# accounts with digest auth at the same Kamailio (loopback only).
#
#   1. Kamailio with N db_text users (user00000.., password pw-<user>), workers
#      sized for 2 cores; SIPp registers all N (REGISTER -> 401 -> REGISTER -> 200,
#      i.e. 2 transactions per account): transactions/s and wall time.
#   2. If $SIPWAKE_BIN/sipreg exists: fresh Kamailio, `sipreg register --accounts
#      FILE --once` for the same N accounts: wall time, transactions/s, peak RSS.
#   3. Long-running sipreg with short expiry for ~2 refresh periods: REGISTERs per
#      second after the first round (from register.sent events) -> max/avg
#      (1.0 = refreshes spread evenly; large = refresh storms).
# Prints a table and one JSON summary line (last line of stdout).
#
# Not part of the test suite. Bounded: every step has a timeout; whole run
# < 6 minutes with the defaults.
#
# Knobs: BENCH_ACCOUNTS=10000 BENCH_SIPP_RATE=5000 BENCH_SIPP_LIMIT=500
#        BENCH_REFRESH_EXPIRES=60 BENCH_REFRESH_PERIODS=2 BENCH_SIPREG_ARGS=""
#        SIPWAKE_BIN (default build/bin)  E2E_KEEP_TMP=1 keeps the logs
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The e2e helpers call `skip` when a peer is missing; here that ends the bench.
skip() {
    echo "bench skipped: $*" >&2
    exit 0
}
# shellcheck source=tests/e2e/lib/common.bash
source "$HERE/../e2e/lib/common.bash"
# shellcheck source=tests/e2e/lib/kamailio.bash
source "$HERE/../e2e/lib/kamailio.bash"

N=${BENCH_ACCOUNTS:-10000}
RATE=${BENCH_SIPP_RATE:-5000}
LIMIT=${BENCH_SIPP_LIMIT:-500}
REXP=${BENCH_REFRESH_EXPIRES:-60}
RPER=${BENCH_REFRESH_PERIODS:-2}
SIPREG="$SIPWAKE_BIN/sipreg"

require_cmd sipp
require_cmd python3
require_kamailio

e2e_setup
trap 'e2e_teardown' EXIT
export E2E_DUMP_LOGS=0
export KAM_DEBUG=1 KAM_CHILDREN=4 KAM_SHM_MB=256 KAM_MIN_EXPIRES=10 KAM_START_TIMEOUT=30

now_ms() { echo $(($(date +%s%N) / 1000000)); }
say() { echo "bench: $*" >&2; }

kamailio_add_bench_users "$N"

# ---- 1. SIPp
{
    echo SEQUENTIAL
    awk -v n="$N" -v d="$KAM_DOMAIN" 'BEGIN { for (i = 0; i < n; i++) {
        u = sprintf("user%05d", i)
        printf "%s;[authentication username=%s password=pw-%s];%s;\n", u, u, u, d } }'
} >"$E2E_TMP/users.csv"

kamailio_start
say "kamailio ready on 127.0.0.1:$KAM_PORT with $N users; SIPp registering"
cport=$(free_port udp)
t0=$(now_ms)
set +e
timeout 150 sipp -sf "$HERE/scenarios/register_auth_uac.xml" -inf "$E2E_TMP/users.csv" \
    -i 127.0.0.1 -p "$cport" -m "$N" -r "$RATE" -l "$LIMIT" -nostdin \
    -timeout 140 -trace_err -error_file "$E2E_TMP/sipp-errors.log" \
    "127.0.0.1:$KAM_PORT" </dev/null >"$E2E_TMP/sipp.out" 2>&1
sipp_rc=$?
set -e
t1=$(now_ms)
sipp_ms=$((t1 - t0))
sipp_ok=$(grep -a 'Successful call' "$E2E_TMP/sipp.out" | tail -n1 | awk -F'|' '{ gsub(/ /, "", $3); print $3 + 0 }')
sipp_failed=$(grep -a 'Failed call' "$E2E_TMP/sipp.out" | tail -n1 | awk -F'|' '{ gsub(/ /, "", $3); print $3 + 0 }')
sipp_bound=$(kamailio_aor_count)
say "SIPp rc=$sipp_rc ok=$sipp_ok failed=$sipp_failed in ${sipp_ms} ms; Kamailio holds $sipp_bound AORs"
kamailio_stop

sipreg_once_json=null
sipreg_refresh_json=null
if [[ -x $SIPREG ]]; then
    # ---- 2. sipreg --once, fresh Kamailio
    awk -v n="$N" -v d="$KAM_DOMAIN" 'BEGIN { for (i = 0; i < n; i++) {
        u = sprintf("user%05d", i)
        printf "{\"aor\":\"sip:%s@%s\",\"user\":\"%s\",\"password\":\"pw-%s\"}\n", u, d, u, u } }' \
        >"$E2E_TMP/accounts.jsonl"
    kamailio_start
    say "sipreg --once registering $N accounts"
    time_bin=/usr/bin/time
    [[ -x $time_bin ]] || { say "/usr/bin/time missing (apt-get install time); RSS not measured"; time_bin=""; }
    t0=$(now_ms)
    set +e
    # shellcheck disable=SC2086
    ${time_bin:+$time_bin -v -o "$E2E_TMP/once.time"} timeout 150 "$SIPREG" register \
        --registrar "sip:127.0.0.1:$KAM_PORT" --accounts "$E2E_TMP/accounts.jsonl" \
        --expires 3600 --once --json ${BENCH_SIPREG_ARGS:-} \
        </dev/null >"$E2E_TMP/once.jsonl" 2>"$E2E_TMP/once.err"
    once_rc=$?
    set -e
    t1=$(now_ms)
    once_ms=$((t1 - t0))
    once_sent=$(grep -c '"register.sent"' "$E2E_TMP/once.jsonl" || true)
    once_ok=$(grep -c '"register.ok"' "$E2E_TMP/once.jsonl" || true)
    once_rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$E2E_TMP/once.time" 2>/dev/null || true)
    once_bound=$(kamailio_aor_count)
    say "sipreg --once rc=$once_rc ok=$once_ok sent=$once_sent in ${once_ms} ms, peak RSS ${once_rss:-?} kB; Kamailio holds $once_bound AORs"
    [[ $once_rc == 0 ]] || tail -n 3 "$E2E_TMP/once.err" >&2
    sipreg_once_json=$(printf '{"rc":%d,"wall_ms":%d,"ok":%d,"transactions":%d,"tps":%s,"peak_rss_kb":%s,"bound":%d}' \
        "$once_rc" "$once_ms" "$once_ok" "$once_sent" \
        "$(awk -v s="$once_sent" -v ms="$once_ms" 'BEGIN { printf "%.1f", ms ? s * 1000 / ms : 0 }')" \
        "${once_rss:-null}" "$once_bound")
    kamailio_stop

    # ---- 3. long-running refresh, fresh Kamailio
    kamailio_start
    run_s=$((REXP * RPER + REXP / 5 + 5))
    say "sipreg long-running, expires $REXP s, for ${run_s} s"
    # shellcheck disable=SC2086
    e2e_spawn refresh "$SIPREG" register --registrar "sip:127.0.0.1:$KAM_PORT" \
        --accounts "$E2E_TMP/accounts.jsonl" --expires "$REXP" --json --keep ${BENCH_SIPREG_ARGS:-}
    rpid=$E2E_LAST_PID
    wait_until "$run_s" eval '! pid_alive '"$rpid" || true
    refresh_rss=$(awk '/^VmHWM/ { print $2 }' "/proc/$rpid/status" 2>/dev/null || true)
    refresh_rc=0
    e2e_stop "$rpid" TERM 20 || refresh_rc=$?
    sipreg_refresh_json=$(timeout 60 python3 - "$E2E_TMP/refresh.out" "$N" "${refresh_rss:-null}" "$refresh_rc" <<'PY'
import json, sys
from collections import Counter
from datetime import datetime
path, n, rss, rc = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
def t(ev):
    return datetime.strptime(ev["ts"].replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
sent, oks = [], []
for line in open(path, errors="replace"):
    try:
        ev = json.loads(line)
    except ValueError:
        continue
    if ev.get("event") == "register.sent":
        sent.append(t(ev))
    elif ev.get("event") == "register.ok":
        oks.append(t(ev))
oks.sort()
out = {"rc": rc, "peak_rss_kb": None if rss == "null" else int(rss), "register_ok": len(oks)}
if len(oks) >= n and sent:
    first_round_end = oks[n - 1]
    later = [s for s in sent if s > first_round_end]
    end = max(sent)
    if later:
        secs = Counter(int(s) for s in later)
        lo, hi = int(first_round_end) + 1, int(end)
        window = [secs.get(s, 0) for s in range(lo, hi + 1)] or [len(later)]
        avg = sum(window) / len(window)
        out.update({"first_round_s": round(first_round_end - min(sent), 3),
                    "window_s": len(window), "sent_after_first_round": len(later),
                    "max_per_s": max(window), "avg_per_s": round(avg, 1),
                    "max_avg_ratio": round(max(window) / avg, 2) if avg else None})
print(json.dumps(out))
PY
)
    say "refresh: $sipreg_refresh_json"
    kamailio_stop
else
    say "sipreg not built ($SIPREG): SIPp only"
fi

sipp_tx=$((2 * ${sipp_ok:-0}))
sipp_tps=$(awk -v s="$sipp_tx" -v ms="$sipp_ms" 'BEGIN { printf "%.1f", ms ? s * 1000 / ms : 0 }')
summary=$(timeout 20 python3 - "$N" "$sipp_rc" "$sipp_ms" "${sipp_ok:-0}" "${sipp_failed:-0}" "$sipp_tx" "$sipp_tps" \
    "$sipp_bound" "$sipreg_once_json" "$sipreg_refresh_json" <<'PY'
import json, sys
n, rc, ms, ok, failed, tx, tps, bound = sys.argv[1:9]
once, refresh = json.loads(sys.argv[9]), json.loads(sys.argv[10])
s = {"bench": "sipreg_register", "accounts": int(n),
     "sipp": {"rc": int(rc), "wall_ms": int(ms), "ok": int(ok), "failed": int(failed),
              "transactions": int(tx), "tps": float(tps), "bound": int(bound)},
     "sipreg_once": once, "sipreg_refresh": refresh}
s["ratio_sipreg_sipp_tps"] = round(once["tps"] / float(tps), 3) if once and float(tps) else None
s["ratio_sipreg_sipp_wall"] = round(once["wall_ms"] / int(ms), 3) if once and int(ms) else None
print(json.dumps(s))
PY
)

python3 - "$summary" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
rows = [("SIPp register (2 tx/account)", s["sipp"])]
if s["sipreg_once"]:
    rows.append(("sipreg --once --accounts", s["sipreg_once"]))
print(f'{"run":32} {"wall ms":>9} {"ok":>7} {"tx":>7} {"tx/s":>9} {"peak RSS kB":>12}')
for name, r in rows:
    print(f'{name:32} {r["wall_ms"]:>9} {r["ok"]:>7} {r["transactions"]:>7} {r["tps"]:>9} '
          f'{str(r.get("peak_rss_kb") or "-"):>12}')
ref = s["sipreg_refresh"]
if ref:
    print(f'sipreg refresh: {ref.get("sent_after_first_round", 0)} REGISTERs after the first round over '
          f'{ref.get("window_s", "-")} s; max {ref.get("max_per_s", "-")}/s, avg {ref.get("avg_per_s", "-")}/s, '
          f'max/avg {ref.get("max_avg_ratio", "-")}; peak RSS {ref.get("peak_rss_kb") or "-"} kB')
if s["ratio_sipreg_sipp_tps"] is not None:
    print(f'sipreg/SIPp throughput ratio: {s["ratio_sipreg_sipp_tps"]}')
PY
echo "$summary"
