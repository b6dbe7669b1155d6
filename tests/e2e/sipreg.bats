#!/usr/bin/env bats
# sipreg end to end: against Kamailio (digest auth, real registrar) and against
# SIPp registrars scripted for what Kamailio will not do (423, 503, SHA-256,
# endless 401, silence, NAT rport). Skips until build/bin/sipreg exists.
# Run: bats tests/e2e/sipreg.bats   (SIPWAKE_BIN overrides the binary dir)

bats_require_minimum_version 1.5.0

load lib/common
load lib/kamailio
load lib/sipp
load lib/sipreg

setup() {
    require_sipreg
    require_cmd python3 "parses the JSON events"
    e2e_setup
    export SIPREG_PASSWORD=s3cret
}

teardown() {
    e2e_teardown
}

# Kamailio with alice (and bob) at example.com.
start_kamailio() {
    require_kamailio
    kamailio_add_user alice s3cret
    kamailio_add_user bob b0bpass
    kamailio_start
    REG="sip:127.0.0.1:$KAM_PORT"
}

# A SIPp registrar scenario; sets REG.
start_scenario() {
    require_sipp
    sipp_uas_start "$1"
    REG="sip:127.0.0.1:$SIPP_UAS_PORT"
}

# register_once TIMEOUT [ARGS...]: `sipreg register --once --json` for alice at
# $REG (expires 60 unless ARGS say otherwise) under `run --separate-stderr`;
# the events are kept in $E2E_TMP/events.jsonl.
register_once() {
    local t=$1
    shift
    run --separate-stderr timeout "$t" "$SIPREG" register --registrar "$REG" \
        --aor sip:alice@example.com --expires 60 --once --json "$@"
    printf '%s\n' "$output" >"$E2E_TMP/events.jsonl"
}

# Exactly one non-empty line on stderr ($stderr of `run --separate-stderr`).
assert_one_stderr_line() {
    local n
    n=$(grep -c . <<<"$stderr" || true)
    ((n == 1)) || { echo "want 1 stderr line, got $n: $stderr" >&2; return 1; }
}

# ---------------------------------------------------------------- Kamailio

@test "registers to Kamailio with digest auth and ul.dump shows the binding" {
    start_kamailio
    printf '%s\n' s3cret >"$E2E_TMP/pw"
    chmod 600 "$E2E_TMP/pw"
    run --separate-stderr env -u SIPREG_PASSWORD timeout 20 "$SIPREG" register \
        --registrar "$REG" --aor sip:alice@example.com --password-file "$E2E_TMP/pw" \
        --expires 60 --once --json
    assert_success
    echo "$output" >"$E2E_TMP/events.jsonl"
    run sipreg_events "$E2E_TMP/events.jsonl" register.sent
    assert_success
    refute_output ''
    run sipreg_events "$E2E_TMP/events.jsonl" register.ok expires
    assert_output 60
    local contact
    contact=$(sipreg_events "$E2E_TMP/events.jsonl" register.ok contact)
    [[ -n $contact ]]
    run kamailio_bindings sip:alice@example.com
    assert_success
    [[ -n $output ]]
    # The binding is the contact sipreg reported (modulo angle brackets/params).
    local uri=${contact#<}
    uri=${uri%%[>;]*}
    assert_output --partial "$uri"
    # Secrets never appear in events.
    ! grep -q s3cret "$E2E_TMP/events.jsonl"
}

@test "wrong password exits 1 with one stderr line and leaves no binding" {
    start_kamailio
    SIPREG_PASSWORD=wrong run --separate-stderr timeout 20 "$SIPREG" register \
        --registrar "$REG" --aor sip:alice@example.com --expires 60 --once --json
    assert_failure 1
    assert_one_stderr_line
    [[ $stderr != *wrong* ]]
    echo "$output" >"$E2E_TMP/events.jsonl"
    run sipreg_events "$E2E_TMP/events.jsonl" register.failed code
    assert_output --regexp '^(401|403)$'
    run kamailio_bindings sip:alice@example.com
    assert_output ''
}

@test "unregister removes the binding" {
    start_kamailio
    local lport
    lport=$(free_port udp)
    run timeout 20 "$SIPREG" register --registrar "$REG" --aor sip:alice@example.com \
        --local "udp:127.0.0.1:$lport" --expires 60 --once
    assert_success
    [[ -n $(kamailio_bindings sip:alice@example.com) ]]
    run timeout 20 "$SIPREG" unregister --registrar "$REG" --aor sip:alice@example.com \
        --local "udp:127.0.0.1:$lport"
    assert_success
    run kamailio_bindings sip:alice@example.com
    assert_output ''
}

@test "unregister --all removes every binding of the AOR and no other AOR's" {
    start_kamailio
    local p1 p2
    p1=$(free_port udp)
    p2=$(free_port udp)
    run timeout 20 "$SIPREG" register --registrar "$REG" --aor sip:alice@example.com \
        --contact "sip:alice@127.0.0.1:$p1" --expires 60 --once
    assert_success
    run timeout 20 "$SIPREG" register --registrar "$REG" --aor sip:alice@example.com \
        --contact "sip:alice@127.0.0.1:$p2" --expires 60 --once
    assert_success
    SIPREG_PASSWORD=b0bpass run timeout 20 "$SIPREG" register --registrar "$REG" \
        --aor sip:bob@example.com --expires 60 --once
    assert_success
    run kamailio_bindings sip:alice@example.com
    [[ ${#lines[@]} -eq 2 ]]
    run timeout 20 "$SIPREG" unregister --registrar "$REG" --aor sip:alice@example.com --all
    assert_success
    run kamailio_bindings sip:alice@example.com
    assert_output ''
    run kamailio_bindings sip:bob@example.com
    refute_output ''
}

@test "refresh keeps the binding across two expiry periods" {
    # min_expires 2 lets sipreg ask for 5 s; a missed refresh would drop the
    # binding within a second (usrloc timer_interval 1).
    KAM_MIN_EXPIRES=2 start_kamailio
    sipreg_spawn reg register --registrar "$REG" --aor sip:alice@example.com --expires 5 --json
    sipreg_wait_event "$E2E_TMP/reg.out" register.ok 1 10
    local t_end=$((SECONDS + 12)) missing=0
    while ((SECONDS < t_end)); do
        [[ -n $(kamailio_bindings sip:alice@example.com) ]] || missing=$((missing + 1))
        sleep 0.5   # sampling interval, not a wait for readiness
    done
    ((missing == 0))
    (($(sipreg_event_count "$E2E_TMP/reg.out" register.ok) >= 3))
    pid_alive "$SIPREG_PID"
    run sipreg_events "$E2E_TMP/reg.out" register.ok expires
    refute_line --regexp '^(0|[6-9]|[1-9][0-9]+)$'
}

@test "SIGTERM unregisters and exits 0" {
    start_kamailio
    sipreg_spawn reg register --registrar "$REG" --aor sip:alice@example.com --expires 60 --json
    sipreg_wait_event "$E2E_TMP/reg.out" register.ok 1 10
    [[ -n $(kamailio_bindings sip:alice@example.com) ]]
    e2e_stop "$SIPREG_PID" TERM 10
    sipreg_wait_event "$E2E_TMP/reg.out" unregister.ok 1 1
    run kamailio_bindings sip:alice@example.com
    assert_output ''
}

@test "SIGINT with --keep exits 0 and leaves the binding" {
    start_kamailio
    sipreg_spawn reg register --registrar "$REG" --aor sip:alice@example.com --expires 60 --json --keep
    sipreg_wait_event "$E2E_TMP/reg.out" register.ok 1 10
    e2e_stop "$SIPREG_PID" INT 10
    (($(sipreg_event_count "$E2E_TMP/reg.out" unregister.ok) == 0))
    run kamailio_bindings sip:alice@example.com
    refute_output ''
}

@test "query lists the bindings of the AOR" {
    start_kamailio
    local p1 p2
    p1=$(free_port udp)
    p2=$(free_port udp)
    for p in "$p1" "$p2"; do
        run timeout 20 "$SIPREG" register --registrar "$REG" --aor sip:alice@example.com \
            --contact "sip:alice@127.0.0.1:$p" --expires 60 --once
        assert_success
    done
    run --separate-stderr timeout 20 "$SIPREG" query --registrar "$REG" --aor sip:alice@example.com
    assert_success
    assert_output --partial "sip:alice@127.0.0.1:$p1"
    assert_output --partial "sip:alice@127.0.0.1:$p2"
}

@test "registers over TCP with ;transport=tcp" {
    start_kamailio
    run timeout 20 "$SIPREG" register --registrar "$REG;transport=tcp" --aor sip:alice@example.com \
        --expires 60 --once
    assert_success
    run kamailio_rpc ul.lookup location alice@example.com
    assert_output --partial 'Socket: tcp:127.0.0.1:'
}

@test "registers over IPv6 to [::1]" {
    require_kamailio
    kamailio_add_user alice s3cret
    KAM_IPV6=1 kamailio_start
    run timeout 20 "$SIPREG" register --registrar "sip:[::1]:$KAM_PORT6" --aor sip:alice@example.com \
        --expires 60 --once
    assert_success
    run kamailio_bindings sip:alice@example.com
    assert_output --partial '[::1]'
}

@test "a 'reregister' line on stdin triggers a new register.sent" {
    start_kamailio
    sipreg_spawn reg register --registrar "$REG" --aor sip:alice@example.com --expires 3600 --json
    sipreg_wait_event "$E2E_TMP/reg.out" register.ok 1 10
    local sent
    sent=$(sipreg_event_count "$E2E_TMP/reg.out" register.sent)
    e2e_send reg reregister
    run sipreg_wait_event "$E2E_TMP/reg.out" register.sent $((sent + 1)) 5
    assert_success
    run sipreg_wait_event "$E2E_TMP/reg.out" register.ok 2 5
    assert_success
}

@test "--accounts registers all 50 accounts of a JSON Lines file" {
    require_kamailio
    kamailio_add_bench_users 50
    kamailio_start
    local i u
    for ((i = 0; i < 50; i++)); do
        printf -v u 'user%05d' "$i"
        printf '{"aor":"sip:%s@example.com","user":"%s","password":"%s"}\n' "$u" "$u" "$(bench_password "$u")"
    done >"$E2E_TMP/accounts.jsonl"
    run --separate-stderr env -u SIPREG_PASSWORD timeout 60 "$SIPREG" register \
        --registrar "sip:127.0.0.1:$KAM_PORT" --accounts "$E2E_TMP/accounts.jsonl" --expires 300 --once --json
    assert_success
    echo "$output" >"$E2E_TMP/events.jsonl"
    [[ $(sipreg_events "$E2E_TMP/events.jsonl" register.ok aor | sort -u | wc -l) -eq 50 ]]
    run kamailio_aor_count
    assert_output 50
}

# ---------------------------------------------------------------- SIPp registrars

@test "423 Interval Too Brief makes sipreg retry with Min-Expires" {
    start_scenario reg_423_min_expires
    register_once 20
    assert_success
    run sipreg_events "$E2E_TMP/events.jsonl" register.ok expires
    assert_output 1800
    # The scenario answers 400 unless the retry asks for 1800 s.
    [[ $(sipp_uas_sent_count 400) -eq 0 ]]
    [[ $(sipp_uas_received_count REGISTER) -eq 2 ]]
}

@test "503 Retry-After: 2 is honoured before the next REGISTER" {
    start_scenario reg_503_retry_after
    sipreg_spawn reg register --registrar "$REG" --aor sip:alice@example.com --expires 60 --json
    run sipreg_wait_event "$E2E_TMP/reg.out" register.ok 1 15
    assert_success
    e2e_stop "$SIPREG_PID" TERM 10
    run sipreg_events "$E2E_TMP/reg.out" register.retry in_ms
    assert_success
    refute_output ''
    ((${lines[0]%.*} >= 2000))
    run sipreg_events "$E2E_TMP/reg.out" register.retry reason
    refute_output ''
    run sipp_uas_register_gap_ms 1 2
    assert_success
    ((output >= 1990))   # trace timestamps: allow clock granularity
    run sipreg_events "$E2E_TMP/reg.out" register.ok expires
    assert_line 60
}

@test "SHA-256 digest challenge is answered with SHA-256 and a correct response" {
    start_scenario reg_sha256
    register_once 20
    assert_success
    [[ $(sipp_uas_sent_count 200) -eq 1 ]]
    run timeout 10 python3 "$E2E_LIB_DIR/sipcheck.py" check-digest "$SIPP_UAS_TRACE" s3cret
    assert_success
    assert_output 'ok alice SHA-256'
}

@test "endless 401 makes --once give up with exit 1 instead of looping" {
    start_scenario reg_401_loop
    local t0=$SECONDS
    register_once 30
    assert_failure 1
    assert_one_stderr_line
    ((SECONDS - t0 < 20))
    # One unauthenticated REGISTER and at most a couple of answered challenges.
    local n
    n=$(sipp_uas_received_count REGISTER)
    ((n >= 2 && n <= 3))
    run sipreg_events "$E2E_TMP/events.jsonl" register.failed code
    assert_output 401
}

@test "silent registrar: --once exits 1 with a timeout message within the transaction timeout" {
    start_scenario reg_silent
    local t0=$SECONDS
    register_once 45
    assert_failure 1
    ((SECONDS - t0 <= 40))
    assert_one_stderr_line
    [[ $stderr =~ [Tt]ime[d\ -]*out|no\ (response|answer) ]]
    # UDP: the REGISTER was retransmitted (Timer E) before giving up.
    (($(sipp_uas_received_count REGISTER) >= 2))
}

@test "Via received/rport in the 200 leads to contact.public-changed and a REGISTER with the corrected Contact" {
    start_scenario reg_nat_rport
    sipreg_spawn reg register --registrar "$REG" --aor sip:alice@example.com --expires 60 --json
    run sipreg_wait_event "$E2E_TMP/reg.out" contact.public-changed 1 10
    assert_success
    run wait_until 10 eval 'sipp_uas_requests REGISTER | grep -q "^Contact:.*198\.51\.100\.7:40000"'
    assert_success
    run sipreg_wait_event "$E2E_TMP/reg.out" register.ok 1 10
    assert_success
    run sipreg_events "$E2E_TMP/reg.out" register.ok contact
    assert_line --partial '198.51.100.7:40000'
    run sipreg_events "$E2E_TMP/reg.out" contact.public-changed
    assert_output --partial '198.51.100.7:40000'
    e2e_stop "$SIPREG_PID" TERM 10
}
