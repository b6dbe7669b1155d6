# shellcheck shell=bash
# worgw (the wake-on-ring gateway) and its peers for the e2e suites and the bench.
# Needs lib/common, lib/kamailio and lib/sipp (load them first) and e2e_setup.
#
#   require_worgw                  skip unless $SIPWAKE_BIN/worgw is built
#   worgw_cli ARGS...              an admin command (subscriber, allow, deny, rules, calls)
#                                  with the test's state dir, bounded in time
#   worgw_add NAME PASSWORD [subscriber add options...]
#                                  subscriber NAME, AOR sip:NAME@$KAM_DOMAIN at Kamailio
#                                  (call after kamailio_start); password via WORGW_PASSWORD
#   worgw_start [run options...]   `worgw run --json` on 127.0.0.1:$WORGW_PORT (a free port,
#                                  kept across restarts); waits for gateway.started. Sets
#                                  WORGW_PID, WORGW_OUT (events), WORGW_ADDR (HOST:PORT).
#                                  WORGW_IP (default 127.0.0.1) and WORGW_NAME (default
#                                  worgw: output $E2E_TMP/NAME.out) choose the rest.
#   worgw_stop                     SIGTERM, wait for the exit (returns its status)
#   worgw_count EVENT              how many EVENT events worgw printed so far
#   worgw_wait EVENT [N] [TIMEOUT] wait until there are N (1) EVENT events
#   worgw_event EVENT [N]          print the N-th (1) EVENT line (JSON)
#   worgw_event_names              the event names in order, one a line
#   fake_worsend_start MODE        a stand-in for worsend's wake socket (the contract of
#                                  DESIGN.md / issue 5): MODE ok (confirm every wake),
#                                  fail (refuse it), silent (never answer). Sets
#                                  WORSEND_SOCK; every request line goes to WORSEND_LOG.
#   have_worsend                   true when $SIPWAKE_BIN/worsend is built
#   worsend_cli ARGS...            worsend with the test's database (WORSEND_DB)
#   worsend_start [serve options...]
#                                  the real worsend on unix:$E2E_TMP/worsend.sock (add its
#                                  devices first with worsend_cli device add); sets
#                                  WORSEND_SOCK, WORSEND_PID; waits for serve.started
#   gw_device_start [NAME PASSWORD [sipp args...]]
#                                  the phone: SIPp REGISTERs (digest) to worgw and answers
#                                  relayed INVITEs (device_register + device_uas); sets
#                                  DEVICE_PORT DEVICE_PID DEVICE_TRACE; waits for the
#                                  device.online event. GW_DEVICE_HOLD_MS (30000): how
#                                  long it stays logged in; GW_DEVICE_CONTACT=HOST:PORT
#                                  registers that Contact instead of its own address;
#                                  GW_DEVICE_UAS names the answering scenario (device_uas).
#   gw_device_stop                 stop it (the phone dies; worgw still holds its binding)
#   gw_device_count METHOD         requests of METHOD the device received
#   gw_device_requests METHOD      those requests, "----" between them
#   gw_call_spawn NAME SCENARIO CALLER [sipp args...]
#                                  a SIPp caller (scenario gw_*.xml) to rabbit@$KAM_DOMAIN
#                                  through Kamailio in the background; sets CALL_PID; its
#                                  trace is $E2E_TMP/NAME-msgs.log
#   gw_call NAME SCENARIO CALLER [sipp args...]   the same in the foreground (for `run`)
#   gw_final_codes NAME            final status codes the caller NAME received, one a line
#   gw_sip ADDR TEXT|-             send one raw datagram to ADDR (HOST:PORT) from a fresh
#                                  socket, print the status line of every response
#                                  until a final one, or for GW_SIP_WAIT (1.5 s)
#   gw_sip_auth ADDR METHOD TO_USER AUTH_USER PASSWORD [BODY]
#                                  a MESSAGE/REGISTER with digest on challenge; prints
#                                  "GOT <status line>" per final response and then the
#                                  body of the last one

require_worgw() {
    [[ -x $SIPWAKE_BIN/worgw ]] || skip "worgw not built ($SIPWAKE_BIN/worgw missing)"
}

_worgw_state() {
    export SIPWAKE_STATE_DIR="${SIPWAKE_STATE_DIR_OVERRIDE:-$E2E_TMP/state}"
    mkdir -p "$SIPWAKE_STATE_DIR"
}

worgw_cli() {
    _worgw_state
    timeout 20 "$SIPWAKE_BIN/worgw" "$@"
}

worgw_add() {
    local name=$1 pass=$2
    shift 2
    WORGW_PASSWORD=$pass worgw_cli subscriber add "$name" --aor "sip:$name@${KAM_DOMAIN:-example.com}" \
        --registrar "sip:${KAM_HOST:-127.0.0.1}:${KAM_PORT:?kamailio_start first}" "$@" >/dev/null
}

worgw_start() {
    require_worgw
    _worgw_state
    local name=${WORGW_NAME:-worgw} ip=${WORGW_IP:-127.0.0.1}
    WORGW_PORT=${WORGW_PORT:-$(free_port udp)}
    WORGW_ADDR="$ip:$WORGW_PORT"
    WORGW_OUT="$E2E_TMP/$name.out"
    e2e_spawn "$name" ${WORGW_NETNS:+ip netns exec "$WORGW_NETNS"} "$SIPWAKE_BIN/worgw" run \
        --listen "udp:$WORGW_ADDR" --json "$@"
    WORGW_PID=$E2E_LAST_PID
    export WORGW_PORT WORGW_ADDR WORGW_OUT WORGW_PID
    if ! wait_until 10 grep -q '"event":"gateway.started"' "$WORGW_OUT"; then
        echo "worgw did not start:" >&2
        tail -n 20 "$E2E_TMP/$name.err" >&2
        return 1
    fi
}

worgw_stop() {
    [[ -n ${WORGW_PID:-} ]] || return 0
    local rc=0
    e2e_stop "$WORGW_PID" TERM 10 || rc=$?
    WORGW_PID=
    return "$rc"
}

worgw_count() {
    grep -c "\"event\":\"$1\"" "${2:-$WORGW_OUT}" 2>/dev/null || true
}

worgw_wait() {
    local ev=$1 n=${2:-1} t=${3:-10}
    wait_until "$t" _worgw_has "$ev" "$n"
}

_worgw_has() {
    (($(worgw_count "$1") >= $2))
}

worgw_event() {
    grep "\"event\":\"$1\"" "$WORGW_OUT" | sed -n "${2:-1}p"
}

worgw_event_names() {
    jq -r .event "$WORGW_OUT"
}

fake_worsend_start() {
    local mode=${1:-ok}
    WORSEND_SOCK="$E2E_TMP/fake-worsend.sock"
    WORSEND_LOG="$E2E_TMP/fake-worsend.log"
    : >"$WORSEND_LOG"
    cat >"$E2E_TMP/fake-worsend.py" <<'PY'
import json, os, socket, sys, threading
path, mode, log = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(8)
print("ready", flush=True)
def serve(conn):
    buf = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            with open(log, "a") as f:
                f.write(line.decode() + "\n")
            try:
                req = json.loads(line)
            except ValueError:
                conn.sendall(b'{"id":null,"ok":false,"error":"malformed"}\n')
                continue
            if req.get("op") != "wake":
                conn.sendall((json.dumps({"id": req.get("id"), "ok": True}) + "\n").encode())
            elif mode == "ok":
                conn.sendall((json.dumps({"id": req["id"], "ok": True, "via": "stub"}) + "\n").encode())
            elif mode == "fail":
                conn.sendall((json.dumps({"id": req["id"], "ok": False, "error": "stub refuses"}) + "\n").encode())
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
    e2e_spawn fake-worsend timeout 300 python3 -u "$E2E_TMP/fake-worsend.py" "$WORSEND_SOCK" "$mode" "$WORSEND_LOG"
    wait_until 5 grep -q ready "$E2E_TMP/fake-worsend.out"
    export WORSEND_SOCK WORSEND_LOG
}

have_worsend() {
    [[ -x $SIPWAKE_BIN/worsend ]]
}

worsend_cli() {
    WORSEND_DB="$E2E_TMP/worsend.db"
    local sub=$1
    shift
    if [[ $sub == device || $sub == log ]]; then
        timeout 10 "$SIPWAKE_BIN/worsend" "$sub" "$@" --db "$WORSEND_DB"
    else
        timeout 10 "$SIPWAKE_BIN/worsend" "$sub" "$@"
    fi
}

worsend_start() {
    have_worsend || skip "worsend not built ($SIPWAKE_BIN/worsend missing)"
    WORSEND_DB="$E2E_TMP/worsend.db"
    WORSEND_SOCK="$E2E_TMP/worsend.sock"
    e2e_spawn worsend "$SIPWAKE_BIN/worsend" serve --db "$WORSEND_DB" --listen "unix:$WORSEND_SOCK" --json "$@"
    WORSEND_PID=$E2E_LAST_PID
    export WORSEND_DB WORSEND_SOCK WORSEND_PID
    wait_until 5 grep -q '"serve.started"' "$E2E_TMP/worsend.out"
}

gw_device_start() {
    require_sipp
    local name=${1:-rabbit} pass=${2:-carrot}
    if (($# >= 2)); then shift 2; else shift $#; fi
    local ip=${DEVICE_IP:-127.0.0.1}
    DEVICE_PORT=$(free_port udp)
    DEVICE_TRACE="$E2E_TMP/device-$DEVICE_PORT-msgs.log"
    local before
    before=$(worgw_count device.online)
    local reg=(-sf "$E2E_SCENARIOS/device_register.xml")
    [[ -n ${GW_DEVICE_CONTACT:-} ]] &&
        reg=(-sf "$E2E_SCENARIOS/gw_device_register.xml" -key contact "$GW_DEVICE_CONTACT")
    setsid ${DEVICE_NETNS:+ip netns exec "$DEVICE_NETNS"} sipp "$WORGW_ADDR" \
        "${reg[@]}" -oocsf "$E2E_SCENARIOS/${GW_DEVICE_UAS:-device_uas}.xml" \
        -s "$name" -au "$name" -ap "$pass" -key expires 60 -d "${GW_DEVICE_HOLD_MS:-30000}" \
        -i "$ip" -p "$DEVICE_PORT" -m 1 -nostdin \
        -trace_msg -message_file "$DEVICE_TRACE" \
        -trace_err -error_file "$E2E_TMP/device-$DEVICE_PORT-errors.log" "$@" \
        </dev/null >"$E2E_TMP/device-$DEVICE_PORT.out" 2>&1 3>&- &
    DEVICE_PID=$!
    e2e_track "$DEVICE_PID"
    export DEVICE_PORT DEVICE_PID DEVICE_TRACE
    [[ ${GW_DEVICE_NOWAIT:-0} == 1 ]] && return 0
    worgw_wait device.online $((before + 1)) 10
}

gw_device_stop() {
    SIPP_UAS_PID=${DEVICE_PID:-} sipp_uas_stop
    DEVICE_PID=
}

gw_device_count() {
    SIPP_UAS_TRACE=$DEVICE_TRACE sipp_uas_received_count "$1"
}

gw_device_requests() {
    SIPP_UAS_TRACE=$DEVICE_TRACE sipp_uas_requests "$1"
}

_gw_call_args() {
    local name=$1 scen=$2 caller=$3
    shift 3
    local port
    port=$(free_port udp)
    GW_CALL_ARGS=(sipp "${GW_CALL_TARGET:-127.0.0.1:$KAM_PORT}" -sf "$E2E_SCENARIOS/${scen%.xml}.xml"
        -s "${GW_CALL_SERVICE:-rabbit}" -key domain "${KAM_DOMAIN:-example.com}" -key caller "$caller"
        -i "${GW_CALL_IP:-127.0.0.1}" -p "$port" -m 1 -nostdin -timeout "${GW_CALL_TIMEOUT:-25}s"
        -trace_msg -message_file "$E2E_TMP/$name-msgs.log"
        -trace_err -error_file "$E2E_TMP/$name-errors.log" "$@")
}

gw_call_spawn() {
    require_sipp
    local name=$1
    _gw_call_args "$@"
    e2e_spawn "$name" ${GW_CALL_NETNS:+ip netns exec "$GW_CALL_NETNS"} "${GW_CALL_ARGS[@]}"
    CALL_PID=$E2E_LAST_PID
    export CALL_PID
}

gw_call() {
    require_sipp
    local name=$1
    _gw_call_args "$@"
    timeout "$((${GW_CALL_TIMEOUT:-25} + 5))" ${GW_CALL_NETNS:+ip netns exec "$GW_CALL_NETNS"} \
        "${GW_CALL_ARGS[@]}" </dev/null >"$E2E_TMP/$name.out" 2>&1 3>&-
}

gw_final_codes() {
    SIPP_UAS_TRACE="$E2E_TMP/$1-msgs.log" _gw_codes
}

_gw_codes() {
    [[ -f $SIPP_UAS_TRACE ]] || return 0
    awk '/message received/ { rx = 1; next }
         /message sent/     { rx = 0; next }
         rx && $1 == "SIP/2.0" && $2 >= 200 { print $2; rx = 0 }' "$SIPP_UAS_TRACE"
}

gw_sip() {
    local addr=$1 text=$2
    [[ $text == - ]] && text=$(cat)
    timeout 10 python3 - "$addr" "${GW_SIP_WAIT:-1.5}" "$text" <<'PY'
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
wait, text = float(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((host if host.startswith("127.") else "", 0))
lhost, lport = s.getsockname()
text = text.replace("LOCAL", f"{lhost}:{lport}").replace("\r\n", "\n")
if text.startswith(("INVITE", "OPTIONS", "REGISTER", "MESSAGE")) and "\n\n" not in text:
    text = text.rstrip("\n") + "\n\n"
data = text.replace("\n", "\r\n")
s.sendto(data.encode(), (host, int(port)))
end = time.monotonic() + wait
while True:
    left = end - time.monotonic()
    if left <= 0:
        break
    s.settimeout(left)
    try:
        msg = s.recv(65535).decode(errors="replace")
    except socket.timeout:
        break
    first = msg.split("\r\n", 1)[0]
    print(first, flush=True)
    if first.startswith("SIP/2.0 ") and first[8:11].isdigit() and int(first[8:11]) >= 200:
        break
PY
}

gw_sip_auth() {
    timeout 15 python3 - "$E2E_LIB_DIR" "$@" <<'PY'
import os, socket, sys, time
sys.path.insert(0, sys.argv[1])
from sipcheck import digest_response, parse_params, parse_message, header
addr, method, to_user, auth_user, password = sys.argv[2:7]
body = sys.argv[7].replace("\\n", "\n") if len(sys.argv) > 7 else ""
host, port = addr.rsplit(":", 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((host if host.startswith("127.") else "", 0))
lhost, lport = s.getsockname()
uri = f"sip:{to_user}@{host}:{port}"
call_id = f"gwt-{os.getpid()}-{time.time_ns()}"
auth, cseq, last = None, 0, ""
for _ in range(3):
    cseq += 1
    lines = [f"{method} {uri} SIP/2.0",
             f"Via: SIP/2.0/UDP {lhost}:{lport};branch=z9hG4bKgwt{os.getpid()}x{cseq};rport",
             "Max-Forwards: 70", f"From: <sip:{to_user}@{host}>;tag=gwt{os.getpid()}",
             f"To: <sip:{to_user}@{host}>", f"Call-ID: {call_id}", f"CSeq: {cseq} {method}"]
    if method == "REGISTER":
        lines.append(f"Contact: <sip:{to_user}@{lhost}:{lport}>;expires=60")
    if auth:
        lines.append("Authorization: " + auth)
    if body:
        lines.append("Content-Type: text/plain")
    lines += [f"Content-Length: {len(body.encode())}", "", body]
    s.sendto("\r\n".join(lines).encode(), (host, int(port)))
    s.settimeout(3)
    while True:
        data = s.recv(65535).decode(errors="replace")
        first, hdrs = parse_message(data)
        if (header(hdrs, "cseq") or "").startswith(f"{cseq} ") and int(first.split()[1]) >= 200:
            break
    print("GOT " + first[8:], flush=True)
    last = data.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in data else ""
    if int(first.split()[1]) != 401 or auth:
        break
    ch = parse_params(header(hdrs, "www-authenticate"))
    alg = ch.get("algorithm", "MD5").upper()
    qop = "auth" if "auth" in ch.get("qop", "") else None
    nc, cnonce = "00000001", f"c{os.getpid():x}"
    resp = digest_response(alg, auth_user, ch["realm"], password, method, uri, ch["nonce"], qop, nc, cnonce)
    auth = (f'Digest username="{auth_user}", realm="{ch["realm"]}", nonce="{ch["nonce"]}", '
            f'uri="{uri}", response="{resp}", algorithm={alg}')
    if qop:
        auth += f', qop={qop}, nc={nc}, cnonce="{cnonce}"'
    if "opaque" in ch:
        auth += f', opaque="{ch["opaque"]}"'
sys.stdout.write(last)
PY
}
