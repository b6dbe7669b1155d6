#!/usr/bin/env bash
# worsend's exec transport: no network peers needed. A device whose first transport
# (an http push to a loopback port where nothing listens) fails falls back to a script
# that "sends an SMS" (appends to a file); then the audit trail shows what was tried.
#
#   examples/worsend-exec.sh [BUILD_DIR]      (default: build)
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
WORSEND="$REPO/${1:-build}/bin/worsend"
[[ -x $WORSEND ]] || { echo "build worsend first: cmake -S . -B build -G Ninja && ninja -C build worsend" >&2; exit 1; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
export SIPWAKE_STATE_DIR="$TMP"

cat >"$TMP/sms.sh" <<'SH'
#!/bin/sh
# The wake request: WORSEND_* in the environment, JSON on stdin.
echo "SMS to $WORSEND_DEVICE: incoming call from $WORSEND_CALLER ($(cat))" >>"$SMS_LOG"
SH
chmod +x "$TMP/sms.sh"
export SMS_LOG="$TMP/sms.log"

echo "== device rabbit: a push endpoint nobody answers (loopback port 9), then the SMS script"
timeout 10 "$WORSEND" device add rabbit --http http://127.0.0.1:9/push --http-timeout 1000 --exec "$TMP/sms.sh"
timeout 10 "$WORSEND" device list

echo "== three requests on stdin (one malformed), replies on stdout"
printf '%s\n' \
    '{"id":"w1","op":"wake","device":"rabbit","caller":"sip:shark@example.net","call_id":"call-1"}' \
    'this is not JSON' \
    '{"id":"w2","op":"wake","device":"nobody"}' |
    timeout 20 "$WORSEND" serve

echo "== what the SMS script got"
cat "$SMS_LOG"

echo "== the audit trail for call-1"
timeout 10 "$WORSEND" log --call-id call-1
