#!/usr/bin/env bats
# worsend's udp transport end to end: worsend -> natkeep serve's control socket -> the
# wake datagram through a real NAT (nftables masquerade in its own namespace) -> natkeep
# keep on the device, whose acknowledgement makes worsend answer ok via udp.

load lib/common
load lib/netns

setup() {
    e2e_setup
    WORSEND="$SIPWAKE_BIN/worsend"
    NATKEEP="$SIPWAKE_BIN/natkeep"
    [[ -x $WORSEND ]] || skip "worsend not built ($WORSEND missing)"
    [[ -x $NATKEEP ]] || skip "natkeep not built ($NATKEEP missing)"
    require_cmd python3
    DB="$E2E_TMP/worsend.db"
    SOCK="$E2E_TMP/worsend.sock"
    CTL="$E2E_TMP/natkeep.sock"
    KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$KEY" >"$E2E_TMP/phone.key"
    printf 'phone-1 %s\n' "$KEY" >"$E2E_TMP/keys"
    chmod 600 "$E2E_TMP/phone.key" "$E2E_TMP/keys"
}

teardown() {
    e2e_teardown
    netns_teardown
}

# ask LINE: one request on worsend's socket; prints the reply.
ask() {
    timeout 20 python3 - "$SOCK" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(15)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
buf = b""
while b"\n" not in buf:
    chunk = s.recv(4096)
    if not chunk:
        break
    buf += chunk
print(buf.split(b"\n")[0].decode())
PY
}

start_all() {
    netns_setup --udp-timeout 5
    e2e_spawn serve ip netns exec "$NS_SRV" "$NATKEEP" serve --listen "udp:$SRV_IP:3478" \
        --keys "$E2E_TMP/keys" --control "unix:$CTL" --json
    wait_until 5 grep -q '"serve.ready"' "$E2E_TMP/serve.out"
    e2e_spawn keep ip netns exec "$NS_DEV" "$NATKEEP" keep --server "$SRV_IP:3478" --device phone-1 \
        --key-file "$E2E_TMP/phone.key" --interval 2 --json \
        --on-wake "echo \"woken caller=\$NATKEEP_WAKE_CALLER\" >>$E2E_TMP/wakes"
    KEEP_PID=$E2E_LAST_PID
    wait_until 5 grep -q '"mapping.ok"' "$E2E_TMP/keep.out"
    timeout 10 "$WORSEND" device add rabbit --db "$DB" --udp "unix:$CTL" --natkeep-device phone-1 --udp-timeout 3000
    e2e_spawn worsend timeout 120 "$WORSEND" serve --db "$DB" --listen "unix:$SOCK" --json
    wait_until 5 grep -q '"serve.started"' "$E2E_TMP/worsend.out"
}

@test "a wake request reaches the device behind the NAT through natkeep and the reply says ok via udp" {
    start_all
    run ask '{"id":"n1","op":"wake","device":"rabbit","caller":"sip:shark@example.net","call_id":"nat-call","deadline_ms":10000}'
    assert_success
    echo "$output" | jq -e '.id == "n1" and .ok == true and .via == "udp"'
    wait_until 5 grep -q "woken caller=sip:shark@example.net" "$E2E_TMP/wakes"
    # The datagram came through the hole: natkeep sent it to the NAT's public address.
    run grep '"wake.sent"' "$E2E_TMP/serve.out"
    assert_output --partial "\"address\":\"$NAT_IP:"
    run timeout 10 "$WORSEND" log --db "$DB" --call-id nat-call
    assert_output --regexp 'wake\.result .*transport=udp ok=true'
    refute_output --partial "$KEY"
}

@test "with the device's keeper gone, natkeep's failure is reported and the deadline is kept" {
    start_all
    e2e_stop "$KEEP_PID" TERM 5 || true
    netns_nat_flush
    run ask '{"id":"n2","op":"wake","device":"rabbit","call_id":"dead-phone","deadline_ms":2500}'
    echo "$output" | jq -e '.id == "n2" and .ok == false and (.error | test("deadline exceeded|natkeep"))'
    run timeout 10 "$WORSEND" log --db "$DB" --call-id dead-phone
    assert_output --partial "wake.failed"
}
