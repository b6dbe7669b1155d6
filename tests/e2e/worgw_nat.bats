#!/usr/bin/env bats
# The whole wake-on-ring flow through a real Linux NAT (lib/netns.bash):
#
#   device ns (100.64.0.2)        NAT ns (masquerade)     server ns (198.51.100.10, lo)
#   natkeep keep --on-wake  -----------------------------> natkeep serve :3478
#     starts the SIPp phone  --- REGISTER (digest) ------> worgw :WORGW_PORT <-> Kamailio (lo)
#                            <-- INVITE via the NAT hole    ^ wake       ^ INVITE rabbit
#                                                         worsend        SIPp caller shark (lo)
#
# The phone is asleep (not logged in to worgw) until natkeep delivers the wake.
# Needs root (namespaces); skips with the reason otherwise.

load lib/common
load lib/kamailio
load lib/sipp
load lib/netns
load lib/worgw

setup() {
    e2e_setup
    require_worgw
    require_sipp
    require_cmd jq
    require_kamailio
    [[ -x $SIPWAKE_BIN/natkeep ]] || skip "natkeep not built ($SIPWAKE_BIN/natkeep missing)"
    have_worsend || skip "worsend not built ($SIPWAKE_BIN/worsend missing)"
    # Fully random mapping (as CGNAT does): the public port differs from the private one.
    netns_setup --udp-timeout 30 --random
}

teardown() {
    worgw_stop || true
    # The phone SIPp was started by natkeep's --on-wake hook in its own session.
    local pid
    for pid in $(cat "$E2E_TMP"/phone.pid 2>/dev/null); do
        kill -TERM -- "-$pid" 2>/dev/null || true
        wait_until 5 eval '! pid_alive '"$pid" || kill -KILL -- "-$pid" 2>/dev/null || true
    done
    e2e_teardown
    netns_teardown
}

@test "full flow: shark calls sleeping rabbit through Kamailio; natkeep wakes the phone behind the NAT, it logs in, and worgw relays the call through the NAT binding" {
    kamailio_add_user rabbit carrot
    kamailio_start_in_netns "$NS_SRV"

    # natkeep serve and worsend on the server side; rabbit's phone is natkeep device phone-1.
    local key
    key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$key" >"$E2E_TMP/phone.key"
    printf 'phone-1 %s\n' "$key" >"$E2E_TMP/keys"
    chmod 600 "$E2E_TMP/phone.key" "$E2E_TMP/keys"
    e2e_spawn serve ip netns exec "$NS_SRV" "$SIPWAKE_BIN/natkeep" serve --listen "udp:$SRV_IP:3478" \
        --keys "$E2E_TMP/keys" --control "unix:$E2E_TMP/natkeep.sock" --json
    wait_until 5 grep -q '"serve.ready"' "$E2E_TMP/serve.out"
    worsend_cli device add rabbit --udp "unix:$E2E_TMP/natkeep.sock" --natkeep-device phone-1 \
        --udp-timeout 3000 >/dev/null
    worsend_start

    # worgw on the server side, logged in at Kamailio for rabbit.
    KAM_HOST=127.0.0.1 worgw_add rabbit carrot
    WORGW_NETNS=$NS_SRV WORGW_IP=$SRV_IP worgw_start --worsend "unix:$WORSEND_SOCK" --wake-timeout 20
    worgw_wait upstream.registered 1 10

    # The phone: asleep, only natkeep keep runs. Its wake hook brings up the SIP UA
    # (once), which logs in to worgw from behind the NAT and answers the call.
    cat >"$E2E_TMP/on-wake.sh" <<EOF
#!/bin/sh
mkdir "$E2E_TMP/phone.lock" 2>/dev/null || exit 0
echo "caller=\$NATKEEP_WAKE_CALLER" >>"$E2E_TMP/wakes"
setsid sipp "$SRV_IP:$WORGW_PORT" -sf "$E2E_SCENARIOS/device_register.xml" \\
    -oocsf "$E2E_SCENARIOS/device_uas.xml" -s rabbit -au rabbit -ap carrot -key expires 60 \\
    -d 20000 -i "$DEV_IP" -p 5060 -m 1 -nostdin -trace_msg -message_file "$E2E_TMP/phone-msgs.log" \\
    -trace_err -error_file "$E2E_TMP/phone-errors.log" </dev/null >"$E2E_TMP/phone.out" 2>&1 &
echo \$! >>"$E2E_TMP/phone.pid"
EOF
    chmod +x "$E2E_TMP/on-wake.sh"
    e2e_spawn keep ip netns exec "$NS_DEV" "$SIPWAKE_BIN/natkeep" keep --server "$SRV_IP:3478" \
        --device phone-1 --key-file "$E2E_TMP/phone.key" --interval 5 --json --on-wake "$E2E_TMP/on-wake.sh"
    wait_until 5 grep -q '"mapping.ok"' "$E2E_TMP/keep.out"
    (($(worgw_count device.online) == 0))

    # shark calls rabbit at the operator: Kamailio -> worgw, which holds the call and wakes.
    GW_CALL_NETNS=$NS_SRV gw_call_spawn call gw_call shark
    local caller=$CALL_PID
    worgw_wait call.answered 1 20
    wait_until 10 eval '! pid_alive '"$caller"
    wait "$caller"

    # The wake went through the NAT hole natkeep keeps, and it ran the hook.
    grep -q 'caller=sip:shark@example.com' "$E2E_TMP/wakes"
    grep '"wake.sent"' "$E2E_TMP/serve.out" | grep -q "\"address\":\"$NAT_IP:"
    # The phone logged in from the NAT's public address with its private Contact ...
    local online
    online=$(worgw_event device.online)
    echo "$online" | jq -e --arg nat "$NAT_IP:" --arg dev "sip:rabbit@$DEV_IP:5060" \
        '(.received | startswith($nat)) and .contact == $dev'
    # ... and worgw sent the INVITE to that public address, not to the Contact.
    worgw_event call.connected | jq -e --arg r "$(jq -r .received <<<"$online")" '.to == $r'
    # The phone saw the INVITE (with worgw's Record-Route), the ACK and the BYE.
    SIPP_UAS_TRACE="$E2E_TMP/phone-msgs.log"
    wait_until 5 eval '(( $(sipp_uas_received_count BYE) == 1 ))'
    (($(sipp_uas_received_count INVITE) == 1 && $(sipp_uas_received_count ACK) == 1))
    sipp_uas_requests INVITE | grep -q "^Record-Route: <sip:$SRV_IP:$WORGW_PORT;lr>"
    # The timeline, in the order it happened.
    run worgw_event_names
    local seq
    seq=$(grep -xE 'wake\.requested|wake\.confirmed|device\.online|call\.connected|call\.answered' <<<"$output" |
        tr '\n' ' ')
    [[ $seq == "wake.requested wake.confirmed device.online call.connected call.answered " ]] ||
        { echo "order: $seq" >&2; false; }
    worgw_event call.responded | jq -e '.wake_to_ring_ms > 0 and .wake_to_ring_ms < 20000'
    worgw_event call.connected | jq -e '.wake_to_connect_ms > 0'
    # worsend's audit trail: a udp wake for this call, confirmed.
    local call_id
    call_id=$(worgw_event call.received | jq -r .call_id)
    run worsend_cli log --call-id "$call_id"
    assert_output --regexp 'wake\.ok .*via=udp'
    # No secret in any event stream.
    run cat "$E2E_TMP/worgw.out" "$E2E_TMP/worsend.out" "$E2E_TMP/serve.out" "$E2E_TMP/keep.out"
    refute_output --partial carrot
    refute_output --partial "$key"
}
