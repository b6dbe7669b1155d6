#!/usr/bin/env bats
# worsend with real peers on loopback: an HTTPS push server (python ssl, throwaway
# self-signed certificate), exec scripts, and clients on its unix socket.

load lib/common

setup() {
    e2e_setup
    WORSEND="$SIPWAKE_BIN/worsend"
    [[ -x $WORSEND ]] || skip "worsend not built ($WORSEND missing)"
    require_cmd python3
    export SIPWAKE_STATE_DIR="$E2E_TMP/state"
    DB="$E2E_TMP/worsend.db"
    SOCK="$E2E_TMP/worsend.sock"
    write_helpers
}

teardown() {
    e2e_teardown
}

write_helpers() {
    # client.py SOCK [--parallel] LINE...: sends each line (on one connection, or one
    # connection per line with --parallel, all at once) and prints every reply line.
    cat >"$E2E_TMP/client.py" <<'PY'
import json, socket, sys, threading
sock, args = sys.argv[1], sys.argv[2:]
parallel = args[:1] == ["--parallel"]
lines = args[1:] if parallel else args
out, lock = [], threading.Lock()

def talk(batch):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(sock)
    s.sendall("".join(l + "\n" for l in batch).encode())
    buf, got = b"", 0
    while got < len(batch):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            with lock:
                out.append(line.decode())
            got += 1
    s.close()

if parallel:
    ts = [threading.Thread(target=talk, args=([l],)) for l in lines]
    [t.start() for t in ts]
    [t.join() for t in ts]
else:
    talk(lines)
print("\n".join(out))
PY
    # push.py PORT CERT KEY LOG STATUS...: HTTPS server answering each POST with the next
    # status (the last one repeats), logging headers and body as one JSON line each.
    cat >"$E2E_TMP/push.py" <<'PY'
import http.server, json, ssl, sys
port, cert, key, log = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
statuses = [int(s) for s in sys.argv[5:]] or [201]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
        with open(log, "a") as f:
            f.write(json.dumps({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)}) + "\n")
        self.send_response(status)
        if status == 503:
            self.send_header("Retry-After", "0")
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
if cert != "-":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("ready", flush=True)
srv.serve_forever()
PY
}

# ws ARGS...: worsend against the test's database.
ws() { timeout 10 "$WORSEND" "$@" --db "$DB"; }

# client [--parallel] LINE...: send request lines to the running worsend's socket.
client() { timeout 30 python3 "$E2E_TMP/client.py" "$SOCK" "$@"; }

# wake_in_background ID CALL_ID: a wake for rabbit whose reply lands in $E2E_TMP/reply;
# returns once its attempt has started. Sets BG_CLIENT.
wake_in_background() {
    timeout 30 python3 "$E2E_TMP/client.py" "$SOCK" "{\"id\":\"$1\",\"op\":\"wake\",\"device\":\"rabbit\",\"call_id\":\"$2\"}" \
        >"$E2E_TMP/reply" 3>&- &
    BG_CLIENT=$!
    wait_until 5 grep -q '"event":"wake.attempt"' "$E2E_TMP/worsend.out"
}

start_worsend() {
    e2e_spawn worsend timeout 120 "$WORSEND" serve --db "$DB" --listen "unix:$SOCK" --json "$@"
    WORSEND_PID=$E2E_LAST_PID
    wait_until 5 grep -q '"serve.started"' "$E2E_TMP/worsend.out"
}

# make_cert: a throwaway self-signed certificate for 127.0.0.1 in the test's temp dir.
make_cert() {
    require_cmd openssl
    timeout 30 openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1" -keyout "$E2E_TMP/key.pem" -out "$E2E_TMP/cert.pem" 2>/dev/null
}

# start_push STATUS...: the HTTPS push server on a free port; sets PUSH_URL.
start_push() {
    local port
    port=$(free_port tcp)
    e2e_spawn push timeout 120 python3 "$E2E_TMP/push.py" "$port" "$E2E_TMP/cert.pem" "$E2E_TMP/key.pem" \
        "$E2E_TMP/push.log" "$@"
    wait_until 5 grep -q ready "$E2E_TMP/push.out"
    PUSH_URL="https://127.0.0.1:$port/up/capability-abc"
}

@test "http transport: an HTTPS push with TTL, Urgency and the bearer token wakes the device" {
    make_cert
    start_push 201
    printf 's3cret-token\n' >"$E2E_TMP/token"
    chmod 600 "$E2E_TMP/token"
    ws device add rabbit --http "$PUSH_URL" --token-file "$E2E_TMP/token"
    start_worsend --ca-file "$E2E_TMP/cert.pem"
    run client '{"id":"w1","op":"wake","device":"rabbit","caller":"sip:shark@example.net","call_id":"call-1","deadline_ms":20000}'
    assert_success
    echo "$output" | jq -e '.id == "w1" and .ok == true and .via == "http" and (.latency_ms | type == "number")'
    run jq -c . "$E2E_TMP/push.log"
    echo "$output" | jq -e '.path == "/up/capability-abc" and .headers.Urgency == "high" and (.headers.TTL | tonumber) >= 19
        and .headers.Authorization == "Bearer s3cret-token" and .body.device == "rabbit" and .body.caller == "sip:shark@example.net"'
    # The token and the URL's capability path appear nowhere in events or the audit trail.
    run ws log --json
    refute_output --partial "s3cret-token"
    refute_output --partial "capability-abc"
    run cat "$E2E_TMP/worsend.out" "$E2E_TMP/worsend.err"
    refute_output --partial "s3cret-token"
    refute_output --partial "capability-abc"
}

@test "http transport verifies the certificate: without --ca-file the self-signed server is refused" {
    make_cert
    start_push 201
    ws device add rabbit --http "$PUSH_URL"
    start_worsend --max-rounds 1
    run client '{"id":1,"op":"wake","device":"rabbit","deadline_ms":5000}'
    echo "$output" | jq -e '.ok == false and (.error | test("certificate"))'
    [[ ! -s $E2E_TMP/push.log ]]
}

@test "exec transport: the command gets the request in its environment and as JSON on stdin" {
    cat >"$E2E_TMP/sms.sh" <<EOF
#!/bin/sh
{ echo "device=\$WORSEND_DEVICE caller=\$WORSEND_CALLER call=\$WORSEND_CALL_ID"; cat; } >>"$E2E_TMP/sms.log"
EOF
    chmod +x "$E2E_TMP/sms.sh"
    ws device add rabbit --exec "$E2E_TMP/sms.sh"
    start_worsend
    run client '{"id":"e1","op":"wake","device":"rabbit","caller":"sip:dog@example.net","call_id":"c-9"}'
    echo "$output" | jq -e '.ok == true and .via == "exec"'
    run cat "$E2E_TMP/sms.log"
    assert_line "device=rabbit caller=sip:dog@example.net call=c-9"
    echo "${lines[1]}" | jq -e '.type == "wake" and .device == "rabbit" and .call_id == "c-9"'
}

@test "fallback: a failing push endpoint (503) hands over to the next transport" {
    make_cert
    start_push 503
    ws device add rabbit --http "$PUSH_URL" --exec "echo ok >>$E2E_TMP/exec.log"
    start_worsend --ca-file "$E2E_TMP/cert.pem"
    run client '{"id":"f1","op":"wake","device":"rabbit","call_id":"call-fb"}'
    echo "$output" | jq -e '.ok == true and .via == "exec" and .attempts == 2'
    run ws log --call-id call-fb
    assert_output --regexp 'wake\.result .*transport=http ok=false .*error="HTTP 503'
    assert_output --regexp 'wake\.result .*transport=exec ok=true'
}

@test "coalescing: 10 simultaneous requests for one device send one signal and all get the result" {
    ws device add rabbit --exec "sleep 0.5; echo signal >>$E2E_TMP/signals"
    start_worsend
    local reqs=() i
    for i in $(seq 1 10); do
        reqs+=("{\"id\":\"r$i\",\"op\":\"wake\",\"device\":\"rabbit\",\"caller\":\"sip:c$i@x\",\"call_id\":\"call-$i\"}")
    done
    run client --parallel "${reqs[@]}"
    assert_success
    [[ $(echo "$output" | jq -s 'map(select(.ok == true and .via == "exec")) | length') == 10 ]]
    [[ $(echo "$output" | jq -s 'map(.job) | unique | length') == 1 ]]
    run wc -l <"$E2E_TMP/signals"
    assert_output "1"
}

@test "rate limit: past --device-rate the reply says denied, with the limit and the reason" {
    ws device add rabbit --exec true
    start_worsend --device-rate 2/60
    run client '{"id":1,"op":"wake","device":"rabbit"}'
    run client '{"id":2,"op":"wake","device":"rabbit"}'
    echo "$output" | jq -e '.ok == true'
    run client '{"id":3,"op":"wake","device":"rabbit","caller":"sip:tiger@x"}'
    echo "$output" | jq -e '.id == 3 and .ok == false and .error == "denied: rate limit" and .limit.scope == "device"
        and .limit.count == 2 and .limit.window_s == 60 and (.reason | test("rabbit")) and .retry_after_ms > 0'
}

@test "deadline expiry fails the request; a late confirmation is only logged" {
    ws device add rabbit --exec "sleep 1.5" --exec-timeout 10000
    start_worsend
    run client '{"id":"d1","op":"wake","device":"rabbit","call_id":"late-call","deadline_ms":500}'
    echo "$output" | jq -e '.ok == false and (.error | startswith("failed: deadline exceeded"))'
    wait_until 5 grep -q '"event":"wake.late"' "$E2E_TMP/worsend.out"
    run ws log --call-id late-call
    assert_output --regexp 'wake\.failed .*deadline exceeded'
    assert_output --regexp 'wake\.late .*ok=true'
}

@test "malformed lines and unknown devices get error replies and the stream goes on (stdin)" {
    ws device add rabbit --exec true
    run bash -c "printf '%s\n' 'not json' '{\"op\":\"wake\"}' '{\"id\":2,\"op\":\"fly\"}' \
        '{\"id\":3,\"op\":\"wake\",\"device\":\"nobody\"}' '{\"id\":4,\"op\":\"wake\",\"device\":\"rabbit\"}' |
        timeout 10 '$WORSEND' serve --db '$DB' --json | jq -c 'select(has(\"event\") | not)'"
    assert_success
    assert_line --index 0 '{"error":"malformed request: not a JSON object","id":null,"ok":false}'
    assert_line --index 1 '{"error":"malformed request: no \"id\"","id":null,"ok":false}'
    assert_line --index 2 --partial '"error":"unknown op \"fly\"'
    assert_line --index 3 '{"error":"unknown device","id":3,"ok":false}'
    echo "${lines[4]}" | jq -e '.id == 4 and .ok == true'
}

@test "the audit log answers: for call X, what was tried, when, and what happened" {
    ws device add rabbit --http "http://127.0.0.1:1/nothing-listens" --exec true
    start_worsend
    client '{"id":"a1","op":"wake","device":"rabbit","caller":"sip:shark@x","call_id":"call-X"}' >/dev/null
    client '{"id":"a2","op":"wake","device":"rabbit","caller":"sip:dog@x","call_id":"call-Y"}' >/dev/null
    run ws log --call-id call-X --json
    assert_success
    local json=$output
    run jq -r '.event + " " + (.transport // .via // "-") + " " + (if .ok == null then "-" else (.ok | tostring) end)' <<<"$json"
    assert_equal "${lines[0]}" "wake.request - -"
    assert_equal "${lines[1]}" "wake.attempt http -"
    assert_equal "${lines[2]}" "wake.result http false"
    assert_equal "${lines[3]}" "wake.attempt exec -"
    assert_equal "${lines[4]}" "wake.result exec true"
    assert_equal "${lines[5]}" "wake.ok exec -"
    refute_output --partial "call-Y"
    head -1 <<<"$json" | jq -e '.ts | test("^20[0-9-]+T[0-9:.]+Z$")'
    run ws log --device rabbit --since 1h
    assert_output --partial "call_id=call-Y"
}

@test "SIGTERM answers in-flight requests 'failed: shutting down' and the audit log has them" {
    ws device add rabbit --exec "sleep 30"
    start_worsend
    wake_in_background t1 call-T
    e2e_stop "$WORSEND_PID" TERM 10
    wait "$BG_CLIENT"
    jq -e '.id == "t1" and .ok == false and .error == "failed: shutting down"' "$E2E_TMP/reply"
    run ws log --call-id call-T
    assert_output --regexp 'wake\.failed .*error="failed: shutting down"'
    run ws log
    assert_output --partial 'serve.stopped reason=SIGTERM'
}

@test "cancel: the abandoned call's waiter is answered 'cancelled' and the attempt is stopped" {
    ws device add rabbit --exec "sleep 30; echo never >>$E2E_TMP/never"
    start_worsend
    wake_in_background c1 gone
    run client '{"id":"x","op":"cancel","call_id":"gone"}'
    echo "$output" | jq -e '.id == "x" and .ok == true and .cancelled == 1'
    wait "$BG_CLIENT"
    jq -e '.id == "c1" and .error == "cancelled"' "$E2E_TMP/reply"
    run client '{"id":"s","op":"status"}'
    echo "$output" | jq -e '.ok == true and (.in_flight | length) == 0 and .counters.cancelled == 1'
    run ws log --call-id gone
    assert_output --partial "wake.abandoned"
}

@test "rate limits survive a restart: the audit trail's recent signals still count" {
    ws device add rabbit --exec true
    start_worsend --device-rate 1/60
    run client '{"id":1,"op":"wake","device":"rabbit"}'
    echo "$output" | jq -e '.ok == true'
    e2e_stop "$WORSEND_PID" TERM 10
    start_worsend --device-rate 1/60
    run client '{"id":2,"op":"wake","device":"rabbit"}'
    echo "$output" | jq -e '.ok == false and .error == "denied: rate limit" and .limit.scope == "device"'
}
