#!/bin/sh
# natkeep-phone.sh: keep a phone reachable behind carrier-grade NAT and log in with
# sipreg whenever the public mapping changes or a wake arrives.
#
#   natkeep-phone.sh SERVER:PORT DEVICE-ID KEY-FILE REGISTRAR AOR PASSWORD-FILE
#
# Secrets stay in files (mode 0600): the device key in KEY-FILE, the SIP password in
# PASSWORD-FILE. Exit status is natkeep keep's (0 when stopped by SIGTERM/SIGINT).
set -eu
[ $# -eq 6 ] || { echo "usage: $0 SERVER:PORT DEVICE-ID KEY-FILE REGISTRAR AOR PASSWORD-FILE" >&2; exit 2; }
server=$1 device=$2 keyfile=$3
login="sipreg register --once --registrar '$4' --aor '$5' --password-file '$6'"

# natkeep runs the hooks with NATKEEP_* variables set (see natkeep(1)); a wake's payload
# fields arrive as NATKEEP_WAKE_<FIELD>.
exec natkeep keep --server "$server" --device "$device" --key-file "$keyfile" \
    --interval auto \
    --on-change "$login" \
    --on-wake "logger -t natkeep \"wake from \${NATKEEP_WAKE_CALLER:-?}\"; $login" \
    --json
