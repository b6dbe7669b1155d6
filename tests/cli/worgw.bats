#!/usr/bin/env bats
# worgw's command line: help, usage errors (exit 2), the admin commands against a
# temporary database, secrets kept out of output, corrupt databases left alone, and
# the drift check between --help, the man page and the three completion files.
# Skips until build/bin/worgw exists. Run: bats tests/cli/worgw.bats
# (SIPWAKE_BIN overrides the binary dir).

bats_require_minimum_version 1.5.0

REPO="$BATS_TEST_DIRNAME/../.."
SECRET='c4rr0ts-n3ver-sh0wn'

setup() {
    WORGW="${SIPWAKE_BIN:-$REPO/build/bin}/worgw"
    [[ -x $WORGW ]] || skip "worgw is not built ($WORGW)"
    TMP=$(mktemp -d)
    export SIPWAKE_STATE_DIR="$TMP/state"
    unset WORGW_PASSWORD
    printf '%s\n' "$SECRET" >"$TMP/rabbit.pw"
    chmod 600 "$TMP/rabbit.pw"
}

teardown() {
    [[ -n ${TMP:-} ]] && rm -rf "$TMP"
}

# Runs worgw with stdout in $output and stderr in $TMP/err; $status as usual.
w() {
    run --separate-stderr timeout 10 "$WORGW" "$@"
}

# stderr has exactly one line, "worgw: ...".
one_error_line() {
    [[ $(printf '%s' "$stderr" | grep -c '') -eq 1 ]] || {
        echo "stderr: $stderr"
        return 1
    }
    [[ $stderr == "worgw: "* ]]
}

# Reads JSON on stdin into d and runs the Python statement given.
pyj() {
    python3 -c 'import json, sys; d = json.load(sys.stdin); exec(sys.argv[1])' "$1"
}

add_rabbit() {
    w subscriber add rabbit --aor sip:rabbit@operator.example --registrar sip:operator.example \
        --password-file "$TMP/rabbit.pw" "$@"
    [[ $status -eq 0 ]] || { echo "add failed: $stderr"; return 1; }
}

@test "--help and --version exit 0, also for every subcommand" {
    w --help
    [[ $status -eq 0 && $output == *"Usage: worgw"* ]]
    w --version
    [[ $status -eq 0 && $output == "worgw (sipwake) "* ]]
    for sub in run subscriber "subscriber add" "subscriber set" "subscriber list" "subscriber remove" \
        allow deny unrule rules calls; do
        # shellcheck disable=SC2086
        w $sub --help
        [[ $status -eq 0 ]] || { echo "$sub --help: $status"; return 1; }
        [[ $output == *"worgw $sub"* ]] || { echo "$sub --help: $output"; return 1; }
    done
}

@test "usage errors exit 2 with one line on stderr" {
    local -a cases=(
        ""
        "frobnicate"
        "subscriber"
        "run --bogus"
        "run --listen tcp:127.0.0.1:5070"
        "run --listen nonsense"
        "run --worsend udp:127.0.0.1:9"
        "run --wake-timeout 0"
        "run --wake-timeout 601"
        "run --mode default"
        "run --digest-algorithms sha512"
        "run --voicemail http://vm.example"
        "subscriber add rabbit --registrar sip:operator.example --password-file /dev/null"
        "subscriber add rabbit --aor sip:rabbit@operator.example --password-file /dev/null"
        "subscriber add rabbit --aor sip:operator.example --registrar sip:operator.example --password-file /dev/null"
        "subscriber add rabbit --aor sip:rabbit@operator.example --registrar sip:operator.example"
        "subscriber add rab/bit --aor sip:rabbit@operator.example --registrar sip:operator.example --password-file /dev/null"
        "subscriber set rabbit"
        "subscriber set rabbit --proxy-login maybe"
        "subscriber set rabbit --default-policy sometimes"
        "subscriber set rabbit --registrar http://operator.example"
        "subscriber remove"
        "allow rabbit"
        "allow rabbit <sip:shark@example.net>"
        "deny rabbit sip:tiger@example.net;user=phone"
        "unrule rabbit a@b@c"
        "rules"
        "calls --limit 0"
        "calls --subscriber r@b"
    )
    local c
    for c in "${cases[@]}"; do
        # shellcheck disable=SC2086
        w $c
        [[ $status -eq 2 ]] || { echo "'$c': status $status, stderr: $stderr"; return 1; }
        one_error_line || { echo "'$c'"; return 1; }
        [[ -z $output ]] || { echo "'$c' wrote to stdout: $output"; return 1; }
    done
    [[ ! -e $SIPWAKE_STATE_DIR ]] # a usage error touches no database
}

@test "subscriber add, list, set and remove round-trip through the state dir" {
    add_rabbit --device rabbit-phone
    [[ -f $SIPWAKE_STATE_DIR/worgw.db ]]
    w subscriber list
    [[ $status -eq 0 ]]
    [[ $output == *NAME*STATUS* ]]
    [[ $output == *rabbit*sip:rabbit@operator.example*asleep* ]]

    w subscriber list --json
    [[ $status -eq 0 ]]
    run pyj 's=d[0]; print(s["name"], s["aor"], s["registrar"], s["user"], s["device"], s["proxy_login"], s["mode"], s["default_policy"], s["status"], s["upstream"]["state"], "password" in s)' <<<"$output"
    [[ $output == "rabbit sip:rabbit@operator.example sip:operator.example rabbit rabbit-phone True default allow asleep none False" ]]

    w subscriber set rabbit --mode redirect --proxy-login off --default-policy deny --voicemail sip:vm@operator.example
    [[ $status -eq 0 ]]
    w subscriber list --json
    run pyj 's=d[0]; print(s["mode"], s["proxy_login"], s["default_policy"], s["voicemail"], s["registrar"], s["upstream"]["state"])' <<<"$output"
    [[ $output == "redirect False deny sip:vm@operator.example sip:operator.example off" ]]

    w subscriber remove rabbit
    [[ $status -eq 0 ]]
    w subscriber list --json
    [[ $output == "[]" ]]
}

@test "--db names the database file" {
    add_rabbit --db "$TMP/other.db"
    [[ -f $TMP/other.db ]]
    [[ ! -e $SIPWAKE_STATE_DIR/worgw.db ]]
    w subscriber list --json --db "$TMP/other.db"
    [[ $(pyj 'print(len(d))' <<<"$output") -eq 1 ]]
}

@test "the database is created mode 0600 in a 0700 state dir" {
    add_rabbit
    [[ $(stat -c %a "$SIPWAKE_STATE_DIR/worgw.db") == 600 ]]
    [[ $(stat -c %a "$SIPWAKE_STATE_DIR") == 700 ]]
}

@test "the password never appears in output, errors or JSON" {
    add_rabbit
    [[ $output != *"$SECRET"* && $stderr != *"$SECRET"* ]]
    local -a cmds=(
        "subscriber list"
        "subscriber list --json"
        "rules rabbit"
        "rules rabbit --json"
        "calls --json"
        "subscriber add rabbit --aor sip:rabbit@operator.example --registrar sip:operator.example --password-file $TMP/rabbit.pw"
        "subscriber set rabbit --password-file $TMP/rabbit.pw"
        "subscriber set rabbit --password-file $TMP/missing.pw"
    )
    local c
    for c in "${cmds[@]}"; do
        # shellcheck disable=SC2086
        w $c
        [[ $output != *"$SECRET"* && $stderr != *"$SECRET"* ]] || { echo "'$c' shows the password"; return 1; }
    done
    w subscriber list
    [[ $output == *PASSWORD* && $output == *" set "* ]]
    # The environment works too, and is not echoed either.
    WORGW_PASSWORD="$SECRET" run --separate-stderr timeout 10 "$WORGW" subscriber add badger \
        --aor sip:badger@operator.example --registrar sip:operator.example
    [[ $status -eq 0 && $output != *"$SECRET"* && $stderr != *"$SECRET"* ]]
}

@test "allow, deny, unrule and rules for rabbit: shark and dog may wake, tiger may not" {
    add_rabbit
    w allow rabbit shark
    [[ $status -eq 0 ]]
    w allow rabbit sip:dog@zoo.example
    [[ $status -eq 0 ]]
    w deny rabbit tiger
    [[ $status -eq 0 ]]
    w rules rabbit
    [[ $status -eq 0 ]]
    [[ $output == *"allow"*"shark"* && $output == *"deny"*"tiger"* && $output == *"(default)"* ]]
    w rules rabbit --json
    run pyj 'print(d["subscriber"], d["default_policy"], ",".join(r["action"] + ":" + r["pattern"] for r in d["rules"]))' <<<"$output"
    [[ $output == "rabbit allow allow:shark,allow:sip:dog@zoo.example,deny:tiger" ]]

    w deny rabbit SHARK # same pattern, case-insensitively: replaced
    w rules rabbit --json
    [[ $(pyj 'print(len(d["rules"]), d["rules"][0]["action"])' <<<"$output") == "3 deny" ]]

    w unrule rabbit shark
    [[ $status -eq 0 ]]
    w rules rabbit --json
    [[ $(pyj 'print(len(d["rules"]))' <<<"$output") -eq 2 ]]
}

@test "admin runtime errors exit 1 with one line" {
    add_rabbit
    add_rabbit_again() {
        w subscriber add rabbit --aor sip:rabbit@operator.example --registrar sip:operator.example \
            --password-file "$TMP/rabbit.pw"
    }
    add_rabbit_again
    [[ $status -eq 1 ]]
    one_error_line
    [[ $stderr == *exists* ]]
    local c
    for c in "subscriber set ghost --mode proxy" "subscriber remove ghost" "allow ghost shark" \
        "rules ghost" "unrule rabbit nobody" "subscriber set rabbit --password-file $TMP/missing.pw"; do
        # shellcheck disable=SC2086
        w $c
        [[ $status -eq 1 ]] || { echo "'$c': status $status"; return 1; }
        one_error_line || { echo "'$c'"; return 1; }
    done
}

@test "a corrupt database file is reported with exit 1 and left unchanged" {
    mkdir -p "$SIPWAKE_STATE_DIR"
    head -c 8192 /dev/urandom >"$SIPWAKE_STATE_DIR/worgw.db"
    local before
    before=$(sha256sum <"$SIPWAKE_STATE_DIR/worgw.db")
    for c in "subscriber list" "rules rabbit" "calls"; do
        # shellcheck disable=SC2086
        w $c
        [[ $status -eq 1 ]] || { echo "'$c': status $status"; return 1; }
        one_error_line
        [[ $stderr == *worgw.db* ]]
    done
    add_rabbit || true
    [[ $status -eq 1 ]]
    [[ $(sha256sum <"$SIPWAKE_STATE_DIR/worgw.db") == "$before" ]]
    [[ ! -e $SIPWAKE_STATE_DIR/worgw.db-wal ]]
}

@test "an unreadable database path is a runtime error" {
    mkdir -p "$TMP/dir.db"
    w subscriber list --db "$TMP/dir.db"
    [[ $status -eq 1 ]]
    one_error_line
}

@test "calls lists nothing on a fresh database" {
    add_rabbit
    w calls
    [[ $status -eq 0 && $output == *OUTCOME* ]]
    w calls --subscriber rabbit --limit 5 --json
    [[ $status -eq 0 && $output == "[]" ]]
}

# Every --long option that `worgw ... --help` prints.
all_help_options() {
    local sub
    for sub in "" run subscriber "subscriber add" "subscriber set" "subscriber list" "subscriber remove" \
        allow deny unrule rules calls; do
        # shellcheck disable=SC2086
        timeout 10 "$WORGW" $sub --help
    done | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u
}

@test "drift: every --long option of --help is in the man page and all three completions" {
    local opts man missing=()
    opts=$(all_help_options)
    [[ -n $opts ]]
    man=$(sed 's/\\-/-/g' "$REPO/man/worgw.1")
    local o name
    for o in $opts; do
        name=${o#--}
        grep -qE -- "(^|[^a-z0-9-])-{1,2}${name}([^a-z0-9-]|$)" <<<"$man" || missing+=("man:$o")
        grep -qE -- "(^|[^a-z0-9-])${o}([^a-z0-9-]|$)" "$REPO/completions/bash/worgw" || missing+=("bash:$o")
        grep -qE -- "(^|[^a-z0-9-])${o}([^a-z0-9-]|$)" "$REPO/completions/zsh/_worgw" || missing+=("zsh:$o")
        grep -qE -- "-l ${name}([^a-z0-9-]|$)" "$REPO/completions/fish/worgw.fish" || missing+=("fish:$o")
    done
    [[ ${#missing[@]} -eq 0 ]] || { echo "missing: ${missing[*]}"; return 1; }
}

@test "the man page passes mandoc -Tlint" {
    command -v mandoc >/dev/null || skip "mandoc is not installed"
    run mandoc -Tlint -W warning "$REPO/man/worgw.1"
    [[ $status -eq 0 ]] || { echo "$output"; return 1; }
}
