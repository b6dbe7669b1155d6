#!/usr/bin/env bats
# natkeep's command line: help, usage errors (exit 2), option validation, JSON output,
# and that every long option appears in the man page and all three completion files.

setup() {
    REPO="${REPO:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
    SIPWAKE_BIN="${SIPWAKE_BIN:-$REPO/build/bin}"
    NATKEEP="$SIPWAKE_BIN/natkeep"
    [[ -x $NATKEEP ]] || skip "natkeep not built ($NATKEEP missing)"
    TMP="$(mktemp -d "${TMPDIR:-/tmp}/natkeep-cli.XXXXXX")"
    PIDS=()
}

teardown() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}

# poll CMD...: retry for up to 5 s (readiness, not a fixed sleep).
poll() {
    local i
    for ((i = 0; i < 50; i++)); do "$@" && return 0; sleep 0.1; done
    return 1
}

# long_options SUB: the --long options natkeep SUB --help lists.
long_options() {
    timeout 5 "$NATKEEP" "$1" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u
}

# start_serve ARGS...: natkeep serve on loopback port 0; sets SERVE_ADDR.
start_serve() {
    # Background, killed in teardown (no `timeout` wrapper: the test signals it directly).
    "$NATKEEP" serve --listen udp:127.0.0.1:0 --json "$@" >"$TMP/serve.out" 2>"$TMP/serve.err" </dev/null &
    PIDS+=($!)
    poll grep -q '"serve.ready"' "$TMP/serve.out"
    SERVE_ADDR=$(grep '"serve.ready"' "$TMP/serve.out" | jq -r .listen)
}

@test "natkeep --help lists the three subcommands and exits 0" {
    run timeout 5 "$NATKEEP" --help
    [ "$status" -eq 0 ]
    [[ $output == *serve* && $output == *keep* && $output == *probe* ]]
}

@test "each subcommand's --help exits 0 and names its required options" {
    run timeout 5 "$NATKEEP" serve --help
    [ "$status" -eq 0 ]
    [[ $output == *--listen* ]]
    run timeout 5 "$NATKEEP" keep --help
    [ "$status" -eq 0 ]
    [[ $output == *--key-file* ]]
    run timeout 5 "$NATKEEP" probe --help
    [ "$status" -eq 0 ]
    [[ $output == *--max-lifetime* ]]
}

@test "no subcommand, an unknown option or a missing required option is a one-line usage error, exit 2" {
    run timeout 5 "$NATKEEP"
    [ "$status" -eq 2 ]
    run timeout 5 "$NATKEEP" serve --listen udp:127.0.0.1:0 --bogus
    [ "$status" -eq 2 ]
    [[ ${#lines[@]} -eq 1 && $output == natkeep:* ]]
    run timeout 5 "$NATKEEP" keep --server 127.0.0.1:1
    [ "$status" -eq 2 ]
    [[ $output == *--device* ]]
}

@test "option values are validated before anything starts (exit 2)" {
    echo "$(printf 'ab%.0s' {1..16})" >"$TMP/key"
    run timeout 5 "$NATKEEP" serve --listen tcp:127.0.0.1:5000
    [ "$status" -eq 2 ]
    run timeout 5 "$NATKEEP" serve --listen udp:127.0.0.1:0 --control http://x
    [ "$status" -eq 2 ]
    run timeout 5 "$NATKEEP" serve --listen udp:127.0.0.1:0 --alt-listen udp:127.0.0.1:0
    [ "$status" -eq 2 ]
    run timeout 5 "$NATKEEP" keep --server 127.0.0.1:1 --device d --key-file "$TMP/key" --interval 0
    [ "$status" -eq 2 ]
    run timeout 5 "$NATKEEP" keep --server 127.0.0.1:1 --device d --key-file "$TMP/key" --interval soon
    [ "$status" -eq 2 ]
    run timeout 5 "$NATKEEP" keep --server 127.0.0.1:1 --device 'bad id' --key-file "$TMP/key"
    [ "$status" -eq 2 ]
    run timeout 5 "$NATKEEP" keep --server 127.0.0.1:1 --device d --key-file "$TMP/missing"
    [ "$status" -eq 2 ]
    run timeout 5 "$NATKEEP" probe --server 127.0.0.1:1 --parallel 1
    [ "$status" -eq 2 ]
}

@test "a bad key file is a runtime error (exit 1) that does not echo the file's content" {
    echo "not-a-hex-key-but-a-secret" >"$TMP/key"
    run timeout 5 "$NATKEEP" keep --server 127.0.0.1:1 --device d --key-file "$TMP/key"
    [ "$status" -eq 1 ]
    [[ $output == natkeep:* && $output != *secret* ]]
    printf 'dev1 zz-secret-zz\n' >"$TMP/keys"
    run timeout 5 "$NATKEEP" serve --listen udp:127.0.0.1:0 --keys "$TMP/keys"
    [ "$status" -eq 1 ]
    [[ $output == *"$TMP/keys:1"* && $output != *secret* ]]
}

@test "serve --json announces serve.ready with the bound port and exits 0 on SIGTERM" {
    start_serve
    jq -e '.v == 1 and .tool == "natkeep" and .event == "serve.ready" and (.ts | endswith("Z"))' \
        <<<"$(grep serve.ready "$TMP/serve.out")"
    [[ $SERVE_ADDR =~ ^127\.0\.0\.1:[1-9][0-9]*$ ]]
    kill -TERM "${PIDS[0]}"
    local rc=0
    wait "${PIDS[0]}" || rc=$?
    echo "exit status $rc"
    [ "$rc" -eq 0 ]
}

@test "serve answers control requests on stdin with one JSON reply per line, errors included" {
    # serve keeps running after stdin ends (it is a daemon); timeout stops it.
    printf '%s\n' '{"id":1,"op":"stats"}' 'garbage' '{"id":2,"op":"wake","device":"x"}' |
        timeout 2 "$NATKEEP" serve --listen udp:127.0.0.1:0 --json >"$TMP/out" || true
    run grep -v '"event":"serve' "$TMP/out"
    [[ ${lines[0]} == *'"id":1'*'"ok":true'* ]]
    [[ ${lines[1]} == *'"id":null'*'"ok":false'* ]]
    [[ ${lines[2]} == *'"error":"unknown device"'* ]]
}

@test "keep --json reports mapping.ok from a local serve; the key never appears in output" {
    local key
    key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    echo "$key" >"$TMP/dev.key"
    echo "dev1 $key" >"$TMP/keys"
    start_serve --keys "$TMP/keys"
    timeout 20 "$NATKEEP" keep --server "$SERVE_ADDR" --device dev1 --key-file "$TMP/dev.key" --interval 5 --json \
        >"$TMP/keep.out" 2>"$TMP/keep.err" &
    PIDS+=($!)
    poll grep -q '"mapping.ok"' "$TMP/keep.out"
    jq -e '.event == "mapping.ok" and .device == "dev1" and (.address | startswith("127.0.0.1:"))' \
        <<<"$(grep mapping.ok "$TMP/keep.out")"
    ! grep -q "$key" "$TMP/keep.out" "$TMP/keep.err" "$TMP/serve.out" "$TMP/serve.err"
}

@test "over IPv6 keep reports a bracketed mapping, and a wake over a tcp control socket is acknowledged" {
    [[ -e /proc/net/if_inet6 ]] || skip "no IPv6 on this host"
    local key
    key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    echo "$key" >"$TMP/dev.key"
    echo "dev6 $key" >"$TMP/keys"
    "$NATKEEP" serve --listen "udp:[::1]:0" --keys "$TMP/keys" --control tcp:127.0.0.1:0 --json \
        >"$TMP/serve.out" 2>"$TMP/serve.err" </dev/null &
    PIDS+=($!)
    poll grep -q '"serve.ready"' "$TMP/serve.out"
    local addr ctl
    addr=$(jq -r .listen "$TMP/serve.out" | head -1)
    ctl=$(jq -r .control "$TMP/serve.out" | head -1)
    [[ $addr == "[::1]:"* && $ctl == tcp:127.0.0.1:* ]]
    "$NATKEEP" keep --server "$addr" --device dev6 --key-file "$TMP/dev.key" --interval 5 --json \
        >"$TMP/keep.out" 2>"$TMP/keep.err" &
    PIDS+=($!)
    poll grep -q '"mapping.ok"' "$TMP/keep.out"
    jq -e '.address | startswith("[::1]:")' <<<"$(grep mapping.ok "$TMP/keep.out")"
    run timeout 10 python3 -c '
import socket, sys
host, port = sys.argv[1].split(":")[1:3]
s = socket.create_connection((host, int(port)), timeout=5)
s.sendall(b"{\"id\":\"t6\",\"op\":\"wake\",\"device\":\"dev6\"}\n")
print(s.makefile().readline().strip())
' "$ctl"
    jq -e '.id == "t6" and .ok == true' <<<"$output"
    poll grep -q '"wake.received"' "$TMP/keep.out"
}

@test "serve --keys-db creates its schema, and devices inserted with sqlite3 can keep alive" {
    command -v sqlite3 >/dev/null || skip "sqlite3 not installed"
    local db="$TMP/natkeep.db" key
    # First start creates the schema (user_version 1) with no devices.
    start_serve --keys-db "$db"
    jq -e '.devices == 0' <<<"$(grep serve.ready "$TMP/serve.out")"
    kill "${PIDS[0]}"
    wait "${PIDS[0]}" || true
    PIDS=()
    [ "$(timeout 5 sqlite3 "$db" 'PRAGMA user_version')" = 1 ]
    key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    timeout 5 sqlite3 "$db" "INSERT INTO devices (id, key) VALUES ('dbdev', '$key')"
    echo "$key" >"$TMP/dev.key"
    start_serve --keys-db "$db"
    jq -e '.devices == 1' <<<"$(grep serve.ready "$TMP/serve.out")"
    "$NATKEEP" keep --server "$SERVE_ADDR" --device dbdev --key-file "$TMP/dev.key" --interval 5 --json \
        >"$TMP/keep.out" 2>"$TMP/keep.err" &
    PIDS+=($!)
    poll grep -q '"mapping.ok"' "$TMP/keep.out"
    # A malformed row is a one-line error naming the device, not the key.
    timeout 5 sqlite3 "$db" "INSERT INTO devices (id, key) VALUES ('broken', 'secretnothex')"
    run timeout 5 "$NATKEEP" serve --listen udp:127.0.0.1:0 --keys-db "$db"
    [ "$status" -eq 1 ]
    [[ $output == *broken* && $output != *secretnothex* ]]
}

@test "SIGHUP makes serve reload its keys file; a bad file keeps the old keys" {
    printf 'old %s\n' "$(printf 'aa%.0s' {1..16})" >"$TMP/keys"
    start_serve --keys "$TMP/keys"
    printf 'old %s\nnew %s\n' "$(printf 'aa%.0s' {1..16})" "$(printf 'bb%.0s' {1..16})" >"$TMP/keys"
    kill -HUP "${PIDS[0]}"
    poll grep -q '"keys.reloaded".*"devices":2\|"devices":2.*"keys.reloaded"' "$TMP/serve.out"
    echo "garbage" >"$TMP/keys"
    kill -HUP "${PIDS[0]}"
    poll grep -q "keys reload failed" "$TMP/serve.err"
    kill -0 "${PIDS[0]}"
}

@test "probe --json against a server without an alternate address exits 3 and says mapping is unknown" {
    start_serve
    run timeout 20 "$NATKEEP" probe --server "$SERVE_ADDR" --no-lifetime --json
    [ "$status" -eq 3 ]
    jq -e '.event == "probe.result" and .server_answered == true and .mapping == "unknown"' <<<"${lines[0]}"
}

@test "every --long option of every subcommand is in man/natkeep.1 and the bash, zsh and fish completions" {
    local sub opt missing=()
    for sub in serve keep probe; do
        while read -r opt; do
            [[ $opt == --help ]] && continue
            grep -qE -- "Fl -${opt#--}\b" "$REPO/man/natkeep.1" || missing+=("man:$sub:$opt")
            grep -qE -- "${opt}\b" "$REPO/completions/bash/natkeep" || missing+=("bash:$sub:$opt")
            grep -qE -- "${opt}\b" "$REPO/completions/zsh/_natkeep" || missing+=("zsh:$sub:$opt")
            grep -qE -- "-l ${opt#--}\b" "$REPO/completions/fish/natkeep.fish" || missing+=("fish:$sub:$opt")
        done < <(long_options "$sub")
    done
    if ((${#missing[@]})); then
        printf 'missing: %s\n' "${missing[@]}"
        return 1
    fi
}
