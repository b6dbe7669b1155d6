#!/usr/bin/env bash
# worgw's figures (issue 5, "Figures"), loopback only, every step bounded (< 6 min
# with the defaults):
#
#   a. N subscribers proxy-logged in to Kamailio (db_text users user00000..): time from
#      gateway.started until all N upstream.registered events, bindings Kamailio holds,
#      and the refresh spread with --upstream-expires 60: REGISTERs per second (refresh
#      events) over one refresh period after the first round -> max/avg (1.0 = even).
#   b. N INVITEs held at once: SIPp calls each (asleep) subscriber straight at worgw,
#      the wake socket never answers (a silent stand-in for worsend), --wake-timeout
#      long. worgw's RSS (VmRSS/VmHWM) with all N held; then SIPp phones log all N in
#      (digest) and answer: call.connected / call.answered counts, SIPp caller results.
#   c. Gateway overhead: tcpdump on lo (capture filter: the gateway's port) while
#      OVH_N held calls are released by phones logging in at OVH_RATE/s; per call, the
#      time from the authenticated REGISTER arriving to the held INVITE leaving,
#      p50/p99/max. The same for Kamailio (registrar + auth_db + tsilo: ts_store on the
#      INVITE of an offline user, parked on a silent UDP sink so the transaction lives,
#      ts_append on REGISTER) in the same topology and run. uac_reg is left out: the
#      upstream login is not on this path.
#   Part b runs worgw with --dead-binding-timeout 30000: one SIPp answering thousands
#   of relayed INVITEs on a busy machine can take longer than the 2 s default, and this
#   part counts releases, not dead-binding recovery (the e2e tests cover that).
#
# Prints a table and one JSON summary line (the last line of stdout).
# Knobs: BENCH_SUBSCRIBERS=10000 BENCH_UPSTREAM_EXPIRES=60 BENCH_CALL_RATE=1000
#        BENCH_DEVICE_RATE=500 BENCH_OVERHEAD_CALLS=1000 BENCH_OVERHEAD_RATE=100
#        BENCH_PARTS="a b c"  SIPWAKE_BIN (default build/bin)  E2E_KEEP_TMP=1
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
skip() {
    echo "bench skipped: $*" >&2
    exit 0
}
# shellcheck source=tests/e2e/lib/common.bash
source "$HERE/../e2e/lib/common.bash"
# shellcheck source=tests/e2e/lib/kamailio.bash
source "$HERE/../e2e/lib/kamailio.bash"
# shellcheck source=tests/e2e/lib/sipp.bash
source "$HERE/../e2e/lib/sipp.bash"
# shellcheck source=tests/e2e/lib/worgw.bash
source "$HERE/../e2e/lib/worgw.bash"

N=${BENCH_SUBSCRIBERS:-10000}
REXP=${BENCH_UPSTREAM_EXPIRES:-60}
CALL_RATE=${BENCH_CALL_RATE:-1000}
DEV_RATE=${BENCH_DEVICE_RATE:-500}
OVH_N=${BENCH_OVERHEAD_CALLS:-1000}
OVH_RATE=${BENCH_OVERHEAD_RATE:-100}
PARTS=${BENCH_PARTS:-a b c}

require_worgw
require_sipp
require_cmd python3
require_cmd sqlite3 "seeds the subscriber table"
require_kamailio

e2e_setup
BENCH_TCPDUMP_PID=
cleanup() {
    [[ -n $BENCH_TCPDUMP_PID ]] && kill -TERM "$BENCH_TCPDUMP_PID" 2>/dev/null
    worgw_stop >/dev/null 2>&1 || true
    e2e_teardown
}
trap cleanup EXIT
export E2E_DUMP_LOGS=0
export KAM_DEBUG=1 KAM_CHILDREN=4 KAM_SHM_MB=256 KAM_MIN_EXPIRES=10 KAM_START_TIMEOUT=30

say() { echo "bench: $*" >&2; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
vm() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo null; }
# Lines of FILE that carry EVENT and (optionally) a literal fragment.
count_ev() { grep "\"event\":\"$2\"" "$1" 2>/dev/null | grep -c -- "${3:-}" || true; }
enough() { (($(count_ev "$1" "$2" "${4:-}") >= $3)); }
sipp_stat() { grep -a "$2" "$1" 2>/dev/null | tail -n1 | awk -F'|' '{ gsub(/ /, "", $3); print $3 + 0 }'; }

# users.csv (caller: field0 = subscriber) and phones.csv (field0 user, field1 SIPp's
# [authentication ...] keyword with that user's password).
make_csv() {
    local n=$1
    awk -v n="$n" 'BEGIN { print "SEQUENTIAL"; for (i = 0; i < n; i++) printf "user%05d;\n", i }' \
        >"$E2E_TMP/users-$n.csv"
    awk -v n="$n" 'BEGIN { print "SEQUENTIAL"; for (i = 0; i < n; i++) printf "user%05d;[authentication username=user%05d password=pw-user%05d];\n", i, i, i }' \
        >"$E2E_TMP/phones-$n.csv"
}

# seed_subscribers DIR N REGISTRAR on|off: a worgw database with user00000.. (password
# pw-<name>, AOR sip:<name>@example.com). The first through `worgw subscriber add`
# (which creates the schema); the rest in one SQL transaction, because the admin
# command costs ~6 ms a call (a minute for 10,000).
seed_subscribers() {
    local dir=$1 n=$2 registrar=$3 pl=$4
    export SIPWAKE_STATE_DIR_OVERRIDE=$dir
    WORGW_PASSWORD=pw-user00000 worgw_cli subscriber add user00000 --aor sip:user00000@example.com \
        --registrar "$registrar" --proxy-login "$pl" >/dev/null
    local flag=1
    [[ $pl == on ]] || flag=0
    ((n > 1)) || return 0
    timeout 60 sqlite3 "$dir/worgw.db" "PRAGMA busy_timeout = 5000;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $((n - 1)))
INSERT INTO subscriber (name, aor, registrar, auth_user, password, device_id, proxy_login, mode,
                        voicemail, default_policy, created_at, updated_at)
SELECT printf('user%05d', i), printf('sip:user%05d@example.com', i), '$registrar', printf('user%05d', i),
       printf('pw-user%05d', i), '', $flag, 'default', '', 'allow', strftime('%s', 'now'), strftime('%s', 'now')
FROM c;" >/dev/null
    local got
    got=$(worgw_cli subscriber list --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
    [[ $got == "$n" ]] || { say "seeded $got subscribers, not $n"; return 1; }
}

make_csv "$N"
part_a=null part_b=null part_c=null

# ---------------------------------------------------------------- a. proxy login
if [[ " $PARTS " == *" a "* ]]; then
    kamailio_add_bench_users "$N"
    kamailio_start
    seed_subscribers "$E2E_TMP/state-a" "$N" "sip:127.0.0.1:$KAM_PORT" on
    say "a: $N subscribers, Kamailio on $KAM_PORT; worgw logging them in (expires $REXP s)"
    WORGW_PORT='' WORGW_NAME=worgw-a worgw_start --upstream-expires "$REXP"
    out_a=$WORGW_OUT
    wait_until 90 enough "$out_a" upstream.registered "$N" '"refresh":false' || say "a: not all registered in 90 s"
    bound_a=$(kamailio_aor_count)
    # The measurement window: one whole refresh period after the first round.
    sleep "$REXP"
    rss_a=$(vm "$WORGW_PID" VmRSS) hwm_a=$(vm "$WORGW_PID" VmHWM)
    worgw_stop || true
    kamailio_stop
    part_a=$(timeout 60 python3 - "$out_a" "$N" "$bound_a" "$rss_a" "$hwm_a" <<'PY'
import json, sys
from collections import Counter
from datetime import datetime
path, n, bound, rss, hwm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
t = lambda e: datetime.fromisoformat(e["ts"].replace("Z", "+00:00")).timestamp()
start, first, refresh, failed = None, [], [], 0
for line in open(path, errors="replace"):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    ev = e.get("event")
    if ev == "gateway.started":
        start = t(e)
    elif ev == "upstream.registered":
        (refresh if e.get("refresh") else first).append(t(e))
    elif ev == "upstream.failed":
        failed += 1
first.sort()
out = {"subscribers": n, "registered": len(first), "kamailio_aors": bound, "upstream_failed_events": failed,
       "rss_kb": None if rss == "null" else int(rss), "hwm_kb": None if hwm == "null" else int(hwm)}
if start and first:
    out["all_registered_s"] = round(first[-1] - start, 3) if len(first) >= n else None
    out["first_register_s"] = round(first[0] - start, 3)
if refresh and first:
    lo, hi = int(first[-1]) + 1, int(max(refresh)) - 1
    per = Counter(int(x) for x in refresh)
    window = [per.get(s, 0) for s in range(lo, hi + 1)]
    if window:
        avg = sum(window) / len(window)
        out.update({"refreshes": len(refresh), "window_s": len(window), "refresh_max_per_s": max(window),
                    "refresh_avg_per_s": round(avg, 1),
                    "refresh_max_avg": round(max(window) / avg, 2) if avg else None})
        # Without the catch-up right after the first round (slots that fell due while
        # the first REGISTERs were still in flight).
        steady = window[3:]
        if steady:
            savg = sum(steady) / len(steady)
            out.update({"steady_max_per_s": max(steady), "steady_avg_per_s": round(savg, 1),
                        "steady_max_avg": round(max(steady) / savg, 2) if savg else None})
print(json.dumps(out))
PY
)
    say "a: $part_a"
fi

# ---------------------------------------------------------------- b. held INVITEs
# The phones: one SIPp logs in many subscribers and answers what worgw relays. Its
# call limit counts the paused logins and the answering (out-of-call) calls together.
start_phones() {  # NAME CSV N RATE
    local port
    port=$(free_port udp)
    e2e_spawn "$1" sipp "$WORGW_ADDR" -sf "$HERE/worgw_devices.xml" -oocsf "$E2E_SCENARIOS/device_uas.xml" \
        -inf "$2" -m "$3" -r "$4" -l $((2 * $3 + 100)) -d 60000 -i 127.0.0.1 -p "$port" -nostdin \
        -trace_err -error_file "$E2E_TMP/$1-errors.log"
}
start_callers() {  # NAME CSV N RATE
    local port
    port=$(free_port udp)
    e2e_spawn "$1" sipp "$WORGW_ADDR" -sf "$HERE/worgw_caller.xml" -inf "$2" -m "$3" -r "$4" \
        -l $(($3 + 10)) -i 127.0.0.1 -p "$port" -nostdin -timeout 200 \
        -trace_err -error_file "$E2E_TMP/$1-errors.log"
}

if [[ " $PARTS " == *" b "* ]]; then
    seed_subscribers "$E2E_TMP/state-b" "$N" "sip:127.0.0.1:9" off
    fake_worsend_start silent
    # A phone SIPp answering thousands of relayed INVITEs on a busy machine may take
    # longer than the 2 s dead-binding bound; this part counts releases, not that.
    WORGW_PORT='' WORGW_NAME=worgw-b worgw_start --worsend "unix:$WORSEND_SOCK" --wake-timeout 240 \
        --dead-binding-timeout 30000
    out_b=$WORGW_OUT
    rss_idle=$(vm "$WORGW_PID" VmRSS)
    say "b: $N calls at $CALL_RATE/s to asleep subscribers (worgw idle RSS ${rss_idle} kB)"
    t0=$(now_ms)
    start_callers callers-b "$E2E_TMP/users-$N.csv" "$N" "$CALL_RATE"
    callers_b=$E2E_LAST_PID
    wait_until 60 enough "$out_b" wake.requested "$N" || say "b: not all $N calls held"
    held_ms=$(($(now_ms) - t0))
    held=$(count_ev "$out_b" wake.requested)
    rss_held=$(vm "$WORGW_PID" VmRSS) hwm_held=$(vm "$WORGW_PID" VmHWM)
    say "b: $held held after ${held_ms} ms; RSS ${rss_held} kB (peak ${hwm_held} kB); phones logging in at $DEV_RATE/s"
    t0=$(now_ms)
    start_phones phones-b "$E2E_TMP/phones-$N.csv" "$N" "$DEV_RATE"
    wait_until 90 enough "$out_b" call.answered "$N" || say "b: not all calls answered in 90 s"
    released_ms=$(($(now_ms) - t0))
    wait_until 30 eval '! pid_alive '"$callers_b" || true
    e2e_stop "$callers_b" TERM 10 || true
    hwm_b=$(vm "$WORGW_PID" VmHWM)
    part_b=$(printf '{"calls":%d,"held":%d,"held_after_ms":%d,"rss_idle_kb":%s,"rss_held_kb":%s,"hwm_held_kb":%s,"hwm_end_kb":%s,"released_ms":%d,"device_online":%d,"call_connected":%d,"call_answered":%d,"call_unavailable":%d,"binding_dead":%d,"caller_ok":%d,"caller_failed":%d}' \
        "$N" "$held" "$held_ms" "$rss_idle" "$rss_held" "$hwm_held" "$hwm_b" "$released_ms" \
        "$(count_ev "$out_b" device.online)" "$(count_ev "$out_b" call.connected)" \
        "$(count_ev "$out_b" call.answered)" "$(count_ev "$out_b" call.unavailable)" "$(count_ev "$out_b" binding.dead)" \
        "$(sipp_stat "$E2E_TMP/callers-b.out" 'Successful call')" "$(sipp_stat "$E2E_TMP/callers-b.out" 'Failed call')")
    say "b: $part_b"
    worgw_stop || true
fi

# ---------------------------------------------------------------- c. overhead
# capture_start PORT FILE / capture_stop: tcpdump on lo for one UDP port.
capture_start() {
    require_cmd tcpdump "packet timestamps (apt-get install tcpdump)"
    setsid tcpdump -i lo -n --immediate-mode -U -B 65536 -s 2048 -w "$2" "udp port $1" </dev/null >/dev/null \
        2>"$2.err" 3>&- &
    BENCH_TCPDUMP_PID=$!
    wait_until 10 grep -q 'listening on' "$2.err"
}
# tcpdump writes behind the traffic; stop it once its file has stopped growing, or
# the packets still queued for it are lost.
_capture_settled() {
    local now
    now=$(stat -c %s "$1")
    [[ $now == "$(cat "$1.size" 2>/dev/null)" ]] && return 0
    echo "$now" >"$1.size"
    return 1
}
capture_stop() {
    wait_until 20 eval 'sleep 0.4; _capture_settled "$1"' || say "capture still growing after 20 s"
    kill -INT "$BENCH_TCPDUMP_PID" 2>/dev/null || true
    wait "$BENCH_TCPDUMP_PID" 2>/dev/null || true
    BENCH_TCPDUMP_PID=
}
# overhead PCAP PORT: per subscriber, REGISTER-with-Authorization in -> INVITE out.
overhead() {
    timeout 60 python3 - "$1" "$2" <<'PY'
import json, re, struct, sys
path, port = sys.argv[1], int(sys.argv[2])
data = open(path, "rb").read()
magic = struct.unpack("<I", data[:4])[0]
endian, nano = ("<", False) if magic in (0xA1B2C3D4, 0xA1B23C4D) else (">", False)
nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
linktype = struct.unpack(endian + "I", data[20:24])[0]
pos, reg, inv, seen = 24, {}, {}, {"register": 0, "invite_out": 0}
while pos + 16 <= len(data):
    sec, frac, incl, _ = struct.unpack(endian + "IIII", data[pos:pos + 16])
    pkt = data[pos + 16:pos + 16 + incl]
    pos += 16 + incl
    ts = sec + frac / (1e9 if nano else 1e6)
    off = 14 if linktype == 1 else 16 if linktype == 113 else 0
    if len(pkt) < off + 28 or pkt[off] >> 4 != 4:
        continue
    ihl = (pkt[off] & 15) * 4
    sport, dport = struct.unpack("!HH", pkt[off + ihl:off + ihl + 4])
    payload = pkt[off + ihl + 8:].decode(errors="replace")
    if dport == port and payload.startswith("REGISTER ") and re.search(r"(?im)^Authorization:", payload):
        m = re.search(r"(?im)^(?:To|t):[^\n]*?sips?:([^@;>]+)@", payload)
        if m:
            seen["register"] += 1
            reg.setdefault(m.group(1), (ts, sport))
    elif sport == port and payload.startswith("INVITE "):
        m = re.match(r"INVITE sips?:([^@;>]+)@", payload)
        if m:
            seen["invite_out"] += 1
            inv.setdefault(m.group(1), []).append((ts, dport))
# Per user: the first INVITE that left for the port the authenticated REGISTER came
# from, after it (Kamailio also sends INVITEs to its parking sink).
d = []
for u, (rts, rport) in reg.items():
    after = [t for t, p in inv.get(u, []) if p == rport and t >= rts]
    if after:
        d.append((min(after) - rts) * 1e6)
d.sort()
q = lambda p: round(d[min(len(d) - 1, int(p * len(d)))], 1) if d else None
print(json.dumps({"registers": len(reg), "pairs": len(d), "p50_us": q(0.5), "p90_us": q(0.9), "p99_us": q(0.99),
                  "max_us": round(d[-1], 1) if d else None}))
PY
}

# Kamailio as the gateway: registrar with digest, tsilo holds INVITEs for offline users.
kamailio_tsilo_start() {
    local cfg="$E2E_TMP/kamailio-tsilo.cfg" run="$E2E_TMP/kamrun-tsilo" mods
    KAM_CFG=$cfg
    mods=$(kamailio_module_dir)
    [[ -f $mods/tsilo.so ]] || return 1
    mkdir -p "$run"
    KAM_PORT=$(free_port both)
    KAM_CTL="$run/ctl.sock"
    cat >"$cfg" <<CFG
#!KAMAILIO
debug=1
log_stderror=yes
children=4
auto_aliases=no
dns=no
rev_dns=no
listen=udp:127.0.0.1:$KAM_PORT
alias="127.0.0.1:$KAM_PORT"
mpath="$mods/"
loadmodule "kex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "ctl.so"
loadmodule "db_text.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
loadmodule "tsilo.so"
modparam("ctl", "binrpc", "unix:$KAM_CTL")
modparam("usrloc", "db_mode", 0)
modparam("usrloc", "use_domain", 1)
modparam("registrar", "min_expires", 10)
modparam("auth_db", "db_url", "text://$KAM_DB")
modparam("auth_db", "calculate_ha1", yes)
modparam("auth_db", "password_column", "password")
modparam("auth_db", "use_domain", 1)
modparam("auth", "secret", "sipwake-bench-secret")
modparam("tm", "fr_inv_timer", 240000)
modparam("tm", "max_inv_lifetime", 300000)

request_route {
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (has_totag()) {
        # Branches tsilo appends carry no Record-Route: in-dialog requests then come
        # without Route and go on by their Request-URI (the phone's contact).
        if (loose_route() || (is_method("ACK") && t_check_trans()) || uri != myself) { t_relay(); exit; }
        if (!is_method("ACK")) sl_send_reply("404", "Not here");
        exit;
    }
    if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
    t_check_trans();
    if (is_method("REGISTER")) {
        if (!auth_check("\$td", "subscriber", "1")) { auth_challenge("\$td", "1"); exit; }
        consume_credentials();
        if (!save("location")) { sl_reply_error(); exit; }
        # The held INVITEs of this user go to the contact that just registered.
        ts_append("location", "\$tu");
        exit;
    }
    if (is_method("INVITE")) {
        record_route();
        if (lookup("location")) { t_relay(); exit; }
        # Offline: keep the transaction (tsilo) until the phone registers. A transaction
        # without a branch is released when the script ends, so the INVITE is parked on
        # a silent sink (as push setups do) with a long timer; ts_append adds the phone.
        t_newtran();
        ts_store();
        \$du = "sip:127.0.0.1:$BENCH_SINK_PORT";
        t_set_fr(240000, 240000);
        t_set_retr(60000, 60000);   # no retransmission storm towards the sink
        t_relay();
        exit;
    }
    sl_send_reply("405", "Method Not Allowed");
}
CFG
    setsid kamailio -DD -E -f "$cfg" -P "$run/pid" -Y "$run" -w "$run" -m 256 -M 16 \
        </dev/null >"$E2E_TMP/kamailio-tsilo.log" 2>&1 3>&- &
    KAM_PID=$!
    e2e_track "$KAM_PID"
    wait_until 20 eval 'pid_alive '"$KAM_PID"' && timeout 2 kamcmd -s "unix:'"$KAM_CTL"'" core.version'
}

# overhead_run LABEL PORT OUT_EVENTS|"" : held calls, capture, phones log in; prints JSON.
overhead_run() {
    local label=$1 port=$2 events=$3
    capture_start "$port" "$E2E_TMP/$label.pcap"
    start_callers "callers-$label" "$E2E_TMP/users-$OVH_N.csv" "$OVH_N" 500
    local callers=$E2E_LAST_PID
    if [[ -n $events ]]; then
        wait_until 45 enough "$events" wake.requested "$OVH_N" || say "c: $label: not all held"
    else
        wait_until 45 eval '(( $(grep -c "^held" "$E2E_TMP/sink.out") >= OVH_N ))' ||
            say "c: $label: fewer than $OVH_N INVITEs parked"
    fi
    start_phones "phones-$label" "$E2E_TMP/phones-$OVH_N.csv" "$OVH_N" "$OVH_RATE"
    wait_until 60 eval '! pid_alive '"$callers" || say "c: $label: callers still running after 60 s"
    e2e_stop "$callers" TERM 10 || true
    capture_stop "$E2E_TMP/$label.pcap"
    local ok failed
    ok=$(sipp_stat "$E2E_TMP/callers-$label.out" 'Successful call')
    failed=$(sipp_stat "$E2E_TMP/callers-$label.out" 'Failed call')
    overhead "$E2E_TMP/$label.pcap" "$port" |
        python3 -c 'import json, sys; d = json.load(sys.stdin); d.update(caller_ok=int(sys.argv[1] or 0), caller_failed=int(sys.argv[2] or 0)); print(json.dumps(d))' \
            "${ok:-0}" "${failed:-0}"
}

if [[ " $PARTS " == *" c "* ]]; then
    make_csv "$OVH_N"
    seed_subscribers "$E2E_TMP/state-c" "$OVH_N" "sip:127.0.0.1:9" off
    [[ -n ${WORSEND_SOCK:-} ]] || fake_worsend_start silent
    WORGW_PORT='' WORGW_NAME=worgw-c worgw_start --worsend "unix:$WORSEND_SOCK" --wake-timeout 240
    say "c: worgw: $OVH_N held calls, phones log in at $OVH_RATE/s, capture on port $WORGW_PORT"
    c_worgw=$(overhead_run worgw "$WORGW_PORT" "$WORGW_OUT")
    say "c: worgw $c_worgw"
    worgw_stop || true
    c_kam=null
    # Kamailio: the same users in the domain the phones register to (To: user@127.0.0.1).
    kamailio_add_bench_users "$OVH_N" 127.0.0.1
    # The sink: a UDP socket that logs each INVITE's Call-ID and never answers.
    BENCH_SINK_PORT=$(free_port udp)
    e2e_spawn sink timeout 300 python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
print("ready", flush=True)
seen = set()
while True:
    d = s.recv(65535).decode(errors="replace")
    for line in d.split("\r\n"):
        if d.startswith("INVITE ") and line.lower().startswith("call-id:") and line not in seen:
            seen.add(line)
            print("held", line[8:].strip(), flush=True)
' "$BENCH_SINK_PORT"
    wait_until 5 grep -q ready "$E2E_TMP/sink.out"
    if kamailio_tsilo_start; then
        WORGW_ADDR="127.0.0.1:$KAM_PORT"
        say "c: Kamailio tsilo on $KAM_PORT"
        c_kam=$(overhead_run kamailio "$KAM_PORT" "")
        say "c: kamailio $c_kam"
        kamailio_stop
    else
        say "c: Kamailio with tsilo did not start (see kamailio-tsilo.log)"
    fi
    part_c=$(printf '{"calls":%d,"phone_rate":%d,"worgw":%s,"kamailio_tsilo":%s}' "$OVH_N" "$OVH_RATE" "$c_worgw" "$c_kam")
fi

summary=$(printf '{"bench":"worgw","subscribers":%d,"proxy_login":%s,"held_invites":%s,"overhead":%s}' \
    "$N" "$part_a" "$part_b" "$part_c")
timeout 20 python3 - "$summary" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
def g(d, *k):
    for x in k:
        if not isinstance(d, dict) or d.get(x) is None:
            return "-"
        d = d[x]
    return d
a, b, c = s["proxy_login"], s["held_invites"], s["overhead"]
rows = [
    ("a. subscribers registered upstream", g(a, "registered"), ""),
    ("a. time to all registered (s)", g(a, "all_registered_s"), ""),
    ("a. Kamailio AORs bound", g(a, "kamailio_aors"), ""),
    ("a. refresh REGISTERs/s max / avg", f'{g(a, "refresh_max_per_s")} / {g(a, "refresh_avg_per_s")}',
     f'ratio {g(a, "refresh_max_avg")} (one period after the first round)'),
    ("a. same, from 3 s after the first round", f'{g(a, "steady_max_per_s")} / {g(a, "steady_avg_per_s")}',
     f'ratio {g(a, "steady_max_avg")}'),
    ("b. INVITEs held at once", g(b, "held"), f'of {g(b, "calls")}'),
    ("b. worgw RSS with all held (MB)", round(b["rss_held_kb"] / 1024, 1) if isinstance(b, dict) and b.get("rss_held_kb") else "-",
     "target < 100 MB"),
    ("b. worgw peak RSS, whole run (MB)", round(b["hwm_end_kb"] / 1024, 1) if isinstance(b, dict) and b.get("hwm_end_kb") else "-", ""),
    ("b. connected / answered after login", f'{g(b, "call_connected")} / {g(b, "call_answered")}', ""),
    ("b. SIPp callers ok / failed", f'{g(b, "caller_ok")} / {g(b, "caller_failed")}', ""),
    ("c. worgw REGISTER->INVITE p50/p99 (us)", f'{g(c, "worgw", "p50_us")} / {g(c, "worgw", "p99_us")}',
     f'{g(c, "worgw", "pairs")} pairs; target p99 < 1000'),
    ("c. Kamailio tsilo p50/p99 (us)", f'{g(c, "kamailio_tsilo", "p50_us")} / {g(c, "kamailio_tsilo", "p99_us")}',
     f'{g(c, "kamailio_tsilo", "pairs")} pairs'),
]
w = max(len(r[0]) for r in rows)
for r in rows:
    print(f"{r[0]:<{w}}  {str(r[1]):>14}  {r[2]}")
PY
echo "$summary"
