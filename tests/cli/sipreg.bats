#!/usr/bin/env bats
# sipreg command line: help, usage errors (exit 2), runtime failures (exit 1),
# JSON events, stdin control, and the drift check that the man page, the
# completions and the event list keep up with the code.
#
# SIPWAKE_BIN names the directory of the binaries (default: $REPO/build/bin).
# Tests that need a registrar start a tiny UDP responder (python3, written by
# setup_file) on a free loopback port; it answers every REGISTER with one fixed
# status and keeps the bindings it was given, so query and unregister work.

# stderr_lines comes from `run --separate-stderr`, PORT_* from start_registrar;
# PIDS is per test on purpose.
# shellcheck disable=SC2154,SC2030,SC2031
bats_require_minimum_version 1.5.0

REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
SIPWAKE_BIN="${SIPWAKE_BIN:-$REPO/build/bin}"
SIPREG="$SIPWAKE_BIN/sipreg"

for _d in "${BATS_LIB_PATH:-}" /usr/lib/bats /usr/share/bats /usr/local/lib/bats; do
    if [[ -n $_d && -f $_d/bats-support/load.bash && -f $_d/bats-assert/load.bash ]]; then
        load "$_d/bats-support/load.bash"
        load "$_d/bats-assert/load.bash"
        break
    fi
done

setup_file() {
    cat >"$BATS_FILE_TMPDIR/responder.py" <<'EOF'
# responder.py PORTFILE CODE [RECEIVED]: a one-status UDP registrar on 127.0.0.1.
import os, re, socket, sys

portfile, code = sys.argv[1], int(sys.argv[2])
received = sys.argv[3] if len(sys.argv) > 3 else None
reasons = {200: "OK", 403: "Forbidden", 404: "Not Found", 503: "Service Unavailable"}
compact = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact"}
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(30)  # never outlive a forgotten test by long
with open(portfile + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
bindings = {}
while True:
    try:
        data, src = s.recvfrom(65535)
    except socket.timeout:
        break
    head = data.decode(errors="replace").split("\r\n\r\n", 1)[0].split("\r\n")
    if not head[0].startswith("REGISTER "):
        continue
    hdrs = []
    for line in head[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        hdrs.append((compact.get(name, name), value.strip()))
    out, first_via = [], True
    for name, value in hdrs:
        if name == "via" and first_via:
            first_via = False
            value = re.sub(r";rport(?=;|$)", ";rport=%d" % src[1], value)
            value += ";received=" + (received or src[0])
        if name == "to" and ";tag=" not in value:
            value += ";tag=cli-test"
        if name in ("via", "from", "to", "call-id"):
            out.append("%s: %s" % (name.title(), value))
        elif name == "cseq":
            out.append("CSeq: " + value)
    if code == 200:
        for c in (v for n, v in hdrs if n == "contact"):
            for one in re.findall(r"<[^>]*>[^,]*|[^,<]+", c):
                one = one.strip()
                if one == "*":
                    bindings.clear()
                    continue
                uri = re.match(r"<?([^>;]+)", one).group(1)
                m = re.search(r";expires=(\d+)", one)
                if m and m.group(1) == "0":
                    bindings.pop(uri, None)
                else:
                    bindings[uri] = m.group(1) if m else "3600"
        out += ["Contact: <%s>;expires=%s" % (u, e) for u, e in bindings.items()]
    reply = "SIP/2.0 %d %s\r\n%s\r\nContent-Length: 0\r\n\r\n" % (
        code, reasons.get(code, "Whatever"), "\r\n".join(out))
    s.sendto(reply.encode(), src)
EOF
}

setup() {
    [[ -x $SIPREG ]] || skip "sipreg not built: $SIPREG (set SIPWAKE_BIN)"
    PIDS=()
    CTL=""
}

teardown() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n $CTL ]]; then exec {CTL}>&-; fi
}

# ---------------------------------------------------------------- helpers

require_python() {
    command -v python3 >/dev/null || skip "python3 not installed (needed for the test registrar)"
}

# wait_until SECONDS cmd...: poll every 0.05 s.
wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.05
    done
}

# has_events FILE NAME MIN: FILE holds at least MIN events NAME.
has_events() {
    local n
    n=$(grep -c "\"event\":\"$2\"" "$1")
    ((n >= $3))
}

# start_registrar NAME CODE [RECEIVED]: sets PORT_<NAME>.
start_registrar() {
    require_python
    local portfile="$BATS_TEST_TMPDIR/$1.port"
    python3 "$BATS_FILE_TMPDIR/responder.py" "$portfile" "$2" ${3:+"$3"} &
    PIDS+=("$!")
    wait_until 5 test -s "$portfile" || fail "test registrar $1 did not start"
    printf -v "PORT_$1" '%s' "$(<"$portfile")"
}

# once_json REGISTRAR-URI [ARGS...]: `run` register --once --json for alice.
once_json() {
    run --separate-stderr timeout 5 "$SIPREG" register --once --json \
        --registrar "$1" --aor sip:alice@example.com "${@:2}"
}

# A TCP port on 127.0.0.1 with no listener (the kernel picks it, then it is closed).
closed_tcp_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# assert_usage_error: exit 2, nothing on stdout, exactly one stderr line "sipreg: ...".
assert_usage_error() {
    assert_equal "$status" 2
    assert_equal "$output" ""
    assert_equal "${#stderr_lines[@]}" 1
    assert_regex "${stderr_lines[0]}" '^sipreg: .+'
}

assert_runtime_error() {
    assert_equal "$status" 1
    assert_equal "${#stderr_lines[@]}" 1
    assert_regex "${stderr_lines[0]}" '^sipreg: .+'
}

# assert_events: every line of $output is a v1 event of sipreg with a timestamp;
# sets EVENTS to the event names, space-separated ($output and $lines are kept).
assert_events() {
    require_python
    [[ -n $output ]] || fail "no events on stdout"
    EVENTS=$(python3 -c '
import json, re, sys
names = []
for n, line in enumerate(sys.stdin, 1):
    e = json.loads(line)
    assert isinstance(e, dict), "line %d: not an object" % n
    assert e.get("v") == 1, "line %d: v" % n
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e.get("ts", "")), "line %d: ts" % n
    assert e.get("tool") == "sipreg", "line %d: tool" % n
    assert re.fullmatch(r"[a-z]+\.[a-z-]+", e.get("event", "")), "line %d: event" % n
    names.append(e["event"])
print(" ".join(names))
' <<<"$output") || fail "stdout is not a stream of v1 sipreg events: $output"
}

# assert_run_events STATUS NAMES: the run exited STATUS and printed exactly the
# events NAMES (space-separated, in order).
assert_run_events() {
    assert_equal "$status" "$1"
    assert_events
    assert_equal "$EVENTS" "$2"
}

# All --long options a help text shows.
long_options() {
    grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

ARGS=(--registrar sip:127.0.0.1:5060 --aor sip:alice@example.com)

# ---------------------------------------------------------------- help

@test "--help and --version exit 0 and print to stdout" {
    run -0 timeout 5 "$SIPREG" --help
    assert_output --partial "register"
    assert_output --partial "unregister"
    assert_output --partial "query"
    run -0 timeout 5 "$SIPREG" --version
    assert_output --regexp '^sipreg \(sipwake\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "each subcommand's --help exits 0 and lists its options" {
    run -0 timeout 5 "$SIPREG" register --help
    assert_output --partial "--once"
    assert_output --partial "--push-provider"
    run -0 timeout 5 "$SIPREG" unregister --help
    assert_output --partial "--all"
    run -0 timeout 5 "$SIPREG" query --help
    assert_output --partial "--registrar"
}

# ---------------------------------------------------------------- usage errors

@test "no subcommand is a usage error (exit 2, one stderr line)" {
    run --separate-stderr timeout 5 "$SIPREG"
    assert_usage_error
}

@test "an unknown subcommand is a usage error" {
    run --separate-stderr timeout 5 "$SIPREG" reg1ster "${ARGS[@]}"
    assert_usage_error
}

@test "an unknown option is a usage error" {
    run --separate-stderr timeout 5 "$SIPREG" register "${ARGS[@]}" --bogus
    assert_usage_error
    assert_regex "${stderr_lines[0]}" 'bogus'
}

@test "missing --registrar is a usage error" {
    run --separate-stderr timeout 5 "$SIPREG" register --aor sip:alice@example.com
    assert_usage_error
    assert_regex "${stderr_lines[0]}" -- '--registrar'
}

@test "missing --aor is a usage error" {
    run --separate-stderr timeout 5 "$SIPREG" query --registrar sip:127.0.0.1
    assert_usage_error
    assert_regex "${stderr_lines[0]}" -- '--aor'
}

@test "a registrar that is not a SIP URI is a usage error" {
    run --separate-stderr timeout 5 "$SIPREG" register --registrar 127.0.0.1:5060 --aor sip:alice@example.com
    assert_usage_error
    assert_regex "${stderr_lines[0]}" -- '--registrar'
}

@test "an AOR without a user part is a usage error" {
    run --separate-stderr timeout 5 "$SIPREG" register --registrar sip:127.0.0.1 --aor sip:example.com
    assert_usage_error
    assert_regex "${stderr_lines[0]}" -- '--aor'
}

@test "an unsupported transport is a usage error" {
    run --separate-stderr timeout 5 "$SIPREG" register --registrar 'sip:127.0.0.1;transport=tls' \
        --aor sip:alice@example.com
    assert_usage_error
}

@test "--expires 0 is a usage error" {
    run --separate-stderr timeout 5 "$SIPREG" register "${ARGS[@]}" --expires 0
    assert_usage_error
    assert_regex "${stderr_lines[0]}" -- '--expires'
}

@test "--reg-id 0 is a usage error" {
    run --separate-stderr timeout 5 "$SIPREG" register "${ARGS[@]}" --reg-id 0
    assert_usage_error
    assert_regex "${stderr_lines[0]}" -- '--reg-id'
}

@test "--push-prid without --push-provider is a usage error" {
    run --separate-stderr timeout 5 "$SIPREG" register "${ARGS[@]}" --push-prid abc
    assert_usage_error
    assert_regex "${stderr_lines[0]}" -- '--push-provider'
}

@test "--instance that is not a URN is a usage error" {
    run --separate-stderr timeout 5 "$SIPREG" register "${ARGS[@]}" --instance 1234
    assert_usage_error
    assert_regex "${stderr_lines[0]}" -- '--instance'
}

@test "--all is an unregister option, not a register option" {
    run --separate-stderr timeout 5 "$SIPREG" register "${ARGS[@]}" --all
    assert_usage_error
}

@test "a bad --local is a usage error" {
    run --separate-stderr timeout 5 "$SIPREG" register "${ARGS[@]}" --once --local nowhere
    assert_usage_error
    assert_regex "${stderr_lines[0]}" -- '--local'
}

# ---------------------------------------------------------------- runtime failures

@test "an unreadable --password-file is a runtime failure (exit 1, one line naming it)" {
    run --separate-stderr timeout 5 "$SIPREG" register "${ARGS[@]}" --once \
        --password-file "$BATS_TEST_TMPDIR/no-such-file"
    assert_runtime_error
    assert_regex "${stderr_lines[0]}" 'no-such-file'
    assert_equal "$output" ""
}

@test "a bad accounts line stops sipreg with exit 1 and FILE:LINE" {
    local f="$BATS_TEST_TMPDIR/accounts.jsonl"
    printf '%s\n' '# comment' '{"aor":"sip:alice@example.com"}' '{"aor": broken' >"$f"
    chmod 600 "$f"
    run --separate-stderr timeout 5 "$SIPREG" register --registrar sip:127.0.0.1 --accounts "$f" --once
    assert_runtime_error
    assert_regex "${stderr_lines[0]}" "^sipreg: $f:3: "
    assert_equal "$output" ""
}

@test "an accounts line without an aor stops sipreg with exit 1 and FILE:LINE" {
    local f="$BATS_TEST_TMPDIR/accounts.jsonl"
    printf '%s\n' '{"user":"alice"}' >"$f"
    chmod 600 "$f"
    run --separate-stderr timeout 5 "$SIPREG" register --registrar sip:127.0.0.1 --accounts "$f" --once
    assert_runtime_error
    assert_regex "${stderr_lines[0]}" "^sipreg: $f:1: .*aor"
}

@test "a refused TCP connection fails --once at once with JSON events and exit 1" {
    require_python
    local port
    port=$(closed_tcp_port)
    once_json "sip:127.0.0.1:$port;transport=tcp"
    assert_runtime_error
    assert_run_events 1 "register.sent register.failed"
}

# ---------------------------------------------------------------- against a test registrar

@test "register --once --json: register.sent then register.ok, exit 0" {
    start_registrar ok 200
    once_json "sip:127.0.0.1:$PORT_ok" --expires 600
    assert_run_events 0 "register.sent register.ok"
    assert_line --index 1 --regexp '"expires":600'
    assert_line --index 1 --regexp '"aor":"sip:alice@example.com"'
}

@test "a password never appears in the events" {
    start_registrar ok 200
    SIPREG_PASSWORD=s3cret-pw once_json "sip:127.0.0.1:$PORT_ok"
    assert_equal "$status" 0
    refute_output --partial "s3cret-pw"
}

@test "403 ends register --once with register.failed, exit 1 and the reason on stderr" {
    start_registrar forbidden 403
    once_json "sip:127.0.0.1:$PORT_forbidden"
    assert_runtime_error
    assert_regex "${stderr_lines[0]}" '403 Forbidden'
    assert_events
    assert_equal "$EVENTS" "register.sent register.failed"
    assert_line --index 1 --regexp '"code":403'
    assert_line --index 1 --regexp '"final":true'
}

@test "503 is not retried with --once" {
    start_registrar busy 503
    once_json "sip:127.0.0.1:$PORT_busy"
    assert_runtime_error
    assert_run_events 1 "register.sent register.failed"
}

@test "received/rport that differ from the Contact make sipreg re-register with the public address" {
    start_registrar nat 200 192.0.2.99
    once_json "sip:127.0.0.1:$PORT_nat"
    assert_run_events 0 "register.sent contact.public-changed register.sent register.ok"
    assert_line --index 1 --regexp '"new":"sip:alice@192\.0\.2\.99:[0-9]+"'
    assert_line --index 3 --regexp '"contact":"sip:alice@192\.0\.2\.99:[0-9]+"'
}

@test "query lists the bindings, unregister --all removes them" {
    start_registrar ok 200
    local reg=(--registrar "sip:127.0.0.1:$PORT_ok" --aor sip:alice@example.com)
    run -0 timeout 5 "$SIPREG" register --once "${reg[@]}" --contact sip:alice@192.0.2.7:5070
    run -0 --separate-stderr timeout 5 "$SIPREG" query --json "${reg[@]}"
    assert_events
    assert_equal "$EVENTS" "register.sent query.binding query.ok"
    assert_line --index 1 --regexp '"contact":"sip:alice@192\.0\.2\.7:5070"'
    assert_line --index 2 --regexp '"bindings":1'
    run -0 --separate-stderr timeout 5 "$SIPREG" unregister --all --json "${reg[@]}"
    assert_line --index 0 --regexp '"event":"unregister.sent"'
    assert_line --index 0 --regexp '"contact":"\*"'
    assert_line --index 1 --regexp '"event":"unregister.ok"'
    run -0 timeout 5 "$SIPREG" query "${reg[@]}"
    assert_output "0 binding(s) for sip:alice@example.com"
}

@test "--accounts with one failing account exits 3" {
    start_registrar ok 200
    start_registrar forbidden 403
    local f="$BATS_TEST_TMPDIR/accounts.jsonl"
    {
        printf '{"aor":"sip:alice@example.com","registrar":"sip:127.0.0.1:%s"}\n' "$PORT_ok"
        printf '{"aor":"sip:bob@example.com","registrar":"sip:127.0.0.1:%s"}\n' "$PORT_forbidden"
    } >"$f"
    chmod 600 "$f"
    run --separate-stderr timeout 5 "$SIPREG" register --once --accounts "$f"
    assert_equal "$status" 3
    assert_equal "${#stderr_lines[@]}" 1
    assert_regex "${stderr_lines[0]}" '^sipreg: sip:bob@example.com: 403 Forbidden \(1 of 2 accounts failed\)$'
}

@test "stdin control: status and errors get one reply each; SIGTERM unregisters and exits 0" {
    start_registrar ok 200
    local out="$BATS_TEST_TMPDIR/sipreg.out" fifo="$BATS_TEST_TMPDIR/ctl"
    mkfifo "$fifo"
    # --foreground: a signal to timeout reaches sipreg once, not also via the
    # process group (a second signal would make sipreg exit at once).
    timeout --foreground 10 "$SIPREG" register --json --registrar "sip:127.0.0.1:$PORT_ok" \
        --aor sip:alice@example.com <"$fifo" >"$out" 2>"$BATS_TEST_TMPDIR/sipreg.err" &
    local pid=$!
    PIDS+=("$pid")
    exec {CTL}>"$fifo"
    wait_until 5 grep -q '"event":"register.ok"' "$out" || fail "no register.ok: $(cat "$out")"
    printf '%s\n' '{"id":7,"op":"status"}' 'not json' '{"id":"x","op":"nope"}' '{"id":8}' >&"$CTL"
    wait_until 5 grep -q '"id":8' "$out" || fail "no reply to id 8: $(cat "$out")"
    run grep -c '"ok":' "$out"
    assert_output 4
    run grep '"id":7' "$out"
    assert_output --regexp '"ok":true'
    assert_output --regexp '"state":"registered"'
    run grep '"id":null' "$out"
    assert_output --regexp '"ok":false'
    run grep '"id":"x"' "$out"
    assert_output --regexp 'unknown op'
    kill -TERM "$pid"
    local rc=0
    wait "$pid" || rc=$?
    assert_equal "$rc $(cat "$BATS_TEST_TMPDIR/sipreg.err")" "0 "
    run tail -n 1 "$out"
    assert_output --regexp '"event":"unregister.ok"'
}

@test "stdin control: reregister and natkeep's mapping.changed re-register at once" {
    start_registrar ok 200
    local out="$BATS_TEST_TMPDIR/sipreg.out" fifo="$BATS_TEST_TMPDIR/ctl"
    mkfifo "$fifo"
    # --foreground: a signal to timeout reaches sipreg once, not also via the
    # process group (a second signal would make sipreg exit at once).
    timeout --foreground 10 "$SIPREG" register --json --keep --registrar "sip:127.0.0.1:$PORT_ok" \
        --aor sip:alice@example.com <"$fifo" >"$out" 2>"$BATS_TEST_TMPDIR/sipreg.err" &
    local pid=$!
    PIDS+=("$pid")
    exec {CTL}>"$fifo"
    wait_until 5 grep -q '"event":"register.ok"' "$out" || fail "no register.ok"
    echo reregister >&"$CTL"
    wait_until 5 has_events "$out" register.ok 2 || fail "reregister ignored"
    echo '{"v":1,"tool":"natkeep","event":"mapping.changed","old":"a","new":"b"}' >&"$CTL"
    wait_until 5 has_events "$out" register.ok 3 || fail "mapping.changed ignored"
    run grep -c '"ok":' "$out"
    assert_output 0
    kill -TERM "$pid"
    local rc=0
    wait "$pid" || rc=$?
    assert_equal "$rc" 0
    run grep -c '"event":"unregister' "$out"
    assert_output 0
}

# ---------------------------------------------------------------- drift checks

@test "every --long option of sipreg's help is in man/sipreg.1 and all three completions" {
    local man="$REPO/man/sipreg.1" bash_c="$REPO/completions/bash/sipreg"
    local zsh_c="$REPO/completions/zsh/_sipreg" fish_c="$REPO/completions/fish/sipreg.fish"
    local text sub opt missing=()
    # mdoc writes --opt as "Fl \-opt" (Fl adds one dash); elsewhere \- is a dash.
    text=$(sed -e 's/Fl \\-/Fl --/g' -e 's/\\-/-/g' "$man")
    for sub in "" register unregister query; do
        # shellcheck disable=SC2086
        while read -r opt; do
            grep -qE -- "(^|[^a-z-])$opt([^a-z-]|\$)" <<<"$text" || missing+=("man:$sub:$opt")
            grep -qE -- "(^|[^a-z-])$opt([^a-z-]|\$)" "$bash_c" || missing+=("bash:$sub:$opt")
            grep -qE -- "(^|[^a-z-])$opt([^a-z-]|\$)" "$zsh_c" || missing+=("zsh:$sub:$opt")
            grep -qE -- "-l ${opt#--}([^a-z-]|\$)" "$fish_c" || missing+=("fish:$sub:$opt")
        done < <(timeout 5 "$SIPREG" $sub --help | long_options)
    done
    assert_equal "${missing[*]}" ""
}

@test "every subcommand is in the man page and all three completions" {
    local f
    for f in "$REPO/man/sipreg.1" "$REPO/completions/bash/sipreg" "$REPO/completions/zsh/_sipreg" \
        "$REPO/completions/fish/sipreg.fish"; do
        run grep -c -E '(^|[^a-z])(register|unregister|query)([^a-z]|$)' "$f"
        assert [ "$output" -ge 3 ]
        grep -qw unregister "$f" || fail "unregister missing in $f"
        grep -qw query "$f" || fail "query missing in $f"
    done
}

@test "every event name in lib/reg/registration.cpp is documented in man/sipwake-events.7" {
    local src="$REPO/lib/reg/registration.cpp" man="$REPO/man/sipwake-events.7" ev missing=()
    [[ -f $src ]] || skip "no $src"
    local events
    events=$(grep -oE '"[a-z]+\.[a-z-]+"' "$src" | tr -d '"' | sort -u)
    [[ -n $events ]] || fail "no event names found in $src"
    for ev in $events; do
        grep -qE "^\.It Cm $ev\$" "$man" || missing+=("$ev")
    done
    assert_equal "${missing[*]}" ""
}
