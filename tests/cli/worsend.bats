#!/usr/bin/env bats
# worsend's command line: help, usage errors (exit 2, one stderr line), option validation,
# device management, JSON output, and that every long option appears in the man page and
# all three completion files.

bats_require_minimum_version 1.5.0

setup() {
    REPO="${REPO:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
    SIPWAKE_BIN="${SIPWAKE_BIN:-$REPO/build/bin}"
    WORSEND="$SIPWAKE_BIN/worsend"
    [[ -x $WORSEND ]] || skip "worsend not built ($WORSEND missing)"
    TMP="$(mktemp -d "${TMPDIR:-/tmp}/worsend-cli.XXXXXX")"
    export SIPWAKE_STATE_DIR="$TMP/state"
    DB="$TMP/w.db"
}

teardown() {
    rm -rf "$TMP"
}

w() { timeout 10 "$WORSEND" "$@"; }

# usage_error ARGS...: worsend exits 2 with exactly one line on stderr.
usage_error() {
    run --separate-stderr timeout 10 "$WORSEND" "$@"
    [[ $status -eq 2 ]] || { echo "status $status for: $*" >&2; return 1; }
    [[ $(printf '%s\n' "$stderr" | wc -l) -eq 1 ]] || { echo "stderr: $stderr" >&2; return 1; }
    [[ $stderr == worsend:* ]] || { echo "stderr: $stderr" >&2; return 1; }
    [[ -z $output ]]
}

# long_options SUB...: the --long options `worsend SUB... --help` lists.
long_options() {
    timeout 5 "$WORSEND" "$@" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u
}

@test "--help names the subcommands and every subcommand has its own help" {
    run w --help
    [[ $status -eq 0 ]]
    [[ $output == *serve* && $output == *device* && $output == *log* ]]
    local sub
    for sub in serve "device add" "device set" "device list" "device remove" log; do
        # shellcheck disable=SC2086
        run w $sub --help
        [[ $status -eq 0 ]] || { echo "worsend $sub --help: $status" >&2; return 1; }
        [[ $output == *"Usage: worsend $sub"* ]]
    done
}

@test "--version prints the version" {
    run w --version
    [[ $status -eq 0 && $output == "worsend (sipwake) "* ]]
}

@test "usage errors exit 2 with one line on stderr" {
    usage_error
    usage_error fly
    usage_error serve --no-such-option
    usage_error serve --device-rate 5
    usage_error serve --caller-rate x/60
    usage_error serve --listen udp:127.0.0.1:5
    usage_error serve --listen bogus
    usage_error serve --deadline 50
    usage_error serve --deadline 30000 --max-deadline 20000
    usage_error serve --retry-initial 9000 --retry-max 1000
    usage_error serve --ca-file "$TMP/missing.pem"
    usage_error serve --log-level loud
    usage_error device
    usage_error device add rabbit --db "$DB"
    usage_error device add "bad id" --exec true --db "$DB"
    usage_error device add rabbit --http ftp://x/ --db "$DB"
    usage_error device add rabbit --http http://user:pw@x/ --db "$DB"
    usage_error device add rabbit --udp udp:1.2.3.4:5 --db "$DB"
    usage_error device add rabbit --exec true --token-file "$TMP/missing" --db "$DB"
    usage_error device add rabbit --exec true --udp-timeout 5 --db "$DB"
    usage_error device add rabbit --exec true --rate fast --db "$DB"
    usage_error device add rabbit --exec true --order exec,carrier-pigeon --db "$DB"
    usage_error device set rabbit --drop smoke --db "$DB"
    usage_error log --since yesterday --db "$DB"
    usage_error log --limit 0 --db "$DB"
}

@test "options that need a missing transport are usage errors after parsing" {
    usage_error device add rabbit --exec true --token-file /dev/null --db "$DB"
    usage_error device add rabbit --exec true --natkeep-device x --db "$DB"
    usage_error device add rabbit --exec true --order exec,http --db "$DB"
}

@test "device add, list (text and JSON), set with order and drop, remove" {
    printf 'tok\n' >"$TMP/token"
    w device add rabbit --db "$DB" --udp unix:/run/natkeep.sock --natkeep-device phone-7 \
        --http https://push.example.net/up/1 --token-file "$TMP/token" --rate 5/60
    w device add dog --db "$DB" --exec /bin/true --exec-timeout 2500
    run w device list --db "$DB"
    [[ $status -eq 0 ]]
    [[ ${lines[0]} == "dog" ]]
    [[ $output == *"1. udp  unix:/run/natkeep.sock  natkeep-device phone-7"* ]]
    [[ $output == *"2. http  https://push.example.net/up/1  token-file $TMP/token"* ]]
    [[ $output != *"tok"$'\n'* ]]
    run w device list --json --db "$DB"
    jq -se '.[] | select(.device == "rabbit") | .rate == "5/60" and .transports[0].kind == "udp"
        and .transports[0].timeout_ms == 3000 and .transports[1].token_file != null' <<<"$output"
    jq -se '.[] | select(.device == "dog") | .transports[0].timeout_ms == 2500 and .rate == null' <<<"$output"
    w device set rabbit --db "$DB" --exec /bin/true --order exec,http,udp --rate default
    run w device list --json --db "$DB"
    jq -se '.[] | select(.device == "rabbit") | [.transports[].kind] == ["exec","http","udp"] and .rate == null' <<<"$output"
    w device set rabbit --db "$DB" --drop http --drop udp
    run w device list --json --db "$DB"
    jq -se '.[] | select(.device == "rabbit") | [.transports[].kind] == ["exec"]' <<<"$output"
    run --separate-stderr w device set rabbit --db "$DB" --drop exec
    [[ $status -eq 2 && $stderr == *"no transports"* ]]
    run w device add rabbit --db "$DB" --exec true
    [[ $status -eq 1 && $output == *"already exists"* ]]
    w device remove rabbit --db "$DB"
    run --separate-stderr w device remove rabbit --db "$DB"
    [[ $status -eq 3 && $stderr == "worsend: no device rabbit" ]]
    run --separate-stderr w device set rabbit --db "$DB" --exec true
    [[ $status -eq 3 ]]
}

@test "serve --json writes versioned events and one reply per request on stdout" {
    w device add rabbit --db "$DB" --exec true
    run bash -c "printf '%s\n' '{\"id\":\"a\",\"op\":\"wake\",\"device\":\"rabbit\"}' '{oops' '{\"id\":\"s\",\"op\":\"status\"}' |
        timeout 10 '$WORSEND' serve --db '$DB' --json"
    [[ $status -eq 0 ]]
    local line
    for line in "${lines[@]}"; do
        jq -e 'if has("event") then .v == 1 and .tool == "worsend" and (.ts | test("Z$")) else has("id") and has("ok") end' <<<"$line"
    done
    [[ $(printf '%s\n' "${lines[@]}" | jq -s 'map(select(has("event") | not)) | length') -eq 3 ]]
    printf '%s\n' "${lines[@]}" | jq -se 'map(select(.id == "a" and .ok == true and .via == "exec")) | length == 1'
    printf '%s\n' "${lines[@]}" | jq -se 'map(select(.event == "serve.started" or .event == "serve.stopped")) | length == 2'
}

@test "serve without --json prints short human lines and still JSON replies" {
    run bash -c "echo '{\"id\":1,\"op\":\"wake\",\"device\":\"nobody\"}' | timeout 10 '$WORSEND' serve --db '$DB'"
    [[ $status -eq 0 ]]
    [[ $output == *'{"error":"unknown device","id":1,"ok":false}'* ]]
    [[ $output == *"wake for nobody: unknown device"* ]]
}

@test "log on an empty database prints nothing; --json rows carry seq, ts and event" {
    run w log --db "$DB"
    [[ $status -eq 0 && -z $output ]]
    echo '{"id":1,"op":"wake","device":"nobody","call_id":"c1"}' | timeout 10 "$WORSEND" serve --db "$DB" >/dev/null
    run w log --json --call-id c1 --db "$DB"
    [[ ${#lines[@]} -eq 2 ]]
    jq -e '.seq > 0 and .event == "wake.request" and .call_id == "c1" and (.ts | test("^[0-9-]+T"))' <<<"${lines[0]}"
    jq -e '.event == "wake.failed" and .error == "unknown device"' <<<"${lines[1]}"
}

@test "the default database goes into \$SIPWAKE_STATE_DIR, which is created" {
    SIPWAKE_STATE_DIR="$TMP/deep/state" w device add rabbit --exec true
    [[ -f $TMP/deep/state/worsend.db ]]
    [[ $(stat -c %a "$TMP/deep/state") == 750 ]]
    run env SIPWAKE_STATE_DIR="$TMP/deep/state" timeout 10 "$WORSEND" device list --json
    jq -e '.device == "rabbit"' <<<"$output"
}

@test "a database that cannot be opened is a runtime failure (exit 1, one line)" {
    run --separate-stderr w device list --db "$TMP/no/such/dir/w.db"
    [[ $status -eq 1 ]]
    [[ $(printf '%s\n' "$stderr" | wc -l) -eq 1 && $stderr == worsend:* ]]
}

@test "every --long option of every subcommand is in man/worsend.1 and the bash, zsh and fish completions" {
    local sub opt missing=()
    for sub in serve "device add" "device set" "device list" "device remove" log; do
        while read -r opt; do
            [[ $opt == --help ]] && continue
            grep -qE -- "Fl -${opt#--}\b" "$REPO/man/worsend.1" || missing+=("man:$sub:$opt")
            grep -qE -- "${opt}\b" "$REPO/completions/bash/worsend" || missing+=("bash:$sub:$opt")
            grep -qE -- "${opt}\b" "$REPO/completions/zsh/_worsend" || missing+=("zsh:$sub:$opt")
            grep -qE -- "-l ${opt#--}\b" "$REPO/completions/fish/worsend.fish" || missing+=("fish:$sub:$opt")
        # shellcheck disable=SC2086
        done < <(long_options $sub)
    done
    if ((${#missing[@]})); then
        printf 'missing: %s\n' "${missing[@]}"
        return 1
    fi
}

@test "the man page is lint-clean mdoc" {
    command -v mandoc >/dev/null || skip "mandoc not installed"
    run timeout 10 mandoc -Tlint -W warning "$REPO/man/worsend.1"
    [[ $status -eq 0 && -z $output ]]
}
