#!/bin/sh
# natkeep-probe.sh: describe the NAT in front of this host in one line, for a ticket.
#
#   natkeep-probe.sh SERVER:PORT [MAX-LIFETIME-SECONDS]
#
# Exit status is natkeep probe's: 0 tests ran, 1 no answer, 3 server lacks RFC 5780.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 SERVER:PORT [MAX-LIFETIME]" >&2; exit 2; }
out=$(natkeep probe --server "$1" --max-lifetime "${2:-120}" --json) || rc=$?
printf '%s\n' "$out" | jq -r '"mapping=\(.mapping) filtering=\(.filtering) port_preserved=\(.port_preserved) hairpinning=\(.hairpinning) lifetime_s=\(.lifetime_s) mapped=\(.mapped)"'
exit "${rc:-0}"
