#!/usr/bin/env bats
# The NAT topology itself: the device reaches the server only through the NAT, and the
# NAT's conntrack table shows the mapping with the NAT's public address.

load lib/common
load lib/netns

setup() {
    e2e_setup
    netns_setup --udp-timeout 3
}

teardown() {
    # Processes first (they live in the namespaces), then the namespaces.
    netns_teardown
    e2e_teardown
}

@test "device traffic to the server leaves the NAT with the NAT's public address" {
    local port
    port=$(free_port udp)
    e2e_spawn srv ip netns exec "$NS_SRV" timeout 20 python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
print("ready", flush=True)
data, peer = s.recvfrom(100)
print("from", peer[0], flush=True)
s.sendto(b"pong", peer)
' "$SRV_IP" "$port"
    wait_until 5 grep -q ready "$E2E_TMP/srv.out"
    run timeout 10 ip netns exec "$NS_DEV" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"ping", (sys.argv[1], int(sys.argv[2])))
print(s.recvfrom(100)[0].decode())
' "$SRV_IP" "$port"
    assert_success
    assert_output "pong"
    wait_until 5 grep -q "^from" "$E2E_TMP/srv.out"
    run cat "$E2E_TMP/srv.out"
    assert_line "from $NAT_IP"
    run netns_nat_mappings
    assert_output --partial "src=$DEV_IP dst=$SRV_IP"
    assert_output --partial "dst=$NAT_IP"
}

@test "the server has no route to the device's private address" {
    run timeout 5 ip netns exec "$NS_SRV" python3 -c '
import socket, sys
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", (sys.argv[1], 9))
' "$DEV_IP"
    assert_failure
    assert_output --partial "unreachable"
}

@test "the NAT forgets an idle UDP mapping after its conntrack timeout" {
    local port
    port=$(free_port udp)
    timeout 5 ip netns exec "$NS_DEV" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"x", (sys.argv[1], int(sys.argv[2])))
' "$SRV_IP" "$port"
    run netns_nat_mappings
    assert_output --partial "dport=$port"
    # 3 s timeout: gone within 6 s (polling, not sleeping a fixed time).
    wait_until 6 bash -c "! ip netns exec $NS_NAT conntrack -L -p udp 2>/dev/null | grep -q dport=$port"
}
