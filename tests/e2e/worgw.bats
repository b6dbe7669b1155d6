#!/usr/bin/env bats
# worgw, the wake-on-ring gateway, with real peers on loopback: Kamailio as the
# operator's registrar and proxy, SIPp as the callers and as the phone, and a stand-in
# for worsend's wake socket (lib/worgw.bash) so the tests choose when a wake succeeds.
# The full flow through a real NAT with natkeep and worsend is worgw_nat.bats.

load lib/common
load lib/kamailio
load lib/sipp
load lib/worgw

AOR=sip:rabbit@example.com

setup() {
    e2e_setup
    require_worgw
    require_sipp
    require_cmd jq
    require_cmd python3
}

teardown() {
    # worgw first, while Kamailio still answers its un-REGISTERs (else it drains 5 s).
    worgw_stop || true
    e2e_teardown
}

# Kamailio with rabbit (password carrot), worgw's subscriber rabbit logged in upstream.
# Extra arguments go to `worgw subscriber add`.
with_kamailio_and_rabbit() {
    kamailio_add_user rabbit carrot
    kamailio_start
    worgw_add rabbit carrot "$@"
}

# A subscriber without Kamailio (proxy login off): for tests of worgw's own answers.
rabbit_offline() {
    KAM_PORT=9 worgw_add rabbit carrot --proxy-login off "$@"
}

has_binding() {
    [[ $(kamailio_bindings "$AOR") == *"sip:rabbit@$WORGW_ADDR"* ]]
}

@test "proxy login: rabbit is registered at Kamailio with worgw's address, and again after a restart with the subscriber intact" {
    with_kamailio_and_rabbit --device rabbit-phone
    worgw_cli allow rabbit shark
    worgw_start --upstream-expires 60
    worgw_wait upstream.registered 1 10
    wait_until 5 has_binding
    run kamailio_bindings "$AOR"
    assert_output "sip:rabbit@$WORGW_ADDR"
    run worgw_cli subscriber list --json
    assert_success
    echo "$output" | jq -e '.[0] | .name == "rabbit" and .upstream.state == "registered"
        and .device == "rabbit-phone" and .status == "asleep"'
    refute_output --partial carrot

    # A clean stop unregisters upstream; a restart logs in again.
    worgw_stop
    wait_until 5 eval '! has_binding'
    WORGW_NAME=worgw2 worgw_start --upstream-expires 60
    worgw_wait upstream.registered 1 10
    wait_until 5 has_binding
    run worgw_cli subscriber list --json
    echo "$output" | jq -e 'length == 1 and (.[0] | .name == "rabbit" and .upstream.state == "registered"
        and .device == "rabbit-phone" and .aor == "sip:rabbit@example.com")'
    run worgw_cli rules rabbit
    assert_output --partial shark
    run grep -c carrot "$E2E_TMP/worgw.out" "$E2E_TMP/worgw2.out" "$E2E_TMP/worgw.err" "$E2E_TMP/worgw2.err"
    refute_output --regexp ':[1-9]'
}

@test "online device: the call is relayed with worgw's Record-Route to the address the REGISTER came from, answered, and ACK and BYE pass" {
    with_kamailio_and_rabbit
    worgw_start
    worgw_wait upstream.registered
    # The Contact names a port nobody listens on: only the REGISTER's source answers.
    local fake
    fake=$(free_port udp)
    GW_DEVICE_CONTACT="127.0.0.1:$fake" gw_device_start rabbit carrot
    run gw_call call gw_call shark
    assert_success
    worgw_wait call.answered
    run worgw_event call.connected
    echo "$output" | jq -e --arg to "127.0.0.1:$DEVICE_PORT" '.to == $to and .subscriber == "rabbit"
        and (.caller | test("shark"))'
    wait_until 5 eval '(( $(gw_device_count BYE) == 1 ))'
    [[ $(gw_device_count INVITE) == 1 && $(gw_device_count ACK) == 1 ]]
    run gw_device_requests INVITE
    assert_output --partial "INVITE sip:rabbit@127.0.0.1:$fake SIP/2.0"
    assert_output --regexp "Record-Route: <sip:$WORGW_ADDR;lr>"
    (($(worgw_count wake.requested) == 0))
}

@test "redirect mode: the caller gets 302 with the device's contact and the device sees no INVITE" {
    with_kamailio_and_rabbit --mode redirect
    worgw_start
    worgw_wait upstream.registered
    gw_device_start rabbit carrot
    run gw_call call gw_call_final shark
    assert_success
    run gw_final_codes call
    assert_output 302
    run grep -i '^Contact:' "$E2E_TMP/call-msgs.log"
    assert_output --partial "<sip:rabbit@127.0.0.1:$DEVICE_PORT>"
    run worgw_event call.redirected
    echo "$output" | jq -e --arg c "sip:rabbit@127.0.0.1:$DEVICE_PORT" '.contact == $c'
    (($(gw_device_count INVITE) == 0))
}

@test "tiger may not wake rabbit: 480, call.denied and no wake request (worsend's audit log shows none), while shark's call does wake" {
    with_kamailio_and_rabbit --default-policy deny
    worgw_cli allow rabbit shark
    worgw_cli deny rabbit tiger
    local real=0
    if have_worsend; then
        # The real worsend; its "wake" runs a command that confirms at once.
        real=1
        worsend_cli device add rabbit --exec "echo woken >>$E2E_TMP/woken" >/dev/null
        worsend_start
    else
        fake_worsend_start ok
    fi
    worgw_start --worsend "unix:$WORSEND_SOCK" --wake-timeout 1
    worgw_wait upstream.registered
    run gw_call tiger gw_call_final tiger
    assert_success
    run gw_final_codes tiger
    assert_output 480
    worgw_wait call.denied
    worgw_event call.denied | jq -e '.caller == "sip:tiger@example.com"'
    (($(worgw_count wake.requested) == 0))
    local tiger_call
    tiger_call=$(worgw_event call.denied | jq -r .call_id)
    if ((real)); then
        run worsend_cli log --json
        assert_success
        refute_output --partial "$tiger_call"
        refute_output --partial tiger
        [[ ! -e $E2E_TMP/woken ]]
    else
        run grep -c '"op":"wake"' "$WORSEND_LOG"
        assert_output 0
    fi
    # The same gateway does wake for shark (then gives up after 1 s: nobody logs in).
    run gw_call shark gw_call_final shark
    assert_success
    (($(worgw_count wake.requested) == 1))
    if ((real)); then
        wait_until 5 test -e "$E2E_TMP/woken"
        run worsend_cli log --json
        assert_output --partial shark
        refute_output --partial tiger
    else
        run jq -r 'select(.op == "wake") | .caller' "$WORSEND_LOG"
        assert_output --partial shark
        refute_output --partial tiger
    fi
}

@test "a device that never logs in: after --wake-timeout the caller is redirected to voicemail, never left in silence" {
    with_kamailio_and_rabbit
    fake_worsend_start ok
    worgw_start --worsend "unix:$WORSEND_SOCK" --wake-timeout 2 --voicemail sip:vm@example.com
    worgw_wait upstream.registered
    local t0 t1
    t0=$(date +%s%N)
    run gw_call call gw_call_final shark
    t1=$(date +%s%N)
    assert_success
    run gw_final_codes call
    assert_output 302
    run grep -i '^Contact:' "$E2E_TMP/call-msgs.log"
    assert_output --partial "<sip:vm@example.com>"
    grep -q '^SIP/2.0 180' "$E2E_TMP/call-msgs.log"
    # Resolved after the 2 s wake timeout, well before any caller-side timer.
    local ms=$(((t1 - t0) / 1000000))
    ((ms >= 1800 && ms < 6000)) || { echo "call took $ms ms" >&2; false; }
    run worgw_event_names
    assert_output --partial "$(printf 'wake.requested\nwake.confirmed\ncall.voicemail')"
}

@test "a refused wake without voicemail: 480 with Retry-After at once" {
    with_kamailio_and_rabbit
    fake_worsend_start fail
    worgw_start --worsend "unix:$WORSEND_SOCK" --wake-timeout 20
    worgw_wait upstream.registered
    run gw_call call gw_call_final shark
    assert_success
    run gw_final_codes call
    assert_output 480
    grep -qi '^Retry-After: [0-9]' "$E2E_TMP/call-msgs.log"
    worgw_wait wake.failed
    worgw_wait call.unavailable
}

@test "CANCEL while the phone wakes: 487 for the INVITE and the wait ends" {
    with_kamailio_and_rabbit
    fake_worsend_start ok
    worgw_start --worsend "unix:$WORSEND_SOCK" --wake-timeout 20
    worgw_wait upstream.registered
    run gw_call call gw_call_cancel shark
    assert_success
    run gw_final_codes call
    assert_line 487
    worgw_wait call.cancelled
    # The timeline is written behind (within 50 ms), not before the 487 goes out.
    wait_until 3 eval 'worgw_cli calls --json | jq -e ".[0].outcome == \"cancelled\""'
    # Nothing is left waiting: a late login fires no call.
    gw_device_start rabbit carrot
    (($(worgw_count call.connected) == 0 && $(worgw_count call.voicemail) == 0))
    (($(worgw_count call.unavailable) == 0))
}

@test "two callers for one sleeping phone: one wake, both calls connected when it logs in" {
    with_kamailio_and_rabbit
    fake_worsend_start ok
    worgw_start --worsend "unix:$WORSEND_SOCK" --wake-timeout 20
    worgw_wait upstream.registered
    gw_call_spawn call1 gw_call shark
    local c1=$CALL_PID
    gw_call_spawn call2 gw_call dog
    local c2=$CALL_PID
    worgw_wait call.received 2 10
    worgw_wait wake.confirmed 1 5
    (($(worgw_count wake.requested) == 1))
    run grep -c '"op":"wake"' "$WORSEND_LOG"
    assert_output 1
    gw_device_start rabbit carrot
    worgw_wait call.answered 2 10
    wait_until 15 eval '! pid_alive '"$c1"
    wait "$c1"
    wait_until 15 eval '! pid_alive '"$c2"
    wait "$c2"
    (($(worgw_count call.connected) == 2))
    (($(gw_device_count INVITE) == 2))
    run worgw_event call.responded 1
    echo "$output" | jq -e '.wake_to_ring_ms >= 0'
}

# The gap in ms between the first EVENT_A and the first EVENT_B worgw printed.
event_gap_ms() {
    python3 -c 'import sys, datetime as d
f = lambda s: d.datetime.fromisoformat(s.replace("Z", "+00:00"))
print(int((f(sys.argv[2]) - f(sys.argv[1])).total_seconds() * 1000))' \
        "$(worgw_event "$1" | jq -r .ts)" "$(worgw_event "$2" | jq -r .ts)"
}

@test "dead binding: the phone is frozen (no ICMP, just silence), so worgw wakes it after --dead-binding-timeout" {
    with_kamailio_and_rabbit
    fake_worsend_start ok
    worgw_start --worsend "unix:$WORSEND_SOCK" --wake-timeout 20 --dead-binding-timeout 1000
    worgw_wait upstream.registered
    gw_device_start rabbit carrot
    local frozen=$DEVICE_PID
    kill -STOP "$frozen"  # its socket stays open: datagrams vanish without an error
    gw_call_spawn call gw_call shark
    local caller=$CALL_PID
    worgw_wait call.connected 1 5
    worgw_wait binding.dead 1 5
    worgw_wait wake.requested 1 2
    local gap
    gap=$(event_gap_ms call.connected binding.dead)
    ((gap >= 900 && gap < 2500)) || { echo "binding.dead after $gap ms" >&2; false; }
    worgw_wait device.asleep 1 2
    kill -KILL "$frozen" 2>/dev/null || true
    # The woken phone logs in again and gets the call.
    gw_device_start rabbit carrot
    worgw_wait call.answered 1 10
    wait_until 15 eval '! pid_alive '"$caller"
    wait "$caller"
    (($(worgw_count call.connected) == 2))
}

@test "dead binding: the phone's port is closed, so the ICMP error makes worgw wake it at once" {
    with_kamailio_and_rabbit
    fake_worsend_start ok
    worgw_start --worsend "unix:$WORSEND_SOCK" --wake-timeout 20 --dead-binding-timeout 5000
    worgw_wait upstream.registered
    gw_device_start rabbit carrot
    gw_device_stop  # the phone's UA is gone; its binding (60 s) stays
    gw_call_spawn call gw_call shark
    local caller=$CALL_PID
    worgw_wait binding.dead 1 3
    worgw_wait wake.requested 1 2
    local gap
    gap=$(event_gap_ms call.connected binding.dead)
    ((gap < 1000)) || { echo "binding.dead after $gap ms (dead-binding-timeout 5000)" >&2; false; }
    gw_device_start rabbit carrot
    worgw_wait call.answered 1 10
    wait_until 15 eval '! pid_alive '"$caller"
    wait "$caller"
}

@test "a phone slower than --dead-binding-timeout: its late answer resumes the relay, the wake is called off, and the caller gets one answer" {
    with_kamailio_and_rabbit
    fake_worsend_start silent  # the wake never completes: only the late answer can connect
    worgw_start --worsend "unix:$WORSEND_SOCK" --wake-timeout 6 --dead-binding-timeout 500
    worgw_wait upstream.registered
    GW_DEVICE_UAS=gw_device_uas_slow gw_device_start rabbit carrot
    gw_call_spawn call gw_call shark
    local caller=$CALL_PID
    worgw_wait binding.dead 1 5
    worgw_wait wake.requested 1 2
    worgw_wait binding.alive 1 5
    worgw_wait call.answered 1 5
    wait_until 15 eval '! pid_alive '"$caller"
    wait "$caller"
    # Only the phone's answer reached the caller (its retransmissions included), no 480 of ours.
    run gw_final_codes call
    [[ $(sort -u <<<"$output") == 200 ]]
    (($(worgw_count call.unavailable) == 0))
}

@test "malformed SIP gets 400 with the reason, an unknown subscriber 404, Max-Forwards 0 483, and worgw still answers OPTIONS" {
    rabbit_offline
    worgw_start
    local common="Via: SIP/2.0/UDP LOCAL;branch=z9hG4bKgwt1;rport
From: <sip:shark@example.com>;tag=1
Call-ID: gwt-$RANDOM@example.com
Content-Length: 0
"
    run gw_sip "$WORGW_ADDR" "INVITE sip:rabbit@$WORGW_ADDR SIP/2.0
To: <sip:rabbit@example.com>
CSeq: abc INVITE
Max-Forwards: 70
$common"
    assert_output --regexp '^SIP/2.0 400 .+'
    echo "$output" | grep -q '^SIP/2.0 400 Bad Request (.\+)$'
    run gw_sip "$WORGW_ADDR" "INVITE sip:nobody@$WORGW_ADDR SIP/2.0
To: <sip:nobody@example.com>
CSeq: 1 INVITE
Max-Forwards: 70
$common"
    assert_line 'SIP/2.0 100 Trying'
    assert_line --regexp '^SIP/2.0 404 '
    run gw_sip "$WORGW_ADDR" "INVITE sip:rabbit@$WORGW_ADDR SIP/2.0
To: <sip:rabbit@example.com>
CSeq: 1 INVITE
Max-Forwards: 0
${common/gwt1/gwt2}"
    assert_line --regexp '^SIP/2.0 483 '
    refute_line --regexp '^SIP/2.0 180'
    # Garbage without a Via gets no answer but changes nothing.
    run gw_sip "$WORGW_ADDR" $'\x00\x01garbage\r\n\r\n'
    assert_output ''
    run gw_sip "$WORGW_ADDR" "OPTIONS sip:$WORGW_ADDR SIP/2.0
To: <sip:$WORGW_ADDR>
CSeq: 1 OPTIONS
Max-Forwards: 70
${common/gwt1/gwt3}"
    assert_output --regexp '^SIP/2.0 200 '
    pid_alive "$WORGW_PID"
    (($(worgw_count call.received) == 0 && $(worgw_count wake.requested) == 0))
}

@test "device login: another subscriber's right password gets 403 and a wrong password 401 again, and neither brings the device online" {
    rabbit_offline
    KAM_PORT=9 worgw_add fox den --proxy-login off
    worgw_start
    run gw_sip_auth "$WORGW_ADDR" REGISTER rabbit fox den
    assert_line --index 0 --regexp '^GOT 401 '
    assert_line --index 1 --regexp '^GOT 403 '
    run gw_sip_auth "$WORGW_ADDR" REGISTER rabbit rabbit wrong
    assert_line --index 0 --regexp '^GOT 401 '
    assert_line --index 1 --regexp '^GOT 401 '
    (($(worgw_count device.online) == 0))
    # The right credentials do log in (the test itself is sound).
    run gw_sip_auth "$WORGW_ADDR" REGISTER rabbit rabbit carrot
    assert_line --index 1 --regexp '^GOT 200 '
    worgw_wait device.online
    worgw_event device.online | jq -e '.subscriber == "rabbit"'
}

@test "self-service: a digest-authenticated MESSAGE from the device edits and lists rabbit's caller rules" {
    rabbit_offline
    worgw_start
    run gw_sip_auth "$WORGW_ADDR" MESSAGE rabbit rabbit carrot 'deny tiger\nrules'
    assert_line --index 0 --regexp '^GOT 401 '
    assert_line --index 1 --regexp '^GOT 200 '
    assert_line 'deny tiger'
    worgw_wait subscriber.updated
    run worgw_cli rules rabbit
    assert_success
    assert_output --partial tiger
    run worgw_cli rules rabbit --json
    echo "$output" | jq -e '[.. | strings] | any(. == "tiger")' || echo "$output" | grep -q tiger
    # Someone else's password changes nothing.
    run gw_sip_auth "$WORGW_ADDR" MESSAGE rabbit rabbit wrong 'allow tiger'
    refute_line --regexp '^GOT 200'
    run worgw_cli rules rabbit
    refute_output --partial 'allow tiger'
}
