#!/usr/bin/env bash
# Wake on ring, the whole system on one machine (run as root; builds nothing: run
# scripts/demo, or build first and set SIPWAKE_BIN).
#
#   device namespace (100.64.0.2)     NAT namespace (masquerade,      server namespace (198.51.100.10)
#     natkeep keep  -- keepalives ------ random ports, 30 s UDP ----->  natkeep serve :3478
#     phone's SIP UA (SIPp), started     timeout: a carrier-grade NAT)  worsend  (wake server)
#     by natkeep's --on-wake hook                                       worgw    (the gateway)
#                                                                       Kamailio (the operator's registrar)
#                                                                       SIPp caller "shark"
#
# 1. worgw logs in at Kamailio for subscriber rabbit (proxy login); rabbit's phone sleeps.
# 2. shark calls rabbit at the operator; Kamailio sends the call to worgw.
# 3. worgw checks that shark may wake rabbit (tiger may not), asks worsend to wake the phone,
#    and rings shark (180) while it waits.
# 4. worsend asks natkeep serve, which sends an authenticated wake through the NAT hole that
#    natkeep keep holds open; the phone's natkeep verifies it and starts the SIP UA.
# 5. The UA logs in to worgw (digest); worgw relays the held INVITE through the NAT binding
#    that login created; the phone answers; ACK and BYE pass through worgw.
# Before that, tiger calls while the phone sleeps: no wake, 480.
#
# Everything runs in network namespaces this script creates and removes, or on
# their loopback; nothing is sent anywhere else.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
export SIPWAKE_BIN="${SIPWAKE_BIN:-$repo/build/bin}"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# The peer helpers come from the end-to-end tests; outside Bats a skip is fatal.
skip() { echo "wake-on-ring: cannot run: $*" >&2; exit 1; }
E2E_RUN_ID=wor-demo
# shellcheck source=../tests/e2e/lib/common.bash
source "$repo/tests/e2e/lib/common.bash"
for lib in kamailio sipp netns worgw; do
    # shellcheck disable=SC1090
    source "$repo/tests/e2e/lib/$lib.bash"
done
for tool in natkeep worsend worgw; do
    [[ -x $SIPWAKE_BIN/$tool ]] || skip "$SIPWAKE_BIN/$tool is not built (run scripts/demo)"
done
((EUID == 0)) || skip "needs root for the network namespaces"

e2e_setup
cleanup() {
    worgw_stop >/dev/null 2>&1 || true
    local pid
    for pid in $(cat "$E2E_TMP"/phone.pid 2>/dev/null); do kill -TERM -- "-$pid" 2>/dev/null || true; done
    BATS_TEST_COMPLETED=1 e2e_teardown
    netns_teardown
}
trap cleanup EXIT

# Show a tool's events as they come, one short line each.
follow() {
    local file=$1 tool=$2
    tail -n +1 -F "$file" 2>/dev/null | jq --unbuffered -r --arg t "$tool" \
        '"  [\($t)] \(.event)  " + ([to_entries[] | select(.key|IN("v","ts","tool","event")|not) | "\(.key)=\(.value)"] | join(" "))' &
    e2e_track $!
}

say "network: device 100.64.0.2 behind a NAT (random ports, 30 s UDP timeout), servers at 198.51.100.10"
netns_setup --udp-timeout 30 --random

say "Kamailio, the operator's registrar, with subscriber rabbit"
kamailio_add_user rabbit carrot
kamailio_start_in_netns "$NS_SRV"
echo "  Kamailio on 127.0.0.1:$KAM_PORT (server namespace)"

say "natkeep serve and worsend: rabbit's phone is natkeep device phone-1"
key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
printf '%s\n' "$key" >"$E2E_TMP/phone.key"
printf 'phone-1 %s\n' "$key" >"$E2E_TMP/keys"
chmod 600 "$E2E_TMP/phone.key" "$E2E_TMP/keys"
e2e_spawn serve ip netns exec "$NS_SRV" "$SIPWAKE_BIN/natkeep" serve --listen "udp:$SRV_IP:3478" \
    --keys "$E2E_TMP/keys" --control "unix:$E2E_TMP/natkeep.sock" --json
wait_until 5 grep -q '"serve.ready"' "$E2E_TMP/serve.out"
worsend_cli device add rabbit --udp "unix:$E2E_TMP/natkeep.sock" --natkeep-device phone-1 --udp-timeout 3000
worsend_start
follow "$E2E_TMP/worsend.out" worsend

say "worgw: subscriber rabbit; shark and dog may wake the phone, tiger may not"
KAM_HOST=127.0.0.1 worgw_add rabbit carrot --default-policy deny >/dev/null
worgw_cli allow rabbit shark
worgw_cli allow rabbit dog
worgw_cli deny rabbit tiger
worgw_cli rules rabbit | sed 's/^/  /'
WORGW_NETNS=$NS_SRV WORGW_IP=$SRV_IP worgw_start --worsend "unix:$WORSEND_SOCK" --wake-timeout 20
follow "$WORGW_OUT" worgw
worgw_wait upstream.registered 1 10
echo "  Kamailio's location for rabbit: $(kamailio_bindings sip:rabbit@example.com)"

say "the phone sleeps: only natkeep keep runs, holding the NAT hole open"
cat >"$E2E_TMP/on-wake.sh" <<HOOK
#!/bin/sh
# natkeep keep runs this for each verified wake: bring up the SIP UA once.
mkdir "$E2E_TMP/phone.lock" 2>/dev/null || exit 0
setsid sipp "$SRV_IP:$WORGW_PORT" -sf "$E2E_DIR/scenarios/device_register.xml" \\
    -oocsf "$E2E_DIR/scenarios/device_uas.xml" -s rabbit -au rabbit -ap carrot -key expires 60 \\
    -d 15000 -i "$DEV_IP" -p 5060 -m 1 -nostdin </dev/null >"$E2E_TMP/phone.out" 2>&1 &
echo \$! >>"$E2E_TMP/phone.pid"
HOOK
chmod +x "$E2E_TMP/on-wake.sh"
e2e_spawn keep ip netns exec "$NS_DEV" "$SIPWAKE_BIN/natkeep" keep --server "$SRV_IP:3478" \
    --device phone-1 --key-file "$E2E_TMP/phone.key" --interval auto --json --on-wake "$E2E_TMP/on-wake.sh"
follow "$E2E_TMP/keep.out" natkeep
wait_until 10 grep -q '"mapping.ok"' "$E2E_TMP/keep.out"

say "tiger calls rabbit while the phone sleeps: tiger may not wake it"
GW_CALL_NETNS=$NS_SRV gw_call tiger gw_call_final tiger || true
echo "  tiger got: $(gw_final_codes tiger | tr '\n' ' ')(and no wake was sent)"

say "shark calls rabbit through Kamailio"
GW_CALL_NETNS=$NS_SRV gw_call_spawn shark gw_call shark
wait_until 25 eval '! pid_alive '"$CALL_PID" || true
if worgw_wait call.answered 1 5; then
    echo "  shark's call was answered by the phone behind the NAT"
else
    echo "  shark's call was not answered (see the events above)"
fi

sleep 1  # let the followers print the last events
say "the wake timelines worgw recorded"
worgw_cli calls
say "worsend's audit trail"
worsend_cli log | tail -n 12
say "done: namespaces, Kamailio and every tool are stopped"
