#!/usr/bin/env bats
# natkeep keep behind a real Linux NAT talking to natkeep serve: reachability, wakes
# through the hole, mapping changes, and rejection of forged and replayed datagrams.

load lib/common
load lib/netns

setup() {
    e2e_setup
    NATKEEP="$SIPWAKE_BIN/natkeep"
    [[ -x $NATKEEP ]] || skip "natkeep not built ($NATKEEP missing)"
    KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$KEY" >"$E2E_TMP/dev1.key"
    printf 'dev1 %s\nother %s\n' "$KEY" "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$E2E_TMP/keys"
    chmod 600 "$E2E_TMP/dev1.key" "$E2E_TMP/keys"
}

teardown() {
    e2e_teardown
    netns_teardown
}

start_serve() {
    SRV_PORT=3478
    CTL="$E2E_TMP/ctl.sock"
    e2e_spawn serve ip netns exec "$NS_SRV" "$NATKEEP" serve --listen "udp:$SRV_IP:$SRV_PORT" \
        --alt-listen "udp:$SRV_IP2:3479" --keys "$E2E_TMP/keys" --control "unix:$CTL" --json "$@"
    wait_until 5 grep -q '"serve.ready"' "$E2E_TMP/serve.out"
}

# start_keep ARGS...: natkeep keep for dev1 in the device namespace.
start_keep() {
    e2e_spawn keep ip netns exec "$NS_DEV" "$NATKEEP" keep --server "$SRV_IP:$SRV_PORT" --device dev1 \
        --key-file "$E2E_TMP/dev1.key" --json "$@"
    wait_until 5 grep -q '"mapping.ok"' "$E2E_TMP/keep.out"
}

# ctl JSON: one request on the control socket, prints the reply line.
ctl() {
    timeout 15 python3 - "$CTL" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(4096)
    if not chunk:
        break
    buf += chunk
print(buf.decode().strip())
PY
}

# count EVENT FILE: how many lines carry that event.
count() { grep -c "\"event\":\"$1\"" "$2" || true; }

# craft KIND ARGS...: build a natkeep datagram with Python (RFC 8489 framing,
# HMAC-SHA256 integrity, CRC-32 fingerprint) and send it from HOST:PORT (0 = any) to DEST.
#   craft keepalive KEYHEX DEVICE COUNTER DEST [BIND_PORT] [REPEAT_FROM_PORT]
#   craft wake KEYHEX DEVICE COUNTER TIME_MS DEST [TXID_SEED]
craft() {
    timeout 10 python3 - "$@" <<'PY'
import hashlib, hmac, os, socket, struct, sys, zlib
kind, key = sys.argv[1], bytes.fromhex(sys.argv[2])
def attr(t, v):
    return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)
def seal(mtype, txid, body):
    hdr = lambda extra: struct.pack("!HHI", mtype, len(body) + extra, 0x2112A442) + txid
    mac = hmac.new(key, hdr(36) + body, hashlib.sha256).digest()
    body += attr(0x001C, mac)
    crc = zlib.crc32(hdr(8) + body) ^ 0x5354554E
    body += attr(0x8028, struct.pack("!I", crc))
    return hdr(0) + body
def dest(text):
    h, p = text.rsplit(":", 1)
    return (h, int(p))
if kind == "keepalive":
    device, counter, to = sys.argv[3], int(sys.argv[4]), dest(sys.argv[5])
    bind = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    msg = seal(0x0001, os.urandom(12), attr(0x0006, device.encode()) + attr(0xC0A0, struct.pack("!Q", counter)))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", bind))
    s.settimeout(1.0)
    s.sendto(msg, to)
    def verdict(sock):
        try:
            data = sock.recvfrom(2048)[0]
        except socket.timeout:
            return "silent"
        # 0x0111: Binding error response (here 438, the counter to beat).
        return "refused" if data[:2] == b"\x01\x11" else "answered"
    print(verdict(s))
    if len(sys.argv) > 7:  # replay the same bytes from another port
        r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        r.bind(("0.0.0.0", int(sys.argv[7])))
        r.settimeout(1.0)
        r.sendto(msg, to)
        print("replay", verdict(r))
elif kind == "wake":
    device, counter, t, to = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), dest(sys.argv[6])
    txid = hashlib.sha256(sys.argv[7].encode()).digest()[:12] if len(sys.argv) > 7 else os.urandom(12)
    body = (attr(0x0006, device.encode()) + attr(0xC0A0, struct.pack("!Q", counter)) +
            attr(0xC0A1, struct.pack("!Q", t)) + attr(0xC0A2, b'{"caller":"mallory"}'))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # natkeep wake: method 0x801 as a request -> message type 0x2001 (RFC 8489 figure 3).
    s.sendto(seal(0x2001, txid, body), to)
PY
}

# The port natkeep keep's main socket is bound to (from its mapping.ok event).
keep_port() {
    grep '"mapping.ok"' "$E2E_TMP/keep.out" | head -1 | jq -r .local_port
}

@test "a wake sent through serve's control socket reaches the device behind the NAT and is acknowledged" {
    netns_setup --udp-timeout 4
    start_serve
    start_keep --interval 2 --on-wake 'echo "caller=$NATKEEP_WAKE_CALLER counter=$NATKEEP_WAKE_COUNTER" >>"$E2E_TMP/wakes"'
    run ctl '{"id":"w1","op":"wake","device":"dev1","payload":{"caller":"alice"}}'
    assert_success
    echo "$output" | jq -e '.id == "w1" and .ok == true'
    wait_until 5 grep -q "caller=alice" "$E2E_TMP/wakes"
    run cat "$E2E_TMP/keep.out"
    assert_output --partial '"event":"wake.received"'
    assert_output --partial "\"source\":\"$SRV_IP:$SRV_PORT\""
    refute_output --partial "$KEY"
    run cat "$E2E_TMP/serve.out"
    assert_output --partial '"event":"binding.new"'
    assert_output --partial "\"address\":\"$NAT_IP:"
    refute_output --partial "$KEY"
}

@test "control requests for unknown devices, malformed lines and unacknowledged wakes get error replies" {
    netns_setup --udp-timeout 4
    start_serve --wake-timeout 1000
    run ctl '{"id":1,"op":"wake","device":"nobody"}'
    echo "$output" | jq -e '.id == 1 and .ok == false and .error == "unknown device"'
    run ctl '{"id":2,"op":"wake","device":"other"}'
    echo "$output" | jq -e '.ok == false and .error == "no binding"'
    run ctl 'this is not json'
    echo "$output" | jq -e '.id == null and .ok == false'
    # dev1 once had a binding, then its keeper died: the wake times out.
    start_keep --interval 2
    e2e_stop "$E2E_LAST_PID" TERM 5 || true
    run ctl '{"id":3,"op":"wake","device":"dev1","timeout_ms":800}'
    echo "$output" | jq -e '.id == 3 and .ok == false and (.error | startswith("not acknowledged"))'
}

@test "keep --interval auto finds the NAT lifetime within 1 s, keeps the device reachable for 5x it, with fewer keepalives than half-timeout polling" {
    netns_setup --udp-timeout 3
    start_serve
    start_keep --interval auto --min-interval 0.5 --max-interval 20
    # Convergence: lifetime.measured brackets the 3 s conntrack timeout within 1 s.
    wait_until 60 grep -q '"lifetime.measured"' "$E2E_TMP/keep.out"
    local m
    m=$(grep '"lifetime.measured"' "$E2E_TMP/keep.out" | head -1)
    echo "$m" | jq -e '.lower_ms >= 2000 and .upper_ms <= 4000 and .interval_ms >= 1000'
    local converged_at
    converged_at=$(wc -l <"$E2E_TMP/keep.out")
    # From here on the device stays reachable: a wake after every 5 s for 15 s (5x the
    # timeout), while the server counts the keepalives that kept it so.
    local i before after
    before=$(ctl '{"id":"s1","op":"stats"}' | jq .keepalives)
    for i in 1 2 3; do
        timeout 6 sleep 5 || true  # the idle time under test, not a readiness wait
        run ctl "{\"id\":$i,\"op\":\"wake\",\"device\":\"dev1\",\"timeout_ms\":2000}"
        echo "$output" | jq -e '.ok == true'
    done
    after=$(ctl '{"id":"s2","op":"stats"}' | jq .keepalives)
    echo "keepalives in 15 s: $((after - before))"
    # A fixed interval of half the timeout (1.5 s) would need 10 in 15 s.
    (( after - before < 10 ))
    # Steady state never lost the hole: no mapping change after convergence.
    run tail -n +"$((converged_at + 1))" "$E2E_TMP/keep.out"
    refute_output --partial '"mapping.changed"'
}

@test "mapping.changed is emitted within one interval after conntrack -F under a port-randomising NAT, and --on-change runs" {
    netns_setup --udp-timeout 5 --random
    start_serve
    start_keep --interval 2 --on-change 'echo "new=$NATKEEP_NEW old=$NATKEEP_OLD" >>"$E2E_TMP/changes"'
    netns_nat_flush
    wait_until 4 grep -q '"mapping.changed"' "$E2E_TMP/keep.out"
    wait_until 3 grep -q "new=$NAT_IP:" "$E2E_TMP/changes"
    wait_until 3 grep -q '"binding.changed"' "$E2E_TMP/serve.out"
}

@test "mapping.changed reports the NAT's new public address after the NAT is re-addressed" {
    netns_setup --udp-timeout 5
    start_serve
    start_keep --interval 2
    netns_nat_readdress
    wait_until 4 grep -q "\"new\":\"$NAT_IP2:" "$E2E_TMP/keep.out"
    run ctl '{"id":"b","op":"binding","device":"dev1"}'
    echo "$output" | jq -e ".address | startswith(\"$NAT_IP2:\")"
}

@test "a forged keepalive is rejected and a replayed one cannot move the device's binding" {
    netns_setup --udp-timeout 5
    start_serve
    local wrong
    wrong=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    run ip netns exec "$NS_DEV" bash -c "$(declare -f craft); craft keepalive $wrong dev1 5 $SRV_IP:$SRV_PORT"
    assert_output "silent"
    wait_until 3 grep -q '"reason":"bad-integrity"' "$E2E_TMP/serve.out"
    run ctl '{"id":1,"op":"binding","device":"dev1"}'
    echo "$output" | jq -e '.address == null'
    # A genuine keepalive from port 40001, then the same bytes from port 40002.
    run ip netns exec "$NS_DEV" bash -c "$(declare -f craft); craft keepalive $KEY dev1 7 $SRV_IP:$SRV_PORT 40001 40002"
    assert_line "answered"
    # The replay gets no answer, only a signed 438 (smaller than itself) that a
    # genuine device with a lagging counter would use to catch up.
    assert_line "replay refused"
    wait_until 3 grep -q '"reason":"replay"' "$E2E_TMP/serve.out"
    run ctl '{"id":2,"op":"binding","device":"dev1"}'
    echo "$output" | jq -e '.address == "'"$NAT_IP"':40001"'
}

@test "forged, replayed and stale wakes are dropped by the device; a retransmitted wake acts once" {
    netns_setup --udp-timeout 5
    start_serve
    start_keep --interval 2 --on-wake 'echo "caller=$NATKEEP_WAKE_CALLER" >>"$E2E_TMP/wakes"'
    local port now wrong
    port=$(keep_port)
    now=$(($(date +%s%N) / 1000000))
    wrong=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    # An attacker on the device's own network aims at the socket directly.
    ip netns exec "$NS_DEV" bash -c "$(declare -f craft); craft wake $wrong dev1 $((now * 1000 + 1)) $now 127.0.0.1:$port"
    wait_until 3 grep -q '"reason":"bad-integrity"' "$E2E_TMP/keep.out"
    ip netns exec "$NS_DEV" bash -c "$(declare -f craft); craft wake $KEY dev1 $((now * 1000 + 50)) $now 127.0.0.1:$port seedA"
    wait_until 3 grep -q "caller=mallory" "$E2E_TMP/wakes"
    # The same datagram again (a retransmission or a replay of it): acknowledged, not acted on.
    ip netns exec "$NS_DEV" bash -c "$(declare -f craft); craft wake $KEY dev1 $((now * 1000 + 50)) $now 127.0.0.1:$port seedA"
    # An older counter in a new transaction: a replay.
    ip netns exec "$NS_DEV" bash -c "$(declare -f craft); craft wake $KEY dev1 $((now * 1000 + 10)) $now 127.0.0.1:$port seedB"
    wait_until 3 grep -q '"reason":"replay"' "$E2E_TMP/keep.out"
    # A fresh counter but a time an hour old: stale.
    ip netns exec "$NS_DEV" bash -c "$(declare -f craft); craft wake $KEY dev1 $((now * 1000 + 99)) $((now - 3600000)) 127.0.0.1:$port seedC"
    wait_until 3 grep -q '"reason":"stale"' "$E2E_TMP/keep.out"
    run grep -c "caller=mallory" "$E2E_TMP/wakes"
    assert_output "1"
    run count wake.received "$E2E_TMP/keep.out"
    assert_output "1"
}
