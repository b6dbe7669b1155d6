#!/usr/bin/env bats
# sipreg follows the network: a new address on the host (rtnetlink) makes it
# re-register at once. Runs in a network namespace of its own (needs root), with a
# SIPp registrar on the namespace's loopback; only the namespace's own interfaces
# are touched, and the namespace is removed afterwards.

bats_require_minimum_version 1.5.0

load lib/common
load lib/sipreg

setup() {
    require_sipreg
    require_cmd sipp
    require_cmd python3 "parses the JSON events"
    [[ $EUID -eq 0 ]] || skip "needs root for a network namespace"
    e2e_setup
    NS="swnl$$${BATS_TEST_NUMBER}"
    ip netns add "$NS" || skip "cannot create a network namespace"
    ip -n "$NS" link set lo up
    export SIPREG_PASSWORD=unused
}

teardown() {
    e2e_teardown
    ip netns del "$NS" 2>/dev/null || true
}

# Registrar: SIPp inside the namespace, accepting every REGISTER on 127.0.0.1:5060.
start_registrar() {
    e2e_spawn uas ip netns exec "$NS" sipp -sf "$E2E_DIR/scenarios/reg_accept_all.xml" \
        -i 127.0.0.1 -p 5060 -m 1 -nostdin
    wait_until 10 eval "ip netns exec $NS ss -uln | grep -q '127.0.0.1:5060'"
}

@test "a new address on the host makes sipreg re-register within a second" {
    start_registrar
    e2e_spawn reg ip netns exec "$NS" "$SIPREG" register --json --expires 3600 \
        --registrar sip:127.0.0.1:5060 --aor sip:alice@example.com
    sipreg_wait_event "$E2E_TMP/reg.out" register.ok 1 10
    sent_before=$(sipreg_event_count "$E2E_TMP/reg.out" register.sent)
    # A veth pair with a TEST-NET address, inside the namespace only.
    ip -n "$NS" link add swnl0 type veth peer name swnl1
    ip -n "$NS" addr add 198.51.100.10/24 dev swnl0
    ip -n "$NS" link set swnl0 up
    sipreg_wait_event "$E2E_TMP/reg.out" register.ok 2 3
    sent_after=$(sipreg_event_count "$E2E_TMP/reg.out" register.sent)
    (( sent_after > sent_before ))
}

@test "SIGHUP makes sipreg re-register at once" {
    start_registrar
    e2e_spawn reg ip netns exec "$NS" "$SIPREG" register --json --expires 3600 \
        --registrar sip:127.0.0.1:5060 --aor sip:alice@example.com
    pid=$E2E_LAST_PID
    sipreg_wait_event "$E2E_TMP/reg.out" register.ok 1 10
    kill -HUP "$(pgrep -P "$pid" -f 'sipreg register' || echo "$pid")"
    sipreg_wait_event "$E2E_TMP/reg.out" register.ok 2 3
}
