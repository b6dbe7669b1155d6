# shellcheck shell=bash
# SIPp as a scripted peer. Needs lib/common (load it first) and e2e_setup.
#
#   sipp_uas_start SCENARIO [extra sipp args...]
#       Start SIPp as a UAS with tests/e2e/scenarios/SCENARIO(.xml), a path, or
#       "sn:NAME" for a SIPp built-in scenario (sn:uas answers INVITEs)
#       on 127.0.0.1:<free UDP port>; wait until the port is bound. Sets
#       SIPP_UAS_PORT, SIPP_UAS_PID, SIPP_UAS_TRACE (every message SIPp sent and
#       received, with timestamps) and SIPP_UAS_ERR (SIPp's error log).
#       SIPP_UAS_TRANSPORT=t1 for TCP (default u1), SIPP_UAS_IP=::1 for IPv6.
#   sipp_uas_stop          stop it (idempotent; teardown kills it anyway)
#   sipp_uas_received_count METHOD   how many METHOD requests SIPp received
#   sipp_uas_requests METHOD         print each received METHOD request, separated
#                                    by a line "----" (for greps in tests)
#   sipp_uas_sent_count CODE         how many responses with status CODE SIPp sent

E2E_SCENARIOS="$E2E_DIR/scenarios"

require_sipp() {
    require_cmd sipp "SIPp is the scripted SIP peer (Debian package sip-tester)"
}

sipp_uas_start() {
    require_sipp
    local scen=$1 name
    shift
    local sargs=()
    if [[ $scen == sn:* ]]; then
        name=${scen#sn:}
        sargs=(-sn "$name")
    else
        [[ -f $scen ]] || scen="$E2E_SCENARIOS/${scen%.xml}.xml"
        [[ -f $scen ]] || { echo "sipp_uas_start: no scenario $1" >&2; return 1; }
        name=$(basename "$scen" .xml)
        sargs=(-sf "$scen")
    fi
    local ip=${SIPP_UAS_IP:-127.0.0.1} fam=4 tr=${SIPP_UAS_TRANSPORT:-u1}
    [[ $ip == *:* ]] && fam=6
    local proto=udp
    [[ $tr == t* ]] && proto=tcp
    SIPP_UAS_PORT=$(free_port "$proto" "$fam") || return 1
    SIPP_UAS_TRACE="$E2E_TMP/sipp-$name-msgs.log"
    SIPP_UAS_ERR="$E2E_TMP/sipp-$name-errors.log"
    # -nostdin: no terminal in CI; -trace_msg: full message log with timestamps.
    setsid sipp "${sargs[@]}" -i "$ip" -p "$SIPP_UAS_PORT" -t "$tr" -nostdin \
        -trace_msg -message_file "$SIPP_UAS_TRACE" \
        -trace_err -error_file "$SIPP_UAS_ERR" "$@" \
        </dev/null >"$E2E_TMP/sipp-$name.out" 2>&1 3>&- &
    SIPP_UAS_PID=$!
    e2e_track "$SIPP_UAS_PID"
    export SIPP_UAS_PORT SIPP_UAS_PID SIPP_UAS_TRACE SIPP_UAS_ERR
    if ! wait_until 10 _sipp_uas_bound "$proto" "$SIPP_UAS_PORT"; then
        echo "sipp did not bind port $SIPP_UAS_PORT:" >&2
        tail -n 20 "$E2E_TMP/sipp-$name.out" >&2
        return 1
    fi
}

_sipp_uas_bound() {
    pid_alive "$SIPP_UAS_PID" || return 1
    if [[ $1 == tcp ]]; then
        ss -Hltn "sport = :$2" | grep -q .
    else
        ss -Hlun "sport = :$2" | grep -q .
    fi
}

sipp_uas_stop() {
    [[ -n ${SIPP_UAS_PID:-} ]] || return 0
    kill -TERM -- "-$SIPP_UAS_PID" 2>/dev/null || kill -TERM "$SIPP_UAS_PID" 2>/dev/null || true
    wait_until 5 eval '! pid_alive '"$SIPP_UAS_PID" || kill -KILL -- "-$SIPP_UAS_PID" 2>/dev/null || true
    wait "$SIPP_UAS_PID" 2>/dev/null || true
    SIPP_UAS_PID=
}

# Print the received requests of METHOD from the trace, "----" between them.
sipp_uas_requests() {
    [[ -f ${SIPP_UAS_TRACE:-} ]] || return 0
    awk -v m="$1" '
                                    { sub(/\r$/, "") }
        /^-+ [0-9]/                 { inmsg = 0; next }
        /message received/          { rx = 1; next }
        /message sent/              { rx = 0; next }
        rx && !inmsg && $1 == m     { inmsg = 1; if (n++) print "----" }
        rx && inmsg                 { print }
    ' "$SIPP_UAS_TRACE"
}

sipp_uas_received_count() {
    _sipp_trace_count received "$1" ""
}

sipp_uas_sent_count() {
    _sipp_trace_count sent SIP/2.0 "$1"
}

# _sipp_trace_count received|sent WORD1 [WORD2]: messages in that direction whose
# first line starts with WORD1 (and WORD2 as its second word, if given).
_sipp_trace_count() {
    [[ -f ${SIPP_UAS_TRACE:-} ]] || { echo 0; return 0; }
    awk -v dir="$1" -v w1="$2" -v w2="$3" '
        /message (received|sent)/                     { on = ($0 ~ ("message " dir)); next }
        on && $1 == w1 && (w2 == "" || $2 == w2)      { n++; on = 0 }
        END                                           { print n + 0 }
    ' "$SIPP_UAS_TRACE"
}

# sipp_uas_register_gap_ms I J: milliseconds between the I-th and the J-th
# REGISTER SIPp received (1-based), from the trace timestamps.
sipp_uas_register_gap_ms() {
    sipp_uas_request_times REGISTER | awk -v i="$1" -v j="$2" '
        NR == i { a = $1 } NR == j { b = $1 }
        END { if (a == "" || b == "") exit 1; printf "%d\n", (b - a) * 1000 }'
}

# sipp_uas_request_times METHOD: epoch seconds (with microseconds) at which SIPp
# received each METHOD request, one a line.
sipp_uas_request_times() {
    [[ -f ${SIPP_UAS_TRACE:-} ]] || return 0
    awk -v m="$1" '
        /^-+ [0-9]+-[0-9]+-[0-9]+ / { ts = $2 " " $3; rx = 0; next }
        /message received/                { rx = 1; next }
        rx && $1 == m                     { print ts; rx = 0 }
    ' "$SIPP_UAS_TRACE" | while read -r d t; do
        printf '%s.%s\n' "$(date -d "$d ${t%.*}" +%s)" "${t#*.}"
    done
}
