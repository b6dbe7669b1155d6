#!/usr/bin/env bash
# worsend's udp transport on one machine: natkeep serve on loopback, natkeep keep as the
# "device" (its --on-wake prints the wake), worsend sending the wake through natkeep's
# control socket. (The same through a real NAT: tests/e2e/worsend_netns.bats.)
#
#   examples/worsend-natkeep.sh [BUILD_DIR]      (default: build)
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$REPO/${1:-build}/bin"
for t in worsend natkeep; do
    [[ -x $BIN/$t ]] || { echo "build $t first: ninja -C build $t" >&2; exit 1; }
done
# shellcheck source=examples/worsend-common.sh
source "$REPO/examples/worsend-common.sh"

KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
echo "$KEY" >"$TMP/phone.key"
echo "phone-1 $KEY" >"$TMP/keys"
chmod 600 "$TMP/phone.key" "$TMP/keys"
PORT=$(timeout 5 python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

timeout 60 "$BIN/natkeep" serve --listen "udp:127.0.0.1:$PORT" --keys "$TMP/keys" \
    --control "unix:$TMP/natkeep.sock" --json >"$TMP/serve.out" 2>&1 &
PIDS+=($!)
wait_for "$TMP/serve.out" serve.ready
timeout 60 "$BIN/natkeep" keep --server "127.0.0.1:$PORT" --device phone-1 --key-file "$TMP/phone.key" \
    --interval 5 --on-wake 'echo "phone-1 woke up: call from $NATKEEP_WAKE_CALLER" >&2' --json >"$TMP/keep.out" 2>"$TMP/keep.err" &
PIDS+=($!)
wait_for "$TMP/keep.out" mapping.ok

timeout 10 "$BIN/worsend" device add rabbit --udp "unix:$TMP/natkeep.sock" --natkeep-device phone-1
echo '{"id":"w1","op":"wake","device":"rabbit","caller":"sip:shark@example.net","call_id":"c-udp"}' |
    timeout 20 "$BIN/worsend" serve
wait_for "$TMP/keep.err" "woke up" && cat "$TMP/keep.err"
echo "== audit trail"
timeout 10 "$BIN/worsend" log --call-id c-udp
