#!/usr/bin/env bash
# Sourced by examples/worsend-*.sh: a temp dir removed on exit together with the
# background peers (PIDS), and readiness polling.
TMP="$(mktemp -d)"
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
export SIPWAKE_STATE_DIR="$TMP"
# wait_for FILE PATTERN: up to 5 s for PATTERN to appear in FILE.
wait_for() { for _ in $(seq 50); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
