#!/usr/bin/env bash
# register.sh - a tour of sipreg(1) against a registrar you already run.
#
#   examples/register.sh [REGISTRAR [AOR [PASSWORD_FILE]]]
#
# Arguments win over the environment variables of the same name, which win over
# the defaults below. It starts nothing but sipreg itself: point it at a
# registrar (Kamailio, Asterisk, siprelay, ...) that knows the AOR.
#
#   REGISTRAR       registrar URI             (default sip:127.0.0.1:5060)
#   AOR             address of record         (default sip:alice@example.com)
#   PASSWORD_FILE   first line = password     (default: none; then SIPREG_PASSWORD
#                                              from the environment, if set)
#   SIPREG          the sipreg binary         (default: build/bin/sipreg of this
#                                              checkout, else sipreg from PATH)
#   HOLD            seconds to stay registered in step 4 (default 5)
#
# Steps:
#   1. register --once          register, leave the binding, exit 0
#   2. query                    list the bindings the registrar holds
#   3. unregister --all         remove them all again (Contact: *)
#   4. register (long-running)  with --json events and control lines on stdin:
#                               a status request, a "reregister", then SIGTERM,
#                               which unregisters cleanly before sipreg exits
#   5. query                    no bindings left
#
# Exit status: 0 when every step did what it should, else the failing step's.
set -euo pipefail

REGISTRAR=${1:-${REGISTRAR:-sip:127.0.0.1:5060}}
AOR=${2:-${AOR:-sip:alice@example.com}}
PASSWORD_FILE=${3:-${PASSWORD_FILE:-}}
HOLD=${HOLD:-5}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -z ${SIPREG:-} ]]; then
    if [[ -x $here/../build/bin/sipreg ]]; then
        SIPREG=$here/../build/bin/sipreg
    else
        SIPREG=sipreg
    fi
fi
command -v "$SIPREG" >/dev/null || { echo "register.sh: no sipreg binary ($SIPREG); build it or set SIPREG" >&2; exit 1; }

# The password never goes on the command line: a file, or SIPREG_PASSWORD.
auth=()
if [[ -n $PASSWORD_FILE ]]; then
    [[ -r $PASSWORD_FILE ]] || { echo "register.sh: cannot read $PASSWORD_FILE" >&2; exit 1; }
    auth=(--password-file "$PASSWORD_FILE")
elif [[ -z ${SIPREG_PASSWORD:-} ]]; then
    echo "register.sh: no PASSWORD_FILE and no SIPREG_PASSWORD; registering without credentials" >&2
fi
target=(--registrar "$REGISTRAR" --aor "$AOR" "${auth[@]}")

step() { printf '\n== %s\n' "$*"; }
run() {
    printf '$ %s\n' "$*"
    "$@"
}

step "1. register once and leave the binding in place (exit 0 on success)"
run timeout 40 "$SIPREG" register --once --expires 300 "${target[@]}"

step "2. list the bindings the registrar holds for $AOR"
run timeout 40 "$SIPREG" query "${target[@]}"

step "3. remove every binding of $AOR"
# Step 1's Contact carried that process's ephemeral port; to remove only one
# binding, register and unregister with the same --contact (or --local) instead.
run timeout 40 "$SIPREG" unregister --all "${target[@]}"

step "4. stay registered, steer sipreg through stdin, stop it with SIGTERM"
work=$(mktemp -d)
pid=""
cleanup() {
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
    exec 8>&- 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
mkfifo "$work/control"
# stdin must be a pipe (or socket, or terminal) for sipreg to read control lines.
"$SIPREG" register --json --expires 300 "${target[@]}" <"$work/control" >"$work/events" &
pid=$!
exec 8>"$work/control"

# Wait (at most 40 s) for the first register.ok or a final failure.
for _ in $(seq 400); do
    grep -qE '"event":"register\.(ok|failed)"' "$work/events" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
grep -q '"event":"register.ok"' "$work/events" || {
    echo "register.sh: sipreg did not register:" >&2
    cat "$work/events" >&2
    exit 1
}

echo '{"id":1,"op":"status"}' >&8    # one reply line: {"id":1,"ok":true,"registrations":[...]}
echo 'reregister' >&8                # what natkeep's mapping.changed events also trigger
sleep "$HOLD"
kill -TERM "$pid"                    # unregisters (Expires 0), then exits 0
status=0
wait "$pid" || status=$?
pid=""
cat "$work/events"
echo "sipreg exited with status $status"
[[ $status -eq 0 ]] || exit "$status"

step "5. nothing is left"
run timeout 40 "$SIPREG" query "${target[@]}"
