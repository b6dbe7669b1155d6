#!/usr/bin/env bats
# natkeep probe and natkeep serve's STUN service measured through a real Linux NAT
# (tests/e2e/lib/netns.bash), plus interop with a third-party STUN client.

load lib/common
load lib/netns

setup() {
    e2e_setup
    NATKEEP="$SIPWAKE_BIN/natkeep"
    [[ -x $NATKEEP ]] || skip "natkeep not built ($NATKEEP missing)"
}

teardown() {
    e2e_teardown
    netns_teardown
}

# start_serve: natkeep serve in the server namespace on both addresses (RFC 5780).
start_serve() {
    SRV_PORT=3478 ALT_PORT=3479
    e2e_spawn serve ip netns exec "$NS_SRV" "$NATKEEP" serve --listen "udp:$SRV_IP:$SRV_PORT" \
        --alt-listen "udp:$SRV_IP2:$ALT_PORT" --json "$@"
    wait_until 5 grep -q '"serve.ready"' "$E2E_TMP/serve.out"
}

@test "probe through masquerade reports the conntrack timeout within 1 s, endpoint-independent mapping, preserved port" {
    netns_setup --udp-timeout 3
    start_serve
    run timeout 60 ip netns exec "$NS_DEV" "$NATKEEP" probe --server "$SRV_IP:$SRV_PORT" --max-lifetime 10 --json
    assert_success
    echo "$output" | jq -e '.event == "probe.result"'
    echo "$output" | jq -e '.mapping == "endpoint-independent"'
    echo "$output" | jq -e '.port_preserved == true'
    echo "$output" | jq -e '.filtering == "address-and-port-dependent"'
    echo "$output" | jq -e ".mapped | startswith(\"$NAT_IP:\")"
    echo "$output" | jq -e '.lifetime_s >= 2 and .lifetime_s <= 4'
}

@test "probe through masquerade random,fully-random reports address-and-port-dependent mapping" {
    netns_setup --udp-timeout 3 --random
    start_serve
    run timeout 30 ip netns exec "$NS_DEV" "$NATKEEP" probe --server "$SRV_IP:$SRV_PORT" --no-lifetime --json
    assert_success
    echo "$output" | jq -e '.mapping == "address-and-port-dependent"'
}

@test "probe exits 1 with a one-line error when nothing answers (stunclient exits 0)" {
    netns_setup --udp-timeout 3
    run timeout 30 ip netns exec "$NS_DEV" "$NATKEEP" probe --server "$SRV_IP:3478" --no-lifetime
    assert_failure 1
    assert_output --partial "no answer from $SRV_IP:3478"
}

@test "the stun client from stun-client gets the NAT's public address from natkeep serve" {
    require_cmd stun "Debian package stun-client"
    netns_setup --udp-timeout 3
    start_serve
    run timeout 20 ip netns exec "$NS_DEV" stun "$SRV_IP:$SRV_PORT" -v
    assert_output --partial "MappedAddress = $NAT_IP:"
    assert_output --partial "Independent Mapping"
    refute_output --partial "MappedAddress = $DEV_IP"
}
