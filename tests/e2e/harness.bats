#!/usr/bin/env bats
# Proves the e2e harness itself: free ports, polling, cleanup, the Kamailio
# registrar/proxy setup and every SIPp registrar scenario, using sipsak, SIPp
# and lib/sipcheck.py (a minimal reference registration client) as clients.
# Run: bats tests/e2e/harness.bats

load lib/common
load lib/kamailio
load lib/sipp

PROBE="$E2E_LIB_DIR/sipcheck.py"

setup() {
    e2e_setup
}

teardown() {
    e2e_teardown
}

# probe ARGS...: the reference registration client against 127.0.0.1:$1.
probe() {
    local target=$1
    shift
    timeout 60 python3 "$PROBE" probe --target "$target" "$@"
}

@test "free_port returns a port that can be bound for UDP and TCP" {
    require_cmd python3
    run free_port both
    assert_success
    [[ $output =~ ^[0-9]+$ ]] && ((output > 0 && output < 65536))
    timeout 5 python3 -c 'import socket,sys
for k in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, k); s.bind(("127.0.0.1", int(sys.argv[1]))); s.close()' "$output"
}

@test "wait_until succeeds as soon as the condition holds and fails after its timeout" {
    touch "$E2E_TMP/flag"
    run wait_until 2 test -e "$E2E_TMP/flag"
    assert_success
    local t0=$SECONDS
    run wait_until 1 test -e "$E2E_TMP/never"
    assert_failure
    ((SECONDS - t0 <= 3))
}

@test "e2e_spawn feeds stdin lines and teardown kills the process group" {
    e2e_spawn cat-bg bash -c 'while read -r l; do echo "got $l"; done'
    local pid=$E2E_LAST_PID
    e2e_send cat-bg hello
    run wait_until 5 grep -q 'got hello' "$E2E_TMP/cat-bg.out"
    assert_success
    pid_alive "$pid"
    e2e_teardown
    ! pid_alive "$pid"
    e2e_setup   # for the real teardown
}

@test "Kamailio starts on a free port and answers OPTIONS and kamcmd" {
    require_kamailio
    kamailio_start
    run timeout 10 sipsak -s "sip:127.0.0.1:$KAM_PORT"
    assert_success
    run kamailio_rpc core.version
    assert_success
    assert_output --partial kamailio
    # No pid file or runtime file outside the test's temp dir.
    [[ -f $KAM_PIDFILE ]]
}

@test "Kamailio accepts a sipsak REGISTER with digest auth and ul.dump shows the binding" {
    require_kamailio
    require_cmd sipsak
    # sipsak resolves the domain of -s itself, so this AOR uses 127.0.0.1.
    kamailio_add_user alice s3cret 127.0.0.1
    kamailio_start
    run timeout 15 sipsak -U -C sip:alice@127.0.0.1:5999 -s "sip:alice@127.0.0.1:$KAM_PORT" \
        -u alice -a s3cret -x 60
    assert_success
    run kamailio_bindings sip:alice@127.0.0.1
    assert_output 'sip:alice@127.0.0.1:5999'
    run kamailio_rpc ul.dump
    assert_output --partial 'AoR: alice@127.0.0.1'
}

@test "Kamailio rejects a wrong password and creates no binding" {
    require_kamailio
    require_cmd sipsak
    kamailio_add_user alice s3cret 127.0.0.1
    kamailio_start
    run timeout 15 sipsak -U -C sip:alice@127.0.0.1:5999 -s "sip:alice@127.0.0.1:$KAM_PORT" \
        -u alice -a wrong -x 60
    assert_failure
    run kamailio_bindings sip:alice@127.0.0.1
    assert_output ''
}

@test "Kamailio challenges with realm = AOR domain and qop=auth; MD5 answer registers sip:alice@example.com" {
    require_kamailio
    require_cmd python3
    kamailio_add_user alice s3cret
    kamailio_start
    run probe "127.0.0.1:$KAM_PORT" --aor sip:alice@example.com --password s3cret --expires 30
    assert_success
    assert_line 'GOT 401 Unauthorized'
    assert_line --partial 'OK expires=30'
    run kamailio_bindings sip:alice@example.com
    assert_output --regexp '^sip:alice@127\.0\.0\.1:[0-9]+$'
}

@test "Kamailio raises a too-short expiry to min_expires and drops the binding when it expires" {
    require_kamailio
    require_cmd python3
    kamailio_add_user alice s3cret
    KAM_MIN_EXPIRES=3 kamailio_start
    run probe "127.0.0.1:$KAM_PORT" --aor sip:alice@example.com --password s3cret --expires 1
    assert_success
    assert_line --partial 'OK expires=3'
    [[ -n $(kamailio_bindings sip:alice@example.com) ]]
    run wait_until 8 eval '[[ -z $(kamailio_bindings sip:alice@example.com) ]]'
    assert_success
}

@test "Kamailio accepts REGISTER over TCP on the same port" {
    require_kamailio
    require_cmd sipsak
    kamailio_add_user alice s3cret 127.0.0.1
    kamailio_start
    run timeout 15 sipsak -U -E tcp -C "sip:alice@127.0.0.1:5999;transport=tcp" \
        -s "sip:alice@127.0.0.1:$KAM_PORT" -u alice -a s3cret -x 60
    assert_success
    run kamailio_bindings sip:alice@127.0.0.1
    assert_output --partial 'sip:alice@127.0.0.1:5999'
}

@test "Kamailio listens on [::1] with KAM_IPV6=1 and registers over IPv6" {
    require_kamailio
    require_cmd python3
    kamailio_add_user alice s3cret
    KAM_IPV6=1 kamailio_start
    [[ -n $KAM_PORT6 ]]
    run probe "[::1]:$KAM_PORT6" --aor sip:alice@example.com --password s3cret --expires 30
    assert_success
    run kamailio_bindings sip:alice@example.com
    assert_output --regexp '^sip:alice@\[::1\]:[0-9]+$'
}

@test "Kamailio relays an INVITE to the registered contact (lookup + t_relay)" {
    require_kamailio
    require_sipp
    require_cmd sipsak
    kamailio_add_user bob bobpw 127.0.0.1
    kamailio_start
    sipp_uas_start sn:uas
    run timeout 15 sipsak -U -C "sip:bob@127.0.0.1:$SIPP_UAS_PORT" -s "sip:bob@127.0.0.1:$KAM_PORT" \
        -u bob -a bobpw -x 60
    assert_success
    local cport
    cport=$(free_port udp)
    run timeout 30 sipp -sn uac -s bob -i 127.0.0.1 -p "$cport" -m 1 -nostdin \
        -timeout 20 -timeout_error "127.0.0.1:$KAM_PORT"
    assert_success
    [[ $(sipp_uas_received_count INVITE) -ge 1 ]]
    [[ $(sipp_uas_received_count BYE) -ge 1 ]]
}

@test "SIPp bench scenario registers accounts from an injection file against Kamailio" {
    require_kamailio
    require_sipp
    kamailio_add_bench_users 3
    kamailio_start
    {
        echo SEQUENTIAL
        for u in user00000 user00001 user00002; do
            echo "$u;[authentication username=$u password=$(bench_password "$u")];$KAM_DOMAIN;"
        done
    } >"$E2E_TMP/users.csv"
    local cport
    cport=$(free_port udp)
    run timeout 30 sipp -sf "$REPO/tests/bench/scenarios/register_auth_uac.xml" -inf "$E2E_TMP/users.csv" \
        -i 127.0.0.1 -p "$cport" -m 3 -r 10 -nostdin -timeout 20 -timeout_error "127.0.0.1:$KAM_PORT"
    assert_success
    run kamailio_aor_count
    assert_output 3
    run kamailio_binding_count
    assert_output 3
}

@test "Kamailio with 10,000 db_text users starts within 10 s and authenticates the last one" {
    require_kamailio
    require_cmd python3
    kamailio_add_bench_users 10000
    local t0=$SECONDS
    KAM_START_TIMEOUT=10 kamailio_start
    run probe "127.0.0.1:$KAM_PORT" --aor sip:user09999@example.com --password "$(bench_password user09999)"
    assert_success
    ((SECONDS - t0 <= 10))
    run kamailio_bindings sip:user09999@example.com
    assert_output --partial 'sip:user09999@'
}

@test "kamailio_stop leaves no Kamailio process of the test behind" {
    require_kamailio
    kamailio_start
    local cfg=$KAM_CFG
    pgrep -f -- "-f $cfg" >/dev/null
    kamailio_stop
    run pgrep -f -- "-f $cfg"
    assert_failure
}

# ---- SIPp registrar scenarios, each driven by the reference client

@test "scenario reg_423_min_expires: 423 with Min-Expires 1800, then 200 with expires=1800" {
    require_sipp
    require_cmd python3
    sipp_uas_start reg_423_min_expires
    run probe "127.0.0.1:$SIPP_UAS_PORT" --aor sip:alice@example.com --expires 60
    assert_success
    assert_line 'GOT 423 Interval Too Brief'
    assert_line --regexp '^SENT cseq=2 expires=1800 '
    assert_line --partial 'OK expires=1800'
    grep -q '^Min-Expires: 1800' "$SIPP_UAS_TRACE"
}

@test "scenario reg_423_min_expires: a retry that does not adopt Min-Expires is refused" {
    require_sipp
    require_cmd python3
    sipp_uas_start reg_423_min_expires
    local cport
    cport=$(free_port udp)
    # A SIPp UAC that ignores the 423 and repeats expires=60 with the same Call-ID.
    cat >"$E2E_TMP/stubborn.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="stubborn">
  <send><![CDATA[
REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
From: <sip:alice@example.com>;tag=[call_number]
To: <sip:alice@example.com>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:alice@[local_ip]:[local_port]>
Expires: 60
Content-Length: 0

]]></send>
  <recv response="423" />
  <send><![CDATA[
REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
From: <sip:alice@example.com>;tag=[call_number]
To: <sip:alice@example.com>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:alice@[local_ip]:[local_port]>
Expires: 60
Content-Length: 0

]]></send>
  <recv response="400" />
</scenario>
XML
    run timeout 20 sipp -sf "$E2E_TMP/stubborn.xml" -i 127.0.0.1 -p "$cport" -m 1 -nostdin \
        -timeout 10 -timeout_error "127.0.0.1:$SIPP_UAS_PORT"
    assert_success
}

@test "scenario reg_503_retry_after: 503 with Retry-After 2, then 200 after the wait" {
    require_sipp
    require_cmd python3
    sipp_uas_start reg_503_retry_after
    run probe "127.0.0.1:$SIPP_UAS_PORT" --aor sip:alice@example.com --expires 60
    assert_success
    assert_line 'GOT 503 Service Unavailable'
    assert_line 'RETRY in_ms=2000'
    assert_line --partial 'OK expires=60'
    run sipp_uas_register_gap_ms 1 2
    assert_success
    ((output >= 2000))
}

@test "scenario reg_sha256: 401 offers SHA-256 qop=auth; a SHA-256 answer gets 200 and verifies" {
    require_sipp
    require_cmd python3
    sipp_uas_start reg_sha256
    run probe "127.0.0.1:$SIPP_UAS_PORT" --aor sip:alice@example.com --password s3cret
    assert_success
    assert_line --regexp '^SENT cseq=2 .*auth=SHA-256'
    assert_line --partial 'OK expires=60'
    grep -q 'WWW-Authenticate: Digest realm="example.com", nonce="[^"]*", algorithm=SHA-256, qop="auth"' "$SIPP_UAS_TRACE"
    run timeout 10 python3 "$PROBE" check-digest "$SIPP_UAS_TRACE" s3cret
    assert_success
    assert_output 'ok alice SHA-256'
    run timeout 10 python3 "$PROBE" check-digest "$SIPP_UAS_TRACE" wrong
    assert_failure
}

@test "scenario reg_sha256: an MD5 answer to the SHA-256 challenge gets 403" {
    require_sipp
    require_cmd python3
    sipp_uas_start reg_sha256
    run probe "127.0.0.1:$SIPP_UAS_PORT" --aor sip:alice@example.com --password s3cret --force-algorithm MD5
    assert_failure
    assert_line 'GOT 403 SHA-256 required'
}

@test "scenario reg_401_loop: every REGISTER gets a 401 with a fresh nonce" {
    require_sipp
    require_cmd python3
    sipp_uas_start reg_401_loop
    run probe "127.0.0.1:$SIPP_UAS_PORT" --aor sip:alice@example.com --password s3cret
    assert_failure
    assert_line 'GIVEUP credentials rejected'
    # A second client run in the same scenario call-space: still 401s.
    run probe "127.0.0.1:$SIPP_UAS_PORT" --aor sip:alice@example.com --password s3cret
    assert_failure
    [[ $(sipp_uas_sent_count 401) -eq 4 ]]
    # All 4 challenges carry different nonces.
    [[ $(grep -h '^WWW-Authenticate' "$SIPP_UAS_TRACE" | grep -o 'nonce="[^"]*"' | sort -u | wc -l) -eq 4 ]]
}

@test "scenario reg_silent: REGISTER is received and never answered" {
    require_sipp
    require_cmd python3
    sipp_uas_start reg_silent
    run probe "127.0.0.1:$SIPP_UAS_PORT" --aor sip:alice@example.com --timeout 2
    assert_failure
    assert_line 'TIMEOUT no final response'
    [[ $(sipp_uas_received_count REGISTER) -eq 1 ]]
    [[ $(sipp_uas_sent_count 200) -eq 0 ]]
}

@test "scenario reg_nat_rport: 200 says received=198.51.100.7;rport=40000 and the corrected REGISTER is accepted" {
    require_sipp
    require_cmd python3
    sipp_uas_start reg_nat_rport
    run probe "127.0.0.1:$SIPP_UAS_PORT" --aor sip:alice@example.com
    assert_success
    assert_line 'PUBLIC 198.51.100.7:40000'
    assert_line --partial 'OK expires=60 contact=<sip:alice@198.51.100.7:40000>'
    grep -q '^Via: SIP/2.0/UDP 127.0.0.1:[0-9]*;branch=[^;]*;received=198.51.100.7;rport=40000' "$SIPP_UAS_TRACE"
    run sipp_uas_requests REGISTER
    assert_line 'Contact: <sip:alice@198.51.100.7:40000>'
    [[ $(sipp_uas_sent_count 200) -eq 2 ]]
}

# Whether anything outlived the suite is checked by scripts/test after every Bats file
# has finished: with bats --jobs, other tests' peers are legitimately alive here.
